import type { Command } from 'commander';
import { sastDate } from '../domain/dates.js';
import { CLOSE_STEPS, closeDue, runCloseStep, type CloseOutcome, type CloseStep } from '../usecases/close/close.js';
import { closeSchedule } from '../domain/close-calendar.js';
import { CliError, closePorts, openPorts, type GlobalOptions } from './context.js';
import { checkPeriod, checkTenant } from './report.command.js';
import { queueForSftp } from '../usecases/deliver/deliveries.js';

/**
 * `kasi close --period YYYY-MM [--tenant id] [--step report|settle|invoice|pay] [--json]`: the
 * named step now, or every step due by today (KASI_NOW). Prints each step's files and whether
 * they were written now or were there already. Exit 0 ok; 1 when a step reports a problem (e.g.
 * a tenant left out of the payment file); 2 for bad usage, including a named step whose
 * prerequisite is missing (the period still running, no settlement yet).
 */
const WORDS = { done: 'written', exists: 'already there, nothing written', skipped: 'skipped' } as const;

export function formatOutcomes(outcomes: readonly CloseOutcome[]): string {
  return outcomes
    .map((o) => {
      const who = o.step === 'pay' ? (o.paymentDate ? `payment date ${o.paymentDate}` : o.period) : `${o.tenant} ${o.period}`;
      const lines = [`${o.step} ${who}: ${WORDS[o.result.status]}`];
      for (const f of o.result.files) lines.push(`  ${f}`);
      for (const p of o.result.problems) lines.push(`  problem: ${p}`);
      return lines.join('\n') + '\n';
    })
    .join('');
}

export function registerClose(program: Command, globals: () => GlobalOptions): void {
  program
    .command('close')
    .description('month close: every step due by now, or the named one (idempotent)')
    .requiredOption('--period <YYYY-MM>', 'the collection period to close')
    .option('--tenant <id>', 'only this insurer (default: all)')
    .option('--step <step>', `one step: ${CLOSE_STEPS.join(' | ')}`)
    .option('--json', 'print the outcomes as JSON')
    .action(async (opts: { period: string; tenant?: string; step?: string; json?: boolean }) => {
      checkPeriod(opts.period);
      if (opts.step !== undefined && !(CLOSE_STEPS as readonly string[]).includes(opts.step)) {
        throw new CliError(`--step must be one of ${CLOSE_STEPS.join(', ')}, not "${opts.step}"`, 2);
      }
      const ports = await openPorts(globals());
      try {
        if (opts.tenant) checkTenant(ports, opts.tenant);
        const tenants = opts.tenant ? [opts.tenant] : Object.keys(ports.config.tenants);
        const today = sastDate(ports.clock.now());
        const outcomes = opts.step
          ? await runCloseStep(ports, opts.step as CloseStep, opts.period, tenants)
          : await closeDue(ports, opts.period, today, { tenant: opts.tenant });
        // SFTP tenants: queue their new deliverables; the daemon's SFTP service uploads them
        await queueForSftp(ports, tenants, outcomes.flatMap((o) => o.result.files));
        if (opts.json) process.stdout.write(JSON.stringify({ period: opts.period, today, outcomes }, null, 2) + '\n');
        else if (outcomes.length === 0) process.stdout.write(`${opts.period}: nothing due on ${today}; the close starts on ${closeSchedule(opts.period).report}\n`);
        else process.stdout.write(formatOutcomes(outcomes));
        if (opts.step && outcomes.some((o) => o.result.status === 'skipped')) process.exitCode = 2;
        else if (outcomes.some((o) => o.result.problems.length > 0)) process.exitCode = 1;
      } finally {
        await closePorts(ports);
      }
    });
}
