import { Writable } from 'node:stream';
import pgCopy from 'pg-copy-streams';
import type pg from 'pg';
import type { Db } from './db.js';
import { withPgConnection } from './db.js';
import { repeatedInFile, type PolicyItem } from '../intake/policy-file.reader.js';
import type { Tally } from '../intake/tally.js';
import type { RowError } from '../intake/row-error.js';
import { MAX_STORED_ERRORS, type IntakeFileMeta } from './intake-file.repository.js';
import { copyLine } from './copy-text.js';
import { releaseByFile, unknownCancelled } from './policy-import.sqlite.js';
import { releaseHoldsPg } from './policy-hold-release.js';

/**
 * Policy upsert on PostgreSQL: validated rows are streamed with COPY into a temporary staging
 * table, then applied with one set-based INSERT … ON CONFLICT, all in one transaction.
 */
const UPDATE_CHANGED = `
UPDATE policies AS p SET
  customer_id = s.customer_id,
  external_customer_ref = s.external_customer_ref,
  product_code = s.product_code,
  collection_amount = s.collection_amount,
  status = s.status,
  cancelled_at = CASE WHEN s.status = 'cancelled' THEN COALESCE(p.cancelled_at, $2::varchar) END,
  updated_at = $2::varchar,
  intake_file_id = $3
FROM kasi_stage_policies s
WHERE p.tenant_id = $1::varchar AND p.policy_number = s.policy_number
  AND (p.customer_id, p.external_customer_ref, p.product_code, p.collection_amount, p.status)
  IS DISTINCT FROM (s.customer_id, s.external_customer_ref, s.product_code, s.collection_amount, s.status)`;

// New numbers: ON CONFLICT on the unique key (an anti-join against the table being filled is
// planned as if it were empty and can degrade badly). Imports of one tenant are serialised by an
// advisory lock, so the conflict arbiter only ever meets numbers the UPDATE above already handled.
const INSERT_NEW = `
INSERT INTO policies (tenant_id, policy_number, customer_id, external_customer_ref, product_code,
  collection_amount, status, cancelled_at, created_at, updated_at, intake_file_id)
SELECT $1::varchar, s.policy_number, s.customer_id, s.external_customer_ref, s.product_code, s.collection_amount, s.status,
  CASE WHEN s.status = 'cancelled' THEN $2 END, $2, $2, $3
FROM kasi_stage_policies s
ON CONFLICT (tenant_id, policy_number) DO NOTHING`;

/** SPEC 3.2: a cancelled policy's open collection ends CANCELLED (see policy-import.sqlite.ts). */
const CANCEL_OPEN_COLLECTIONS = `
UPDATE collections AS c SET status = 'CANCELLED', halted_reason = COALESCE(c.halted_reason, 'POLICY_CANCELLED'), next_check = NULL, updated_at = $2::varchar
FROM kasi_stage_policies s JOIN policies p ON p.tenant_id = $1::varchar AND p.policy_number = s.policy_number
WHERE s.status = 'cancelled' AND c.policy_id = p.id AND c.tenant_id = $1::varchar AND c.status = 'OPEN'
  AND c.period IN (SELECT period FROM periods WHERE tenant_id = $1::varchar AND closed_at IS NULL)`;

export interface PgApplyHooks {
  /** Called inside the transaction after the upsert, with the staging table still there. */
  afterRowsPg?: (conn: pg.PoolClient, fileId: number) => Promise<void>;
}

/** Stream lines into `COPY <target> FROM STDIN`, honouring backpressure. */
export async function copyInto(conn: pg.PoolClient, sql: string, lines: AsyncIterable<string>): Promise<void> {
  const stream = conn.query(pgCopy.from(sql)) as Writable;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  let buf = '';
  for await (const line of lines) {
    buf += line;
    if (buf.length >= 1 << 16) {
      const ok = stream.write(buf);
      buf = '';
      if (!ok) await new Promise<void>((r) => stream.once('drain', r));
    }
  }
  if (buf) stream.write(buf);
  stream.end();
  await done;
}

