import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStatus } from '../../src/cli/status.command.js';
import { runBatch } from '../../src/usecases/collect/batch.js';
import { tenantStatus } from '../../src/usecases/collect/status.js';
import { EngineWorld } from './engine-harness.js';

/**
 * `kasi status` (SPEC 8) for a small seeded case on both databases: one of each kind of
 * collection in November 2025, seen on Thursday the 6th with one debit still awaiting its result,
 * then after the close; a second tenant that never executed.
 */
describe.each(['sqlite', 'pg'] as const)('kasi status on %s', (dialect) => {
  let w: EngineWorld;
  beforeAll(async () => {
    w = await EngineWorld.create(dialect, { tenants: { beta: { name: 'Beta Life Ltd' } } });
    w.at('2025-11-01');
    await w.policies([
      ['C1', 'P1', '150.00'], // paid on the 4th
      ['C2', 'P2', '99.90'], // 18: deceased
      ['C3', 'P3', '200.00'], // R50 came in: R50 debited, not R200 (the debit cap, docs/money-rules.md)
      ['C4', 'P4', '100.00'], // cancelled on the 5th
      ['C5', 'P5', '80.00'], // nothing yet (waits for the 25th)
      ['C6', 'P6', '300.00'], // irregular: a part on the 5th
      ['C7', 'P7', '120.00'], // presented on the 6th, no result yet
    ]);
    await w.hand('income-october.csv', 'customer_id,date,amount\nC6,2025-10-03,50.00\nC6,2025-10-09,120.00\nC6,2025-10-16,40.00\nC6,2025-10-23,95.00\n');
    await w.execute('2025-11');
    for (const c of ['C1', 'C2']) w.deposit(c, '2025-11-03', 1_000_00);
    w.deposit('C3', '2025-11-03', 50_00);
    w.deposit('C6', '2025-11-04', 80_00);
    w.deposit('C7', '2025-11-05', 500_00);
    w.script('P2', 1, '18');
    await w.run('2025-11-01', '2025-11-04');
    w.at('2025-11-05', '05:00:00');
    await w.policies([['C4', 'P4', '100.00', 'cancelled']], 'policies-cancel.csv');
    await w.run('2025-11-05', '2025-11-05');
    w.at('2025-11-06');
    const r = await runBatch(w.ports, { date: '2025-11-06', gateway: w.gateway, setup: w.setup });
    expect(r).toMatchObject({ status: 'done', tenants: [{ tenant: 'acme', presented: 1 }] }); // P7, not answered
    w.at('2025-11-06', '09:00:00');
  });
  afterAll(async () => {
    await w?.cleanup();
  });

  // bank result files are the `bank` tenant's, not listed here
  const intakeLines = [
    '    2025-11-05T04:00:00Z  applied   income-2025-11-05.csv (1 imported, 0 failed)',
    '    2025-11-05T03:00:00Z  applied   policies-cancel.csv (1 imported, 0 failed)',
    '    2025-11-04T04:00:00Z  applied   income-2025-11-04.csv (1 imported, 0 failed)',
    '    2025-11-03T04:00:00Z  applied   income-2025-11-03.csv (3 imported, 0 failed)',
    '    2025-11-01T04:00:00Z  applied   income-october.csv (4 imported, 0 failed)',
  ];

  it('the current period while it runs: counts, amounts, presentments, failures, likely claims', async () => {
    const tenants = await tenantStatus(w.ports);
    expect(tenants[0]!.period).toEqual({
      period: '2025-11',
      state: 'open',
      closedAt: null,
      collections: { open: 6, paidFull: 0, paidPartial: 0, unpaid: 0, cancelled: 1 },
      openProgress: { collectedInFull: 1, inPart: 2, nothingYet: 3 },
      dueCents: 949_90,
      collectedCents: 264_00,
      presentments: { total: 5, paid: 3, unpaid: 1, awaiting: 1 },
      failures: [{ reason: 'ACCOUNT_HOLDER_DECEASED', count: 1 }],
      likelyClaims: [{ policyNumber: 'P2', customerId: 'C2' }],
    });
    expect(formatStatus(tenants)).toBe(
      [
        'acme (Acme Funeral Insurance Ltd)',
        '  policies: 6 active, 1 cancelled',
        '  intake files: 6 applied, 0 rejected, 0 duplicate',
        ...intakeLines,
        '  period 2025-11 (open)',
        '    collections: 6 open (1 collected in full so far, 2 in part, 3 nothing yet), 0 paid in full, 0 partial, 0 unpaid, 1 cancelled',
        '    due R949.90, collected R264.00',
        '    presentments: 5 (3 paid, 1 unpaid, 1 awaiting a result)',
        '    failures: ACCOUNT_HOLDER_DECEASED 1',
        '    likely claims (account holder deceased): 1',
        '      P2  customer C2',
        '  held policies (not collected until released: kasi policy release): 1',
        '    P2  held 2025-11-04  18 ACCOUNT_HOLDER_DECEASED',
        'beta (Beta Life Ltd)',
        '  policies: 0 active, 0 cancelled',
        '  intake files: 0 applied, 0 rejected, 0 duplicate',
        '  period 2025-11: not executed (run kasi execute --period 2025-11)',
        '  held policies (not collected until released: kasi policy release): none',
        '',
      ].join('\n'),
    );
  });

  it('another period on request, and the final statuses once closed', async () => {
    const [october] = await tenantStatus(w.ports, '2025-10');
    expect(october!.period).toMatchObject({ state: 'not executed', collections: { open: 0, paidFull: 0, paidPartial: 0, unpaid: 0, cancelled: 0 }, dueCents: 0 });
    await w.hand('results-late.csv', 'instruction_id,result,amount_collected,reason_code,processed_date\nacme-202511-7-1,PAID,120.00,,2025-11-06\n', 'bank');
    await w.close('2025-11');
    const tenants = await tenantStatus(w.ports, '2025-11');
    expect(formatStatus(tenants).split('\n').slice(8, 15)).toEqual([
      '  period 2025-11 (closed 2025-12-01)',
      '    collections: 0 open (0 collected in full so far, 0 in part, 0 nothing yet), 2 paid in full, 2 partial, 2 unpaid, 1 cancelled',
      '    due R949.90, collected R384.00',
      '    presentments: 5 (4 paid, 1 unpaid, 0 awaiting a result)',
      '    failures: ACCOUNT_HOLDER_DECEASED 1',
      '    likely claims (account holder deceased): 1',
      '      P2  customer C2',
    ]);
  });
});
