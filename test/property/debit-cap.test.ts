import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonths, createZaCalendar, plusDays } from '../../src/domain/calendar.js';
import { firstDayOf } from '../../src/domain/dates.js';
import { capDecision, withDebitCap } from '../../src/domain/engine/debit-cap.js';
import { defaultStrategy } from '../../src/domain/engine/default-strategy.js';
import { buildIncomeModel } from '../../src/domain/engine/income-model.js';
import { naiveStrategy } from '../../src/domain/engine/naive-strategy.js';
import type { PlanInput } from '../../src/domain/engine/strategy.js';
import type { Attempt, EngineLimits, IncomeEvent } from '../../src/domain/engine/types.js';
import { parseRate } from '../../src/domain/money.js';

/**
 * Issue 12, rule 4: for every strategy and any state, with deposit amounts known (an income feed),
 * a presentment never exceeds the money seen since the last attempt, and is never under the
 * minimum debit (or the remaining amount, when less): the collection waits instead. The oracle
 * sums the deposits itself: from the last attempt's day (or the previous month's last processing
 * day) to today.
 */
const calendar = createZaCalendar([]);
const priors = { salaryDay: 25, grantBusinessDays: [2, 4] as const, defaultPrior: 'salary' as const };
const limitsArb: fc.Arbitrary<EngineLimits> = fc.record({
  maxPresentments: fc.integer({ min: 1, max: 6 }),
  minDebitCents: fc.integer({ min: 0, max: 10_000 }),
  maxConsecutiveInsufficient: fc.integer({ min: 1, max: 4 }),
  irregularShare: fc.constantFrom('0.5', '0.8', '1', '0.333').map(parseRate),
});
const periodArb = fc.record({ year: fc.integer({ min: 2025, max: 2027 }), month: fc.integer({ min: 1, max: 12 }) }).map(({ year, month }) => `${year}-${String(month).padStart(2, '0')}`);
const sortByDate = <T extends { date?: string; actionDate?: string }>(xs: T[]) => xs.sort((a, b) => ((a.date ?? a.actionDate)! < (b.date ?? b.actionDate)! ? -1 : 1));

const stateArb = periodArb.chain((period) =>
  fc.record({
    period: fc.constant(period),
    todayOffset: fc.integer({ min: 0, max: 30 }),
    due: fc.integer({ min: 1_000, max: 60_000 }),
    attempts: fc
      .array(
        fc.record({ day: fc.integer({ min: 1, max: 28 }), requested: fc.integer({ min: 100, max: 30_000 }), paid: fc.boolean() }).map(({ day, requested, paid }) => ({
          actionDate: `${period}-${String(day).padStart(2, '0')}`,
          amountRequestedCents: requested,
          amountCollectedCents: paid ? requested : 0,
          result: paid ? ('PAID' as const) : ('UNPAID' as const),
          reasonCode: paid ? null : '02',
        })),
        { maxLength: 3 },
      )
      .map((a) => sortByDate(a)),
    // small deposits (weekly wages, gig income) around the premium, some under the minimum debit
    deposits: fc.array(fc.record({ day: fc.integer({ min: -70, max: 30 }), amountCents: fc.oneof(fc.integer({ min: 1, max: 3_000 }), fc.integer({ min: 3_000, max: 100_000 })) }), { minLength: 1, maxLength: 12 }),
    limits: limitsArb,
    strategy: fc.constantFrom(defaultStrategy, naiveStrategy),
  }),
);

describe('the debit cap, for every strategy', () => {
  it('a presentment ≤ the money seen since the last attempt, and ≥ the minimum debit (or the remaining amount)', () => {
    let presents = 0;
    let capped = 0;
    fc.assert(
      fc.property(stateArb, ({ period, todayOffset, due, attempts, deposits, limits, strategy }) => {
        const today = plusDays(firstDayOf(period), todayOffset);
        const before = attempts.filter((a) => a.actionDate < today);
        const collected = Math.min(due, before.reduce((s, a) => s + a.amountCollectedCents, 0));
        const seen: IncomeEvent[] = sortByDate(deposits.map((d) => ({ date: plusDays(firstDayOf(period), d.day), amountCents: d.amountCents })).filter((e) => e.date <= today));
        const input: PlanInput = {
          today,
          period,
          calendar,
          collection: { amountDueCents: due, collectedCents: collected, presentments: before.length, attempts: before as Attempt[] },
          income: buildIncomeModel({ period, today, calendar, incomeEvents: seen, history: [], priors }),
          incomeEventsThisPeriod: seen.filter((e) => e.date >= firstDayOf(period)),
          limits,
        };
        const raw = strategy.plan(input);
        const d = withDebitCap(strategy).plan(input);
        expect(d).toEqual(capDecision(input, raw));
        if (d.action !== 'present') return;
        presents++;
        if (raw.action === 'present' && raw.amountCents > d.amountCents) capped++;
        const last = before[before.length - 1];
        const from = last ? last.actionDate : calendar.lastProcessingDay(addMonths(period, -1));
        const money = seen.filter((e) => e.date >= from && e.date <= today).reduce((s, e) => s + e.amountCents, 0);
        if (input.income.source === 'income') {
          expect(d.amountCents).toBeLessThanOrEqual(money);
          expect(d.amountCents).toBeGreaterThanOrEqual(Math.min(limits.minDebitCents, due - collected));
        }
        expect(d.amountCents).toBeGreaterThan(0);
        expect(d.amountCents).toBeLessThanOrEqual(due - collected);
      }),
      { seed: 12012, numRuns: 1500 },
    );
    expect(presents).toBeGreaterThan(150); // not vacuous
    expect(capped).toBeGreaterThan(20); // the cap does bite
  });
});
