import type { Db } from './db.js';
import type { Sql } from './sql.js';
import { adjustmentAmountsQuery, adjustmentLinesQuery } from './adjustment.repository.js';
import { readNumbers, withPageStream, type RawRow, type StreamQuery } from './report.repository.js';
import type { IsoDate, Period } from '../domain/dates.js';

/**
 * Settlements (SPEC 5.2): one per tenant and period (unique), numbered per period across tenants
 * and per payment date for the EFT reference. Numbers are allocated inside the caller's
 * transaction after `lockNumbering` (PostgreSQL: a transaction advisory lock; SQLite: the
 * IMMEDIATE transaction already serialises writers), under unique constraints that would refuse
 * a duplicate anyway. Amounts are cents.
 */
export type SettlementStatus = 'pending' | 'paid' | 'disputed';

export interface SettlementRecord {
  id: string;
  settlement_number: string;
  tenant_id: string;
  period: Period;
  seq: number;
  collected_in_period: number;
  adjustments_total: number;
  total_collections: number;
  distribution_fee: number;
  collections_fee: number;
  total_fees: number;
  vat: number;
  net_amount: number;
  rates_from: IsoDate;
  distribution_rate: string;
  collections_rate: string;
  vat_rate: string;
  status: SettlementStatus;
  payment_date: IsoDate;
  payment_seq: number;
  payment_reference: string;
  parties: string;
  created_at: string;
  payment_file_id: number | null;
  paid_at: string | null;
  disputed_at: string | null;
  dispute_reason: string | null;
}

const CENTS: (keyof SettlementRecord)[] = [
  'collected_in_period',
  'adjustments_total',
  'total_collections',
  'distribution_fee',
  'collections_fee',
  'total_fees',
  'vat',
  'net_amount',
  'seq',
  'payment_seq',
];

function record(row: Record<string, unknown>): SettlementRecord {
  const r = { ...row } as Record<string, unknown>;
  for (const k of CENTS) r[k] = Number(r[k]);
  if (r.payment_file_id !== null && r.payment_file_id !== undefined) r.payment_file_id = Number(r.payment_file_id);
  return r as unknown as SettlementRecord;
}

/** Serialise allocation of settlement, invoice and payment-file numbers (PostgreSQL). */
export async function lockNumbering(sql: Sql, what: 'settlements' | 'invoices' | 'payment_files'): Promise<void> {
  if (sql.dialect === 'pg') await sql.all(`SELECT pg_advisory_xact_lock(hashtext(?))`, [`kasi:numbering:${what}`]);
}

export async function findSettlement(sql: Sql, tenant: string, period: Period): Promise<SettlementRecord | undefined> {
  const [row] = await sql.all<Record<string, unknown>>('SELECT * FROM settlements WHERE tenant_id = ? AND period = ?', [tenant, period]);
  return row ? record(row) : undefined;
}

export async function findSettlementByNumber(sql: Sql, number: string): Promise<SettlementRecord | undefined> {
  const [row] = await sql.all<Record<string, unknown>>('SELECT * FROM settlements WHERE settlement_number = ?', [number]);
  return row ? record(row) : undefined;
}

export async function settlementsOfPeriod(sql: Sql, period: Period): Promise<SettlementRecord[]> {
  const rows = await sql.all<Record<string, unknown>>('SELECT * FROM settlements WHERE period = ? ORDER BY seq', [period]);
  return rows.map(record);
}

export async function settlementsPayableOn(sql: Sql, date: IsoDate): Promise<SettlementRecord[]> {
  const rows = await sql.all<Record<string, unknown>>('SELECT * FROM settlements WHERE payment_date = ? ORDER BY payment_seq', [date]);
  return rows.map(record);
}

/**
 * The payment dates, up to `through`, that still have a settlement to pay: pending ones (in no
 * file yet, or in a planned file not yet released). The daemon's daily pay step pays them all, so
 * a payment date after the 3rd, or one missed while the daemon was down, is never left behind.
 */
export async function paymentDatesDue(sql: Sql, through: IsoDate): Promise<IsoDate[]> {
  const rows = await sql.all<{ d: string }>(`SELECT DISTINCT payment_date AS d FROM settlements WHERE status = 'pending' AND payment_date <= ? ORDER BY payment_date`, [through]);
  return rows.map((r) => r.d);
}

