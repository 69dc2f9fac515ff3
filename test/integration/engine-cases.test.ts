import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineWorld, type AttemptView, type DayResult } from './engine-harness.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * The documented cases of the Smart Collections Engine (SPEC 4.2–4.3), each a customer of one
 * tenant, run together through November 2025 with the file gateway: policy and income files go
 * in through intake, every day's batch runs, the debit file is read back and answered by the
 * stand-in bank with a results file. Irregular earners are debited the whole deposit
 * (`engine.irregular_share: "1"`), as in the SPEC's "R300 collected as R80 + R70 + R90 + R60".
 *
 * November 2025 has no public holiday; the 1st is a Saturday, the 28th (Friday) is its last
 * processing day.
 */
const att = (policy_number: string, presentment: number, action_date: string, rands: string, status: string, reason_code: string | null = null): AttemptView => {
  const cents = Math.round(Number(rands) * 100);
  return { policy_number, presentment, action_date, amount_requested: cents, amount_collected: status === 'PAID' ? cents : 0, status, reason_code };
};

describe.each(['sqlite', 'pg'] as const)('documented engine cases on %s', (dialect) => {
  let w: EngineWorld;
  let days: DayResult[];
  let attempts: AttemptView[];
  const of = (policy: string) => attempts.filter((a) => a.policy_number === policy);

  beforeAll(async () => {
    w = await EngineWorld.create(dialect, { engine: { irregular_share: '1' } });
    w.at('2025-11-01');
    const pol = await w.policies([
      ['C1', 'P1', '150.00'],
      ['C2', 'P2', '300.00'],
      ['C3', 'P3', '200.00'],
      ['C4', 'P4', '100.00'],
      ['C5', 'P5', '150.00'],
    ]);
    expect(pol).toMatchObject({ status: 'applied', imported: 5, errors: [] });
    // C2's October: several smaller deposits of irregular amounts (an irregular earner)
    const oct = await w.hand('income-october.csv', 'customer_id,date,amount\nC2,2025-10-03,50.00\nC2,2025-10-09,120.00\nC2,2025-10-16,40.00\nC2,2025-10-23,95.00\n');
    expect(oct).toMatchObject({ status: 'applied', imported: 4, errors: [] });
    // C5 is not in the income feed; the engine knows it from October, paid in three debits
    await w.seedHistory('P5', '2025-10', [['2025-10-06', 5000], ['2025-10-15', 5000], ['2025-10-27', 5000]]);
    expect(await w.execute('2025-11')).toEqual({ tenant: 'acme', period: '2025-11', opened: 5, total: 5, status: 'done' });

    // 1. an early-month deposit too small for the premium, then the salary on the 25th
    w.deposit('C1', '2025-11-03', 100_00);
    w.deposit('C1', '2025-11-25', 5_000_00);
    // 2. an irregular earner
    w.deposit('C2', '2025-11-05', 80_00);
    w.deposit('C2', '2025-11-12', 70_00);
    w.deposit('C2', '2025-11-19', 90_00);
    w.deposit('C2', '2025-11-26', 60_00);
    // 3. money there, but the account is closed
    w.deposit('C3', '2025-11-07', 500_00);
    w.deposit('C3', '2025-11-25', 500_00);
    w.script('P3', 1, '12');
    // 4. cancelled on the 12th (below); the salary after it must not be debited
    w.deposit('C4', '2025-11-03', 40_00);
    w.deposit('C4', '2025-11-25', 3_000_00);
    // 5. no deposits at all

    days = await w.run('2025-11-01', '2025-11-11');
    w.at('2025-11-12', '05:00:00');
    const cancel = await w.policies([['C4', 'P4', '100.00', 'cancelled']], 'policies-cancel.csv');
    expect(cancel).toMatchObject({ status: 'applied', imported: 1, errors: [] });
    days.push(...(await w.run('2025-11-12', '2025-11-30')));
    attempts = await w.attempts('2025-11');
  });
  afterAll(async () => {
    await w?.cleanup();
  });

  it('writes one debit file per day with presentments, byte for byte', () => {
    const files = Object.fromEntries(days.filter((d) => d.file).map((d) => [d.file, d.content]));
    const H = 'instruction_id,tenant,policy_number,customer_id,external_customer_ref,amount,action_date,presentment\n';
    // instruction ids: tenant-period-collection-presentment (collection 1 is P5's October)
    expect(files).toEqual({
      'debits-20251104-001.csv': `${H}acme-202511-2-1,acme,P1,C1,REF-C1,100.00,2025-11-04,1\nacme-202511-5-1,acme,P4,C4,REF-C4,40.00,2025-11-04,1\n`,
      'debits-20251106-001.csv': `${H}acme-202511-3-1,acme,P2,C2,REF-C2,80.00,2025-11-06,1\nacme-202511-6-1,acme,P5,C5,REF-C5,50.00,2025-11-06,1\n`,
      'debits-20251110-001.csv': `${H}acme-202511-4-1,acme,P3,C3,REF-C3,200.00,2025-11-10,1\n`,
      'debits-20251113-001.csv': `${H}acme-202511-3-2,acme,P2,C2,REF-C2,70.00,2025-11-13,2\n`,
      'debits-20251117-001.csv': `${H}acme-202511-6-2,acme,P5,C5,REF-C5,75.00,2025-11-17,2\n`,
      'debits-20251120-001.csv': `${H}acme-202511-3-3,acme,P2,C2,REF-C2,90.00,2025-11-20,3\n`,
      'debits-20251126-001.csv': `${H}acme-202511-2-2,acme,P1,C1,REF-C1,50.00,2025-11-26,2\n`,
      'debits-20251127-001.csv': `${H}acme-202511-3-4,acme,P2,C2,REF-C2,60.00,2025-11-27,4\n`,
    });
    expect(days.find((d) => d.file === 'debits-20251104-001.csv')!.results).toBe(
      'instruction_id,result,amount_collected,reason_code,processed_date\n' +
        'acme-202511-2-1,PAID,100.00,,2025-11-04\n' +
        'acme-202511-5-1,PAID,40.00,,2025-11-04\n',
    );
  });

  it('1. R150 after an early R100 deposit: debited R100, never more than came in (the debit cap), the rest after the salary of the 25th', async () => {
    expect(of('P1')).toEqual([att('P1', 1, '2025-11-04', '100.00', 'PAID'), att('P1', 2, '2025-11-26', '50.00', 'PAID')]);
    expect(await w.collection('P1')).toEqual({
      policy_number: 'P1', amount_due: 150_00, amount_collected: 150_00, presentments: 2, status: 'OPEN',
      halted_reason: 'FULLY_COLLECTED', last_failure_reason: null, flag: null,
    });
  });

  it('2. R300, irregular earner: four partial debits, each the business day after its deposit, paid in full', async () => {
    expect(of('P2')).toEqual([
      att('P2', 1, '2025-11-06', '80.00', 'PAID'), // deposit Wed 5th
      att('P2', 2, '2025-11-13', '70.00', 'PAID'), // deposit Wed 12th
      att('P2', 3, '2025-11-20', '90.00', 'PAID'), // deposit Wed 19th
      att('P2', 4, '2025-11-27', '60.00', 'PAID'), // deposit Wed 26th
    ]);
    expect(await w.collection('P2')).toMatchObject({ amount_due: 300_00, amount_collected: 300_00, presentments: 4, last_failure_reason: null, halted_reason: 'FULLY_COLLECTED' });
  });

  it('3. return code 12 on the first presentment: nothing more, even with money in; ACCOUNT_CLOSED', async () => {
    expect(of('P3')).toEqual([att('P3', 1, '2025-11-10', '200.00', 'UNPAID', '12')]);
    expect(await w.collection('P3')).toEqual({
      policy_number: 'P3', amount_due: 200_00, amount_collected: 0, presentments: 1, status: 'OPEN',
      halted_reason: 'ACCOUNT_CLOSED', last_failure_reason: 'ACCOUNT_CLOSED', flag: null,
    });
  });

  it('4. cancelled mid-month by a new policy file: the collection ends CANCELLED, the later salary is not debited', async () => {
    // the early R40 deposit is debited (capped at R40), the salary after the cancellation is not
    expect(of('P4')).toEqual([att('P4', 1, '2025-11-04', '40.00', 'PAID')]);
    expect(await w.collection('P4')).toEqual({
      policy_number: 'P4', amount_due: 100_00, amount_collected: 40_00, presentments: 1, status: 'CANCELLED',
      halted_reason: 'POLICY_CANCELLED', last_failure_reason: null, flag: null,
    });
  });

  it('5. two consecutive 02 without a deposit in between: stops for the period (no third try on the 27th)', async () => {
    // October's paydays (6th, 15th, 27th) recur: debits follow Nov 5, 14 and 26; the third never comes
    expect(of('P5')).toEqual([att('P5', 1, '2025-11-06', '50.00', 'UNPAID', '02'), att('P5', 2, '2025-11-17', '75.00', 'UNPAID', '02')]);
    expect(await w.collection('P5')).toEqual({
      policy_number: 'P5', amount_due: 150_00, amount_collected: 0, presentments: 2, status: 'OPEN',
      halted_reason: 'CONSECUTIVE_INSUFFICIENT_FUNDS', last_failure_reason: 'INSUFFICIENT_FUNDS', flag: null,
    });
  });

  it('the close gives each collection its final status', async () => {
    await w.close('2025-11');
    const rows = await knexOf(dbOf(w.ports.store))('collections').where({ period: '2025-11' }).orderBy('policy_number').select('policy_number', 'status', 'amount_collected');
    expect(rows).toEqual([
      { policy_number: 'P1', status: 'PAID_FULL', amount_collected: 150_00 },
      { policy_number: 'P2', status: 'PAID_FULL', amount_collected: 300_00 },
      { policy_number: 'P3', status: 'UNPAID', amount_collected: 0 },
      { policy_number: 'P4', status: 'CANCELLED', amount_collected: 40_00 },
      { policy_number: 'P5', status: 'UNPAID', amount_collected: 0 },
    ]);
  });
});
