import type { IsoDate } from '../domain/dates.js';
import type { Sql } from './sql.js';

/**
 * `debit_files`: the file gateway's debit files of a batch day (numbered 1, 2 … a day), allocated
 * when the batch stores the first presentment for one and marked written once the file is out, so
 * a restarted batch finds the file a killed run allocated but never wrote.
 */

/** Reads the highest sequence number given to a debit file of `date`; 0 when none was. */
export async function lastDebitFileSeq(sql: Sql, date: IsoDate): Promise<number> {
  const [row] = await sql.all<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM debit_files WHERE batch_date = ?', [date]);
  return row?.seq ?? 0;
}

/** Writes a new debit file of `date`, not written yet, with no instructions counted. */
export async function insertDebitFile(sql: Sql, date: IsoDate, seq: number, name: string, now: string): Promise<void> {
  await sql.run('INSERT INTO debit_files (batch_date, seq, name, instructions, created_at) VALUES (?, ?, ?, 0, ?)', [date, seq, name, now]);
}

/** Reads the name of the latest debit file of `date` that was allocated but never written, if any. */
export async function unwrittenDebitFile(sql: Sql, date: IsoDate): Promise<string | null> {
  const [row] = await sql.all<{ name: string }>('SELECT name FROM debit_files WHERE batch_date = ? AND written_at IS NULL ORDER BY seq DESC LIMIT 1', [date]);
  return row?.name ?? null;
}

/** Writes the debit file's instruction count and, the first time, when it was written. */
export async function markDebitFileWritten(sql: Sql, name: string, instructions: number, now: string): Promise<void> {
  await sql.run('UPDATE debit_files SET instructions = ?, written_at = COALESCE(written_at, ?) WHERE name = ?', [instructions, now, name]);
}
