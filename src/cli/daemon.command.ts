import type { Command } from 'commander';
import { ListenError, startDaemon } from '../daemon/start.js';
import { CliError, openPorts, type GlobalOptions } from './context.js';
import { travelClock } from './time-travel.js';

/**
 * `kasi daemon`: the long-running service (src/daemon/start.ts): /healthz, /readyz, /metrics and the HTTP API (/v1) on http.port; intake
 * (folder watch and rescan, SFTP polling); the scheduler (daily batch, month close, with
 * catch-up). SIGTERM/SIGINT stop new work and give the unit in hand `daemon.shutdown_seconds`
 * to finish (a file's transaction commits or rolls back; a batch stops between chunks; a step
 * still running then is released for the next start), close the HTTP server and the database
 * and exit 0; a second signal exits at once (nothing is half-written either way: files appear by
 * rename, the store commits whole units). KASI_NOW + KASI_SPEED run it on a simulated clock.
 * This command only installs the signal handlers.
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
      const daemon = await startDaemon(ports, { speed: clock.speed, env: process.env, clock }).catch((err: unknown) => {
        throw err instanceof ListenError ? new CliError(err.message, 1) : err;
      });
      let stopping = false;
      const onSignal = (sig: NodeJS.Signals) => {
        if (stopping) {
          log.warn({ signal: sig }, 'second signal: exiting at once');
          process.exit(130);
        }
        stopping = true;
        log.info({ signal: sig, bound_s: ports.config.daemon.shutdown_seconds }, 'stopping: finishing the work in hand');
        void daemon.stop();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      // a step that outlived the bound was released in the store; its promise must not hold the process
      if ((await daemon.done) === 'timeout') process.exit(0);
    });
}
