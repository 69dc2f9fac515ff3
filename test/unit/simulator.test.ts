import { describe, expect, it } from 'vitest';
import { createZaCalendar } from '../../src/domain/calendar.js';
import type { DebitInstruction } from '../../src/bank/gateway.js';
import { SimulatedBank, leftOf } from '../../src/bank/simulator.js';
import { hash32, mulberry32 } from '../../src/bank/simulator-population.js';

const calendar = createZaCalendar([]);
const bank = (seed = 42) => new SimulatedBank({ seed, calendar });
const id = (i: number) => `C${String(i).padStart(7, '0')}`;
let n = 0;
const debit = (customerId: string, actionDate: string, amountCents: number, instructionId = `i${++n}`): DebitInstruction => ({
  instructionId,
  tenant: 'acme',
  policyNumber: `P-${customerId}`,
  customerId,
  externalCustomerRef: customerId,
  amountCents,
  actionDate,
  presentment: 1,
});

describe('simulated population: deterministic from (seed, customer)', () => {
  it('golden accounts for seed 42', () => {
    const b = bank();
    expect(b.profileOf('C0000004')).toEqual({
      kind: 'salary25',
      status: 'open',
      premiumCents: 49000,
      baseCents: 2303,
      commitPermille: 659,
      spendDays: 8,
      keepPermille: 2,
      payCents: 676000,
      grantBusinessDay: 3,
      fortnightParity: 0,
    });
    expect(b.depositsFor('C0000004', '2025-09-01', '2025-11-30')).toEqual([
      { date: '2025-09-25', amountCents: 676000 },
      { date: '2025-10-24', amountCents: 676000 }, // the 25th was a Saturday
      { date: '2025-11-25', amountCents: 676000 },
    ]);
    expect(b.depositsFor('C0000006', '2025-11-01', '2025-11-30')).toEqual([
      { date: '2025-11-07', amountCents: 210120 },
      { date: '2025-11-14', amountCents: 220320 },
      { date: '2025-11-21', amountCents: 191760 },
      { date: '2025-11-28', amountCents: 214200 },
    ]);
    expect(b.profileOf('C0000001').kind).toBe('grant');
    expect(b.depositsFor('C0000001', '2025-11-01', '2025-11-30')).toEqual([{ date: '2025-11-06', amountCents: 168000 }]);
    expect(b.profileOf('C0000012').kind).toBe('gig');
    expect(b.depositsFor('C0000012', '2025-11-01', '2025-11-30')).toEqual([
      { date: '2025-11-14', amountCents: 16700 },
      { date: '2025-11-19', amountCents: 23900 },
      { date: '2025-11-24', amountCents: 20800 },
      { date: '2025-11-28', amountCents: 10100 },
    ]);
  });

  it('the same seed gives the same accounts whatever the order of questions; another seed differs', () => {
    const a = bank();
    const b = bank();
    const ids = Array.from({ length: 200 }, (_, i) => id(i + 1));
    const fwd = ids.map((c) => [a.profileOf(c), a.depositsFor(c, '2025-08-01', '2025-11-30')]);
    const rev = [...ids].reverse().map((c) => [b.profileOf(c), b.depositsFor(c, '2025-08-01', '2025-11-30')]).reverse();
    expect(rev).toEqual(fwd);
    const other = ids.map((c) => bank(43).profileOf(c));
    expect(other.filter((p, i) => JSON.stringify(p) === JSON.stringify(fwd[i]![0])).length).toBe(0);
  });

  it('the default mix: 35/15/20/10/7/13 % income kinds; 2 / 1 / 0.5 / 1 % closed, stopped, deceased, no authority', () => {
    const b = bank();
    const kinds: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    const premiums = new Set<number>();
    for (let i = 1; i <= 20000; i++) {
      const p = b.profileOf(id(i));
      kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
      statuses[p.status] = (statuses[p.status] ?? 0) + 1;
      premiums.add(p.premiumCents);
    }
    // R50.00 to R500.00 in R5 steps, every step used.
    expect([...premiums].sort((a, b) => a - b)).toEqual(Array.from({ length: 91 }, (_, k) => 5000 + 500 * k));
    expect(kinds).toEqual({ grant: 4024, salaryLastDay: 3003, salary25: 7038, fortnightly: 1387, weekly: 1945, gig: 2603 });
    expect(statuses).toEqual({ open: 19109, closed: 409, noAuthority: 184, stopped: 206, deceased: 92 });
  });

  it('the mix is a parameter', () => {
    const b = new SimulatedBank({ seed: 42, calendar, mix: { salary25: 0, salaryLastDay: 0, grant: 0, weekly: 0, fortnightly: 0, closed: 0, stopped: 1, deceased: 0, noAuthority: 0 } });
    const profiles = Array.from({ length: 50 }, (_, i) => b.profileOf(id(i + 1)));
    expect(new Set(profiles.map((p) => `${p.kind}/${p.status}`))).toEqual(new Set(['gig/stopped']));
    expect(() => new SimulatedBank({ seed: 42, calendar, mix: { gig: -1 } })).toThrow('population mix: gig must be numbers ≥ 0');
    expect(() => new SimulatedBank({ seed: 42, calendar, mix: { closed: 0.6, stopped: 0.6 } })).toThrow('account state shares add up to more than 1');
    expect(() => new SimulatedBank({ seed: 1.5, calendar })).toThrow('simulator seed must be an integer, got 1.5');
  });

  it('pay due on a Friday holiday comes the day before, even in the previous month', () => {
    // 1 January 2027 is a Friday: the weekly wage is paid on Thursday 31 December 2026.
    expect(bank().depositsFor('C0000006', '2026-12-20', '2027-01-10').map((e) => e.date)).toEqual(['2026-12-24', '2026-12-31', '2027-01-08']);
  });

  it('PRNG and hash are the published algorithms (golden values)', () => {
    expect(hash32(0, '')).toBe(0x811c9dc5);
    expect(hash32(0, 'a')).toBe(0xe40c292c); // FNV-1a 32 of "a"
    const r = mulberry32(1);
    expect([r(), r()].map((x) => Math.floor(x * 1e9))).toEqual([627073940, 2735721]);
  });
});