/** Sum of what the period's own collections collected (every status: money in is money in). */
export async function collectedInPeriod(sql: Sql, tenant: string, period: Period): Promise<number> {
  const [row] = await sql.all<{ s: number | string | null }>(
    'SELECT COALESCE(SUM(amount_collected), 0) AS s FROM collections WHERE tenant_id = ? AND period = ?',
    [tenant, period],
  );
  return Number(row?.s ?? 0);
}

export async function nextSettlementSeq(sql: Sql, period: Period): Promise<number> {
  const [row] = await sql.all<{ n: number | string }>('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM settlements WHERE period = ?', [period]);
  return Number(row!.n);
}

export async function nextPaymentSeq(sql: Sql, date: IsoDate): Promise<number> {
  const [row] = await sql.all<{ n: number | string }>('SELECT COALESCE(MAX(payment_seq), 0) + 1 AS n FROM settlements WHERE payment_date = ?', [date]);
  return Number(row!.n);
}

export type NewSettlement = Omit<SettlementRecord, 'payment_file_id' | 'paid_at' | 'disputed_at' | 'dispute_reason'>;

export async function insertSettlement(sql: Sql, s: NewSettlement): Promise<void> {
  const cols = Object.keys(s) as (keyof NewSettlement)[];
  await sql.run(
    `INSERT INTO settlements (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
    cols.map((c) => s[c]),
  );
}

/** Pending or paid → disputed; returns false if the row was not in one of those states. */
export async function markDisputed(sql: Sql, id: string, reason: string, now: string): Promise<boolean> {
  const n = await sql.run(
    `UPDATE settlements SET status = 'disputed', disputed_at = ?, dispute_reason = ? WHERE id = ? AND status IN ('pending', 'paid')`,
    [now, reason, id],
  );
  return n === 1;
}

/**
 * The collected policies of the settlement CSV, by policy number (amount > 0 only); columns:
 * period_month, policy_number, customer_id, external_customer_ref, product_code, amount.
 */
export function collectedLinesQuery(tenant: string, period: Period): StreamQuery {
  return {
    sql: `SELECT period AS period_month, policy_number, customer_id, external_customer_ref, product_code, amount_collected
      FROM collections WHERE tenant_id = ? AND period = ? AND amount_collected > 0 ORDER BY policy_number`,
    params: [tenant, period],
  };
}

/** Their amounts alone, in the same order: read from the index collections_period_policy. */
export function collectedAmountsQuery(tenant: string, period: Period): StreamQuery {
  return {
    sql: `SELECT amount_collected FROM collections WHERE tenant_id = ? AND period = ? AND amount_collected > 0 ORDER BY policy_number`,
    params: [tenant, period],
  };
}

/** The settlements one payment file pays (in the file's order). */
export async function settlementsInPaymentFile(sql: Sql, fileId: number): Promise<SettlementRecord[]> {
  const rows = await sql.all<Record<string, unknown>>('SELECT * FROM settlements WHERE payment_file_id = ? ORDER BY payment_seq', [fileId]);
  return rows.map(record);
}

/** A line of the settlement CSV as read (columns of collectedLinesQuery / adjustmentLinesQuery). */
export interface SettlementLineRow {
  period_month: Period;
  policy_number: string;
  customer_id: string;
  external_customer_ref: string;
  product_code: string;
  collection_amount_collected: number;
}

function lineOf(r: RawRow): SettlementLineRow {
  return {
    period_month: r[0] as Period,
    policy_number: r[1] as string,
    customer_id: r[2] as string,
    external_customer_ref: r[3] as string,
    product_code: r[4] as string,
    collection_amount_collected: Number(r[5]),
  };
}

/**
 * The amounts of the settlement CSV's lines alone (collected policies, then carried adjustments),
 * in the order of withSettlementLines: read from indexes, one number per line.
 */
export function settlementLineAmounts(db: Db, tenant: string, period: Period): Promise<number[]> {
  return readNumbers(db, [collectedAmountsQuery(tenant, period), adjustmentAmountsQuery(tenant, period)]);
}

/** Run `fn` with the settlement CSV's lines in pages (collected policies by policy number, then the carried adjustments), streamed from one snapshot. */
export function withSettlementLines<T>(db: Db, tenant: string, period: Period, fn: (pages: AsyncIterable<SettlementLineRow[]>) => Promise<T>): Promise<T> {
  return withPageStream(db, [collectedLinesQuery(tenant, period), adjustmentLinesQuery(tenant, period)], lineOf, fn);
}