export async function applyPoliciesPg(
  db: Db,
  meta: IntakeFileMeta,
  items: AsyncIterable<PolicyItem[]>,
  tally: Tally,
  decide: () => RowError | null,
  hooks: PgApplyHooks = {},
): Promise<{ fileId: number; reject: RowError | null }> {
  return withPgConnection(db, async (conn) => {
    const now = meta.processedAt;
    await conn.query('BEGIN');
    try {
      await conn.query("SELECT pg_advisory_xact_lock(hashtext('kasi:policies:' || $1))", [meta.tenantId]);
      await conn.query('INSERT INTO tenants (id, name, created_at) VALUES ($1, $1, $2) ON CONFLICT (id) DO NOTHING', [meta.tenantId, now]);
      const ins = await conn.query(
        `INSERT INTO intake_files (tenant_id, kind, name, sha256, size, status, encoding, delimiter, received_at, processed_at, source)
         VALUES ($1, $2, $3, $4, $5, 'applied', $6, $7, $8, $9, $10) RETURNING id`,
        [meta.tenantId, meta.kind, meta.name, meta.sha256, meta.size, meta.encoding, meta.delimiter, meta.receivedAt, now, meta.source ?? null],
      );
      const fileId = Number((ins.rows[0] as { id: number }).id);
      await conn.query(`CREATE TEMP TABLE kasi_stage_policies (line integer, policy_number text collate "C", customer_id text,
        external_customer_ref text, product_code text, collection_amount bigint, status text) ON COMMIT DROP`);
      let staged = 0;
      let cancelling = 0;
      const releases: string[] = [];
      async function* lines(): AsyncGenerator<string> {
        for await (const batch of items) {
          let buf = '';
          for (const item of batch) {
            if (item.kind === 'error') {
              tally.add(item);
              continue;
            }
            const r = item.row;
            staged++;
            if (r.status === 'cancelled') cancelling++;
            if (r.hold === 'release') releases.push(r.policyNumber);
            buf += copyLine([item.line, r.policyNumber, r.customerId, r.externalCustomerRef, r.productCode, r.amountCents, r.status]);
          }
          yield buf;
        }
      }
      await copyInto(conn, 'COPY kasi_stage_policies FROM STDIN', lines());
      // a number repeated in the file: the first line is applied, each later one is an error
      const repeated = await conn.query(
        `DELETE FROM kasi_stage_policies s
         USING (SELECT policy_number, min(line) AS first_line FROM kasi_stage_policies GROUP BY policy_number HAVING count(*) > 1) d
         WHERE s.policy_number = d.policy_number AND s.line > d.first_line
         RETURNING s.line, s.policy_number, d.first_line, s.status`,
      );
      for (const r of repeated.rows as { line: number; policy_number: string; first_line: number; status: string }[]) {
        tally.add(repeatedInFile(r.line, r.policy_number, r.first_line));
        if (r.status === 'cancelled') cancelling--;
      }
      const unknown = await conn.query(
        `DELETE FROM kasi_stage_policies s WHERE s.status = 'cancelled'
           AND NOT EXISTS (SELECT 1 FROM policies p WHERE p.tenant_id = $1 AND p.policy_number = s.policy_number)
         RETURNING s.line, s.policy_number`,
        [meta.tenantId],
      );
      for (const u of unknown.rows as { line: number; policy_number: string }[]) tally.add(unknownCancelled(u.line, u.policy_number));
      tally.imported += staged - repeated.rows.length - unknown.rows.length;
      const reject = decide();
      if (reject) {
        await conn.query('ROLLBACK');
        return { fileId: 0, reject };
      }
      await conn.query('ANALYZE kasi_stage_policies');
      await conn.query(UPDATE_CHANGED, [meta.tenantId, now, fileId]);
      await conn.query(INSERT_NEW, [meta.tenantId, now, fileId]);
      await hooks.afterRowsPg?.(conn, fileId);
      if (cancelling > 0) await conn.query(CANCEL_OPEN_COLLECTIONS, [meta.tenantId, now]);
      if (releases.length) await releaseHoldsPg(conn, meta.tenantId, releases, releaseByFile(meta, now), now);
      const errs = tally.sorted().slice(0, MAX_STORED_ERRORS);
      if (errs.length) {
        await copyInto(
          conn,
          'COPY intake_errors (intake_file_id, line, "column", code, message, severity) FROM STDIN',
          (async function* () {
            for (const e of errs) yield copyLine([fileId, e.line, e.column, e.code, e.message, e.severity ?? 'error']);
          })(),
        );
      }
      await conn.query('UPDATE intake_files SET imported = $1, failed = $2, warnings = $3 WHERE id = $4', [tally.imported, tally.failed, tally.warnings, fileId]);
      await conn.query('COMMIT');
      return { fileId, reject: null };
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}
