import { describe, expect, it } from 'vitest';
import { createZaCalendar, plusDays } from '../../src/domain/calendar.js';
import { firstDayOf, lastDayOf } from '../../src/domain/dates.js';
import { parseRate } from '../../src/domain/money.js';
import { defaultStrategy } from '../../src/domain/engine/default-strategy.js';
import { buildIncomeModel } from '../../src/domain/engine/income-model.js';
import { naiveStrategy } from '../../src/domain/engine/naive-strategy.js';
import { withDebitCap } from '../../src/domain/engine/debit-cap.js';
import type { PlanDecision, PlanInput, Strategy } from '../../src/domain/engine/strategy.js';
import type { Attempt, EngineLimits, IncomeEvent, IncomeModel } from '../../src/domain/engine/types.js';

const calendar = createZaCalendar([]);
const priors = { salaryDay: 25, grantBusinessDays: [2, 4] as const, defaultPrior: 'salary' as const };
const limits: EngineLimits = { maxPresentments: 4, minDebitCents: 2000, maxConsecutiveInsufficient: 2, irregularShare: parseRate('0.8') };
const ev = (date: string, rand: number): IncomeEvent => ({ date, amountCents: rand * 100 });

type Bank = (a: { n: number; date: string; amountCents: number }) => { result: 'PAID' | 'UNPAID'; code: string | null };
const pays: Bank = () => ({ result: 'PAID', code: null });
const fails = (code: string): Bank => () => ({ result: 'UNPAID', code });

/**
 * Plays a period day by day as the daily batch would (asking on every calendar day, weekends and
 * holidays included): the feed shows deposits dated up to today; results come back the same day.
 */
function play(o: {
  strategy?: Strategy;
  period?: string;
  from?: string;
  dueCents: number;
  deposits?: IncomeEvent[];
  model?: IncomeModel;
  bank: Bank;
  limits?: EngineLimits;
  attempts?: Attempt[];
}) {
  const period = o.period ?? '2025-11';
  const attempts: Attempt[] = [...(o.attempts ?? [])];
  const decisions = new Map<string, PlanDecision>();
  let collected = 0;
  for (let today = o.from ?? firstDayOf(period); today <= lastDayOf(period); today = plusDays(today, 1)) {
    const seen = (o.deposits ?? []).filter((e) => e.date <= today);
    const input: PlanInput = {
      today,
      period,
      calendar,
      collection: { amountDueCents: o.dueCents, collectedCents: collected, presentments: attempts.length, attempts },
      income: o.model ?? buildIncomeModel({ period, today, calendar, incomeEvents: seen, history: [], priors }),
      incomeEventsThisPeriod: seen.filter((e) => e.date >= firstDayOf(period)),
      limits: o.limits ?? limits,
    };
    const d = (o.strategy ?? defaultStrategy).plan(input);
    decisions.set(today, d);
    if (d.action === 'stop') break;
    if (d.action !== 'present') continue;
    const r = o.bank({ n: attempts.length + 1, date: today, amountCents: d.amountCents });
    const got = r.result === 'PAID' ? d.amountCents : 0;
    attempts.push({ actionDate: today, amountRequestedCents: d.amountCents, amountCollectedCents: got, result: r.result, reasonCode: r.code });
    collected += got;
  }
  const brief = attempts.map((a) => `${a.actionDate} ${a.amountRequestedCents} ${a.result}${a.reasonCode ? ` ${a.reasonCode}` : ''}`);
  return { attempts, brief, decisions, collected, last: [...decisions.values()].pop() };
}

const prior = (...dates: string[]): IncomeModel => ({
  source: 'prior',
  pattern: 'regular',
  expectedDeposits: dates.map((date) => ({ date, amountCents: null })),
});

