import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { healthz, readyz } from '../http/health.js';
import { startHttpServer } from '../http/api/app.js';
import { ExecutionQueue } from '../jobs/api-executions.js';
import { metricsHandler } from '../http/metrics.js';
import { IntakeService } from '../jobs/intake-service.js';
import { finishInterrupted } from '../jobs/import-file.js';
import { recordIntake, registry } from '../jobs/metrics.js';
import { Scheduler, schedulerOptionsFrom } from '../jobs/scheduler.js';
import { SftpService } from '../jobs/sftp-service.js';
import { WebhookService } from '../daemon/webhook-service.js';
import { StoreMetrics } from '../daemon/store-metrics.js';
import { CliError, openPorts, type GlobalOptions } from './context.js';
import { travelClock } from './time-travel.js';

/**
 * `kasi daemon`: the long-running service: /healthz, /readyz, /metrics and the HTTP API (/v1) on http.port; intake
 * (folder watch and rescan, SFTP polling); the scheduler (daily batch, month close, with
 * catch-up). SIGTERM/SIGINT stop new work and give the unit in hand `daemon.shutdown_seconds`
 * to finish (a file's transaction commits or rolls back; a batch stops between chunks; a step
 * still running then is released for the next start), close the HTTP server and the database
 * and exit 0; a second signal exits at once (nothing is half-written either way: files appear by
 * rename, the store commits whole units). KASI_NOW + KASI_SPEED run it on a simulated clock.
 */
export function registerDaemon(program: Command, globals: () => GlobalOptions): void {
  program
    .command('daemon')
    .description('the long-running service: intake, SFTP, the daily batch and the month close on their schedules, health and metrics')
    .action(async () => {
      const clock = travelClock(process.env);
      const ports = await openPorts(globals());
      ports.clock = clock;
      const log = ports.log.child({ component: 'daemon' });
      const cfg = ports.config;
      const scheduler = new Scheduler(ports, schedulerOptionsFrom(cfg, clock.speed));
      const ops = { '/healthz': healthz, '/readyz': readyz({ db: ports.db, scheduler }), '/metrics': metricsHandler(registry) };
      // the HTTP API (/v1) and the ops endpoints on http.port; API executions left running by a stop are run again
      const executions = new ExecutionQueue(ports);
      const http = await startHttpServer({ ports, executions, ops, onIntake: recordIntake }).catch(async (err: Error) => {
        await ports.db.close();
        throw new CliError(`cannot listen on ${cfg.http.host}:${cfg.http.port} (http.port): ${err.message}`, 1);
      });
      const intake = new IntakeService(ports, { extraFolders: [{ tenant: 'bank', dir: ports.paths.bankInbox() }], onOutcome: recordIntake });
      // files moved into archive/ by a run killed before it recorded that: finish their ledger rows
      await finishInterrupted(ports).catch((err: unknown) => log.error({ err }, 'could not finish files interrupted by a restart'));
      intake.start();
      await executions.resume();
      // SFTP tenants: the password (password_env) is read from this process's environment only here.
      const sftp = new SftpService(ports, { env: process.env, onOutcome: recordIntake });
      sftp.start();
      // webhook events recorded by any step (here or in another replica) are sent from this loop
      const webhooks = new WebhookService(ports, { env: process.env });
      webhooks.start();
      const storeMetrics = new StoreMetrics(ports);
      storeMetrics.start();
      scheduler.start();
      const sim = clock.travelling ? { simulated_now: clock.now().toISOString(), speed: clock.speed } : {};
      log.info({ root: cfg.root, tenants: Object.keys(cfg.tenants), pid: process.pid, http_port: http.port, ...sim }, 'kasi daemon started');
      const drained = await new Promise<'drained' | 'timeout'>((resolve) => {
        let stopping = false;
        const onSignal = (sig: NodeJS.Signals) => {
          if (stopping) {
            log.warn({ signal: sig }, 'second signal: exiting at once');
            process.exit(130);
          }
          stopping = true;
          const boundMs = cfg.daemon.shutdown_seconds * 1000;
          log.info({ signal: sig, bound_s: cfg.daemon.shutdown_seconds }, 'stopping: finishing the work in hand');
          void (async () => {
            let outcome: 'drained' | 'timeout' = 'timeout';
            try {
              // reverse order of start; the three drain side by side within the one bound
              [outcome] = await Promise.all([scheduler.stop(boundMs), webhooks.stop(), storeMetrics.stop(), sftp.stop(), intake.stop(), executions.stop()]);
              await http.close();
              await Promise.race([ports.db.close(), sleep(2000, undefined, { ref: false })]);
            } catch (err) {
              log.error({ err }, 'error while stopping');
            } finally {
              log.info({ outcome }, 'kasi daemon stopped');
              resolve(outcome);
            }
          })();
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      // a step that outlived the bound was released in the store; its promise must not hold the process
      if (drained === 'timeout') process.exit(0);
    });
}
