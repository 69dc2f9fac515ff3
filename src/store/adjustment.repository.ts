import type { Sql } from './sql.js';
import type { StreamQuery } from './report.repository.js';
import type { Period } from '../domain/dates.js';
import type { Adjustment } from '../domain/fees.js';

/**
 * Adjustments: late results of closed periods (written by the bank-result applier, which never
 * touches a closed collection). A settlement of period P takes every adjustment of its tenant
 * not yet carried whose origin period is before P, and marks it carried into P in the same
 * transaction, so an adjustment is settled exactly once.
 */
export interface NewAdjustment {
  tenantId: string;
  originPeriod: Period;
  policyNumber: string;
  customerId: string;
  externalCustomerRef: string;
  productCode: string;
  amountCents: number;
  bankResultId: number | null;
  reason: string;
  createdAt: string;
}

export async function insertAdjustment(sql: Sql, a: NewAdjustment): Promise<void> {
  await sql.run(
    `INSERT INTO adjustments (tenant_id, origin_period, policy_number, customer_id, external_customer_ref, product_code, amount, bank_result_id, reason, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [a.tenantId, a.originPeriod, a.policyNumber, a.customerId, a.externalCustomerRef, a.productCode, a.amountCents, a.bankResultId, a.reason, a.createdAt],
  );
}

/** Mark the tenant's open adjustments from before `period` as carried into it; returns how many. */
export async function carryAdjustments(sql: Sql, tenant: string, period: Period): Promise<number> {
  return sql.run(
    'UPDATE adjustments SET carried_into_period = ? WHERE tenant_id = ? AND carried_into_period IS NULL AND origin_period < ?',
    [period, tenant, period],
  );
}

/** The order of adjustment lines on every document: by origin period, then policy (then id). */
const CARRIED = `FROM adjustments WHERE tenant_id = ? AND carried_into_period = ? ORDER BY origin_period, policy_number, id`;

export async function adjustmentsCarriedInto(sql: Sql, tenant: string, period: Period): Promise<Adjustment[]> {
  const rows = await sql.all<{ origin_period: string; policy_number: string; amount: number | string }>(
    `SELECT origin_period, policy_number, amount ${CARRIED}`,
    [tenant, period],
  );
  return rows.map((r) => ({ period: r.origin_period, policyNumber: r.policy_number, amountCents: Number(r.amount) }));
}

/** Adjustment lines of the settlement CSV (columns as collectedLinesQuery), ordered as adjustmentsCarriedInto. */
export function adjustmentLinesQuery(tenant: string, period: Period): StreamQuery {
  return {
    sql: `SELECT origin_period AS period_month, policy_number, customer_id, external_customer_ref, product_code, amount AS amount_collected ${CARRIED}`,
    params: [tenant, period],
  };
}

export function adjustmentAmountsQuery(tenant: string, period: Period): StreamQuery {
  return { sql: `SELECT amount ${CARRIED}`, params: [tenant, period] };
}
