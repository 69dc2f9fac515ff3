import { idRange, type Param, type Sql } from './sql.js';

/**
 * SQL of applying bank results (usecases/collect/apply-results.ts decides what each result is and
 * in which order these run, inside its caller's transaction): the results ledger (`bank_results`),
 * the attempts' results, the collections' running figures and the adjustments of late results.
 * The row writes go through `applyRows`: one staged statement on PostgreSQL, prepared many-row
 * statements on SQLite (the daily batch's hot path).
 */

/** A result matched to its attempt (null columns: no attempt has its instruction id), with the attempt's period's close. */
export interface ClassifiedResult {
  seq: number;
  instruction_id: string;
  attempt_id: number | null;
  status: string | null;
  collection_id: number | null;
  period: string | null;
  tenant_id: string | null;
  closed_at: string | null;
  amount_requested: number | null;
  action_date: string | null;
}

/** Reads the attempt (and its period's `closed_at`) of each instruction id, in the order given (`seq` = its index). */
export async function classifyByInstruction(sql: Sql, instructionIds: readonly string[]): Promise<ClassifiedResult[]> {
  await sql.stage(
    'kasi_results',
    [['seq', 'int'], ['instruction_id', 'text']],
    instructionIds.map((id, i) => [i, id]),
  );
  return sql.all<ClassifiedResult>(
    `SELECT s.seq, s.instruction_id, a.id AS attempt_id, a.status, a.collection_id, a.period, a.tenant_id, p.closed_at, a.amount_requested, a.action_date
     FROM kasi_results s
     LEFT JOIN attempts a ON a.instruction_id = s.instruction_id
     LEFT JOIN periods p ON p.tenant_id = a.tenant_id AND p.period = a.period
     ORDER BY s.seq`,
  );
}

/** Reads the attempts with ids `lo`…`hi` that have a result already (PAID or UNPAID): their id and status. */
export async function resultedAttemptsBetween(sql: Sql, lo: number, hi: number): Promise<{ id: number; status: string }[]> {
  return sql.all<{ id: number; status: string }>(`SELECT id, status FROM attempts WHERE id BETWEEN ? AND ? AND status IN ('PAID', 'UNPAID')`, [lo, hi]);
}

/** A row of the results ledger: instruction id, result, amount, reason code, processed date, intake file id, outcome, received at. */
export type LedgerRow = [string, string, number, string | null, string, number | null, string, string];

/**
 * Writes every result received, whatever its outcome, into `bank_results`. Returns the new rows'
 * ids in the order of `rows` where the store tells them (SQLite), else null (PostgreSQL).
 */
