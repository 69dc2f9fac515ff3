import type { Command } from 'commander';
import { tenantStatus } from '../jobs/status.js';
import { openPorts, type GlobalOptions } from './context.js';

export function registerStatus(program: Command, globals: () => GlobalOptions): void {
  program
    .command('status')
    .description('what is open, collected, failed, settled')
    .option('--period <YYYY-MM>', 'the collection period to report on')
    .option('--json', 'machine-readable output')
    .action(async (opts: { period?: string; json?: boolean }) => {
      const ports = await openPorts(globals());
      try {
        const tenants = await tenantStatus(ports);
        if (opts.json) {
          process.stdout.write(JSON.stringify({ tenants }, null, 2) + '\n');
          return;
        }
        for (const t of tenants) {
          process.stdout.write(
            `${t.tenant} (${t.name})\n  policies: ${t.policies.active} active, ${t.policies.cancelled} cancelled\n` +
              `  intake files: ${t.files.applied} applied, ${t.files.rejected} rejected, ${t.files.duplicate} duplicate\n`,
          );
          for (const f of t.lastFiles) process.stdout.write(`    ${f.processed_at.slice(0, 19)}Z  ${f.status.padEnd(9)} ${f.name} (${f.imported} imported, ${f.failed} failed)\n`);
        }
        if (tenants.length === 0) process.stdout.write('no tenants configured: run kasi init --tenant <id>\n');
      } finally {
        await ports.db.close();
      }
    });
}
