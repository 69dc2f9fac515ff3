import type { Db } from './db.js';
import { reading, type Sql } from './sql.js';

/** Figures /metrics reads from the store (cluster-wide, so every replica reports the same). */
export async function lastIntakeByTenant(sql: Sql): Promise<Map<string, string>> {
  const rows = await sql.all<{ tenant_id: string; last: string | null }>('SELECT tenant_id, MAX(processed_at) AS last FROM intake_files GROUP BY tenant_id');
  return new Map(rows.filter((r) => r.last !== null).map((r) => [r.tenant_id, r.last!]));
}

export interface RateFigures {
  dueCents: number;
  collectedCents: number;
}

/**
 * Per tenant: what a period's collections owe (not cancelled) and what its paid debits collected
 * with a processing date (the action date while none is known) on or before `upTo`.
 */
export async function collectedBy(sql: Sql, period: string, upTo: string): Promise<Map<string, RateFigures>> {
  const out = new Map<string, RateFigures>();
  const due = await sql.all<{ tenant_id: string; due: number | string | null }>(
    `SELECT tenant_id, SUM(amount_due) AS due FROM collections WHERE period = ? AND status <> 'CANCELLED' GROUP BY tenant_id`,
    [period],
  );
  for (const r of due) out.set(r.tenant_id, { dueCents: Number(r.due ?? 0), collectedCents: 0 });
  const paid = await sql.all<{ tenant_id: string; collected: number | string | null }>(
    `SELECT c.tenant_id, SUM(a.amount_collected) AS collected FROM attempts a JOIN collections c ON c.id = a.collection_id
     WHERE c.period = ? AND a.status = 'PAID' AND COALESCE(a.processed_date, a.action_date) <= ? GROUP BY c.tenant_id`,
    [period, upTo],
  );
  for (const r of paid) {
    const f = out.get(r.tenant_id) ?? { dueCents: 0, collectedCents: 0 };
    f.collectedCents = Number(r.collected ?? 0);
    out.set(r.tenant_id, f);
  }
  return out;
}

/** Both reads of StoreMetrics on one connection: the last file per tenant, this month's and last month's figures. */
export function storeMetricFigures(db: Db, now: { period: string; upTo: string }, before: { period: string; upTo: string }) {
  return reading(db, async (sql) => [await lastIntakeByTenant(sql), await collectedBy(sql, now.period, now.upTo), await collectedBy(sql, before.period, before.upTo)] as const);
}
