import type { Db } from './db.js';
import { withSqliteConnection } from './db.js';
import type { PolicyItem } from '../intake/policy-file.reader.js';
import type { Tally } from '../intake/tally.js';
import type { RowError } from '../intake/row-error.js';
import { fileRow, MAX_STORED_ERRORS, type IntakeFileMeta } from './intake-file.repository.js';
import { releaseHoldsSqlite, type Release } from './policy-hold-release.js';
import { sastDate } from '../domain/dates.js';

/** A hold lifted by a policy file's `hold` column: released on the file's day, by the file. */
export function releaseByFile(meta: IntakeFileMeta, now: string): Release {
  return { releasedOn: sastDate(new Date(now)), releasedBy: `file:${meta.name}`, note: null };
}

/**
 * Policy upsert on SQLite: one IMMEDIATE transaction for the whole file, one prepared statement
 * run per row (better-sqlite3 is synchronous, so this is the fastest path SQLite has). A row that
 * changes nothing is not rewritten. Returns the decision of `decide` after the rows are in.
 */
const UPSERT = `
INSERT INTO policies (tenant_id, policy_number, customer_id, external_customer_ref, product_code,
  collection_amount, status, cancelled_at, created_at, updated_at, intake_file_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant_id, policy_number) DO UPDATE SET
  customer_id = excluded.customer_id,
  external_customer_ref = excluded.external_customer_ref,
  product_code = excluded.product_code,
  collection_amount = excluded.collection_amount,
  status = excluded.status,
  cancelled_at = CASE WHEN excluded.status = 'cancelled' THEN COALESCE(policies.cancelled_at, excluded.cancelled_at) ELSE NULL END,
  updated_at = excluded.updated_at,
  intake_file_id = excluded.intake_file_id
WHERE policies.customer_id IS NOT excluded.customer_id
   OR policies.external_customer_ref IS NOT excluded.external_customer_ref
   OR policies.product_code IS NOT excluded.product_code
   OR policies.collection_amount IS NOT excluded.collection_amount
   OR policies.status IS NOT excluded.status`;

export interface ApplyHooks {
  /** Called inside the transaction with the policy numbers cancelled by this file. */
  afterRowsSqlite?: (conn: import('better-sqlite3').Database, fileId: number, cancelled: string[]) => void;
}

export async function applyPoliciesSqlite(
  db: Db,
  meta: IntakeFileMeta,
  items: AsyncIterable<PolicyItem[]>,
  tally: Tally,
  decide: () => RowError | null,
  hooks: ApplyHooks = {},
): Promise<{ fileId: number; reject: RowError | null }> {
  return withSqliteConnection(db, async (conn) => {
    const now = meta.processedAt;
    // a bigger page cache while a file is applied: the unique index is walked once per row
    conn.pragma('cache_size = -32768');
    conn.exec('BEGIN IMMEDIATE');
    try {
      conn.prepare('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING').run(meta.tenantId, meta.tenantId, now);
      const f = fileRow(meta, 'applied');
      const fileId = Number(
        conn
          .prepare(
            `INSERT INTO intake_files (tenant_id, kind, name, sha256, size, status, encoding, delimiter, received_at, processed_at, source)
             VALUES (@tenant_id, @kind, @name, @sha256, @size, @status, @encoding, @delimiter, @received_at, @processed_at, @source)`,
          )
          .run(f).lastInsertRowid,
      );
      const upsert = conn.prepare(UPSERT);
      const known = conn.prepare('SELECT 1 FROM policies WHERE tenant_id = ? AND policy_number = ?').pluck();
      const cancelled: string[] = [];
      const releases: string[] = [];
      for await (const batch of items) {
        for (const item of batch) {
          if (item.kind === 'error') {
            tally.add(item);
            continue;
          }
          const r = item.row;
          if (r.status === 'cancelled') {
            if (!known.get(meta.tenantId, r.policyNumber)) {
              tally.add(unknownCancelled(item.line, r.policyNumber));
              continue;
            }
            cancelled.push(r.policyNumber);
          }
          const tenant = meta.tenantId;
          if (r.hold === 'release') releases.push(r.policyNumber);
          upsert.run(tenant, r.policyNumber, r.customerId, r.externalCustomerRef, r.productCode, r.amountCents, r.status, r.status === 'cancelled' ? now : null, now, now, fileId);
          tally.imported++;
        }
      }
      const reject = decide();
      if (reject) {
        conn.exec('ROLLBACK');
        return { fileId: 0, reject };
      }
      hooks.afterRowsSqlite?.(conn, fileId, cancelled);
      cancelOpenCollections(conn, meta.tenantId, cancelled, now);
      if (releases.length) releaseHoldsSqlite(conn, meta.tenantId, releases, releaseByFile(meta, now), now);
      const insErr = conn.prepare('INSERT INTO intake_errors (intake_file_id, line, "column", code, message, severity) VALUES (?, ?, ?, ?, ?, ?)');
      for (const e of tally.sorted().slice(0, MAX_STORED_ERRORS)) insErr.run(fileId, e.line, e.column, e.code, e.message, e.severity ?? 'error');
      conn
        .prepare('UPDATE intake_files SET imported = ?, failed = ?, warnings = ? WHERE id = ?')
        .run(tally.imported, tally.failed, tally.warnings, fileId);
      conn.exec('COMMIT');
      return { fileId, reject: null };
    } catch (err) {
      if (conn.inTransaction) conn.exec('ROLLBACK');
      throw err;
    }
  });
}

/**
 * SPEC 3.2: `cancelled` ends the policy at once; its open collection of a period not yet closed
 * ends CANCELLED, so no batch presents it again (the batch plans OPEN collections only). An
 * earlier halt reason (e.g. ACCOUNT_CLOSED) is kept: it is why the engine had already stopped.
 * In the file's transaction: a crash leaves the policy and its collection consistent.
 */
const CANCEL_OPEN_COLLECTIONS = `
UPDATE collections SET status = 'CANCELLED', halted_reason = COALESCE(halted_reason, 'POLICY_CANCELLED'), next_check = NULL, updated_at = ?
WHERE tenant_id = ? AND status = 'OPEN'
  AND period IN (SELECT period FROM periods WHERE tenant_id = ? AND closed_at IS NULL)
  AND policy_id IN (SELECT id FROM policies WHERE tenant_id = ? AND status = 'cancelled' AND policy_number IN `;

function cancelOpenCollections(conn: import('better-sqlite3').Database, tenant: string, policyNumbers: string[], now: string): void {
  const CHUNK = 500; // well under SQLite's bound-parameter limit
  for (let i = 0; i < policyNumbers.length; i += CHUNK) {
    const chunk = policyNumbers.slice(i, i + CHUNK);
    conn.prepare(`${CANCEL_OPEN_COLLECTIONS}(${chunk.map(() => '?').join(',')}))`).run(now, tenant, tenant, tenant, ...chunk);
  }
}

export function unknownCancelled(line: number, policyNumber: string): RowError {
  return {
    line,
    column: 'status',
    code: 'CANCEL_UNKNOWN_POLICY',
    message: `policy_number "${policyNumber}" is cancelled but kasi has no such policy for this insurer; check the number`,
  };
}
