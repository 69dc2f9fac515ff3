import type { Period } from '../../domain/dates.js';
import { closedAtOf } from '../../store/period.repository.js';
import { collectionCount, executePeriod } from '../../store/engine.repository.js';
import { transaction } from '../../store/unit-of-work.js';
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
    if (await closedAtOf(sql, tenant, period)) return { tenant, period, opened: 0, total: 0, status: 'closed' as const };
    const opened = await executePeriod(sql, tenant, period, now, policyIds);
    const total = await collectionCount(sql, tenant, period);
    ports.log.info({ tenant, period, opened, total }, 'collections executed');
    return { tenant, period, opened, total, status: 'done' as const };
  });
}
