import type { Period } from '../domain/dates.js';
import type { Db } from './db.js';
import { reading, type Sql } from './sql.js';

/**
 * The `periods` ledger read across tenants (issue 13): which tenants executed (opened) a period,
 * for the callers that decide whether there is a close to run; and one tenant's period's close.
 */

/** Whether any tenant executed `period` (a simulation's close hook has nothing to do otherwise). */
export async function periodExecutedByAnyTenant(db: Db, period: Period): Promise<boolean> {
  const rows = await reading(db, (sql) => sql.all('SELECT 1 AS x FROM periods WHERE period = ? LIMIT 1', [period]));
  return rows.length > 0;
}

/** The tenants that executed `period`, by tenant id. */
export async function tenantsThatExecuted(db: Db, period: Period): Promise<string[]> {
  const rows = await reading(db, (sql) => sql.all<{ tenant_id: string }>('SELECT tenant_id FROM periods WHERE period = ? ORDER BY tenant_id', [period]));
  return rows.map((r) => r.tenant_id);
}

/** Reads when the tenant's period was closed (in the caller's unit of work): null while open, or never executed. */
export async function closedAtOf(sql: Sql, tenant: string, period: string): Promise<string | null> {
  const [p] = await sql.all<{ closed_at: string | null }>('SELECT closed_at FROM periods WHERE tenant_id = ? AND period = ?', [tenant, period]);
  return p?.closed_at ?? null;
}