export async function insertBankResults(sql: Sql, rows: LedgerRow[]): Promise<number[] | null> {
  return sql.applyRows(
    'kasi_ledger',
    [['instruction_id', 'text'], ['result', 'text'], ['amount', 'int'], ['reason_code', 'text'], ['processed_date', 'text'], ['intake_file_id', 'int'], ['outcome', 'text'], ['received_at', 'text']],
    rows,
    [
      {
        set: `INSERT INTO bank_results (instruction_id, result, amount_collected, reason_code, processed_date, intake_file_id, outcome, received_at)
         SELECT instruction_id, result, amount, reason_code, processed_date, intake_file_id, outcome, received_at FROM kasi_ledger`,
        perRow: `INSERT INTO bank_results (instruction_id, result, amount_collected, reason_code, processed_date, intake_file_id, outcome, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
      },
    ],
  );
}

/** An attempt's result: attempt id, status (PAID/UNPAID), amount collected, reason code, reason, processed date. */
export type AttemptResultRow = [number, string, number, string | null, string | null, string];

/** Writes the results onto their attempts (status, amount, reason, processed date; resulted now, and presented now unless known). */
export async function writeAttemptResults(sql: Sql, rows: AttemptResultRow[], now: string): Promise<void> {
  await sql.applyRows(
    'kasi_attempt_results',
    [['id', 'int'], ['status', 'text'], ['amount', 'int'], ['reason_code', 'text'], ['reason', 'text'], ['processed_date', 'text']],
    rows,
    [
      {
        set: `UPDATE attempts SET status = s.status, amount_collected = s.amount, reason_code = s.reason_code, reason = s.reason,
           processed_date = s.processed_date, resulted_at = ?, presented_at = COALESCE(attempts.presented_at, ?)
         FROM kasi_attempt_results s WHERE attempts.id = s.id AND attempts.id BETWEEN ? AND ?`,
        perRow: `UPDATE attempts SET status = ?2, amount_collected = ?3, reason_code = ?4, reason = ?5,
           processed_date = ?6, resulted_at = ?7, presented_at = COALESCE(presented_at, ?8) WHERE id = ?1`,
        params: [now, now, ...idRange(rows, 0)],
      },
    ],
  );
}

/** An attempt as the collection's figures see it. */
export interface FigureAttempt {
  action_date: string;
  status: string;
  amount_collected: number | null;
  reason_code: string | null;
}

/** Reads the attempts of the collections `ids` (one staged set: keep it to a few thousand), by collection in presentment order. */
export async function attemptsOfCollections(sql: Sql, ids: readonly number[]): Promise<(FigureAttempt & { collection_id: number })[]> {
  await sql.stage('kasi_ids', [['id', 'int']], ids.map((id) => [id]));
  return sql.all<FigureAttempt & { collection_id: number }>(
    // IN, not a join: the planner then looks each id up instead of walking every attempt
    `SELECT a.collection_id, a.action_date, a.status, a.amount_collected, a.reason_code FROM attempts a WHERE a.collection_id IN (SELECT id FROM kasi_ids)
       ORDER BY a.collection_id, a.presentment`,
  );
}

/**
 * A collection's running figures: id, collected, pending, last failure reason, halted reason (kept
 * when null), flag (kept when null), presentments, first and last attempt date.
 */
export type FiguresRow = [number, number, number, string | null, string | null, string | null, number, string, string];

/** Writes the collections' running figures (and clears their next check: a result asks for a new plan). */
export async function writeCollectionFigures(sql: Sql, rows: FiguresRow[], now: string): Promise<void> {
  await sql.applyRows(
    'kasi_collection_figures',
    [
      ['id', 'int'],
      ['collected', 'int'],
      ['pending', 'int'],
      ['last_failure_reason', 'text'],
      ['halted', 'text'],
      ['flag', 'text'],
      ['presentments', 'int'],
      ['first_attempt_date', 'text'],
      ['last_attempt_date', 'text'],
    ],
    rows,
    [
      {
        set: `UPDATE collections SET amount_collected = s.collected, pending = s.pending, last_failure_reason = s.last_failure_reason,
           halted_reason = COALESCE(s.halted, collections.halted_reason), flag = COALESCE(s.flag, collections.flag),
           presentments = s.presentments, first_attempt_date = s.first_attempt_date, last_attempt_date = s.last_attempt_date, next_check = NULL, updated_at = ?
         FROM kasi_collection_figures s WHERE collections.id = s.id AND collections.id BETWEEN ? AND ?`,
        perRow: `UPDATE collections SET amount_collected = ?2, pending = ?3, last_failure_reason = ?4,
           halted_reason = COALESCE(?5, halted_reason), flag = COALESCE(?6, flag),
           presentments = ?7, first_attempt_date = ?8, last_attempt_date = ?9, next_check = NULL, updated_at = ?10 WHERE id = ?1`,
        params: [now, ...idRange(rows, 0)],
      },
    ],
  );
}

export interface LateAdjustment {
  collectionId: number;
  amountCents: number;
  instructionId: string;
  /** the result's `bank_results` id where the insert told it (SQLite); else it is looked up by instruction id */
  ledgerId: number | undefined;
  reason: string;
}

/** Writes an adjustment for the collection's tenant (its policy's details copied from the collection), pointing at the result's ledger row. */
export async function insertLateAdjustment(sql: Sql, a: LateAdjustment, now: string): Promise<void> {
  const ledger: Param = a.ledgerId ?? a.instructionId;
  await sql.run(
    `INSERT INTO adjustments (tenant_id, origin_period, policy_number, customer_id, external_customer_ref, product_code, amount, bank_result_id, reason, created_at)
       SELECT col.tenant_id, col.period, col.policy_number, col.customer_id, col.external_customer_ref, col.product_code, ?,
         ${a.ledgerId === undefined ? '(SELECT MAX(id) FROM bank_results WHERE instruction_id = ?)' : '?'}, ?, ?
       FROM collections col WHERE col.id = ?`,
    [a.amountCents, ledger, a.reason, now, a.collectionId],
  );
}