describe('default strategy: the documented cases', () => {
  it('(1) R150.00, a small early-month deposit: fails 02, then full amount the day after the 25th salary', () => {
    const deposits = [
      ...[ev('2025-08-04', 200), ev('2025-08-25', 6000), ev('2025-09-02', 200), ev('2025-09-25', 6000)],
      ...[ev('2025-10-02', 200), ev('2025-10-24', 6000), ev('2025-11-04', 200), ev('2025-11-25', 6000)],
    ];
    const r = play({ dueCents: 15000, deposits, bank: ({ n }) => (n === 1 ? { result: 'UNPAID', code: '02' } : { result: 'PAID', code: null }) });
    expect(r.brief).toEqual(['2025-11-05 15000 UNPAID 02', '2025-11-26 15000 PAID']);
    expect(r.decisions.get('2025-11-03')).toEqual({ action: 'wait', reason: 'AWAITING_INCOME', nextDate: '2025-11-05' });
    // After the failure: wait for the next income, not tomorrow.
    expect(r.decisions.get('2025-11-06')).toEqual({ action: 'wait', reason: 'AWAITING_INCOME', nextDate: '2025-11-26' });
    expect(r.decisions.get('2025-11-25')).toEqual({ action: 'wait', reason: 'AWAITING_INCOME', nextDate: '2025-11-26' });
    expect(r.last).toEqual({ action: 'stop', reason: 'FULLY_COLLECTED' });
    expect(r.collected).toBe(15000);
  });

  const gigHistory = [
    ...[ev('2025-08-04', 80), ev('2025-08-08', 150), ev('2025-08-19', 60), ev('2025-08-27', 120)],
    ...[ev('2025-09-03', 100), ev('2025-09-12', 50), ev('2025-09-15', 140), ev('2025-09-26', 90)],
    ...[ev('2025-10-07', 90), ev('2025-10-10', 70), ev('2025-10-21', 130), ev('2025-10-28', 60)],
  ];
  const november = [ev('2025-11-04', 80), ev('2025-11-11', 70), ev('2025-11-18', 90), ev('2025-11-24', 60)];

  it('(2) R300.00 irregular earner, deposits R80, R70, R90, R60: four partial debits summing to R300.00', () => {
    const r = play({ dueCents: 30000, deposits: [...gigHistory, ...november], bank: pays, limits: { ...limits, irregularShare: parseRate('1') } });
    expect(r.brief).toEqual(['2025-11-05 8000 PAID', '2025-11-12 7000 PAID', '2025-11-19 9000 PAID', '2025-11-25 6000 PAID']);
    expect(r.collected).toBe(30000);
    expect(r.last).toEqual({ action: 'stop', reason: 'FULLY_COLLECTED' });
  });

  it('(2b) the same earner with the default share of 0.8', () => {
    const r = play({ dueCents: 30000, deposits: [...gigHistory, ...november], bank: pays });
    expect(r.brief).toEqual(['2025-11-05 6400 PAID', '2025-11-12 5600 PAID', '2025-11-19 7200 PAID', '2025-11-25 4800 PAID']);
    expect(r.collected).toBe(24000);
    expect(r.last).toEqual({ action: 'stop', reason: 'MAX_PRESENTMENTS' });
  });

  it('(3) a hard failure (12) stops collection for the period', () => {
    const r = play({ dueCents: 15000, model: prior('2025-11-07', '2025-11-25'), bank: fails('12') });
    expect(r.brief).toEqual(['2025-11-10 15000 UNPAID 12']);
    expect(r.last).toEqual({ action: 'stop', reason: 'ACCOUNT_CLOSED' });
    expect(r.decisions.get('2025-11-11')).toEqual({ action: 'stop', reason: 'ACCOUNT_CLOSED' });
  });

  it('(4) month end: a deposit on the last processing day is presented that day', () => {
    const r = play({ dueCents: 15000, model: prior('2025-11-28'), bank: pays });
    expect(r.decisions.get('2025-11-27')).toEqual({ action: 'wait', reason: 'AWAITING_INCOME', nextDate: '2025-11-28' });
    expect(r.brief).toEqual(['2025-11-28 15000 PAID']);
  });

  it('(4b) a month-end salary of last month is collected on the first processing day', () => {
    const deposits = [ev('2025-08-29', 9000), ev('2025-09-30', 9000), ev('2025-10-31', 9000), ev('2025-11-28', 9000)];
    expect(play({ dueCents: 15000, deposits, bank: pays }).brief).toEqual(['2025-11-03 15000 PAID']);
  });

  it('(5) two consecutive 02 without a deposit in between: stop', () => {
    const r = play({ dueCents: 15000, model: prior('2025-11-07', '2025-11-14', '2025-11-21'), bank: fails('02') });
    expect(r.brief).toEqual(['2025-11-10 15000 UNPAID 02', '2025-11-17 15000 UNPAID 02']);
    expect(r.last).toEqual({ action: 'stop', reason: 'CONSECUTIVE_INSUFFICIENT_FUNDS' });
  });

  it('(5b) with a deposit seen in between, retries go on up to the presentment limit', () => {
    const model: IncomeModel = { source: 'income', pattern: 'regular', expectedDeposits: [] };
    const deposits = [ev('2025-11-07', 50), ev('2025-11-14', 50), ev('2025-11-21', 50), ev('2025-11-24', 50)];
    const r = play({ dueCents: 15000, model, deposits, bank: fails('02') });
    expect(r.brief).toEqual([
      '2025-11-10 15000 UNPAID 02',
      '2025-11-17 15000 UNPAID 02',
      '2025-11-24 15000 UNPAID 02',
      '2025-11-25 15000 UNPAID 02',
    ]);
    expect(r.last).toEqual({ action: 'stop', reason: 'MAX_PRESENTMENTS' });
  });

  it('(6) never presents on a Saturday, Sunday or public holiday', () => {
    const r = play({ period: '2025-12', dueCents: 15000, model: prior('2025-12-24'), bank: pays });
    for (const d of ['2025-12-25', '2025-12-26', '2025-12-27', '2025-12-28']) {
      expect(r.decisions.get(d), d).toEqual({ action: 'wait', reason: 'NOT_A_PROCESSING_DAY', nextDate: '2025-12-29' });
    }
    expect(r.brief).toEqual(['2025-12-29 15000 PAID']);
  });

  it('(6b) for a deposit on any day of April 2025: the first processing day after it, or the last one', () => {
    const got: string[] = [];
    for (let e = '2025-04-01'; e <= '2025-04-30'; e = plusDays(e, 1)) {
      const model: IncomeModel = { source: 'income', pattern: 'regular', expectedDeposits: [] };
      const r = play({ period: '2025-04', dueCents: 10000, model, deposits: [{ date: e, amountCents: 50000 }], bank: pays });
      for (const a of r.attempts) expect(calendar.isProcessingDay(a.actionDate), a.actionDate).toBe(true);
      got.push(`${e.slice(8)}→${r.attempts[0]!.actionDate.slice(8)}`);
    }
    expect(got.join(' ')).toBe(
      '01→02 02→03 03→04 04→07 05→07 06→07 07→08 08→09 09→10 10→11 11→14 12→14 13→14 14→15 15→16 ' +
        '16→17 17→22 18→22 19→22 20→22 21→22 22→23 23→24 24→25 25→29 26→29 27→29 28→29 29→30 30→30',
    );
  });
});

