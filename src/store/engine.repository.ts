import { idRange, type RowStatement, type Sql, type Param } from './sql.js';
import type { IsoDate, Period } from '../domain/dates.js';
import { IN_CLAIMED_CHUNK } from './batch-chunk.repository.js';

/**
 * SQL of the engine: opening a period, reading the collections a batch must plan (in keyset
 * chunks, with their attempts, income and history), and writing plans and results set-based.
 */
export interface CollectionRow {
  id: number;
  policy_number: string;
  customer_id: string;
  external_customer_ref: string;
  amount_due: number;
  amount_collected: number;
  presentments: number;
}

export interface AttemptRow {
  id: number;
  collection_id: number;
  instruction_id: string;
  presentment: number;
  action_date: string;
  amount_requested: number;
  amount_collected: number | null;
  status: 'SUBMITTED' | 'PRESENTED' | 'PAID' | 'UNPAID';
  reason_code: string | null;
}

/**
 * Open one collection per active policy not yet in the period and not held (policy_holds); the
 * amount due is frozen now.
 * ON CONFLICT on the unique key rather than NOT EXISTS: an anti-join against the table being
 * filled is planned as if it were empty and degrades to quadratic on PostgreSQL.
 */
export async function executePeriod(sql: Sql, tenant: string, period: Period, now: string, policyIds?: number[]): Promise<number> {
  await sql.run(
    `INSERT INTO periods (tenant_id, period, executed_at) VALUES (?, ?, ?) ON CONFLICT (tenant_id, period) DO NOTHING`,
    [tenant, period, now],
  );
  const only = policyIds && policyIds.length ? ` AND p.id IN (${policyIds.map(() => '?').join(',')})` : '';
  // Opening the whole book: the anti-join against the open holds is planned from the two tables'
  // statistics. A server whose autovacuum has not analysed them yet (a book just imported, or
  // autovacuum off) plans policies as a handful of rows and rescans every hold for each policy:
  // 4M policies × 180k holds. ANALYZE of both at 4M policies: ~0.4 s.
  if (sql.dialect === 'pg' && !only) await sql.run('ANALYZE policies, policy_holds');
  const opened = await sql.run(
    `INSERT INTO collections (tenant_id, period, policy_id, policy_number, customer_id, external_customer_ref, product_code,
       amount_due, amount_collected, status, presentments, pending, created_at, updated_at)
     SELECT p.tenant_id, ?, p.id, p.policy_number, p.customer_id, p.external_customer_ref, p.product_code,
       p.collection_amount, 0, 'OPEN', 0, 0, ?, ?
     FROM policies p
     WHERE p.tenant_id = ? AND p.status = 'active'${only}
       AND NOT EXISTS (SELECT 1 FROM policy_holds h WHERE h.tenant_id = p.tenant_id AND h.policy_number = p.policy_number AND h.released_on IS NULL)
     ON CONFLICT (tenant_id, period, policy_id) DO NOTHING`,
    [period, now, now, tenant, ...(policyIds ?? [])],
  );
  // A period opened in bulk right before its first batch: without fresh statistics PostgreSQL
  // joins each chunk's staged plans to collections by scanning the whole table (seconds a chunk).
  if (sql.dialect === 'pg' && opened >= 10_000) await sql.run('ANALYZE collections');
  return opened;
}

export async function periodState(sql: Sql, tenant: string, period: Period): Promise<{ executed_at: string; closed_at: string | null } | undefined> {
  const [row] = await sql.all<{ executed_at: string; closed_at: string | null }>(
    'SELECT executed_at, closed_at FROM periods WHERE tenant_id = ? AND period = ?',
    [tenant, period],
  );
  return row;
}

export async function plannableChunk(sql: Sql, tenant: string, period: Period, today: IsoDate, afterId: number, limit: number): Promise<CollectionRow[]> {
  return sql.all<CollectionRow>(
    `SELECT id, policy_number, customer_id, external_customer_ref, amount_due, amount_collected, presentments
     FROM collections
     WHERE tenant_id = ? AND period = ? AND status = 'OPEN' AND halted_reason IS NULL AND pending = 0
       AND (next_check IS NULL OR next_check <= ?) AND id > ?
     ORDER BY id LIMIT ?`,
    [tenant, period, today, afterId, limit],
  );
}

