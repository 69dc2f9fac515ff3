import type { Sql } from './sql.js';

/**
 * `schedule_runs` (migration 005): the record of every scheduled occurrence, and the claim that
 * makes it run once. Lease times are wall-clock ISO instants (compared as text: toISOString()
 * sorts in time order); `started_at`/`finished_at` come from the scheduler's clock. Every call
 * runs inside the caller's transaction.
 */
export type RunStatus = 'running' | 'done' | 'skipped' | 'failed';

export interface ScheduleRun {
  step: string;
  occurrence: string;
  status: RunStatus;
  attempts: number;
  started_at: string;
  finished_at: string | null;
  owner: string;
  lease_until: string;
  detail: string | null;
}

export interface ClaimRequest {
  step: string;
  occurrence: string;
  owner: string;
  /** the scheduler's clock, ISO */
  startedAt: string;
  /** wall clock now and the lease's end, ISO */
  wallNow: string;
  leaseUntil: string;
  /** a failed occurrence is taken again while attempts < this */
  maxAttempts: number;
}

export type Claim = { claimed: true; attempts: number } | { claimed: false; row: ScheduleRun };

const COLUMNS = 'step, occurrence, status, attempts, started_at, finished_at, owner, lease_until, detail';

/** An expired lease: the owner let go (a bounded shutdown that had to leave its unit). */
export const RELEASED = '1970-01-01T00:00:00.000Z';

export async function findRun(sql: Sql, step: string, occurrence: string): Promise<ScheduleRun | undefined> {
  const [row] = await sql.all<ScheduleRun>(`SELECT ${COLUMNS} FROM schedule_runs WHERE step = ? AND occurrence = ?`, [step, occurrence]);
  return row ? { ...row, attempts: Number(row.attempts) } : undefined;
}

/**
 * Claim an occurrence: insert its row (the unique key lets exactly one replica win), or take over
 * one whose owner's lease expired, or a failed one due for a retry. Anything else is someone
 * else's (running) or settled (done, skipped, failed for good).
 */
export async function claimRun(sql: Sql, r: ClaimRequest): Promise<Claim> {
  const inserted = await sql.run(
    `INSERT INTO schedule_runs (step, occurrence, status, attempts, started_at, owner, lease_until)
     VALUES (?, ?, 'running', 1, ?, ?, ?) ON CONFLICT (step, occurrence) DO NOTHING`,
    [r.step, r.occurrence, r.startedAt, r.owner, r.leaseUntil],
  );
  if (inserted === 1) return { claimed: true, attempts: 1 };
  const taken = await sql.run(
    `UPDATE schedule_runs SET status = 'running', owner = ?, lease_until = ?, started_at = ?, finished_at = NULL, attempts = attempts + 1
     WHERE step = ? AND occurrence = ?
       AND ((status = 'running' AND lease_until < ?) OR (status = 'failed' AND attempts < ? AND lease_until <= ?))`,
    [r.owner, r.leaseUntil, r.startedAt, r.step, r.occurrence, r.wallNow, r.maxAttempts, r.wallNow],
  );
  const row = (await findRun(sql, r.step, r.occurrence))!;
  return taken === 1 ? { claimed: true, attempts: row.attempts } : { claimed: false, row };
}

/** Extend the lease; 0 when this owner no longer holds it (taken over after it expired). */
export function renewLease(sql: Sql, step: string, occurrence: string, owner: string, leaseUntil: string): Promise<number> {
  return sql.run(`UPDATE schedule_runs SET lease_until = ? WHERE step = ? AND occurrence = ? AND owner = ? AND status = 'running'`, [
    leaseUntil,
    step,
    occurrence,
    owner,
  ]);
}

/** Settle the occurrence; for `failed`, `leaseUntil` is when it may be retried. */
export function finishRun(
  sql: Sql,
  f: { step: string; occurrence: string; owner: string; status: Exclude<RunStatus, 'running'>; finishedAt: string; leaseUntil: string; detail: unknown },
): Promise<number> {
  return sql.run(
    `UPDATE schedule_runs SET status = ?, finished_at = ?, lease_until = ?, detail = ?
     WHERE step = ? AND occurrence = ? AND owner = ? AND status = 'running'`,
    [f.status, f.finishedAt, f.leaseUntil, JSON.stringify(f.detail ?? null), f.step, f.occurrence, f.owner],
  );
}

/** Give the occurrence up unfinished: the next scheduler (this one restarted, or a replica) takes it over at once. */
export function releaseRun(sql: Sql, step: string, occurrence: string, owner: string): Promise<number> {
  return sql.run(`UPDATE schedule_runs SET lease_until = ? WHERE step = ? AND occurrence = ? AND owner = ? AND status = 'running'`, [
    RELEASED,
    step,
    occurrence,
    owner,
  ]);
}

/** The latest occurrence recorded for `step`, whatever its status. */
export async function lastOccurrence(sql: Sql, step: string): Promise<string | null> {
  const [row] = await sql.all<{ occ: string | null }>('SELECT MAX(occurrence) AS occ FROM schedule_runs WHERE step = ?', [step]);
  return row?.occ ?? null;
}

/** The earliest occurrence recorded for any step: since when the scheduler has been watching. */
export async function firstOccurrence(sql: Sql): Promise<string | null> {
  const [row] = await sql.all<{ occ: string | null }>('SELECT MIN(occurrence) AS occ FROM schedule_runs');
  return row?.occ ?? null;
}

/** Occurrences not settled: running (perhaps with a dead owner) or failed with attempts left. */
export function unsettledRuns(sql: Sql, step: string, maxAttempts: number): Promise<ScheduleRun[]> {
  return sql.all<ScheduleRun>(
    `SELECT ${COLUMNS} FROM schedule_runs WHERE step = ? AND (status = 'running' OR (status = 'failed' AND attempts < ?)) ORDER BY occurrence`,
    [step, maxAttempts],
  );
}

export function listRuns(sql: Sql, step?: string): Promise<ScheduleRun[]> {
  return step === undefined
    ? sql.all<ScheduleRun>(`SELECT ${COLUMNS} FROM schedule_runs ORDER BY occurrence, step`)
    : sql.all<ScheduleRun>(`SELECT ${COLUMNS} FROM schedule_runs WHERE step = ? ORDER BY occurrence`, [step]);
}
