import type { ReportRow } from '../domain/collection-report.js';
import type { Period } from '../domain/dates.js';
import { collectionById, executionById, policyById, policyByNumber, settlementPeriodById, unknownPolicyIds, type ExecutionRecord, type PolicyRecord } from './api.repository.js';
import { settlementIdByNumber } from './api-list.repository.js';
import type { Db } from './db.js';
import { periodState } from './engine.repository.js';
import { closedAt, reportRowOf } from './report.repository.js';
import { findSettlement, findSettlementByNumber, type SettlementRecord } from './settlement.repository.js';
import { reading } from './sql.js';

/**
 * The edges' reads (issue 13): the HTTP API's and the CLI's, each one statement (or two) on its own
 * connection outside any transaction, so a route or command hands over the database and never
 * sees SQL. The API's are scoped to the tenant: another tenant's id finds nothing.
 */

/** When the tenant's period was closed (null: open, or never executed). */
export function periodClosedAt(db: Db, tenant: string, period: Period): Promise<string | null> {
  return reading(db, (sql) => closedAt(sql, tenant, period));
}

/** The tenant's period row: executed (and maybe closed), or undefined when never executed. */
export function periodOf(db: Db, tenant: string, period: Period): Promise<{ executed_at: string; closed_at: string | null } | undefined> {
  return reading(db, (sql) => periodState(sql, tenant, period));
}

/** Of `ids`, those that are not the tenant's policies. */
export function missingPolicyIds(db: Db, tenant: string, ids: readonly number[]): Promise<number[]> {
  return reading(db, (sql) => unknownPolicyIds(sql, tenant, ids));
}

export function policyWithId(db: Db, tenant: string, id: number): Promise<PolicyRecord | undefined> {
  return reading(db, (sql) => policyById(sql, tenant, id));
}

export function policyWithNumber(db: Db, tenant: string, policyNumber: string): Promise<PolicyRecord | undefined> {
  return reading(db, (sql) => policyByNumber(sql, tenant, policyNumber));
}

export function executionWithId(db: Db, tenant: string, id: string): Promise<ExecutionRecord | undefined> {
  return reading(db, (sql) => executionById(sql, tenant, id));
}

/** One of the tenant's collections as its collection report row (the fields of collections-<period>.json). */
export async function collectionWithId(db: Db, tenant: string, id: number): Promise<ReportRow | undefined> {
  const c = await reading(db, (sql) => collectionById(sql, tenant, id));
  return c && reportRowOf(c.period)(c.row);
}

/** The tenant's settlement of a period, or undefined before the settle step made it. */
export function settlementOfPeriod(db: Db, tenant: string, period: Period): Promise<SettlementRecord | undefined> {
  return reading(db, (sql) => findSettlement(sql, tenant, period));
}

/** The tenant's settlement by its id (a UUID) or its number (SETTLE-2025-11-001), or undefined. */
export function settlementWithRef(db: Db, tenant: string, ref: string): Promise<SettlementRecord | undefined> {
  return reading(db, async (sql) => {
    const id = ref.startsWith('SETTLE-') ? await settlementIdByNumber(sql, tenant, ref) : ref;
    const period = id === undefined ? undefined : await settlementPeriodById(sql, tenant, id);
    return period ? findSettlement(sql, tenant, period) : undefined;
  });
}

/** A settlement by its number, any tenant (the operator's `kasi settlement show|export|dispute`). */
export function settlementWithNumber(db: Db, number: string): Promise<SettlementRecord | undefined> {
  return reading(db, (sql) => findSettlementByNumber(sql, number));
}
