import { describe, expect, it } from 'vitest';
import { createZaCalendar } from '../../src/domain/calendar.js';
import { buildIncomeModel, type IncomeModelInput } from '../../src/domain/engine/income-model.js';
import type { IncomeEvent, PastAttempt } from '../../src/domain/engine/types.js';

const calendar = createZaCalendar([]);
const priors = { salaryDay: 25, grantBusinessDays: [2, 4] as const, defaultPrior: 'salary' as const };

function model(over: Partial<IncomeModelInput> & { period: string; today: string }) {
  return buildIncomeModel({ calendar, incomeEvents: [], history: [], priors, ...over });
}
const ev = (date: string, rand: number): IncomeEvent => ({ date, amountCents: rand * 100 });

describe('income model from income events', () => {
  const salary = [ev('2025-08-25', 8000), ev('2025-09-25', 8000), ev('2025-10-24', 8000)];

  it('salary on the 25th: the nominal day is learnt from months when the 25th was a weekday', () => {
    // October's salary came on Friday the 24th (the 25th was a Saturday); November's is due on the 25th.
    expect(model({ period: '2025-11', today: '2025-11-03', incomeEvents: salary })).toEqual({
      source: 'income',
      pattern: 'regular',
      expectedDeposits: [{ date: '2025-11-25', amountCents: 800000 }],
    });
  });

  it('a projected payday on a holiday moves back (25 December → 24 December)', () => {
    const events = [...salary, ev('2025-11-25', 8000)];
    expect(model({ period: '2025-12', today: '2025-12-01', incomeEvents: events }).expectedDeposits).toEqual([
      { date: '2025-12-24', amountCents: 800000 },
    ]);
  });

  it('deposits seen this period are actual; a projection near one of them is that deposit', () => {
    const events = [...salary, ev('2025-11-24', 8100)];
    expect(model({ period: '2025-11', today: '2025-11-24', incomeEvents: events }).expectedDeposits).toEqual([
      { date: '2025-11-24', amountCents: 810000 },
    ]);
  });

  it('month-end salary: last month\'s payday is carried in, this month\'s projected on the last processing day', () => {
    const events = [ev('2025-08-29', 12000), ev('2025-09-30', 12000), ev('2025-10-31', 12000)];
    expect(model({ period: '2025-11', today: '2025-11-03', incomeEvents: events })).toEqual({
      source: 'income',
      pattern: 'regular',
      expectedDeposits: [
        { date: '2025-10-31', amountCents: 1200000 },
        { date: '2025-11-28', amountCents: 1200000 },
      ],
    });
  });

  it('a grant on the 4th business day recurs on the 4th business day', () => {
    const events = [ev('2025-08-06', 560), ev('2025-09-04', 560), ev('2025-10-06', 560)];
    expect(model({ period: '2025-11', today: '2025-11-01', incomeEvents: events }).expectedDeposits).toEqual([
      { date: '2025-11-06', amountCents: 56000 },
    ]);
  });

  it('weekly wages recur every 7 days from the last Friday, before a holiday on the day before', () => {
    const fridays: IncomeEvent[] = [];
    for (let d = new Date('2025-08-01'); d <= new Date('2025-11-28'); d.setUTCDate(d.getUTCDate() + 7)) {
      fridays.push(ev(d.toISOString().slice(0, 10), 1000));
    }
    const nov = fridays.filter((e) => e.date < '2025-11-01');
    // Friday 31 October was October's last processing day: that wage is there for 3 November.
    expect(model({ period: '2025-11', today: '2025-11-03', incomeEvents: nov })).toEqual({
      source: 'income',
      pattern: 'regular',
      expectedDeposits: ['2025-10-31', '2025-11-07', '2025-11-14', '2025-11-21', '2025-11-28'].map((date) => ({
        date,
        amountCents: 100000,
      })),
    });
    const seen = fridays.filter((e) => e.date <= '2025-11-07');
    expect(model({ period: '2025-11', today: '2025-11-12', incomeEvents: seen }).expectedDeposits).toEqual(
      ['2025-10-31', '2025-11-07', '2025-11-14', '2025-11-21', '2025-11-28'].map((date) => ({ date, amountCents: 100000 })),
    );
    // December 2025: Friday the 26th is the Day of Goodwill and the 25th Christmas: paid Wednesday the 24th.
    expect(model({ period: '2025-12', today: '2025-12-01', incomeEvents: fridays }).expectedDeposits.map((d) => d.date)).toEqual([
      '2025-11-28',
      '2025-12-05',
      '2025-12-12',
      '2025-12-19',
      '2025-12-24',
    ]);
  });

  const gig = [
    ...[ev('2025-08-04', 80), ev('2025-08-08', 150), ev('2025-08-19', 60), ev('2025-08-27', 120)],
    ...[ev('2025-09-03', 100), ev('2025-09-12', 50), ev('2025-09-15', 140), ev('2025-09-26', 90)],
    ...[ev('2025-10-07', 90), ev('2025-10-10', 70), ev('2025-10-21', 130), ev('2025-10-28', 60)],
  ];

  it('several smaller deposits of varying amounts: irregular, each recurring at its place in the month', () => {
    expect(model({ period: '2025-11', today: '2025-11-03', incomeEvents: gig })).toEqual({
      source: 'income',
      pattern: 'irregular',
      expectedDeposits: [
        { date: '2025-11-07', amountCents: 9000 }, // 7 Oct was the 5th business day
        { date: '2025-11-12', amountCents: 7000 }, // 10 Oct, nominal day 12 (seen 12 Sep)
        { date: '2025-11-21', amountCents: 13000 },
        { date: '2025-11-28', amountCents: 6000 },
      ],
    });
  });

  it('a main income with small side deposits stays regular; steady weekly amounts stay regular', () => {
    const side = [...salary, ev('2025-10-03', 100), ev('2025-10-15', 50), ev('2025-09-03', 100), ev('2025-09-15', 50)];
    expect(model({ period: '2025-11', today: '2025-11-03', incomeEvents: side }).pattern).toBe('regular');
  });

  it('ties go to irregular; with no earlier month the current one decides', () => {
    const oneIrregularOneRegular = [...gig.filter((e) => e.date >= '2025-10-01'), ev('2025-09-25', 8000)];
    expect(model({ period: '2025-11', today: '2025-11-03', incomeEvents: oneIrregularOneRegular }).pattern).toBe('irregular');
    const onlyThisMonth = [ev('2025-11-04', 80), ev('2025-11-06', 120), ev('2025-11-10', 60)];
    expect(model({ period: '2025-11', today: '2025-11-11', incomeEvents: onlyThisMonth })).toEqual({
      source: 'income',
      pattern: 'irregular',
      expectedDeposits: [
        { date: '2025-11-04', amountCents: 8000 },
        { date: '2025-11-06', amountCents: 12000 },
        { date: '2025-11-10', amountCents: 6000 },
      ],
    });
  });

  it('same-day deposits are summed; events after today or before the 3-month window are ignored', () => {
    const events = [ev('2025-07-25', 9999), ev('2025-10-24', 5000), ev('2025-10-24', 3000), ev('2025-11-20', 50)];
    expect(model({ period: '2025-11', today: '2025-11-03', incomeEvents: events }).expectedDeposits).toEqual([
      { date: '2025-11-24', amountCents: 800000 },
    ]);
    expect(model({ period: '2025-11', today: '2025-11-03', incomeEvents: [ev('2025-07-25', 8000)] }).source).toBe('prior');
  });
});

