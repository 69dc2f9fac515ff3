import type { Db } from './db.js';
import type { PolicyBatches } from '../files/policy-batch.js';
import type { Tally } from '../domain/tally.js';
import type { RowError } from '../domain/row-error.js';
import type { IntakeFileMeta } from './intake-file.repository.js';
import { applyPoliciesPg } from './policy-import.pg.js';
import { applyPoliciesSqlite } from './policy-import.sqlite.js';

/**
 * A policy file's packed batches applied in one transaction by the writer of the database's
 * dialect (policy-import.sqlite.ts: prepared statements; policy-import.pg.ts: COPY): record the
 * file, write the rows, let `decide` refuse it (then nothing stays), store the row errors and counts.
 */
export function applyPolicies(db: Db, meta: IntakeFileMeta, batches: PolicyBatches, tally: Tally, decide: () => RowError | null): Promise<{ fileId: number; reject: RowError | null }> {
  return db.dialect === 'sqlite' ? applyPoliciesSqlite(db, meta, batches, tally, decide) : applyPoliciesPg(db, meta, batches, tally, decide);
}
