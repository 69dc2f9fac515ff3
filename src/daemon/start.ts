import { setTimeout as sleep } from 'node:timers/promises';
import { configWarnings } from '../config.js';
import { healthz, readyz } from '../http/health.js';
import { startHttpServer } from '../http/api/app.js';
import { metricsHandler } from '../http/metrics.js';
import { ExecutionQueue } from '../usecases/api/api-executions.js';
import { finishInterrupted } from '../usecases/intake/import-file.js';
import type { Clock, Ports } from '../usecases/ports.js';
import { IntakeService } from './intake-service.js';
import { recordIntake, registry } from './metrics.js';
import { Scheduler, schedulerOptionsFrom } from './scheduler.js';
import { SftpService } from './sftp-service.js';
import { ConsoleSummaryLoop } from './console-summaries.js';
import { StoreMetrics } from './store-metrics.js';
import { WebhookService } from './webhook-service.js';

/** How a stop ended: everything finished in the bound, or a step outlived it (released in the store for the next start). */
export type StopOutcome = 'drained' | 'timeout';

export interface DaemonHandle {
  /** the port the HTTP server (API and ops endpoints) listens on */
  readonly httpPort: number;
  /** Stop new work, give the work in hand `daemon.shutdown_seconds`, close HTTP and the database. Idempotent. */
  stop(): Promise<StopOutcome>;
  /** settles when a stop has finished (whoever asked for it) */
  readonly done: Promise<StopOutcome>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The HTTP port could not be bound: nothing else was started and the database is closed. */
export class ListenError extends Error {}

export interface DaemonOptions {
  /** the clock's speed (KASI_SPEED; 1 on the real clock): the scheduler divides its sleeps by it */
  speed: number;
  /** where SFTP passwords (password_env) are read from: only here */
  env: NodeJS.ProcessEnv;
  /** for the start log line only: the simulated start when travelling */
  clock?: Clock & { travelling?: boolean };
}

/**
 * The long-running service, started in order: HTTP (API and /healthz, /readyz, /metrics), intake
 * (folder watch and rescan; files a killed run left half-recorded finished first), API executions
 * left running by a stop, SFTP polling, the scheduler. The handle stops them in reverse order:
 * the workers drain side by side within the one bound, then HTTP closes, then the database.
 * From here on the daemon owns the database behind `ports.store` (it closes it when it stops).
 * Signals are the caller's (the CLI's) business.
 */
export async function startDaemon(ports: Ports, opts: DaemonOptions): Promise<DaemonHandle> {
  const log = ports.log.child({ component: 'daemon' });
  const cfg = ports.config;
  const scheduler = new Scheduler(ports, schedulerOptionsFrom(cfg, opts.speed));
  const ops = { '/healthz': healthz, '/readyz': readyz({ store: ports.store, scheduler }), '/metrics': metricsHandler(registry) };
  const executions = new ExecutionQueue(ports);
  const http = await startHttpServer({ ports, executions, ops, onIntake: recordIntake }).catch(async (err: Error) => {
    await ports.store.close();
    throw new ListenError(`cannot listen on ${cfg.http.host}:${cfg.http.port} (http.port): ${err.message}`);
  });
  const intake = new IntakeService(ports, { extraFolders: [{ tenant: 'bank', dir: ports.paths.bankInbox() }], onOutcome: recordIntake });
  // files moved into archive/ by a run killed before it recorded that: finish their ledger rows
  await finishInterrupted(ports).catch((err: unknown) => log.error({ err }, 'could not finish files interrupted by a restart'));
  intake.start();
  await executions.resume();
  const sftp = new SftpService(ports, { env: opts.env, onOutcome: recordIntake });
  sftp.start();
  // webhook events recorded by any step (here or in another replica) are sent from this loop
  const webhooks = new WebhookService(ports, { env: opts.env });
  webhooks.start();
  const storeMetrics = new StoreMetrics(ports);
  storeMetrics.start();
  scheduler.start();
  // the operator console (/console): its overview's summaries, refreshed while the console is on
  const consoleLoop = new ConsoleSummaryLoop(ports);
  consoleLoop.start();
  if (consoleLoop.enabled) log.info({ console: `/console on port ${http.port}`, users: Object.keys(cfg.console.users).length }, 'console on');
  else log.info({ console: 'off' }, 'console off: no console.users configured (kasi console-user makes one)');
  const sim = opts.clock?.travelling ? { simulated_now: opts.clock.now().toISOString(), speed: opts.speed } : {};
  log.info({ root: cfg.root, tenants: Object.keys(cfg.tenants), pid: process.pid, http_port: http.port, ...sim }, 'kasi daemon started');
  // what a valid config leaves out that the documents will miss (an address, a VAT number)
  for (const w of configWarnings(cfg)) log.warn({}, w);

  let done: Promise<StopOutcome> | null = null;
  let settle: (o: StopOutcome) => void = () => undefined;
  const finished = new Promise<StopOutcome>((resolve) => (settle = resolve));
  const stopAll = async (): Promise<StopOutcome> => {
    let outcome: StopOutcome = 'timeout';
    try {
      // reverse order of start; the workers drain side by side within the one bound
      [outcome] = await Promise.all([scheduler.stop(cfg.daemon.shutdown_seconds * 1000), webhooks.stop(), storeMetrics.stop(), sftp.stop(), intake.stop(), executions.stop(), consoleLoop.stop()]);
      await http.close();
      await Promise.race([ports.store.close(), sleep(2000, undefined, { ref: false })]);
    } catch (err) {
      log.error({ err }, 'error while stopping');
    } finally {
      log.info({ outcome }, 'kasi daemon stopped');
    }
    return outcome;
  };
  const stop = (): Promise<StopOutcome> => {
    done ??= stopAll().then((o) => (settle(o), o));
    return done;
  };
  return { httpPort: http.port, stop, done: finished, [Symbol.asyncDispose]: async () => void (await stop()) };
}
