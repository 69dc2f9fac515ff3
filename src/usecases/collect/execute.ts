import type { Period } from '../../domain/dates.js';
import { executePeriod } from '../../store/engine.repository.js';
import { transaction } from '../../store/sql.js';
import type { Ports } from '../ports.js';

/**
 * "Collections execute" (SPEC 4.1): one collection per active policy of the tenant, amount due
 * frozen now. Running it again opens only policies added since; a closed period is refused.
 */
export interface ExecuteResult {
  tenant: string;
  period: Period;
  opened: number;
  total: number;
  status: 'done' | 'closed';
}

export async function executeCollections(ports: Ports, tenant: string, period: Period, policyIds?: number[]): Promise<ExecuteResult> {
  const now = ports.clock.now().toISOString();
  return transaction(ports.db, async (sql) => {
    const [state] = await sql.all<{ closed_at: string | null }>('SELECT closed_at FROM periods WHERE tenant_id = ? AND period = ?', [tenant, period]);
    if (state?.closed_at) return { tenant, period, opened: 0, total: 0, status: 'closed' as const };
    const opened = await executePeriod(sql, tenant, period, now, policyIds);
    const [row] = await sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM collections WHERE tenant_id = ? AND period = ?', [tenant, period]);
    ports.log.info({ tenant, period, opened, total: Number(row!.n) }, 'collections executed');
    return { tenant, period, opened, total: Number(row!.n), status: 'done' as const };
  });
}
