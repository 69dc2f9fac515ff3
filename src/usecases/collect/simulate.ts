import { join } from 'node:path';
import { SimulatedBank } from '../../bank/simulator.js';
import { addMonths } from '../../domain/calendar.js';
import { addDays, firstDayOf, periodOf, sastInstant, type IsoDate, type Period } from '../../domain/dates.js';
import { formatCents } from '../../domain/money.js';
import { writeAtomic } from '../../files/atomic-writer.js';
import { runBatch } from './batch.js';
import { engineSetup } from './engine-setup.js';
import { executeCollections } from './execute.js';
import { importFile } from '../intake/import-file.js';
import type { Ports } from '../ports.js';

/**
 * `kasi simulate`: the whole calendar on a simulated clock, as fast as the machine allows. The
 * seeded simulator stands in for the bank and for an account-information feed: its deposits
 * reach kasi as daily `income-<date>.csv` files through intake, exactly as an insurer's feed
 * would. Each day: intake, execute on the 1st, the batch on processing days, and the month-close
 * steps on their days (when a `close` hook is given).
 */
export interface SimulateOptions {
  from: IsoDate;
  to: IsoDate;
  tenant: string;
  policies: number;
  seed: number;
  strategy: 'default' | 'naive';
  /** share of customers whose deposits kasi can see (an account-information feed), 0..1 */
  incomeFeedShare: number;
  setNow: (d: Date) => void;
  onDay?: (line: DayLine) => void;
  close?: (today: IsoDate) => Promise<string[]>;
}

export interface DayLine {
  date: IsoDate;
  processing: boolean;
  presented: number;
  paid: number;
  unpaid: number;
  collectedCents: number;
  closeSteps: string[];
}

export interface SimulationSummary {
  periods: { period: Period; due: number; collected: number; rate: number; collections: number; fullyPaid: number }[];
  presentments: number;
  paid: number;
  failed: number;
  failedPerSuccess: number;
  meanDayOfCollection: number;
  failuresByReason: Record<string, number>;
}

export async function simulate(ports: Ports, opts: SimulateOptions): Promise<SimulationSummary> {
  const setup = engineSetup(ports.config, opts.strategy);
  const bank = new SimulatedBank({ seed: opts.seed, calendar: setup.calendar });
  const inbox = ports.paths.inbox(opts.tenant);
  const customers = Array.from({ length: opts.policies }, (_, i) => `C${String(i + 1).padStart(7, '0')}`);
  const feedCut = Math.round(opts.incomeFeedShare * customers.length);
  const fed = customers.filter((_, i) => (i * 7919) % customers.length < feedCut);

  const at = (d: IsoDate, hh: number) => opts.setNow(sastInstant(d, hh));
  const take = async (path: string) => {
    const out = await importFile(ports, { tenantId: opts.tenant, path, mode: 'move', source: 'inbox' });
    if (out.status !== 'applied') throw new Error(`simulation intake of ${out.file} ended ${out.status}: ${out.errors[0]?.message ?? ''}`);
  };

  // day 0: the insurer's book and three months of account history from the feed
  at(opts.from, 5);
  await writeAtomic(join(inbox, `policies-sim-${opts.from}.csv`), policyLines(customers, bank), { sidecar: false });
  await take(join(inbox, `policies-sim-${opts.from}.csv`));
  const deposits = depositsByDay(bank, fed, firstDayOf(addMonths(periodOf(opts.from), -3)), opts.to);
  const history = [...deposits.keys()].filter((d) => d < opts.from).sort();
  if (history.length) {
    const path = join(inbox, `income-history-${opts.from}.csv`);
    await writeAtomic(path, incomeLines(history.flatMap((d) => deposits.get(d)!)), { sidecar: false });
    await take(path);
  }

  for (let day = opts.from; day <= opts.to; day = addDays(day, 1)) {
    at(day, 5);
    const closeSteps = opts.close ? await opts.close(day) : [];
    const seen = deposits.get(day);
    if (seen?.length) {
      const path = join(inbox, `income-${day}.csv`);
      await writeAtomic(path, incomeLines(seen), { sidecar: false });
      await take(path);
    }
    if (day === opts.from || day.endsWith('-01')) await executeCollections(ports, opts.tenant, periodOf(day));
    at(day, 6);
    const r = await runBatch(ports, { date: day, gateway: bank, setup, tenants: [opts.tenant] });
    const line: DayLine = { date: day, processing: r.status === 'done', presented: 0, paid: 0, unpaid: 0, collectedCents: 0, closeSteps };
    if (r.status === 'done') {
      for (const t of r.tenants) {
        line.presented += t.presented;
        line.paid += t.paid;
        line.unpaid += t.unpaid;
        line.collectedCents += t.collectedCents;
      }
    }
    opts.onDay?.(line);
  }
  return summarise(ports, opts.tenant);
}

function policyLines(customers: string[], bank: SimulatedBank): string {
  let s = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
  for (const c of customers) s += `${c},EXT-${c.slice(1)},POL-${c.slice(1)},FUNERAL-BASIC,${formatCents(bank.premiumFor(c))}\n`;
  return s;
}

function depositsByDay(bank: SimulatedBank, customers: string[], from: IsoDate, to: IsoDate): Map<IsoDate, string[]> {
  const byDay = new Map<IsoDate, string[]>();
  for (const c of customers) {
    for (const e of bank.depositsFor(c, from, to)) {
      const line = `${c},${e.date},${formatCents(e.amountCents)}\n`;
      const list = byDay.get(e.date);
      if (list) list.push(line);
      else byDay.set(e.date, [line]);
    }
  }
  return byDay;
}

function incomeLines(lines: string[]): string {
  return 'customer_id,date,amount\n' + lines.join('');
}

export async function summarise(ports: Ports, tenant: string): Promise<SimulationSummary> {
  const { periods, attempts: att } = await ports.store.simulation.simulationTotals(tenant);
  let paid = 0;
  let failed = 0;
  let cents = 0;
  let dayw = 0;
  const failuresByReason: Record<string, number> = {};
  for (const a of att) {
    if (a.status === 'PAID') {
      paid += Number(a.n);
      cents += Number(a.cents);
      dayw += Number(a.dayw);
    } else if (a.status === 'UNPAID') {
      failed += Number(a.n);
      failuresByReason[a.reason ?? 'UNKNOWN'] = (failuresByReason[a.reason ?? 'UNKNOWN'] ?? 0) + Number(a.n);
    }
  }
  return {
    periods: periods.map((p) => ({
      period: p.period,
      due: Number(p.due),
      collected: Number(p.collected),
      rate: Number(p.due) ? Number(p.collected) / Number(p.due) : 0,
      collections: Number(p.n),
      fullyPaid: Number(p.full),
    })),
    presentments: paid + failed,
    paid,
    failed,
    failedPerSuccess: paid ? failed / paid : 0,
    meanDayOfCollection: cents ? dayw / cents : 0,
    failuresByReason,
  };
}
