import type { Command } from 'commander';
import { IntakeService } from '../jobs/intake-service.js';
import { SftpService } from '../jobs/sftp-service.js';
import { openPorts, type GlobalOptions } from './context.js';

/**
 * `kasi daemon`: the long-running service. SIGTERM/SIGINT stop new work, let the file in hand
 * finish (its transaction commits or rolls back), close the database and exit 0; a second
 * signal exits at once (nothing is half-written either way: files appear by rename, the store
 * commits whole files).
 */
export function registerDaemon(program: Command, globals: () => GlobalOptions): void {
  program
    .command('daemon')
    .description('the long-running service: intake (folder watch and rescan, SFTP polling) and SFTP deliveries')
    .action(async () => {
      const ports = await openPorts(globals());
      const log = ports.log.child({ component: 'daemon' });
      const intake = new IntakeService(ports, { extraFolders: [{ tenant: 'bank', dir: ports.paths.bankInbox() }] });
      intake.start();
      // SFTP tenants: the password (password_env) is read from this process's environment only here.
      const sftp = new SftpService(ports, { env: process.env });
      sftp.start();
      log.info({ root: ports.config.root, tenants: Object.keys(ports.config.tenants), pid: process.pid }, 'kasi daemon started');
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (sig: NodeJS.Signals) => {
          if (stopping) {
            log.warn({ signal: sig }, 'second signal: exiting at once');
            process.exit(130);
          }
          stopping = true;
          log.info({ signal: sig }, 'stopping: finishing the work in hand');
          void (async () => {
            try {
              await sftp.stop(); // reverse order of start
              await intake.stop();
              await ports.db.close();
            } finally {
              log.info({}, 'kasi daemon stopped');
              resolve();
            }
          })();
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
    });
}
