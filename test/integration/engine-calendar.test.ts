import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch } from '../../src/usecases/collect/batch.js';
import { EngineWorld, nextDay, type AttemptView } from './engine-harness.js';

/**
 * SPEC 4.2: nothing is presented on a Saturday, a Sunday or a South African public holiday, and
 * never before the deposit it waits for. A small population with income files runs through every
 * day of December 2025 and April 2026 (months full of holidays); every attempt is checked against
 * the holiday lists written out here (an oracle independent of the date-holidays library).
 */
const HOLIDAYS = new Set([
  // 2025
  '2025-01-01', '2025-03-21', '2025-04-18', '2025-04-21', '2025-04-27', '2025-04-28', '2025-05-01', '2025-06-16', '2025-08-09',
  '2025-09-24', '2025-12-16', '2025-12-25', '2025-12-26',
  // 2026 (Women's Day on a Sunday: Monday 10 August is the holiday)
  '2026-01-01', '2026-03-21', '2026-04-03', '2026-04-06', '2026-04-27', '2026-05-01', '2026-06-16', '2026-08-09', '2026-08-10',
  '2026-09-24', '2026-12-16', '2026-12-25', '2026-12-26',
]);
const weekend = (d: string) => [0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay());
const isProcessing = (d: string) => !weekend(d) && !HOLIDAYS.has(d);
function nextProcessing(d: string): string {
  let n = nextDay(d);
  while (!isProcessing(n)) n = nextDay(n);
  return n;
}

interface Month {
  period: string;
  policies: [string, string, string][];
  /** earlier months' deposits, imported before the month starts (customer, date, rands) */
  history: [string, string, string][];
  deposits: [string, string, number][];
  expected: [string, number, string, string, string][];
}

const MONTHS: Month[] = [
  {
    period: '2025-12',
    policies: [['CA', 'PA', '200.00'], ['CB', 'PB', '150.00'], ['CC', 'PC', '1200.00'], ['CD', 'PD', '300.00'], ['CE', 'PE', '250.00'], ['CF', 'PF', '100.00'], ['CG', 'PG', '200.00']],
    history: [
      ['CA', '2025-11-25', '5000.00'],
      ['CG', '2025-11-04', '30.00'], ['CG', '2025-11-10', '130.00'], ['CG', '2025-11-18', '55.00'], ['CG', '2025-11-27', '90.00'],
    ],
    deposits: [
      ['CA', '2025-12-24', 5_000_00], // the 25th is Christmas: paid on the 24th; 25, 26 holidays, then a weekend
      ['CB', '2025-12-02', 2_315_00], // a grant on the 2nd business day
      ['CC', '2025-12-05', 900_00], ['CC', '2025-12-12', 900_00], ['CC', '2025-12-19', 900_00], ['CC', '2025-12-24', 900_00], // weekly wages
      ['CD', '2025-12-15', 400_00], // the Monday before the Day of Reconciliation
      ['CE', '2025-12-13', 250_00], // a Saturday
      ['CF', '2025-12-16', 600_00], // on the holiday itself
      ['CG', '2025-12-04', 60_00], ['CG', '2025-12-11', 45_00], ['CG', '2025-12-18', 110_00], ['CG', '2025-12-24', 35_00], // irregular
    ],
    expected: [
      ['PA', 1, '2025-12-29', '200.00', 'PAID'],
      ['PB', 1, '2025-12-03', '150.00', 'PAID'],
      // weekly wages of R900 against R1200: R900 (capped at the money seen), then the R300 left
      ['PC', 1, '2025-12-08', '900.00', 'PAID'],
      ['PC', 2, '2025-12-15', '300.00', 'PAID'],
      ['PD', 1, '2025-12-17', '300.00', 'PAID'],
      ['PE', 1, '2025-12-15', '250.00', 'PAID'],
      ['PF', 1, '2025-12-17', '100.00', 'PAID'],
      ['PG', 1, '2025-12-05', '48.00', 'PAID'],
      ['PG', 2, '2025-12-12', '36.00', 'PAID'],
      ['PG', 3, '2025-12-19', '88.00', 'PAID'],
      ['PG', 4, '2025-12-29', '28.00', 'PAID'],
    ],
  },
  {
    period: '2026-04',
    policies: [['CA', 'PA', '200.00'], ['CB', 'PB', '150.00'], ['CC', 'PC', '120.00'], ['CD', 'PD', '300.00'], ['CE', 'PE', '80.00']],
    history: [['CA', '2026-03-25', '5000.00']],
    deposits: [
      ['CA', '2026-04-24', 5_000_00], // the 25th is a Saturday; Monday 27th is Freedom Day
      ['CB', '2026-04-02', 2_315_00], // then Good Friday, a weekend and Family Day
      ['CC', '2026-04-05', 300_00], // Easter Sunday
      ['CD', '2026-04-17', 100_00], ['CD', '2026-04-23', 500_00],
      ['CE', '2026-04-27', 90_00], // on Freedom Day
    ],
    expected: [
      ['PA', 1, '2026-04-28', '200.00', 'PAID'],
      ['PB', 1, '2026-04-07', '150.00', 'PAID'],
      ['PC', 1, '2026-04-07', '120.00', 'PAID'],
      // R100 seen, then R500: R100 (capped), then the R200 left
      ['PD', 1, '2026-04-20', '100.00', 'PAID'],
      ['PD', 2, '2026-04-24', '200.00', 'PAID'],
      ['PE', 1, '2026-04-28', '80.00', 'PAID'],
    ],
  },
];

