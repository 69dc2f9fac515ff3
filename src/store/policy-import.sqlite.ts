import type { Db } from './db.js';
import { withSqliteConnection } from './db.js';
import { TEXT_PER_ROW, walkBatch, type PolicyBatch } from '../files/policy-batch.js';
import type { Tally } from '../domain/tally.js';
import type { RowError } from '../domain/row-error.js';
import { fileRow, MAX_STORED_ERRORS, type IntakeFileMeta } from './intake-file.repository.js';
import { releaseHoldsSqlite, type Release } from './policy-hold-release.js';
import { sastDate } from '../domain/dates.js';

/** A hold lifted by a policy file's `hold` column: released on the file's day, by the file. */
export function releaseByFile(meta: IntakeFileMeta, now: string): Release {
  return { releasedOn: sastDate(new Date(now)), releasedBy: `file:${meta.name}`, note: null };
}

/**
 * Policy upsert on SQLite: one IMMEDIATE transaction for the whole file, rows written
 * ROWS_PER_STATEMENT at a time by one prepared multi-row upsert (better-sqlite3 is synchronous:
 * the cost is per call and per bound value, so one call carries many rows, and what is the same
 * for every row of the file — tenant, times, file id — is written into the statement once instead
 * of bound a million times). A row that changes nothing is not rewritten.
 */
const COLUMNS = `INSERT INTO policies (policy_number, customer_id, external_customer_ref, product_code, collection_amount, status, cancelled_at,
  tenant_id, created_at, updated_at, intake_file_id) VALUES `;

const ON_CONFLICT = `
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

/** Bound per row: policy number, customer id, external ref, product code, amount, status, cancelled_at. */
const PARAMS_PER_ROW = 7;
/** Rows per statement call: 64 × 7 = 448 bound values, under SQLite's oldest limit (999). */
const ROWS_PER_STATEMENT = 64;

/** A SQL string literal (SQLite has no backslash escapes: a quote is doubled). */
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The upsert of `rows` rows, the file's constants written in. */
function upsertSql(rows: number, tenantId: string, now: string, fileId: number): string {
  const one = `(?, ?, ?, ?, ?, ?, ?, ${literal(tenantId)}, ${literal(now)}, ${literal(now)}, ${fileId})`;
  return COLUMNS + Array.from({ length: rows }, () => one).join(',') + ON_CONFLICT;
}

/** Rows gathered for the multi-row upsert, written whenever a statement's worth is in. */
class RowWriter {
  private readonly params: unknown[] = new Array<unknown>(ROWS_PER_STATEMENT * PARAMS_PER_ROW);
  private k = 0;
  private readonly full: import('better-sqlite3').Statement;

  constructor(
    private readonly conn: import('better-sqlite3').Database,
    private readonly sql: (rows: number) => string,
  ) {
    this.full = conn.prepare(sql(ROWS_PER_STATEMENT));
  }

  add(policyNumber: string, customerId: string, externalRef: string, productCode: string, amount: number, status: string, cancelledAt: string | null): void {
    const p = this.params;
    let k = this.k;
    p[k++] = policyNumber;
    p[k++] = customerId;
    p[k++] = externalRef;
    p[k++] = productCode;
    p[k++] = amount;
    p[k++] = status;
    p[k++] = cancelledAt;
    if (k === p.length) {
      this.full.run(p);
      k = 0;
    }
    this.k = k;
  }

  /** The last, partial statement's worth. */
  flush(): void {
    if (this.k === 0) return;
    this.conn.prepare(this.sql(this.k / PARAMS_PER_ROW)).run(this.params.slice(0, this.k));
    this.k = 0;
  }
}

/**
 * The import's page cache (KiB). Policy numbers in key order (the usual export) touch only the
 * unique index's rightmost pages, so a small cache serves any file: more would only hold table
 * pages written once (measured alone, 4M rows in order: the same CPU with 256 MB as with 32 MB,
 * and a slower commit). Numbers in no order touch the whole index: with 32 MB, 4M such rows took
 * 7.8x the CPU of 1M (the index outgrows the cache, every insert reads a page back from the WAL),
 * with 256 MB 4.4x. So the cache grows to the index's size, estimated from the file, only once
 * the rows are seen out of order.
 */
const IMPORT_CACHE_KIB = 32 * 1024;
/** The unique index's bytes per byte of file (an entry is ~40 bytes, a row rarely under 48). */
const INDEX_BYTES_PER_FILE_BYTE = 0.85;
/**
 * The cache never grows past this (KiB): memory stays bounded whatever the file; an unordered file
 * past ~300 MB (about 5M rows) gets slower per row instead of taking more memory.
 */
const IMPORT_CACHE_MAX_KIB = 256 * 1024;
/** Out of order = more than this share of the rows so far sorts below the row before it. */
const UNORDERED_SHARE = 1 / 8;

/** The connection's cache_size while `fn` runs, the one it had before afterwards. */
function withCacheSize<T>(conn: import('better-sqlite3').Database, kib: number, fn: () => Promise<T>): Promise<T> {
  const before = conn.pragma('cache_size', { simple: true }) as number;
  conn.pragma(`cache_size = ${-kib}`);
  return fn().finally(() => conn.pragma(`cache_size = ${before}`));
}

export interface ApplyHooks {
  /** Called inside the transaction with the policy numbers cancelled by this file. */
  afterRowsSqlite?: (conn: import('better-sqlite3').Database, fileId: number, cancelled: string[]) => void;
}

export async function applyPoliciesSqlite(
  db: Db,
  meta: IntakeFileMeta,
  batches: AsyncIterable<PolicyBatch>,
  tally: Tally,
  decide: () => RowError | null,
  hooks: ApplyHooks = {},
): Promise<{ fileId: number; reject: RowError | null }> {
  return withSqliteConnection(db, (conn) => withCacheSize(conn, IMPORT_CACHE_KIB, async () => {
    const now = meta.processedAt;
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
      const rows = new RowWriter(conn, (n) => upsertSql(n, meta.tenantId, now, fileId));
      const known = conn.prepare('SELECT 1 FROM policies WHERE tenant_id = ? AND policy_number = ?').pluck();
      const cancelled: string[] = [];
      const releases: string[] = [];
      const tenant = meta.tenantId;
      let last = '';
      let unordered = 0;
      let widened = false;
      for await (const b of batches) {
        const t = b.text;
        walkBatch(
          b,
          (e) => tally.add(e),
          (i) => {
            const o = i * TEXT_PER_ROW;
            const policyNumber = t[o]!;
            const status = t[o + 4]!;
            if (policyNumber < last) unordered++;
            last = policyNumber;
            if (status === 'cancelled') {
              if (!known.get(tenant, policyNumber)) {
                tally.add(unknownCancelled(b.lines[i]!, policyNumber));
                return;
              }
              cancelled.push(policyNumber);
            }
            if (b.releases.length && b.releases.includes(policyNumber)) releases.push(policyNumber);
            rows.add(policyNumber, t[o + 1]!, t[o + 2]!, t[o + 3]!, b.amounts[i]!, status, status === 'cancelled' ? now : null);
            tally.imported++;
          },
        );
        if (!widened && unordered > tally.imported * UNORDERED_SHARE) {
          widened = true;
          conn.pragma(`cache_size = ${-Math.min(IMPORT_CACHE_MAX_KIB, Math.max(IMPORT_CACHE_KIB, Math.ceil((meta.size * INDEX_BYTES_PER_FILE_BYTE) / 1024)))}`);
        }
      }
      rows.flush();
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
  }));
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
