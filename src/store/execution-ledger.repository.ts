import type { Period } from '../domain/dates.js';
import { executionById, finishExecution, insertExecution, policiesToOpen, unfinishedExecutions, type ExecutionRecord, type ExecutionStatus } from './api.repository.js';
import type { Db } from './db.js';
import { reading, transaction } from './sql.js';

/**
 * The `executions` ledger as the API's execution queue uses it (issue 13): each call one
 * transaction (or read) of its own, so the queue holds this repository, not the database. The
 * statements are api.repository.ts's.
 */
export interface ExecutionLedger {
  /** record a new execution `processing`, counting the policies it will open now */
  record(e: { id: string; tenant: string; period: Period; policyIds?: readonly number[]; createdAt: string }): Promise<ExecutionRecord>;
  /** what a stopped process left `processing`, oldest first */
  unfinished(): Promise<ExecutionRecord[]>;
  finish(id: string, status: Exclude<ExecutionStatus, 'processing'>, opened: number | null, error: string | null, at: string): Promise<void>;
}

export function executionLedger(db: Db): ExecutionLedger {
  return {
    record: (e) =>
      transaction(db, async (sql) => {
        const queued = await policiesToOpen(sql, e.tenant, e.period, e.policyIds);
        await insertExecution(sql, { id: e.id, tenant_id: e.tenant, period: e.period, policy_ids: e.policyIds ? JSON.stringify(e.policyIds) : null, policies_queued: queued, created_at: e.createdAt });
        return (await executionById(sql, e.tenant, e.id))!;
      }),
    unfinished: () => reading(db, (sql) => unfinishedExecutions(sql)),
    finish: (id, status, opened, error, at) => transaction(db, (sql) => finishExecution(sql, id, status, opened, error, at)),
  };
}
