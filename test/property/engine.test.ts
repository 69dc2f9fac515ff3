import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulateMonth, simulatedAccounts } from '../../src/bank/simulate-month.js';
import { SimulatedBank } from '../../src/bank/simulator.js';
import type { DebitInstruction, DebitResult } from '../../src/bank/gateway.js';
import { createZaCalendar, plusDays, type BankCalendar } from '../../src/domain/calendar.js';
import { firstDayOf, lastDayOf, type IsoDate } from '../../src/domain/dates.js';
import { classifyReturn } from '../../src/domain/engine/reason-codes.js';
import { defaultStrategy } from '../../src/domain/engine/default-strategy.js';
import { buildIncomeModel } from '../../src/domain/engine/income-model.js';
import { naiveStrategy } from '../../src/domain/engine/naive-strategy.js';
import type { PlanInput } from '../../src/domain/engine/strategy.js';
import type { Attempt, EngineLimits } from '../../src/domain/engine/types.js';
import { parseRate } from '../../src/domain/money.js';
import { isZaProcessingDay } from '../helpers/za-processing-days.js';

/**
 * SPEC 4 invariants of the Smart Collections Engine, for any seed, month, population, limits and
 * configured non-processing days: never more presentments than the limit, never a presentment on a
 * day that is not a bank processing day, never more collected than due. Checked on whole simulated
 * months against the seeded bank (as test/unit/simulator-month.test.ts runs them), and on single
 * decisions from arbitrary collection states. Processing days are checked against an oracle
 * (test/helpers/za-processing-days.ts), not against the calendar under test.
 */
const priors = { salaryDay: 25, grantBusinessDays: [2, 4] as const, defaultPrior: 'salary' as const };
const isProcessingDayOracle = isZaProcessingDay;

/** The seeded bank, recording every instruction and its answer. */
class RecordingBank extends SimulatedBank {
  readonly log: { instruction: DebitInstruction; result: DebitResult }[] = [];
  override async present(batchDate: IsoDate, instructions: readonly DebitInstruction[]): Promise<DebitResult[]> {
    const results = await super.present(batchDate, instructions);
    instructions.forEach((instruction, i) => this.log.push({ instruction, result: results[i]! }));
    return results;
  }
}

const limitsArb: fc.Arbitrary<EngineLimits> = fc.record({
  maxPresentments: fc.integer({ min: 1, max: 6 }),
  minDebitCents: fc.integer({ min: 0, max: 10_000 }),
  maxConsecutiveInsufficient: fc.integer({ min: 1, max: 4 }),
  irregularShare: fc.constantFrom('0.5', '0.8', '1', '0.333').map(parseRate),
});
const periodArb = fc.record({ year: fc.integer({ min: 2024, max: 2027 }), month: fc.integer({ min: 1, max: 12 }) }).map(({ year, month }) => `${year}-${String(month).padStart(2, '0')}`);

describe('engine properties on simulated months', () => {
  it('never over the presentment limit, never on a non-processing day, never more collected than due', async () => {
    let presented = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        periodArb,
        fc.constantFrom(defaultStrategy, naiveStrategy),
        limitsArb,
        fc.constantFrom('skip-idle' as const, 'daily' as const),
        fc.boolean(),
        fc.uniqueArray(fc.integer({ min: 1, max: 28 }), { maxLength: 4 }),
        async (seed, period, strategy, limits, mode, incomeFeed, extraDays) => {
          const extra = extraDays.map((d) => `${period}-${String(d).padStart(2, '0')}`);
          const calendar: BankCalendar = createZaCalendar(extra);
          const bank = new RecordingBank({ seed, calendar, mix: { closed: 0.05, stopped: 0.03, deceased: 0.02, noAuthority: 0.03 } });
          const accounts = simulatedAccounts(bank, 40);
          const out = await simulateMonth({ bank, calendar, period, strategy, accounts, limits, priors, mode, incomeFeed });
          const due = new Map(accounts.map((a) => [a.customerId, a.premiumCents]));
          const perCustomer = new Map<string, { n: number; collected: number; stopped: string | null }>();
          const ids = new Set<string>();
          for (const { instruction: i, result: r } of bank.log) {
            const s = perCustomer.get(i.customerId) ?? { n: 0, collected: 0, stopped: null };
            expect(s.stopped, `${i.instructionId} after a hard failure`).toBeNull();
            expect(isProcessingDayOracle(i.actionDate, extra), `${i.instructionId} on ${i.actionDate}`).toBe(true);
            expect(i.actionDate >= firstDayOf(period) && i.actionDate <= lastDayOf(period)).toBe(true);
            expect(ids.has(i.instructionId)).toBe(false);
            ids.add(i.instructionId);
            expect(i.amountCents).toBeGreaterThan(0);
            expect(i.amountCents).toBeLessThanOrEqual(due.get(i.customerId)! - s.collected);
            s.n++;
            s.collected += r.amountCollectedCents;
            if (r.result === 'UNPAID' && classifyReturn(r.reasonCode ?? '').kind === 'hard') s.stopped = r.reasonCode;
            perCustomer.set(i.customerId, s);
          }
          for (const [customer, s] of perCustomer) {
            expect(s.n).toBeLessThanOrEqual(limits.maxPresentments);
            expect(s.collected).toBeLessThanOrEqual(due.get(customer)!);
          }
          expect(out.presentments).toBe(bank.log.length);
          presented += bank.log.length;
          expect(out.collectedCents).toBeLessThanOrEqual(out.dueCents);
        },
      ),
      { seed: 20251104, numRuns: 40 },
    );
    expect(presented).toBeGreaterThan(40 * 20); // not vacuous
  }, 60_000);
});

