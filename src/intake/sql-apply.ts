import type { RowError } from './row-error.js';
import type { Tally } from './tally.js';
import { MAX_STORED_ERRORS, type IntakeFileMeta } from '../store/intake-file.repository.js';
import { transaction, type Sql } from '../store/sql.js';
import type { Db } from '../store/db.js';

/**
 * The shape every small-file kind shares (income, bank results): in one transaction record the
 * file, collect its rows, let `decide` reject it (then nothing stays), apply the rows, store the
 * row errors and counts.
 */
class Rejected extends Error {
  constructor(readonly reason: RowError) {
    super(reason.message);
  }
}

export async function applyInTransaction<T>(
  db: Db,
  meta: IntakeFileMeta,
  items: AsyncIterable<({ kind: 'row'; line: number; row: T } | ({ kind: 'error' } & RowError))[]>,
  tally: Tally,
  decide: () => RowError | null,
  apply: (sql: Sql, fileId: number, rows: { line: number; row: T }[]) => Promise<void>,
): Promise<{ fileId: number; reject: RowError | null }> {
  try {
    return await transaction(db, async (sql) => {
      const [f] = await sql.all<{ id: number }>(
        `INSERT INTO intake_files (tenant_id, kind, name, sha256, size, status, encoding, delimiter, received_at, processed_at, source)
         VALUES (?, ?, ?, ?, ?, 'applied', ?, ?, ?, ?, ?) RETURNING id`,
        [meta.tenantId, meta.kind, meta.name, meta.sha256, meta.size, meta.encoding, meta.delimiter, meta.receivedAt, meta.processedAt, meta.source ?? null],
      );
      const fileId = Number(f!.id);
      const rows: { line: number; row: T }[] = [];
      for await (const batch of items) {
        for (const item of batch) {
          if (item.kind === 'error') tally.add(item);
          else rows.push({ line: item.line, row: item.row });
        }
      }
      tally.imported = rows.length;
      // Decide on the rows as read, before applying: applying can turn good rows into warnings
      // (unknown or repeated bank results), which are reported and ignored, not a reason to
      // refuse the file (a file of repeated results must not be refused as "no rows").
      const reject = decide();
      if (reject) throw new Rejected(reject);
      await apply(sql, fileId, rows);
      for (const e of tally.sorted().slice(0, MAX_STORED_ERRORS)) {
        await sql.run('INSERT INTO intake_errors (intake_file_id, line, "column", code, message, severity) VALUES (?, ?, ?, ?, ?, ?)', [
          fileId,
          e.line,
          e.column,
          e.code,
          e.message,
          e.severity ?? 'error',
        ]);
      }
      await sql.run('UPDATE intake_files SET imported = ?, failed = ?, warnings = ? WHERE id = ?', [tally.imported, tally.failed, tally.warnings, fileId]);
      return { fileId, reject: null };
    });
  } catch (err) {
    if (err instanceof Rejected) return { fileId: 0, reject: err.reason };
    throw err;
  }
}
