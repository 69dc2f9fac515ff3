import { periodOf, previousPeriod, sastDate, type Period } from '../../domain/dates.js';
import type { Ports } from '../ports.js';

/**
 * Refresh the overview's precomputed figures: for each tenant, the running period and the one
 * before (the chart compares them). Skipped: a period closed before its last refresh (it does not
 * change any more), and one refreshed less than `console.summary_refresh_seconds` ago (a restarted
 * daemon does not read a 1M-row period again at once). `periods` given: those, always. Returns the
 * (tenant, period) pairs refreshed.
 */
export async function refreshSummaries(ports: Ports, opts: { tenants?: string[]; periods?: Period[] } = {}): Promise<{ tenant: string; period: Period }[]> {
  const today = sastDate(ports.clock.now());
  const done: { tenant: string; period: Period }[] = [];
  for (const tenant of opts.tenants ?? Object.keys(ports.config.tenants)) {
    const known = await ports.store.consoleSummary.periodsOf(tenant);
    const wanted = opts.periods ?? [periodOf(today), previousPeriod(periodOf(today))];
    for (const period of wanted) {
      const p = known.find((k) => k.period === period);
      if (!p) continue;
      const last = await ports.store.consoleSummary.summaryRefreshedAt(tenant, period);
      if (last && !opts.periods) {
        const fresh = Date.parse(last) > ports.clock.now().getTime() - ports.config.console.summary_refresh_seconds * 1000;
        if (fresh || (p.closed_at && p.closed_at < last)) continue;
      }
      const rows = await ports.store.consoleSummary.computeSummary(tenant, period);
      await ports.store.consoleSummary.replaceSummary(tenant, period, rows, ports.clock.now().toISOString());
      done.push({ tenant, period });
    }
  }
  return done;
}