describe('engine properties on single decisions from arbitrary states', () => {
  const calendar = createZaCalendar([]);
  const codeArb = fc.constantFrom(null, '02', '22', '04', '12', '18', '30', '99');
  const attemptArb = (period: string): fc.Arbitrary<Attempt> =>
    fc.record({
      day: fc.integer({ min: 1, max: 28 }),
      requested: fc.integer({ min: 1, max: 50_000 }),
      result: fc.oneof({ weight: 3, arbitrary: fc.constant('PAID' as const) }, { weight: 4, arbitrary: fc.constant('UNPAID' as const) }, { weight: 1, arbitrary: fc.constant('PENDING' as const) }),
      code: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('02', '22') }, { weight: 1, arbitrary: codeArb }),
    }).map(({ day, requested, result, code }) => ({
      actionDate: `${period}-${String(day).padStart(2, '0')}`,
      amountRequestedCents: requested,
      amountCollectedCents: result === 'PAID' ? requested : 0,
      result,
      reasonCode: result === 'UNPAID' ? (code ?? '02') : null,
    }));

  it('a presentment is only ever for a processing day of the period, within the limits and the amount still due', () => {
    let presents = 0;
    fc.assert(
      fc.property(
        periodArb.chain((period) =>
          fc.record({
            period: fc.constant(period),
            todayOffset: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 30 }) }, { weight: 1, arbitrary: fc.integer({ min: -5, max: 35 }) }),
            due: fc.integer({ min: 1, max: 50_000 }),
            // percent of the amount due already collected: mostly nothing, sometimes part, rarely more than due
            collectedPct: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 99 }) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 130 }) }),
            attempts: fc.array(attemptArb(period), { maxLength: 5 }).map((a) => a.sort((x, y) => (x.actionDate < y.actionDate ? -1 : x.actionDate > y.actionDate ? 1 : 0))),
            deposits: fc.array(fc.record({ day: fc.integer({ min: -60, max: 30 }), amountCents: fc.integer({ min: 1, max: 2_000_000 }) }), { maxLength: 8 }),
            limits: limitsArb,
            strategy: fc.constantFrom(defaultStrategy, naiveStrategy),
          }),
        ),
        ({ period, todayOffset, due, collectedPct, attempts, deposits, limits, strategy }) => {
          const collected = Math.floor((due * collectedPct) / 100);
          const today = plusDays(firstDayOf(period), todayOffset);
          const seen = deposits.map((d) => ({ date: plusDays(firstDayOf(period), d.day), amountCents: d.amountCents })).filter((e) => e.date <= today);
          seen.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
          const input: PlanInput = {
            today,
            period,
            calendar,
            collection: { amountDueCents: due, collectedCents: collected, presentments: attempts.length, attempts },
            income: buildIncomeModel({ period, today, calendar, incomeEvents: seen, history: [], priors }),
            incomeEventsThisPeriod: seen.filter((e) => e.date >= firstDayOf(period)),
            limits,
          };
          const d = strategy.plan(input);
          if (d.action !== 'present') return;
          presents++;
          expect(isProcessingDayOracle(today, [])).toBe(true);
          expect(today >= firstDayOf(period) && today <= lastDayOf(period)).toBe(true);
          expect(Number.isSafeInteger(d.amountCents) && d.amountCents > 0).toBe(true);
          expect(d.amountCents).toBeLessThanOrEqual(due - collected);
          expect(attempts.length).toBeLessThan(limits.maxPresentments);
          expect(attempts.some((a) => a.result === 'PENDING')).toBe(false);
          expect(attempts.some((a) => a.result === 'UNPAID' && classifyReturn(a.reasonCode ?? '').kind === 'hard')).toBe(false);
        },
      ),
      { seed: 4242, numRuns: 3000 },
    );
    expect(presents).toBeGreaterThan(200); // not vacuous: about one decision in ten is a presentment
  });
});
