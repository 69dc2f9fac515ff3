import { periodOf, previousPeriod } from '../domain/dates.js';
import { closeDue } from '../usecases/close/close.js';
import type { Ports } from '../usecases/ports.js';

/**
 * The month-close steps a simulation runs on their days: on the 1st–3rd (and a few days after,
 * to catch up), every step of the previous period that is due and not yet done. Steps are
 * idempotent, so asking again only reports what exists.
 */
export const closeHook =
  (ports: Ports) =>
  async (today: string): Promise<string[]> => {
    if (Number(today.slice(8)) > 5) return [];
    const period = previousPeriod(periodOf(today));
    if (!(await ports.store.periods.periodExecutedByAnyTenant(period))) return [];
    const outcomes = await closeDue(ports, period, today);
    return outcomes.filter((o) => o.result.status === 'done').map((o) => `${o.step}${o.tenant ? ` ${o.tenant}` : ''} ${period}`);
  };
