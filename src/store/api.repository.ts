import type { Period } from '../domain/dates.js';
import type { Sql } from './sql.js';
import type { RawRow } from './report.repository.js';

/**
 * SQL of the HTTP API (issue 8) that the file pipeline has no use for: single rows by id, always
 * within one tenant (another tenant's id finds nothing), and the `executions` ledger.
 */
export interface PolicyRecord {
  id: number;
  tenant_id: string;
  policy_number: string;
  customer_id: string;
  external_customer_ref: string;
  product_code: string;
  collection_amount: number;
  status: 'active' | 'cancelled';
  cancelled_at: string | null;
  created_at: string;
  updated_at: string;
}

const POLICY_COLUMNS = 'id, tenant_id, policy_number, customer_id, external_customer_ref, product_code, collection_amount, status, cancelled_at, created_at, updated_at';

function policy(row: Record<string, unknown> | undefined): PolicyRecord | undefined {
  return row ? ({ ...row, id: Number(row.id), collection_amount: Number(row.collection_amount) } as PolicyRecord) : undefined;
}

export async function policyById(sql: Sql, tenant: string, id: number): Promise<PolicyRecord | undefined> {
  const [row] = await sql.all<Record<string, unknown>>(`SELECT ${POLICY_COLUMNS} FROM policies WHERE tenant_id = ? AND id = ?`, [tenant, id]);
  return policy(row);
}

export async function policyByNumber(sql: Sql, tenant: string, policyNumber: string): Promise<PolicyRecord | undefined> {
  const [row] = await sql.all<Record<string, unknown>>(`SELECT ${POLICY_COLUMNS} FROM policies WHERE tenant_id = ? AND policy_number = ?`, [tenant, policyNumber]);
  return policy(row);
}

/** Of `ids`, those that are not the tenant's policies. */
export async function unknownPolicyIds(sql: Sql, tenant: string, ids: readonly number[]): Promise<number[]> {
  const found = new Set<number>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await sql.all<{ id: number }>(`SELECT id FROM policies WHERE tenant_id = ? AND id IN (${chunk.map(() => '?').join(',')})`, [tenant, ...chunk]);
    for (const r of rows) found.add(Number(r.id));
  }
  return ids.filter((id) => !found.has(id));
}

/** Active policies (of `ids`, or all) without a collection in `period` yet: what execute would open now. */
export async function policiesToOpen(sql: Sql, tenant: string, period: Period, ids?: readonly number[]): Promise<number> {
  const base = `SELECT COUNT(*) AS n FROM policies p WHERE p.tenant_id = ? AND p.status = 'active'
    AND NOT EXISTS (SELECT 1 FROM collections c WHERE c.tenant_id = p.tenant_id AND c.period = ? AND c.policy_id = p.id)`;
  if (!ids) {
    const [row] = await sql.all<{ n: number | string }>(base, [tenant, period]);
    return Number(row?.n ?? 0);
  }
  let n = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const [row] = await sql.all<{ n: number | string }>(`${base} AND p.id IN (${chunk.map(() => '?').join(',')})`, [tenant, period, ...chunk]);
    n += Number(row?.n ?? 0);
  }
  return n;
}

/** A collection in the report's column order (report.repository's REPORT_SELECT), plus its period. */
export async function collectionById(sql: Sql, tenant: string, id: number): Promise<{ period: Period; row: RawRow } | undefined> {
  const [r] = await sql.all<Record<string, unknown>>(
    `SELECT ${COLLECTION_COLUMNS} FROM collections WHERE tenant_id = ? AND id = ?`,
    [tenant, id],
  );
  if (!r) return undefined;
  return { period: r.period as Period, row: collectionRow(r) };
}

/** The columns COLLECTION_COLUMNS selected, as the report's raw row. */
export function collectionRow(r: Record<string, unknown>): RawRow {
  return [
    r.policy_number,
    r.customer_id,
    r.external_customer_ref,
    r.product_code,
    r.amount_due,
    r.amount_collected,
    r.status,
    r.first_attempt_date,
    r.last_attempt_date,
    r.presentments,
    r.last_failure_reason,
    r.flag,
  ] as RawRow;
}

/** A collection's columns in the report's order (report.repository's REPORT_SELECT), with its period. */
export const COLLECTION_COLUMNS = `period, policy_number, customer_id, external_customer_ref, product_code, amount_due, amount_collected,
       status, first_attempt_date, last_attempt_date, presentments, last_failure_reason, flag`;

/** The id of the settlement with this id and tenant, and its period, or undefined. */
export async function settlementPeriodById(sql: Sql, tenant: string, id: string): Promise<Period | undefined> {
  const [row] = await sql.all<{ period: string }>('SELECT period FROM settlements WHERE tenant_id = ? AND id = ?', [tenant, id]);
  return row?.period;
}

export type ExecutionStatus = 'processing' | 'completed' | 'failed';

export interface ExecutionRecord {
  id: string;
  tenant_id: string;
  period: Period;
  policy_ids: string | null;
  status: ExecutionStatus;
  policies_queued: number;
  collections_opened: number | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

function execution(row: Record<string, unknown> | undefined): ExecutionRecord | undefined {
  if (!row) return undefined;
  const opened = row.collections_opened;
  return { ...row, policies_queued: Number(row.policies_queued), collections_opened: opened === null || opened === undefined ? null : Number(opened) } as ExecutionRecord;
}

export async function insertExecution(sql: Sql, e: Pick<ExecutionRecord, 'id' | 'tenant_id' | 'period' | 'policy_ids' | 'policies_queued' | 'created_at'>): Promise<void> {
  await sql.run(
    `INSERT INTO executions (id, tenant_id, period, policy_ids, status, policies_queued, created_at) VALUES (?, ?, ?, ?, 'processing', ?, ?)`,
    [e.id, e.tenant_id, e.period, e.policy_ids, e.policies_queued, e.created_at],
  );
}

export async function finishExecution(sql: Sql, id: string, status: Exclude<ExecutionStatus, 'processing'>, opened: number | null, error: string | null, at: string): Promise<void> {
  await sql.run('UPDATE executions SET status = ?, collections_opened = ?, error = ?, finished_at = ? WHERE id = ?', [status, opened, error, at, id]);
}

export async function executionById(sql: Sql, tenant: string, id: string): Promise<ExecutionRecord | undefined> {
  const [row] = await sql.all<Record<string, unknown>>('SELECT * FROM executions WHERE tenant_id = ? AND id = ?', [tenant, id]);
  return execution(row);
}

/** Executions a stopped process left `processing`, oldest first. */
export async function unfinishedExecutions(sql: Sql): Promise<ExecutionRecord[]> {
  const rows = await sql.all<Record<string, unknown>>(`SELECT * FROM executions WHERE status = 'processing' ORDER BY created_at, id`);
  return rows.map((r) => execution(r)!);
}