export async function attemptsBetween(sql: Sql, tenant: string, period: Period, fromId: number, toId: number): Promise<AttemptRow[]> {
  return sql.all<AttemptRow>(
    `SELECT id, collection_id, instruction_id, presentment, action_date, amount_requested, amount_collected, status, reason_code
     FROM attempts WHERE collection_id BETWEEN ? AND ? AND tenant_id = ? AND period = ? ORDER BY collection_id, presentment`,
    [fromId, toId, tenant, period],
  );
}

export async function incomeFor(sql: Sql, tenant: string, customers: string[], from: IsoDate, to: IsoDate): Promise<{ customer_id: string; date: string; amount: number }[]> {
  if (customers.length === 0) return [];
  return sql.all(
    `SELECT customer_id, date, amount FROM income_events
     WHERE tenant_id = ? AND customer_id IN (${customers.map(() => '?').join(',')}) AND date >= ? AND date <= ?
     ORDER BY customer_id, date`,
    [tenant, ...customers, from, to],
  );
}

/** Has this tenant any income events at all? (skips the per-chunk query for tenants without a feed) */
export async function hasIncome(sql: Sql, tenant: string): Promise<boolean> {
  const rows = await sql.all('SELECT 1 AS x FROM income_events WHERE tenant_id = ? LIMIT 1', [tenant]);
  return rows.length > 0;
}

/**
 * Has this tenant made any presentment in periods `fromPeriod` ≤ p < `beforePeriod`? A tenant's first
 * months have no history at all: asked once a batch, it spares every chunk the per-customer lookups.
 * (A collection counts its presentments once they have results, which is all history is made of.)
 */
export async function hasHistory(sql: Sql, tenant: string, fromPeriod: Period, beforePeriod: Period): Promise<boolean> {
  const rows = await sql.all('SELECT 1 AS x FROM collections WHERE tenant_id = ? AND period >= ? AND period < ? AND presentments > 0 LIMIT 1', [
    tenant,
    fromPeriod,
    beforePeriod,
  ]);
  return rows.length > 0;
}

export async function historyFor(
  sql: Sql,
  tenant: string,
  customers: string[],
  fromPeriod: Period,
  beforePeriod: Period,
): Promise<{ customer_id: string; action_date: string; status: 'PAID' | 'UNPAID'; reason_code: string | null }[]> {
  if (customers.length === 0) return [];
  return sql.all(
    `SELECT c.customer_id, a.action_date, a.status, a.reason_code
     FROM collections c JOIN attempts a ON a.collection_id = c.id
     WHERE c.tenant_id = ? AND c.customer_id IN (${customers.map(() => '?').join(',')})
       AND c.period >= ? AND c.period < ? AND a.status IN ('PAID', 'UNPAID')
     ORDER BY c.customer_id, a.action_date`,
    [tenant, ...customers, fromPeriod, beforePeriod],
  );
}

export const NEW_ATTEMPT_COLUMNS = [
  ['instruction_id', 'text'],
  ['collection_id', 'int'],
  ['tenant_id', 'text'],
  ['period', 'text'],
  ['presentment', 'int'],
  ['action_date', 'text'],
  ['amount_requested', 'int'],
  ['batch_file', 'text'],
] as const;

/**
 * Store the day's presentments as SUBMITTED in the caller's transaction, and with `counters` (the
 * default) the collections' counters too: presentments, pending, first and last attempt date. A
 * caller that applies the results at once (the simulator) leaves them to the results: the figures
 * written then include them (apply-results.ts), and a crash in between leaves SUBMITTED attempts
 * that the next run presents and counts before it plans. Returns the new attempts' ids in the order
 * of `rows` where the store tells them (SQLite), else null (read them with `attemptIdsOn`).
 */