describe('income model from the customer\'s history', () => {
  const past = (actionDate: string, result: 'PAID' | 'UNPAID', reasonCode: string | null = null): PastAttempt => ({
    actionDate,
    result,
    reasonCode: result === 'UNPAID' ? (reasonCode ?? '02') : null,
  });

  it('a day that worked recurs; the deposit is put on the business day before it', () => {
    expect(model({ period: '2025-11', today: '2025-11-03', history: [past('2025-10-21', 'UNPAID'), past('2025-10-27', 'PAID')] })).toEqual({
      source: 'history',
      pattern: 'regular',
      expectedDeposits: [{ date: '2025-11-26', amountCents: null }],
    });
  });

  it('uses the latest period with a success; several successes in it were partial debits: irregular', () => {
    const history = [past('2025-09-26', 'PAID'), past('2025-10-07', 'PAID'), past('2025-10-21', 'PAID')];
    expect(model({ period: '2025-11', today: '2025-11-03', history })).toEqual({
      source: 'history',
      pattern: 'irregular',
      expectedDeposits: [
        { date: '2025-11-06', amountCents: null },
        { date: '2025-11-20', amountCents: null },
      ],
    });
  });

  it('days beyond the month end or on a weekend move to a processing day of the period', () => {
    expect(model({ period: '2025-11', today: '2025-11-03', history: [past('2025-10-31', 'PAID')] }).expectedDeposits).toEqual([
      { date: '2025-11-27', amountCents: null },
    ]);
    expect(model({ period: '2025-11', today: '2025-11-03', history: [past('2025-10-01', 'PAID')] }).expectedDeposits).toEqual([
      { date: '2025-10-31', amountCents: null },
    ]);
  });

  it('failures only: the default prior, or the other one if the customer failed in its window', () => {
    expect(model({ period: '2025-11', today: '2025-11-03', history: [past('2025-10-27', 'UNPAID')] })).toEqual({
      source: 'history',
      pattern: 'regular',
      expectedDeposits: [{ date: '2025-11-06', amountCents: null }],
    });
    expect(model({ period: '2025-11', today: '2025-11-03', history: [past('2025-10-15', 'UNPAID')] }).expectedDeposits).toEqual([
      { date: '2025-11-25', amountCents: null },
    ]);
  });

  it('ignores attempts of the period itself and before the window', () => {
    const history = [past('2025-11-05', 'PAID'), past('2025-07-10', 'PAID')];
    expect(model({ period: '2025-11', today: '2025-11-10', history }).source).toBe('prior');
  });
});

describe('income model from priors', () => {
  it('salary on the 25th moved back to a processing day', () => {
    expect(model({ period: '2025-11', today: '2025-11-03' })).toEqual({
      source: 'prior',
      pattern: 'regular',
      expectedDeposits: [{ date: '2025-11-25', amountCents: null }],
    });
    expect(model({ period: '2025-10', today: '2025-10-01' }).expectedDeposits).toEqual([{ date: '2025-10-24', amountCents: null }]);
    const day31 = { ...priors, salaryDay: 31 };
    expect(model({ period: '2025-11', today: '2025-11-03', priors: day31 }).expectedDeposits).toEqual([
      { date: '2025-11-28', amountCents: null },
    ]);
  });

  it('grant: the last business day of the configured window (never present before the grant)', () => {
    const grant = { ...priors, defaultPrior: 'grant' as const };
    expect(model({ period: '2025-11', today: '2025-11-03', priors: grant }).expectedDeposits).toEqual([
      { date: '2025-11-06', amountCents: null },
    ]);
    expect(model({ period: '2026-01', today: '2026-01-02', priors: grant }).expectedDeposits).toEqual([
      { date: '2026-01-07', amountCents: null },
    ]);
  });
});