describe.each(['sqlite', 'pg'] as const)('processing days on %s', (dialect) => {
  describe.each(MONTHS)('every day of $period', (m) => {
    let w: EngineWorld;
    let attempts: AttemptView[];
    const first = `${m.period}-01`;
    const last = `${m.period}-${m.period.endsWith('-04') ? 30 : 31}`;
    const skipped: string[] = [];

    beforeAll(async () => {
      w = await EngineWorld.create(dialect, {}, `${first}T05:00:00+02:00`);
      await w.policies(m.policies.map(([c, p, r]) => [c, p, r]));
      await w.hand('income-history.csv', `customer_id,date,amount\n${m.history.map((h) => h.join(',')).join('\n')}\n`);
      await w.execute(m.period);
      for (const [c, d, cents] of m.deposits) w.deposit(c, d, cents);
      for (const day of await w.run(first, last)) if (day.batch.status === 'skipped') skipped.push(day.batch.date);
      attempts = await w.attempts(m.period);
    });
    afterAll(async () => {
      await w?.cleanup();
    });

    it('presents exactly the expected debits', () => {
      expect(attempts.map((a) => [a.policy_number, a.presentment, a.action_date, (a.amount_requested / 100).toFixed(2), a.status])).toEqual(m.expected);
    });

    it('the batch skips every weekend day and holiday, and only those', () => {
      const expected: string[] = [];
      for (let d = first; d <= last; d = nextDay(d)) if (!isProcessing(d)) expected.push(d);
      expect(skipped).toEqual(expected);
      expect(w.days.filter((d) => d.file).every((d) => isProcessing(d.batch.date))).toBe(true);
    });

    it('no attempt falls on a weekend or holiday, or before the deposit it waits for', () => {
      expect(attempts.length).toBeGreaterThan(0);
      for (const a of attempts) {
        expect(isProcessing(a.action_date), `${a.policy_number} #${a.presentment} on ${a.action_date}`).toBe(true);
        const customer = m.policies.find(([, p]) => p === a.policy_number)![0];
        const prev = attempts.find((b) => b.policy_number === a.policy_number && b.presentment === a.presentment - 1)?.action_date ?? `${m.period}-00`;
        // the deposit it waits for: new since the last attempt, strictly before this one, and
        // this attempt is the first or second processing day after it
        const waitedFor = w.deposits.filter((d) => d.customer === customer && d.date >= prev && d.date < a.action_date);
        expect(waitedFor.length, `${a.policy_number} #${a.presentment}: no deposit before ${a.action_date}`).toBeGreaterThan(0);
        const latest = waitedFor[waitedFor.length - 1]!.date;
        expect([nextProcessing(latest), nextProcessing(nextProcessing(latest))]).toContain(a.action_date);
      }
    });
  });

  it('the batch refuses every weekend day and holiday of 2025 and 2026, naming the holiday', async () => {
    const w = await EngineWorld.create(dialect);
    try {
      let n = 0;
      const disagree: string[] = [];
      for (let d = '2025-01-01'; d <= '2026-12-31'; d = nextDay(d)) {
        if (w.setup.calendar.isProcessingDay(d) !== isProcessing(d)) disagree.push(d);
        if (isProcessing(d)) continue;
        const r = await runBatch(w.ports, { date: d, gateway: w.gateway, setup: w.setup });
        expect(r.status, d).toBe('skipped');
        if (HOLIDAYS.has(d) && !weekend(d)) {
          expect(r).toMatchObject({ reason: expect.stringMatching(new RegExp(`^${d} is not a bank processing day \\(.+[a-z].*\\); nothing presented$`)) });
          expect((r as { reason: string }).reason).not.toContain('weekend');
        }
        n++;
      }
      expect(n).toBe(104 + 11 + 104 + 10); // per year: weekend days, then holidays on a weekday
      expect(disagree).toEqual([]);
    } finally {
      await w.cleanup();
    }
  });
});
