import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBatch } from '../../src/usecases/collect/batch.js';
import { EngineWorld } from './engine-harness.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * Bank results and the period's bookkeeping around the batch (SPEC 3.3, 3.4, 4.1, 4.3) on both
 * databases: unknown and repeated results are reported and never applied (twice), executing is
 * idempotent and picks up late policies, return code 18 flags a likely claim, and a deposit
 * dated in the future is refused.
 */
const RESULTS_HEADER = 'instruction_id,result,amount_collected,reason_code,processed_date\n';

describe.each(['sqlite', 'pg'] as const)('results and execute on %s', (dialect) => {
  let w: EngineWorld;
  beforeEach(async () => {
    w = await EngineWorld.create(dialect);
    w.at('2025-11-01');
    await w.policies([['C1', 'P1', '150.00'], ['C2', 'P2', '99.90']]);
    await w.execute('2025-11');
    w.deposit('C1', '2025-11-03', 1_000_00);
    w.deposit('C2', '2025-11-03', 1_000_00);
  });
  afterEach(async () => {
    await w?.cleanup();
  });

  /** The Nov 4 batch, left unanswered: two debits presented. */
  async function presentNov4(): Promise<void> {
    w.at('2025-11-03');
    await w.feed('2025-11-03');
    w.at('2025-11-04');
    const r = await runBatch(w.ports, { date: '2025-11-04', gateway: w.gateway, setup: w.setup });
    expect(r).toMatchObject({ status: 'done', batchFile: 'debits-20251104-001.csv', tenants: [{ tenant: 'acme', presented: 2, presentedCents: 249_90 }] });
  }
  const ledger = () => knexOf(dbOf(w.ports.store))('bank_results').orderBy('id').select('instruction_id', 'result', 'amount_collected', 'outcome');

  it('a result for an unknown instruction: warning RESULT_UNKNOWN_INSTRUCTION, recorded, nothing applied', async () => {
    await presentNov4();
    const out = await w.hand(
      'results-1.csv',
      `${RESULTS_HEADER}acme-202511-1-1,PAID,150.00,,2025-11-04\nacme-202511-9-1,PAID,500.00,,2025-11-04\n`,
      'bank',
    );
    expect(out).toMatchObject({ status: 'applied', imported: 1, failed: 0, warnings: 1 });
    expect(out.errors).toEqual([
      {
        line: 3, column: 'instruction_id', code: 'RESULT_UNKNOWN_INSTRUCTION', severity: 'warning',
        message: 'no debit was presented with instruction_id "acme-202511-9-1"; the result was recorded and ignored',
      },
    ]);
    expect(await ledger()).toEqual([
      { instruction_id: 'acme-202511-1-1', result: 'PAID', amount_collected: 150_00, outcome: 'applied' },
      { instruction_id: 'acme-202511-9-1', result: 'PAID', amount_collected: 500_00, outcome: 'unknown' },
    ]);
    expect(await w.collection('P1')).toMatchObject({ amount_collected: 150_00, presentments: 1 });
    expect(await w.collection('P2')).toMatchObject({ amount_collected: 0, presentments: 1 });
    const sum = await knexOf(dbOf(w.ports.store))('collections').sum({ s: 'amount_collected' }).first();
    expect(Number(sum!.s)).toBe(150_00);
  });

  it('a file of only unknown results is reported, not refused as empty', async () => {
    await presentNov4();
    const out = await w.hand('results-unknown.csv', `${RESULTS_HEADER}acme-202511-9-1,PAID,500.00,,2025-11-04\n`, 'bank');
    expect(out).toMatchObject({ status: 'applied', imported: 0, failed: 0, warnings: 1 });
    expect(out.errors.map((e) => e.code)).toEqual(['RESULT_UNKNOWN_INSTRUCTION']);
    expect(await ledger()).toEqual([{ instruction_id: 'acme-202511-9-1', result: 'PAID', amount_collected: 500_00, outcome: 'unknown' }]);
  });

  it('the same result again in a second file: RESULT_REPEATED, applied once', async () => {
    await presentNov4();
    const first = await w.hand('results-a.csv', `${RESULTS_HEADER}acme-202511-1-1,PAID,150.00,,2025-11-04\n`, 'bank');
    expect(first).toMatchObject({ status: 'applied', imported: 1, errors: [] });
    const second = await w.hand(
      'results-b.csv',
      `${RESULTS_HEADER}acme-202511-2-1,PAID,99.90,,2025-11-04\nacme-202511-1-1,PAID,150.00,,2025-11-04\n`,
      'bank',
    );
    expect(second).toMatchObject({ status: 'applied', imported: 1, failed: 0, warnings: 1 });
    expect(second.errors).toEqual([
      {
        line: 3, column: 'instruction_id', code: 'RESULT_REPEATED', severity: 'warning',
        message: 'instruction "acme-202511-1-1" already has a result; this one was recorded and ignored',
      },
    ]);
    // a repeated line alone, even answering differently, changes nothing
    const third = await w.hand('results-c.csv', `${RESULTS_HEADER}acme-202511-1-1,UNPAID,0,02,2025-11-05\n`, 'bank');
    expect(third).toMatchObject({ status: 'applied', imported: 0, warnings: 1 });
    expect(third.errors.map((e) => [e.line, e.code])).toEqual([[2, 'RESULT_REPEATED']]);
    expect(await ledger()).toEqual([
      { instruction_id: 'acme-202511-1-1', result: 'PAID', amount_collected: 150_00, outcome: 'applied' },
      { instruction_id: 'acme-202511-2-1', result: 'PAID', amount_collected: 99_90, outcome: 'applied' },
      { instruction_id: 'acme-202511-1-1', result: 'PAID', amount_collected: 150_00, outcome: 'repeated' },
      { instruction_id: 'acme-202511-1-1', result: 'UNPAID', amount_collected: 0, outcome: 'repeated' },
    ]);
    expect(await w.collection('P1')).toMatchObject({ amount_collected: 150_00, presentments: 1, last_failure_reason: null });
    const attempts = await w.attempts();
    expect(attempts.map((a) => [a.policy_number, a.status, a.amount_collected])).toEqual([
      ['P1', 'PAID', 150_00],
      ['P2', 'PAID', 99_90],
    ]);
  });

  it('two results for one instruction in one file: the second is RESULT_REPEATED', async () => {
    await presentNov4();
    const out = await w.hand('results-twice.csv', `${RESULTS_HEADER}acme-202511-1-1,PAID,150.00,,2025-11-04\nacme-202511-1-1,PAID,150.00,,2025-11-04\n`, 'bank');
    expect(out).toMatchObject({ status: 'applied', imported: 1, warnings: 1 });
    expect(out.errors.map((e) => [e.line, e.code])).toEqual([[3, 'RESULT_REPEATED']]);
    expect(await w.collection('P1')).toMatchObject({ amount_collected: 150_00 });
  });

  it('return code 18: ACCOUNT_HOLDER_DECEASED, halted, flagged DECEASED (a likely claim)', async () => {
    w.script('P2', 1, '18');
    await w.run('2025-11-03', '2025-11-07');
    expect((await w.attempts()).map((a) => [a.policy_number, a.action_date, a.status, a.reason_code])).toEqual([
      ['P1', '2025-11-04', 'PAID', null],
      ['P2', '2025-11-04', 'UNPAID', '18'],
    ]);
    expect(await w.collection('P2')).toEqual({
      policy_number: 'P2', amount_due: 99_90, amount_collected: 0, presentments: 1, status: 'OPEN',
      halted_reason: 'ACCOUNT_HOLDER_DECEASED', last_failure_reason: 'ACCOUNT_HOLDER_DECEASED', flag: 'DECEASED',
    });
    expect(await w.collection('P1')).toMatchObject({ flag: null });
  });

  it('executing twice is harmless; a policy added later is executed into the running period', async () => {
    w.at('2025-11-03');
    expect(await w.execute('2025-11')).toEqual({ tenant: 'acme', period: '2025-11', opened: 0, total: 2, status: 'done' });
    await w.run('2025-11-03', '2025-11-04');
    w.at('2025-11-10', '05:00:00');
    await w.policies([['C3', 'P3', '75.50']]);
    expect(await w.execute('2025-11')).toEqual({ tenant: 'acme', period: '2025-11', opened: 1, total: 3, status: 'done' });
    expect(await w.execute('2025-11')).toEqual({ tenant: 'acme', period: '2025-11', opened: 0, total: 3, status: 'done' });
    expect(await w.collection('P3')).toMatchObject({ amount_due: 75_50, amount_collected: 0, presentments: 0, status: 'OPEN' });
    w.deposit('C3', '2025-11-10', 500_00);
    await w.run('2025-11-10', '2025-11-11');
    expect((await w.attempts()).map((a) => [a.policy_number, a.action_date, a.amount_requested, a.status])).toEqual([
      ['P1', '2025-11-04', 150_00, 'PAID'],
      ['P2', '2025-11-04', 99_90, 'PAID'],
      ['P3', '2025-11-11', 75_50, 'PAID'],
    ]);
  });

  it('an income file with a deposit dated after today: that row is refused with DATE_IN_FUTURE', async () => {
    w.at('2025-11-03');
    const out = await w.hand('income-early.csv', 'customer_id,date,amount\nC1,2025-11-03,100.00\nC2,2025-11-04,200.00\nC2,2025-11-02,50.00\n');
    expect(out).toMatchObject({ status: 'applied', imported: 2, failed: 1 });
    expect(out.errors).toEqual([
      {
        line: 3, column: 'date', code: 'DATE_IN_FUTURE', severity: 'error',
        message: 'date 2025-11-04 is after today (2025-11-03); a deposit cannot be seen before it happens: send this row again on or after 2025-11-04',
      },
    ]);
    const events = await knexOf(dbOf(w.ports.store))('income_events').orderBy(['customer_id', 'date']).select('customer_id', 'date', 'amount');
    expect(events).toEqual([
      { customer_id: 'C1', date: '2025-11-03', amount: 100_00 },
      { customer_id: 'C2', date: '2025-11-02', amount: 50_00 },
    ]);
  });

  it('a late batch (run after its day) caps its next check at today: it never skips past deposits it could not see', async () => {
    // C3 has no deposit by 3 November: on its own day the plan waits for the salary prior (the 26th)
    await w.policies([['C3', 'P3', '75.50']]);
    await w.execute('2025-11');
    w.at('2025-11-06');
    await w.feed('2025-11-03');
    const r = await runBatch(w.ports, { date: '2025-11-03', gateway: w.gateway, setup: w.setup });
    expect(r.status).toBe('done');
    // run on the 6th, the batch of the 3rd could not see deposits of the 4th–6th: it checks again today
    expect(await knexOf(dbOf(w.ports.store))('collections').where({ period: '2025-11', policy_number: 'P3' }).first('next_check')).toEqual({ next_check: '2025-11-06' });
    // the same plan on its own day waits until the 26th
    w.at('2025-11-07');
    await knexOf(dbOf(w.ports.store))('collections').where({ policy_number: 'P3' }).update({ next_check: null });
    await runBatch(w.ports, { date: '2025-11-07', gateway: w.gateway, setup: w.setup });
    expect(await knexOf(dbOf(w.ports.store))('collections').where({ period: '2025-11', policy_number: 'P3' }).first('next_check')).toEqual({ next_check: '2025-11-26' });
  });
});