export async function insertSubmitted(sql: Sql, rows: Param[][], now: string, opts: { counters: boolean } = { counters: true }): Promise<number[] | null> {
  if (rows.length === 0) return null;
  const attempts: RowStatement = {
    set: `INSERT INTO attempts (instruction_id, collection_id, tenant_id, period, presentment, action_date, amount_requested, status, batch_file, created_at)
     SELECT instruction_id, collection_id, tenant_id, period, presentment, action_date, amount_requested, 'SUBMITTED', batch_file, ? FROM kasi_new_attempts`,
    perRow: `INSERT INTO attempts (instruction_id, collection_id, tenant_id, period, presentment, action_date, amount_requested, status, batch_file, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'SUBMITTED', ?8, ?9)`,
    params: [now],
  };
  const counters: RowStatement = {
    set: `UPDATE collections SET presentments = presentments + 1, pending = pending + 1,
       first_attempt_date = COALESCE(first_attempt_date, s.action_date), last_attempt_date = s.action_date,
       next_check = NULL, updated_at = ?
     FROM kasi_new_attempts s WHERE collections.id = s.collection_id AND collections.id BETWEEN ? AND ?`,
    perRow: `UPDATE collections SET presentments = presentments + 1, pending = pending + 1,
       first_attempt_date = COALESCE(first_attempt_date, ?6), last_attempt_date = ?6, next_check = NULL, updated_at = ?9
     WHERE id = ?2`,
    params: [now, ...idRange(rows, 1)],
  };
  return sql.applyRows('kasi_new_attempts', NEW_ATTEMPT_COLUMNS, rows, opts.counters ? [attempts, counters] : [attempts]);
}

/** A chunk's presentments stored SUBMITTED: its tenant, period, collection-id range and day (migration 012). */
export interface InFlight {
  tenant: string;
  period: Period;
  from: number;
  to: number;
  date: IsoDate;
}

