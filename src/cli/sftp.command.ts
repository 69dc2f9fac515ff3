import type { Command } from 'commander';
import { checkSftp } from '../sftp/check.js';
import { CliError, readConfig, type GlobalOptions } from './context.js';

/**
 * `kasi sftp check --tenant id`: connect to the tenant's SFTP account as the daemon would and say
 * in plain words what works (host key, login, each folder readable/writable). Exit 0 when all is
 * well, 1 when something is wrong, 2 for an unknown tenant or one without SFTP settings. Needs no
 * database: it can be run before the first `kasi migrate`.
 */
export function registerSftp(program: Command, globals: () => GlobalOptions): void {
  const sftp = program.command('sftp').description("a tenant's SFTP exchange");
  sftp
    .command('check')
    .description("connect to a tenant's SFTP account and check the host key, the login and the folders")
    .requiredOption('--tenant <id>', 'the insurer whose SFTP settings to check')
    .action(async (opts: { tenant: string }) => {
      const config = readConfig(globals());
      const tenant = config.tenants[opts.tenant];
      if (!tenant) {
        throw new CliError(`unknown tenant "${opts.tenant}": known tenants are ${Object.keys(config.tenants).join(', ') || '(none)'}`, 2);
      }
      if (!tenant.sftp) throw new CliError(`tenant ${opts.tenant} has no sftp settings in the configuration (tenants.${opts.tenant}.sftp)`, 2);
      const result = await checkSftp(tenant.sftp, { env: process.env });
      process.stdout.write(result.lines.map((l) => `${l}\n`).join(''));
      if (!result.ok) process.exitCode = 1;
    });
}
