import type { Db } from './db.js';
import { claimRun, finishRun, firstOccurrence, lastOccurrence, releaseRun, renewLease, unsettledRuns, type Claim, type ClaimRequest, type RunStatus, type ScheduleRun } from './schedule.repository.js';
import { reading, transaction, type Sql } from './sql.js';

/**
 * `schedule_runs` as the scheduler uses it (issue 13): each call its own transaction (or read) on
 * the database, so the scheduler holds this repository, not the database. The statements
 * themselves are schedule.repository.ts's, which run inside a caller's transaction.
 */
export interface ScheduleRuns {
  /** claim the occurrence (or learn who holds it) */
  claim(r: ClaimRequest): Promise<Claim>;
  /**
   * settle it; 0 when the lease was lost to another owner. `alsoInTx` runs in the same transaction
   * when the row was settled (a webhook event commits with the failure it reports: the outbox pattern).
   */
  finish(
    f: { step: string; occurrence: string; owner: string; status: Exclude<RunStatus, 'running'>; finishedAt: string; leaseUntil: string; detail: unknown },
    alsoInTx?: (tx: Sql) => Promise<unknown>,
  ): Promise<number>;
  /** give it up unfinished (shutdown); 0 when not ours */
  release(step: string, occurrence: string, owner: string): Promise<number>;
  /** extend the lease; 0 when another owner took it over */
  renew(step: string, occurrence: string, owner: string, leaseUntil: string): Promise<number>;
  /** the earliest occurrence recorded for any step */
  first(): Promise<string | null>;
  /** the step's latest recorded occurrence and its unsettled ones (running, or failed with attempts left) */
  lastAndUnsettled(step: string, maxAttempts: number): Promise<readonly [string | null, ScheduleRun[]]>;
}

export function scheduleRuns(db: Db): ScheduleRuns {
  return {
    claim: (r) => transaction(db, (sql) => claimRun(sql, r)),
    finish: (f, alsoInTx) =>
      transaction(db, async (sql) => {
        const n = await finishRun(sql, f);
        if (alsoInTx && n > 0) await alsoInTx(sql);
        return n;
      }),
    release: (step, occurrence, owner) => transaction(db, (sql) => releaseRun(sql, step, occurrence, owner)),
    renew: (step, occurrence, owner, leaseUntil) => transaction(db, (sql) => renewLease(sql, step, occurrence, owner, leaseUntil)),
    first: () => reading(db, firstOccurrence),
    lastAndUnsettled: (step, maxAttempts) => reading(db, async (sql) => [await lastOccurrence(sql, step), await unsettledRuns(sql, step, maxAttempts)] as const),
  };
}
