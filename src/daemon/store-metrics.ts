import { collectionRate, sameDayLastMonth } from '../domain/collection-pace.js';
import { periodOf, sastDate } from '../domain/dates.js';
import { metrics } from './metrics.js';
import type { Log, Ports } from '../usecases/ports.js';

/**
 * The /metrics gauges that come from the store rather than from this process's own work: when each
 * tenant last sent a file, and the month's collection rate beside last month's on the same day
 * (deploy/prometheus/alerts.yml). Refreshed on an interval, not per scrape: the rate reads a
 * month of attempts, which a scrape every 15 s should not pay for.
 */
export class StoreMetrics {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly log: Log;

  constructor(
    private readonly ports: Ports,
    private readonly everyMs = 5 * 60_000,
  ) {
    this.log = ports.log.child({ component: 'metrics' });
  }

  start(): void {
    void this.refreshLogged();
    this.timer ??= setInterval(() => void this.refreshLogged(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private refreshLogged(): Promise<void> {
    // never two refreshes at once (a slow store): the next interval simply finds this one running
    this.running ??= this.refresh()
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'store metrics not refreshed; trying again later'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async refresh(): Promise<void> {
    const today = sastDate(this.ports.clock.now());
    const last = sameDayLastMonth(today);
    const [files, now, before] = await this.ports.store.metrics.storeMetricFigures({ period: periodOf(today), upTo: today }, { period: last.period, upTo: last.date });
    for (const tenant of Object.keys(this.ports.config.tenants)) {
      const at = files.get(tenant);
      metrics.intakeLastFile.set({ tenant }, at ? Date.parse(at) / 1000 : 0);
      const rate = collectionRate(now.get(tenant));
      const prior = collectionRate(before.get(tenant));
      if (rate !== null) metrics.collectionRate.set({ tenant }, rate);
      else metrics.collectionRate.remove({ tenant });
      if (prior !== null) metrics.collectionRateLastMonth.set({ tenant }, prior);
      else metrics.collectionRateLastMonth.remove({ tenant });
    }
  }
}
