import type { Sql } from './sql.js';
import type { SettlementRecord } from './settlement.repository.js';
import type { IsoDate } from '../domain/dates.js';

/**
 * EFT payment files (SPEC 5.3). A file goes through two transactions so that a crash at any
 * moment neither loses nor duplicates a payment:
 *   1. plan: allocate the day's next sequence, store the file's name and full XML, and tie the
 *      settlements to it (they stay `pending`);
 *   2. (the file is written atomically from the stored XML)
 *   3. release: mark the file released and its settlements `paid`.
 * A crash between 1 and 3 leaves a planned file that the next run writes with the same name and
 * bytes, then releases. A settlement tied to a file is never planned into another one.
 */
export interface PaymentFileRecord {
  id: number;
  payment_date: IsoDate;
  seq: number;
  name: string;
  payments: number;
  total: number;
  content: string;
  created_at: string;
  released_at: string | null;
}

function record(r: PaymentFileRecord): PaymentFileRecord {
  return { ...r, id: Number(r.id), seq: Number(r.seq), payments: Number(r.payments), total: Number(r.total) };
}

export async function paymentFilesOn(sql: Sql, date: IsoDate): Promise<PaymentFileRecord[]> {
  return (await sql.all<PaymentFileRecord>('SELECT * FROM payment_files WHERE payment_date = ? ORDER BY seq', [date])).map(record);
}

/*
 * Step 1, statement by statement, in the use case's transaction (usecases/close/close-pay.ts):
 * after `lockNumbering(…, 'payment_files')`, the settlements still payable among the chosen ones,
 * the day's next sequence, the file inserted with its full XML, the settlements tied to it.
 */

/** Of `settlementIds`, those still pending on `date` and in no file (another run may have taken some), in payment order. */
export async function stillPayable(sql: Sql, date: IsoDate, settlementIds: readonly string[]): Promise<SettlementRecord[]> {
  if (settlementIds.length === 0) return [];
  const rows = await sql.all<SettlementRecord>(
    `SELECT * FROM settlements WHERE id IN (${settlementIds.map(() => '?').join(', ')})
       AND payment_date = ? AND status = 'pending' AND payment_file_id IS NULL ORDER BY payment_seq`,
    [...settlementIds, date],
  );
  return rows.map((r) => ({ ...r, net_amount: Number(r.net_amount), payment_seq: Number(r.payment_seq) }));
}

/** The sequence the day's next payment file gets. */
export async function nextPaymentFileSeq(sql: Sql, date: IsoDate): Promise<number> {
  const [next] = await sql.all<{ n: number | string }>('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM payment_files WHERE payment_date = ?', [date]);
  return Number(next!.n);
}

export interface NewPaymentFile {
  date: IsoDate;
  seq: number;
  name: string;
  payments: number;
  total: number;
  content: string;
  createdAt: string;
}

/** Insert a planned (not released) payment file; returns its id. */
export async function insertPaymentFile(sql: Sql, f: NewPaymentFile): Promise<number> {
  const [ins] = await sql.all<{ id: number | string }>(
    `INSERT INTO payment_files (payment_date, seq, name, payments, total, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [f.date, f.seq, f.name, f.payments, f.total, f.content, f.createdAt],
  );
  return Number(ins!.id);
}

/** Tie the settlements to the file: they are in it from now on (and in no other). */
export async function tieToPaymentFile(sql: Sql, fileId: number, settlementIds: readonly string[]): Promise<void> {
  await sql.run(`UPDATE settlements SET payment_file_id = ? WHERE id IN (${settlementIds.map(() => '?').join(', ')})`, [fileId, ...settlementIds]);
}

export async function paymentFileWithId(sql: Sql, id: number): Promise<PaymentFileRecord> {
  const [row] = await sql.all<PaymentFileRecord>('SELECT * FROM payment_files WHERE id = ?', [id]);
  return record(row!);
}

/** Step 3: the file is in place; its settlements are paid (a disputed one keeps its status). */
export async function releasePaymentFile(sql: Sql, fileId: number, now: string): Promise<void> {
  await sql.run('UPDATE payment_files SET released_at = ? WHERE id = ? AND released_at IS NULL', [now, fileId]);
  await sql.run(
    `UPDATE settlements SET status = CASE WHEN status = 'pending' THEN 'paid' ELSE status END, paid_at = COALESCE(paid_at, ?)
     WHERE payment_file_id = ?`,
    [now, fileId],
  );
}