describe('default strategy: amounts and waits', () => {
  it('never before the expected deposit nor on its day (except month end)', () => {
    const r = play({ dueCents: 15000, model: prior('2025-11-25'), bank: pays });
    expect(r.decisions.get('2025-11-25')).toEqual({ action: 'wait', reason: 'AWAITING_INCOME', nextDate: '2025-11-26' });
    expect(r.brief).toEqual(['2025-11-26 15000 PAID']);
  });

  it('a collection opened after its deposit presents at once', () => {
    const r = play({ dueCents: 15000, model: prior('2025-11-07'), from: '2025-11-20', bank: pays });
    expect(r.brief).toEqual(['2025-11-20 15000 PAID']);
  });

  it('nothing expected and nothing tried: one attempt on the last processing day; after a failure, wait', () => {
    const r = play({ dueCents: 15000, model: prior(), bank: fails('02') });
    expect(r.decisions.get('2025-11-03')).toEqual({ action: 'wait', reason: 'NO_EXPECTED_INCOME', nextDate: '2025-11-28' });
    expect(r.brief).toEqual(['2025-11-28 15000 UNPAID 02']);
  });

  it('irregular with unknown amounts spreads the remaining over the deposits to come', () => {
    const model: IncomeModel = { source: 'history', pattern: 'irregular', expectedDeposits: prior('2025-11-06', '2025-11-20').expectedDeposits };
    expect(play({ dueCents: 30001, model, bank: pays }).brief).toEqual(['2025-11-07 15001 PAID', '2025-11-21 15000 PAID']);
  });

  it('irregular: floored at the minimum debit, or the remaining amount when less', () => {
    const model: IncomeModel = { source: 'income', pattern: 'irregular', expectedDeposits: [] };
    const deposits = [ev('2025-11-04', 15), ev('2025-11-11', 200)];
    expect(play({ dueCents: 2500, model, deposits, bank: pays }).brief).toEqual(['2025-11-05 2000 PAID', '2025-11-12 500 PAID']);
  });

  it('waits while a result is pending; stops once the period has no processing day left', () => {
    const pending: Attempt = { actionDate: '2025-11-10', amountRequestedCents: 100, amountCollectedCents: 0, result: 'PENDING', reasonCode: null };
    const base = { period: '2025-11', calendar, income: prior('2025-11-07'), incomeEventsThisPeriod: [], limits };
    const collection = { amountDueCents: 15000, collectedCents: 0, presentments: 1, attempts: [pending] };
    for (const s of [defaultStrategy, naiveStrategy]) {
      expect(s.plan({ ...base, today: '2025-11-11', collection })).toEqual({ action: 'wait', reason: 'PENDING_RESULT' });
      const fresh = { ...collection, presentments: 0, attempts: [] };
      expect(s.plan({ ...base, today: '2025-10-30', collection: fresh })).toEqual({ action: 'wait', reason: 'BEFORE_PERIOD', nextDate: '2025-11-03' });
      expect(s.plan({ ...base, today: '2025-11-29', collection: fresh })).toEqual({ action: 'stop', reason: 'PERIOD_ENDED' });
    }
  });
});

