import type { RowError } from '../../domain/row-error.js';
import type { Tally } from '../../domain/tally.js';
import type { IntakeFileMeta } from '../../store/intake-file.repository.js';
import type { Store, Tx } from '../../store/store.js';

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
  store: Store,
  meta: IntakeFileMeta,
  items: AsyncIterable<({ kind: 'row'; line: number; row: T } | ({ kind: 'error' } & RowError))[]>,
  tally: Tally,
  decide: () => RowError | null,
  apply: (tx: Tx, fileId: number, rows: { line: number; row: T }[]) => Promise<void>,
): Promise<{ fileId: number; reject: RowError | null }> {
  try {
    return await store.transaction(async (tx) => {
      const fileId = await tx.intakeFiles.insertAppliedFile(meta);
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
      await apply(tx, fileId, rows);
      await tx.intakeFiles.recordAppliedOutcome(fileId, tally.sorted(), { imported: tally.imported, failed: tally.failed, warnings: tally.warnings });
      return { fileId, reject: null };
    });
  } catch (err) {
    if (err instanceof Rejected) return { fileId: 0, reject: err.reason };
    throw err;
  }
}