describe('simulated balances and debits', () => {
  it('what is left of a deposit: committed share at once, the rest spent evenly, a share kept', () => {
    const p = { commitPermille: 659, spendDays: 8, keepPermille: 2 };
    expect(leftOf(676000, 0, p)).toBe(230516);
    expect(leftOf(676000, 1, p)).toBe(201759);
    expect(leftOf(676000, 8, p)).toBe(461);
    expect(leftOf(676000, 40, p)).toBe(461);
  });

  it('salaried: 02 before payday, 22 on payday if the salary is credited after the debit run, paid the day after', async () => {
    const late = new SimulatedBank({ seed: 42, calendar, sameDayCreditShare: 0 });
    expect(late.balanceOn('C0000004', '2025-11-24')).toBe(3225);
    expect(late.balanceOn('C0000004', '2025-11-25')).toBe(3225);
    expect(late.balanceOn('C0000004', '2025-11-26')).toBe(204984);
    const r = await late.present('2025-11-24', [
      debit('C0000004', '2025-11-24', 49000, 'a'),
      debit('C0000004', '2025-11-25', 49000, 'b'),
      debit('C0000004', '2025-11-26', 49000, 'c'),
    ]);
    expect(r).toEqual([
      { instructionId: 'a', result: 'UNPAID', amountCollectedCents: 0, reasonCode: '02', processedDate: '2025-11-24' },
      { instructionId: 'b', result: 'UNPAID', amountCollectedCents: 0, reasonCode: '22', processedDate: '2025-11-25' },
      { instructionId: 'c', result: 'PAID', amountCollectedCents: 49000, reasonCode: null, processedDate: '2025-11-26' },
    ]);
    expect(late.balanceOn('C0000004', '2025-11-27')).toBe(126766);
  });

  it('a salary credited before the debit run pays a debit on payday', async () => {
    const early = new SimulatedBank({ seed: 42, calendar, sameDayCreditShare: 1 });
    expect(early.balanceOn('C0000004', '2025-11-25')).toBe(3225 + 230516);
    const [r] = await early.present('2025-11-25', [debit('C0000004', '2025-11-25', 49000, 'b')]);
    expect(r!.result).toBe('PAID');
    expect(() => new SimulatedBank({ seed: 42, calendar, sameDayCreditShare: 1.5 })).toThrow('sameDayCreditShare must be between 0 and 1, got 1.5');
  });

  it('by default about half the deposits are credited before the debit run of their day', () => {
    const b = bank();
    let deposits = 0;
    let early = 0;
    const late = new SimulatedBank({ seed: 42, calendar, sameDayCreditShare: 0 });
    for (let i = 1; i <= 2000; i++) {
      for (const e of b.depositsFor(id(i), '2025-11-01', '2025-11-30')) {
        deposits++;
        const before = b.balanceOn(id(i), e.date);
        if (before > late.balanceOn(id(i), e.date)) early++;
      }
    }
    expect({ deposits, early }).toEqual({ deposits: 3940, early: 1987 });
  });

  it('across the population, salaried customers mostly cannot pay the day before payday and all can the day after', () => {
    const b = bank();
    let accounts = 0;
    let before = 0;
    let after = 0;
    for (let i = 1; i <= 20000; i++) {
      const p = b.profileOf(id(i));
      if (p.kind !== 'salary25' || p.status !== 'open') continue;
      accounts++;
      if (b.balanceOn(id(i), '2025-11-24') >= p.premiumCents) before++;
      if (b.balanceOn(id(i), '2025-11-26') >= p.premiumCents) after++;
    }
    expect({ accounts, before, after }).toEqual({ accounts: 6715, before: 2367, after: 6715 });
  });

  it('closed, stopped, deceased and unauthorised accounts return their hard codes', async () => {
    const b = bank();
    const r = await b.present('2025-11-26', ['C0000010', 'C0000234', 'C0000297', 'C0000021'].map((c) => debit(c, '2025-11-26', 100)));
    expect(r.map((x) => `${x.result} ${x.reasonCode}`)).toEqual(['UNPAID 12', 'UNPAID 04', 'UNPAID 18', 'UNPAID 30']);
    expect(b.depositsFor('C0000010', '2025-08-01', '2025-11-30')).toEqual([]); // a closed account receives nothing
  });

  it('a debit presented twice (same instruction id) is answered twice and taken once', async () => {
    const b = bank();
    const d = debit('C0000004', '2025-11-26', 49000, 'same');
    const [first] = await b.present('2025-11-26', [d]);
    const [again] = await b.present('2025-11-26', [d]);
    expect(again).toEqual(first);
    expect(b.balanceOn('C0000004', '2025-11-27')).toBe(126766);
  });

  it('a restarted simulator replays paid debits and is in the same state', async () => {
    const a = bank();
    await a.present('2025-11-26', [debit('C0000004', '2025-11-26', 49000), debit('C0000004', '2025-11-26', 150000)]);
    const b = bank();
    b.recordPaid('C0000004', '2025-11-26', 49000);
    b.recordPaid('C0000004', '2025-11-26', 150000);
    for (const d of ['2025-11-26', '2025-11-27', '2025-12-15', '2026-01-20']) expect(b.balanceOn('C0000004', d)).toBe(a.balanceOn('C0000004', d));
    const [ra] = await a.present('2025-11-27', [debit('C0000004', '2025-11-27', 50000, 'x')]);
    const [rb] = await b.present('2025-11-27', [debit('C0000004', '2025-11-27', 50000, 'x')]);
    expect(rb).toEqual(ra);
    expect(ra!.result).toBe('UNPAID');
    expect(() => b.recordPaid('C0000004', '2025-11-26', 0)).toThrow('not a positive amount in cents: 0');
  });
});
