import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isIsoDate } from '../domain/dates.js';
import { formatCents } from '../domain/money.js';
import { simulate, type SimulationSummary, type DayLine } from '../usecases/collect/simulate.js';
import type { Ports } from '../usecases/ports.js';
import { CliError, openPorts, type GlobalOptions } from './context.js';
import { initRoot } from './init.command.js';
import { closeHook } from './close-hook.js';

/** The demo insurer's particulars (fictional), so invoices and the EFT file are complete. */
export const DEMO_TENANT = {
  vat_number: '4990000000',
  bank_account: { holder: 'Demo Funeral Insurance', bank: 'Absa', branch_code: '632005', number: '4012345678', type: 'current' },
};

export interface SimulateCliOptions {
  from: string;
  to: string;
  policies: string;
  seed: string;
  strategy: string;
  incomeFeed: string;
}

export function formatDay(l: DayLine): string {
  const close = l.closeSteps.length ? `  close: ${l.closeSteps.join(', ')}` : '';
  if (!l.processing) return `${l.date}  not a processing day${close}\n`;
  return `${l.date}  presented ${String(l.presented).padStart(7)}  paid ${String(l.paid).padStart(7)}  unpaid ${String(l.unpaid).padStart(7)}  collected R${formatCents(l.collectedCents)}${close}\n`;
}

export function formatSummary(s: SimulationSummary): string {
  const lines = ['', 'summary'];
  for (const p of s.periods) {
    lines.push(
      `  ${p.period}: due R${formatCents(p.due)}, collected R${formatCents(p.collected)} (${(p.rate * 100).toFixed(1)}%), ${p.fullyPaid} of ${p.collections} paid in full`,
    );
  }
  lines.push(`  presentments ${s.presentments}: ${s.paid} paid, ${s.failed} failed (${s.failedPerSuccess.toFixed(3)} failed per success)`);
  lines.push(`  mean day of collection ${s.meanDayOfCollection.toFixed(1)}`);
  const reasons = Object.entries(s.failuresByReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length) lines.push(`  failures by reason: ${reasons.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  return lines.join('\n') + '\n';
}

/** Runs a simulation in `root` (made if needed) and prints day lines and the summary. */
export async function runSimulationCli(g: GlobalOptions, opts: SimulateCliOptions, root: string, extra: { close?: (ports: Ports) => (today: string) => Promise<string[]> } = {}): Promise<SimulationSummary> {
  if (!isIsoDate(opts.from) || !isIsoDate(opts.to) || opts.from > opts.to) throw new CliError('--from and --to must be dates YYYY-MM-DD with from ≤ to', 2);
  if (opts.strategy !== 'default' && opts.strategy !== 'naive') throw new CliError('--strategy must be default or naive', 2);
  const policies = Number(opts.policies);
  if (!Number.isInteger(policies) || policies < 1) throw new CliError('--policies must be a positive whole number', 2);
  await initRoot(root, 'demo', 'Demo Funeral Insurance Ltd', DEMO_TENANT);
  const ports = await openPorts({ ...g, root });
  let now = new Date();
  ports.clock = { now: () => now };
  try {
    const summary = await simulate(ports, {
      from: opts.from,
      to: opts.to,
      tenant: 'demo',
      policies,
      seed: Number(opts.seed),
      strategy: opts.strategy,
      incomeFeedShare: Number(opts.incomeFeed),
      setNow: (d) => (now = d),
      onDay: (l) => process.stdout.write(formatDay(l)),
      close: extra.close?.(ports),
    });
    process.stdout.write(formatSummary(summary));
    return summary;
  } finally {
    await ports.store.close();
  }
}

export function registerSimulate(program: Command, globals: () => GlobalOptions): void {
  program
    .command('simulate')
    .description('run the whole calendar on a simulated clock with the seeded simulated bank, fast')
    .requiredOption('--from <YYYY-MM-DD>', 'first day')
    .requiredOption('--to <YYYY-MM-DD>', 'last day')
    .option('--policies <n>', 'simulated policies', '1000')
    .option('--seed <n>', 'simulator seed', '42')
    .option('--strategy <name>', 'default | naive', 'default')
    .option('--income-feed <share>', 'share of customers with an account-information feed (0..1)', '1')
    .action(async (opts: SimulateCliOptions) => {
      const g = globals();
      const root = resolve(g.root ?? process.env.KASI_ROOT ?? mkdtempSync(join(tmpdir(), 'kasi-sim-')));
      process.stdout.write(`kasi simulate — runtime root ${root}\n`);
      await runSimulationCli({ ...g, root }, opts, root, { close: closeHook });
    });
}
