import { describe, expect, it } from 'vitest';
import { createZaCalendar } from '../../src/domain/calendar.js';
import { parseRate } from '../../src/domain/money.js';
import { defaultStrategy } from '../../src/domain/engine/default-strategy.js';
import { naiveStrategy } from '../../src/domain/engine/naive-strategy.js';
import type { Strategy } from '../../src/domain/engine/strategy.js';
import { simulateMonth, simulatedAccounts, type SimulateMonthOptions } from '../../src/bank/simulate-month.js';
import { SimulatedBank } from '../../src/bank/simulator.js';

const calendar = createZaCalendar([]);
const limits = { maxPresentments: 4, minDebitCents: 2000, maxConsecutiveInsufficient: 2, irregularShare: parseRate('0.8') };
const priors = { salaryDay: 25, grantBusinessDays: [2, 4] as const, defaultPrior: 'salary' as const };

function run(strategy: Strategy, n: number, period: string, mode: SimulateMonthOptions['mode'] = 'skip-idle') {
  const bank = new SimulatedBank({ seed: 42, calendar });
  return simulateMonth({ bank, calendar, period, strategy, accounts: simulatedAccounts(bank, n), limits, priors, mode });
}

describe('the yardstick: one simulated month, default strategy against naive', () => {
  it('5 000 seeded accounts, November 2025: default collects ≥ 10 points more with ≤ half the failed presentments', async () => {
    const def = await run(defaultStrategy, 5000, '2025-11');
    const naive = await run(naiveStrategy, 5000, '2025-11');
    expect(def.collectionRate - naive.collectionRate).toBeGreaterThanOrEqual(0.1);
    expect(def.failed * 2).toBeLessThanOrEqual(naive.failed);
    expect(def).toEqual({
      strategy: 'default',
      period: '2025-11',
      accounts: 5000,
      dueCents: 136637000,
      collectedCents: 123909340,
      collectionRate: 123909340 / 136637000,
      presentments: 6168,
      paid: 5037,
      failed: 1131,
      failedPerSuccess: 1131 / 5037,
      meanDayOfCollection: expect.closeTo(12.9142, 4),
      statuses: { PAID_FULL: 4528, PAID_PARTIAL: 125, UNPAID: 347 },
      failuresByCode: { '02': 843, '04': 50, '12': 104, '18': 26, '22': 69, '30': 39 },
    });
    expect(naive).toEqual({
      strategy: 'naive',
      period: '2025-11',
      accounts: 5000,
      dueCents: 136637000,
      collectedCents: 92844000,
      collectionRate: 92844000 / 136637000,
      presentments: 7740,
      paid: 3641,
      failed: 4099,
      failedPerSuccess: 4099 / 3641,
      meanDayOfCollection: expect.closeTo(4.3261, 4),
      statuses: { PAID_FULL: 3641, PAID_PARTIAL: 0, UNPAID: 1359 },
      failuresByCode: { '02': 3761, '04': 50, '12': 104, '18': 26, '22': 119, '30': 39 },
    });
  });

  it('asking only when something can change gives exactly what asking every day gives (April 2025, holidays)', async () => {
    for (const strategy of [defaultStrategy, naiveStrategy]) {
      const daily = await run(strategy, 400, '2025-04', 'daily');
      expect(await run(strategy, 400, '2025-04', 'skip-idle')).toEqual(daily);
    }
    expect((await run(defaultStrategy, 400, '2025-04')).collectedCents).toBe(9269580);
  });

  it('the same seed replays the same month', async () => {
    expect(await run(defaultStrategy, 300, '2025-12')).toEqual(await run(defaultStrategy, 300, '2025-12'));
  });

  it('without an income feed the default strategy falls back to priors', async () => {
    const bank = new SimulatedBank({ seed: 42, calendar });
    const accounts = simulatedAccounts(bank, 300);
    const blind = await simulateMonth({ bank, calendar, period: '2025-11', strategy: defaultStrategy, accounts, limits, priors, incomeFeed: false });
    // Salary prior: everyone is presented once, the day after the 25th (26 November).
    expect(blind.presentments).toBe(300);
    expect(blind.meanDayOfCollection).toBe(26);
  });
});