describe('naive strategy', () => {
  const weekly = [ev('2025-11-07', 50), ev('2025-11-14', 50), ev('2025-11-21', 50)];

  it('first processing day, then every 7 days, up to the presentment limit', () => {
    const r = play({ strategy: naiveStrategy, dueCents: 15000, model: prior('2025-11-25'), deposits: weekly, bank: fails('02') });
    expect(r.brief).toEqual([
      '2025-11-03 15000 UNPAID 02',
      '2025-11-10 15000 UNPAID 02',
      '2025-11-17 15000 UNPAID 02',
      '2025-11-24 15000 UNPAID 02',
    ]);
    expect(r.decisions.get('2025-11-04')).toEqual({ action: 'wait', reason: 'SCHEDULED', nextDate: '2025-11-10' });
    expect(r.last).toEqual({ action: 'stop', reason: 'MAX_PRESENTMENTS' });
  });

  it('the +7 day moves to the next processing day (Good Friday, Family Day)', () => {
    const deposits = [ev('2025-04-14', 50), ev('2025-04-23', 50)];
    const r = play({ strategy: naiveStrategy, period: '2025-04', from: '2025-04-11', dueCents: 15000, model: prior(), deposits, bank: fails('02') });
    expect(r.brief).toEqual(['2025-04-11 15000 UNPAID 02', '2025-04-22 15000 UNPAID 02', '2025-04-29 15000 UNPAID 02']);
    expect(r.last).toEqual({ action: 'wait', reason: 'SCHEDULED' });
  });

  it('same limits: two 02 with no deposit in between stop; a hard code stops; a success ends it', () => {
    expect(play({ strategy: naiveStrategy, dueCents: 15000, model: prior(), bank: fails('02') }).last).toEqual({
      action: 'stop',
      reason: 'CONSECUTIVE_INSUFFICIENT_FUNDS',
    });
    expect(play({ strategy: naiveStrategy, dueCents: 15000, model: prior(), bank: fails('04') }).brief).toEqual(['2025-11-03 15000 UNPAID 04']);
    const ok = play({ strategy: naiveStrategy, dueCents: 15000, model: prior(), bank: pays });
    expect(ok.brief).toEqual(['2025-11-03 15000 PAID']);
    expect(ok.last).toEqual({ action: 'stop', reason: 'FULLY_COLLECTED' });
  });
});

