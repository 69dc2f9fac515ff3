import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isIsoDate, isPeriod, sastDate } from '../domain/dates.js';
import { runBatch } from '../usecases/collect/batch.js';
import { engineSetup } from '../usecases/collect/engine-setup.js';
import { executeCollections } from '../usecases/collect/execute.js';
import { makeGateway } from '../usecases/collect/gateway-factory.js';
import { importFile } from '../usecases/intake/import-file.js';
import { formatCents } from '../domain/money.js';
import { CliError, openPorts, type GlobalOptions } from './context.js';
import { exitCodeFor, formatOutcome } from './import.command.js';

/** `kasi execute`, `kasi batch`, `kasi bank-results`: the engine's steps by hand. */
export function registerEngine(program: Command, globals: () => GlobalOptions): void {
  program
    .command('execute')
    .description("open the period's collections: one per active policy, amount due frozen now")
    .requiredOption('--period <YYYY-MM>', 'the collection period')
    .option('--tenant <id>', 'one tenant (default: every tenant)')
    .action(async (opts: { period: string; tenant?: string }) => {
      if (!isPeriod(opts.period)) throw new CliError(`--period must be YYYY-MM, not "${opts.period}"`, 2);
      const ports = await openPorts(globals());
      try {
        const tenants = opts.tenant ? [opts.tenant] : Object.keys(ports.config.tenants);
        if (opts.tenant && !ports.config.tenants[opts.tenant]) throw new CliError(`unknown tenant "${opts.tenant}"`, 2);
        for (const t of tenants) {
          const r = await executeCollections(ports, t, opts.period);
          process.stdout.write(
            r.status === 'closed'
              ? `${t} ${opts.period}: the period is closed; nothing executed\n`
              : `${t} ${opts.period}: ${r.opened} collections opened (${r.total} in the period)\n`,
          );
        }
      } finally {
        await ports.store.close();
      }
    });

  program
    .command('batch')
    .description('run one daily batch: plan and present debits for every tenant (default: today)')
    .option('--date <YYYY-MM-DD>', 'the batch date (default: today, or KASI_NOW)')
    .action(async (opts: { date?: string }) => {
      const ports = await openPorts(globals());
      try {
        const date = opts.date ?? sastDate(ports.clock.now());
        if (!isIsoDate(date)) throw new CliError(`--date must be YYYY-MM-DD, not "${date}"`, 2);
        const setup = engineSetup(ports.config);
        const gateway = await makeGateway(ports, setup, date);
        const r = await runBatch(ports, { date, gateway, setup });
        if (r.status === 'skipped') {
          process.stdout.write(`${r.reason}\n`);
          return;
        }
        if (r.reconciled) process.stdout.write(`reconciled ${r.reconciled} presentments left from an interrupted run\n`);
        if (r.tenants.length === 0) process.stdout.write(`${date}: no tenant has an executed, open period; run kasi execute --period ${date.slice(0, 7)}\n`);
        for (const t of r.tenants) {
          process.stdout.write(
            `${date} ${t.tenant} ${t.period}: ${t.planned} collections considered, ${t.presented} presented (R${formatCents(t.presentedCents)})` +
              (gateway.name === 'simulator' ? `, ${t.paid} paid (R${formatCents(t.collectedCents)}), ${t.unpaid} unpaid\n` : '\n'),
          );
        }
        if (r.batchFile) process.stdout.write(`debit file: ${resolve(ports.paths.bankOutbox(), r.batchFile)}\n`);
      } finally {
        await ports.store.close();
      }
    });

  program
    .command('bank-results <file>')
    .description('apply a bank result file (file gateway), exactly as if dropped in inbox/bank/')
    .option('--json', 'print {imported, failed, errors} as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const path = resolve(file);
      if (!existsSync(path)) throw new CliError(`${file}: no such file`, 2);
      const ports = await openPorts(globals());
      try {
        const out = await importFile(ports, { tenantId: 'bank', path, kind: 'results', mode: 'copy' });
        if (opts.json) process.stdout.write(JSON.stringify({ file: out.file, status: out.status, imported: out.imported, failed: out.failed, errors: out.errors }, null, 2) + '\n');
        else process.stdout.write(formatOutcome(out, ports.config.root));
        process.exitCode = exitCodeFor(out);
      } finally {
        await ports.store.close();
      }
    });
}
