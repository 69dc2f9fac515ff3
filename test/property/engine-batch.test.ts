import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstDayOf, lastDayOf } from '../../src/domain/dates.js';
import { EngineWorld } from '../integration/engine-harness.js';
import { isZaProcessingDay } from '../helpers/za-processing-days.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * The engine invariants through the production path (few runs: each is a whole month): the real
 * daily batch on a real SQLite file with the file gateway, debit files answered by the stand-in
 * bank of test/integration/engine-harness.ts (pays when the deposits before the action date cover
 * the debit, or a drawn return code), results and income through intake. For any deposits, return
 * codes, limits and extra non-processing days: no policy is presented more than
 * `engine.max_presentments` times, no debit is dated on a non-processing day, no debit asks for
 * more than is still due, no collection holds more than is due, no instruction twice.
 */
const periods = ['2025-11', '2025-12', '2026-04'] as const;
const policyArb = fc.record({
  rands: fc.integer({ min: 50, max: 500 }),
  deposits: fc.array(fc.record({ day: fc.integer({ min: 1, max: 28 }), rands: fc.integer({ min: 20, max: 3000 }) }), { maxLength: 4 }),
  codes: fc.array(fc.constantFrom('PAID', '02', '02', '22', '04', '18'), { maxLength: 3 }),
});

describe('engine properties through the daily batch (SQLite, file gateway)', () => {
  it('never over the limit, never on a non-processing day, never more than due', async () => {
    let presented = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...periods),
        fc.record({ max: fc.integer({ min: 1, max: 5 }), consecutive: fc.integer({ min: 1, max: 3 }), share: fc.constantFrom('0.5', '0.8', '1') }),
        fc.uniqueArray(fc.integer({ min: 2, max: 27 }), { maxLength: 2 }),
        fc.array(policyArb, { minLength: 1, maxLength: 5 }),
        async (period, limits, extraDays, policies) => {
          const extra = extraDays.map((d) => `${period}-${String(d).padStart(2, '0')}`);
          const w = await EngineWorld.create(
            'sqlite',
            {
              engine: { max_presentments: limits.max, max_consecutive_insufficient: limits.consecutive, irregular_share: limits.share, min_debit: '20.00' },
              calendar: { extra_non_processing_days: extra },
            },
            `${firstDayOf(period)}T05:00:00+02:00`,
          );
          try {
            const rows = policies.map((p, i) => [`C${i + 1}`, `P${i + 1}`, `${p.rands}.00`] as [string, string, string]);
            expect(await w.policies(rows)).toMatchObject({ status: 'applied', failed: 0 });
            policies.forEach((p, i) => {
              for (const d of p.deposits) w.deposit(`C${i + 1}`, `${period}-${String(d.day).padStart(2, '0')}`, d.rands * 100);
              p.codes.forEach((code, n) => w.script(`P${i + 1}`, n + 1, code));
            });
            await w.execute(period);
            await w.run(firstDayOf(period), lastDayOf(period));

            const attempts = await w.attempts(period);
            presented += attempts.length;
            const count = new Map<string, number>();
            const asked = new Map<string, number>();
            for (const a of attempts) {
              count.set(a.policy_number, (count.get(a.policy_number) ?? 0) + 1);
              expect(isZaProcessingDay(a.action_date, extra), `${a.policy_number} #${a.presentment} on ${a.action_date}`).toBe(true);
              expect(a.action_date >= firstDayOf(period) && a.action_date <= lastDayOf(period)).toBe(true);
              const due = policies[Number(a.policy_number.slice(1)) - 1]!.rands * 100;
              expect(a.amount_requested).toBeGreaterThan(0);
              expect(a.amount_requested).toBeLessThanOrEqual(due - (asked.get(a.policy_number) ?? 0));
              asked.set(a.policy_number, (asked.get(a.policy_number) ?? 0) + (a.amount_collected ?? 0));
              expect(a.status === 'PAID' || a.status === 'UNPAID').toBe(true); // every debit answered once
            }
            for (const n of count.values()) expect(n).toBeLessThanOrEqual(limits.max);
            for (let i = 1; i <= policies.length; i++) {
              const c = await w.collection(`P${i}`, period);
              expect(c.amount_collected).toBeLessThanOrEqual(c.amount_due);
              expect(c.presentments).toBeLessThanOrEqual(limits.max);
            }
            const ids = (await knexOf(dbOf(w.ports.store))('attempts').pluck('instruction_id')) as string[];
            expect(new Set(ids).size).toBe(ids.length);
          } finally {
            await w.cleanup();
          }
        },
      ),
      { seed: 1106, numRuns: 6 },
    );
    expect(presented).toBeGreaterThan(6); // not vacuous
  }, 120_000);
});
