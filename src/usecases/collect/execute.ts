import type { Period } from '../../domain/dates.js';
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
  return ports.store.transaction(async (tx) => {
    if (await tx.periods.closedAtOf(tenant, period)) return { tenant, period, opened: 0, total: 0, status: 'closed' as const };
    const opened = await tx.engine.executePeriod(tenant, period, now, policyIds);
    const total = await tx.engine.collectionCount(tenant, period);
    ports.log.info({ tenant, period, opened, total }, 'collections executed');
    return { tenant, period, opened, total, status: 'done' as const };
  });
}