/** Record a chunk's presentments as in flight, in the transaction that stores them. */
export async function recordInFlight(sql: Sql, f: InFlight, batchFile: string | null, now: string): Promise<void> {
  await sql.run(
    `INSERT INTO attempts_in_flight (tenant_id, period, from_collection_id, to_collection_id, action_date, batch_file, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [f.tenant, f.period, f.from, f.to, f.date, batchFile, now],
  );
}

/** The chunk's presentments have their results: no longer in flight (in the transaction that records them). */
export async function clearInFlight(sql: Sql, f: InFlight): Promise<void> {
  await sql.run(
    `DELETE FROM attempts_in_flight WHERE tenant_id = ? AND period = ? AND from_collection_id = ? AND to_collection_id = ? AND action_date = ? AND batch_file IS NULL`,
    [f.tenant, f.period, f.from, f.to, f.date],
  );
}

/** Presentments in flight whose results are recorded (simulator), by their in-flight ids. */
export async function clearInFlightIds(sql: Sql, ids: readonly number[]): Promise<void> {
  if (ids.length) await sql.run(`DELETE FROM attempts_in_flight WHERE id IN (${ids.map(() => '?').join(', ')})`, [...ids]);
}

/** A debit file's presentments are presented: none of its chunks is in flight any more. */
export async function clearInFlightOfFile(sql: Sql, batchFile: string): Promise<void> {
  await sql.run('DELETE FROM attempts_in_flight WHERE batch_file = ?', [batchFile]);
}

/** The ids of the attempts of collections `fromId`…`toId` presented on `date` (just stored by the batch's chunk). */
export async function attemptIdsOn(sql: Sql, tenant: string, period: Period, fromId: number, toId: number, date: IsoDate): Promise<{ id: number; instruction_id: string }[]> {
  return sql.all(
    'SELECT id, instruction_id FROM attempts WHERE collection_id BETWEEN ? AND ? AND tenant_id = ? AND period = ? AND action_date = ?',
    [fromId, toId, tenant, period, date],
  );
}

/** Plans that present nothing today: remember when to ask again, or why the engine stopped. */
export async function updatePlans(sql: Sql, rows: [number, string | null, string | null][], now: string): Promise<void> {
  if (rows.length === 0) return;
  await sql.applyRows('kasi_plans', [['id', 'int'], ['next_check', 'text'], ['halted_reason', 'text']], rows, [
    {
      set: `UPDATE collections SET next_check = s.next_check, halted_reason = s.halted_reason, updated_at = ?
        FROM kasi_plans s WHERE collections.id = s.id AND collections.id BETWEEN ? AND ?`,
      perRow: 'UPDATE collections SET next_check = ?2, halted_reason = ?3, updated_at = ?4 WHERE id = ?1',
      params: [now, ...idRange(rows, 0)],
    },
  ]);
}

/** Reads the collections the tenant's period has, opened by any execute. */
export async function collectionCount(sql: Sql, tenant: string, period: Period): Promise<number> {
  const [row] = await sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM collections WHERE tenant_id = ? AND period = ?', [tenant, period]);
  return Number(row!.n);
}

/** A stored presentment as the bank gets it: its attempt with the collection's policy and customer. */
export interface InstructionRow {
  instruction_id: string;
  tenant_id: string;
  policy_number: string;
  customer_id: string;
  external_customer_ref: string;
  amount_requested: number;
  action_date: string;
  presentment: number;
  batch_file: string | null;
}

const INSTRUCTION_SQL = `SELECT a.instruction_id, a.tenant_id, c.policy_number, c.customer_id, c.external_customer_ref,
  a.amount_requested, a.action_date, a.presentment, a.batch_file
  FROM attempts a JOIN collections c ON c.id = a.collection_id`;

/** Reads the presentments of a debit file, by instruction id (the file's rows in its order). */
export async function instructionsOfFile(sql: Sql, batchFile: string): Promise<InstructionRow[]> {
  return sql.all<InstructionRow>(`${INSTRUCTION_SQL} WHERE a.batch_file = ? ORDER BY a.instruction_id`, [batchFile]);
}

/** Writes the debit file's attempts still SUBMITTED as PRESENTED now (the file is written). */
export async function markFilePresented(sql: Sql, batchFile: string, now: string): Promise<void> {
  await sql.run(`UPDATE attempts SET status = 'PRESENTED', presented_at = ? WHERE batch_file = ? AND status = 'SUBMITTED'`, [now, batchFile]);
}

/** A presentment stored SUBMITTED and not confirmed, with the in-flight record (attempts_in_flight) it was found through. */
export type InFlightRow = InstructionRow & { flight_id: number };

/**
 * The attempts stored SUBMITTED whose presentation is not confirmed, found through the chunks
 * recorded in flight (attempts_in_flight), with the in-flight record each belongs to. The reads
 * below add their conditions (`AND …`) and the order.
 */
const IN_FLIGHT_SQL = `SELECT f.id AS flight_id, a.instruction_id, a.tenant_id, c.policy_number, c.customer_id, c.external_customer_ref,
    a.amount_requested, a.action_date, a.presentment, a.batch_file
  FROM attempts_in_flight f
  JOIN attempts a ON a.collection_id BETWEEN f.from_collection_id AND f.to_collection_id AND a.tenant_id = f.tenant_id AND a.period = f.period
  JOIN collections c ON c.id = a.collection_id
  WHERE a.status = 'SUBMITTED' AND (a.batch_file = f.batch_file OR (a.batch_file IS NULL AND f.batch_file IS NULL))`;

/**
 * Reads every presentment in flight (for reconcile after a restart), by instruction id, except those
 * without a debit file inside a chunk someone claimed (batch_chunks): those are their claimant's.
 */
export async function inFlightToReconcile(sql: Sql): Promise<InFlightRow[]> {
  return sql.all<InFlightRow>(`${IN_FLIGHT_SQL} AND NOT (a.batch_file IS NULL AND ${IN_CLAIMED_CHUNK}) ORDER BY a.instruction_id`);
}

/** Reads the presentments in flight without a debit file in a claimed chunk's range (`fromId` < collection id ≤ `toId`), by instruction id. */
export async function inFlightInChunk(sql: Sql, tenant: string, period: Period, fromId: number, toId: number): Promise<InFlightRow[]> {
  return sql.all<InFlightRow>(
    `${IN_FLIGHT_SQL} AND a.batch_file IS NULL AND f.tenant_id = ? AND f.period = ? AND a.collection_id > ? AND a.collection_id <= ?
       ORDER BY a.instruction_id`,
    [tenant, period, fromId, toId],
  );
}