describe('strategy registry', () => {
  it('names the strategies config can choose', async () => {
    const { STRATEGIES } = await import('../../src/domain/engine/strategies.js');
    expect(Object.entries(STRATEGIES).map(([k, s]) => `${k}:${s.name}`)).toEqual(['default:default', 'naive:naive']);
  });
});

describe('the debit cap (issue 12): never more than the money seen since the last attempt', () => {
  // SPEC 4.2's own example: steady weekly deposits, each smaller than the R300 premium
  const weekly = [ev('2025-09-05', 80), ev('2025-09-12', 70), ev('2025-09-19', 90), ev('2025-09-26', 60),
    ev('2025-10-03', 80), ev('2025-10-10', 70), ev('2025-10-17', 90), ev('2025-10-24', 60), ev('2025-10-31', 75),
    ev('2025-11-07', 80), ev('2025-11-14', 70), ev('2025-11-21', 90), ev('2025-11-28', 60)];

  it('uncapped, the steady R60–R90 earner is classed regular and debited the full R300 after an R80 deposit (the bug)', () => {
    const r = play({ dueCents: 300_00, deposits: weekly, bank: pays });
    expect(r.brief[0]).toBe('2025-11-03 30000 PAID');
  });

  it('capped: each debit is what came in since the last one — R75 (31 Oct), R80, R70, then the R75 left of the R90 — never R300', () => {
    const r = play({ strategy: withDebitCap(defaultStrategy), dueCents: 300_00, deposits: weekly, bank: pays });
    expect(r.brief).toEqual(['2025-11-03 7500 PAID', '2025-11-10 8000 PAID', '2025-11-17 7000 PAID', '2025-11-24 7500 PAID']);
    expect(r.collected).toBe(300_00);
  });

  it('the naive strategy too: nothing before money is seen, then at most what was seen', () => {
    const r = play({ strategy: withDebitCap(naiveStrategy), dueCents: 300_00, deposits: weekly, bank: pays });
    for (const a of r.attempts) expect(a.amountRequestedCents).toBeLessThanOrEqual(90_00);
    expect(r.brief[0]).toBe('2025-11-03 7500 PAID');
  });

  it('an R15 deposit under the R20 minimum debit: wait (the floor never lifts a debit above the deposit)', () => {
    const small = [ev('2025-10-06', 15), ev('2025-10-13', 15), ev('2025-10-20', 15), ev('2025-11-03', 15), ev('2025-11-10', 15)];
    expect(play({ dueCents: 100_00, deposits: small, bank: pays }).brief[0]).toBe('2025-11-04 10000 PAID'); // uncapped: the full R100 after an R15 deposit
    const r = play({ strategy: withDebitCap(defaultStrategy), dueCents: 100_00, deposits: small, bank: pays });
    // R15 alone waits; R15 + R15 (3 and 10 November, no attempt between) is R30, presented whole on the 10th
    for (const a of r.attempts) expect(a.amountRequestedCents).toBeGreaterThanOrEqual(20_00);
    expect(r.brief[0]).toBe('2025-11-10 3000 PAID');
  });
});
