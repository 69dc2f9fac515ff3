import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isPeriod } from '../domain/dates.js';
import { isClosed, withReportChunks, type ReportFormat } from '../usecases/close/close-report.js';
import { writeAtomic } from '../files/atomic-writer.js';
import type { Ports } from '../usecases/ports.js';
import { outputClosed } from './closed-pipe.js';
import { CliError, closePorts, openPorts, type GlobalOptions } from './context.js';

/**
 * `kasi report --period YYYY-MM --tenant id [--format csv|json] [-o file]`: the collection report
 * of a closed period, rendered from the store by the same code as the outbox file, so the bytes
 * are the same. Streams: a million rows go to stdout or the file without being held in memory.
 */

/** Write chunks to stdout, waiting when the pipe is full; stop reading when the reader has gone (`| head`). */
export async function writeStdout(chunks: AsyncIterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (outputClosed()) break;
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  }
}

/** To `-o file` atomically (with its .sha256 sidecar, like every file kasi writes), else stdout. */
export function sinkFor(output: string | undefined): (chunks: AsyncIterable<string>) => Promise<unknown> {
  return output ? (chunks) => writeAtomic(resolve(output), chunks) : writeStdout;
}

export function checkPeriod(period: string): void {
  if (!isPeriod(period)) throw new CliError(`--period "${period}" is not a month YYYY-MM (e.g. 2025-11)`, 2);
}

export function checkTenant(ports: Ports, tenant: string): void {
  if (!ports.config.tenants[tenant]) {
    throw new CliError(`unknown tenant "${tenant}": known tenants are ${Object.keys(ports.config.tenants).join(', ') || '(none)'}`, 2);
  }
}

export function registerReport(program: Command, globals: () => GlobalOptions): void {
  program
    .command('report')
    .description('the collection report of a closed period (CSV or JSON), as in the outbox')
    .requiredOption('--period <YYYY-MM>', 'the collection period')
    .requiredOption('--tenant <id>', 'the insurer')
    .option('--format <csv|json>', 'output format', 'csv')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (opts: { period: string; tenant: string; format: string; output?: string }) => {
      checkPeriod(opts.period);
      if (opts.format !== 'csv' && opts.format !== 'json') throw new CliError(`--format must be csv or json, not "${opts.format}"`, 2);
      const ports = await openPorts(globals());
      try {
        checkTenant(ports, opts.tenant);
        if (!(await isClosed(ports, opts.tenant, opts.period))) {
          throw new CliError(`${opts.tenant} ${opts.period} is not closed yet; close it with: kasi close --period ${opts.period} --tenant ${opts.tenant} --step report`, 2);
        }
        await withReportChunks(ports, opts.tenant, opts.period, opts.format as ReportFormat, sinkFor(opts.output));
        if (opts.output) process.stdout.write(`wrote ${resolve(opts.output)}\n`);
      } finally {
        await closePorts(ports);
      }
    });
}
