import type { Log, Ports } from '../usecases/ports.js';
import { abortableSleep } from '../sftp/backoff.js';
import { consoleEnabled } from '../usecases/console/auth.js';
import { refreshSummaries } from '../usecases/console/summaries.js';

/**
 * The console's summary loop: refreshes the overview's figures at start and then every
 * `console.summary_refresh_seconds` of wall time, or ten times as long as the last refresh took if
 * that is longer: a refresh reads whole periods (about 17 s for a 1M-collection period on SQLite
 * on a busy 2-core machine), and on SQLite it shares the one connection with the batch and
 * intake, so it may take at most a tenth of the time. One refresh at a time (a tick never overlaps
 * itself); errors are logged and the next tick tries again. Only runs while the console is on.
 */
export class ConsoleSummaryLoop {
  private readonly stopper = new AbortController();
  private done: Promise<void> | null = null;
  private readonly log: Log;

  constructor(private readonly ports: Ports) {
    this.log = ports.log.child({ component: 'console' });
  }

  get enabled(): boolean {
    return consoleEnabled(this.ports.config);
  }

  start(): void {
    if (!this.enabled) return;
    this.done ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.done;
  }

  private async loop(): Promise<void> {
    const every = this.ports.config.console.summary_refresh_seconds * 1000;
    while (!this.stopper.signal.aborted) {
      const t0 = performance.now();
      let took = 0;
      try {
        const done = await refreshSummaries(this.ports);
        took = performance.now() - t0;
        this.log.debug({ refreshed: done.length, ms: Math.round(took) }, 'console summaries refreshed');
      } catch (err) {
        if (this.stopper.signal.aborted) break;
        this.log.error({ err: (err as Error).message }, 'console summaries: refresh failed; trying again at the next tick');
      }
      await abortableSleep(Math.max(every, 10 * took), this.stopper.signal);
    }
  }
}
