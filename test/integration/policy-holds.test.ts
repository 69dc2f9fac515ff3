import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBatch } from '../../src/usecases/collect/batch.js';
import { closeReport } from '../../src/usecases/close/close-report.js';
import { releaseHold } from '../../src/usecases/collect/policy-holds.js';
import { tenantStatus } from '../../src/usecases/collect/status.js';
import { EngineWorld } from './engine-harness.js';
import { HALT_OPEN } from '../../src/store/policy-hold.repository.js';
import { RESUME } from '../../src/store/policy-hold-release.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * Holds (issue 12) through the real intake, batch and results on both databases: code 30 holds
 * the policy (not opened in December, never presented), an unknown code stops the month only, a
 * late result (after the close) with code 34 holds the policy and stops its open December
 * collection (POLICY_HELD); a policy file row `hold=release` and the use case release them, and
 * both are collected again; held-2025-11.csv lists them.
 */
const RESULTS_HEADER = 'instruction_id,result,amount_collected,reason_code,processed_date\n';

describe.each(['sqlite', 'pg'] as const)('policy holds on %s', (dialect) => {
  let w: EngineWorld;
  beforeEach(async () => {
    w = await EngineWorld.create(dialect, { tenants: { acme: { name: 'Acme Funeral Insurance Ltd', vat_number: '4100000000' } } });
  });
  afterEach(async () => {
    await w?.cleanup();
  });

  const holds = () => knexOf(dbOf(w.ports.store))('policy_holds').orderBy('id').select('policy_number', 'reason_code', 'held_on', 'released_on', 'released_by');
  const decAttempts = async () => (await w.attempts('2025-12')).map((a) => `${a.policy_number}#${a.presentment} ${a.action_date} ${a.status}`);

  it('hold, never present, stop later presentments on a late result, release by file and by use case', async () => {
    w.at('2025-11-01');
    await w.policies([['C1', 'P1', '150.00'], ['C2', 'P2', '100.00'], ['C3', 'P3', '120.00'], ['C5', 'P5', '80.00']]);
    await w.execute('2025-11');
    for (const c of ['C1', 'C2', 'C3']) w.deposit(c, '2025-11-03', 1_000_00);
    w.deposit('C5', '2025-11-26', 1_000_00);
    w.script('P1', 1, '30');
    w.script('P2', 1, '99');
    await w.run('2025-11-03', '2025-11-26');
    expect(await w.collection('P1')).toMatchObject({ halted_reason: 'NO_AUTHORITY', presentments: 1 });
    expect(await w.collection('P2')).toMatchObject({ halted_reason: 'UNKNOWN_99', presentments: 1 });
    expect(await holds()).toEqual([{ policy_number: 'P1', reason_code: '30', held_on: '2025-11-04', released_on: null, released_by: null }]);

    // P5 presented on Thursday 27 November; its result comes after the close
    w.at('2025-11-27');
    const nov27 = await runBatch(w.ports, { date: '2025-11-27', gateway: w.gateway, setup: w.setup });
    expect(nov27).toMatchObject({ status: 'done', tenants: [{ presented: 1 }] });
    w.at('2025-12-01', '02:00:00');
    expect((await closeReport(w.ports, 'acme', '2025-11')).status).toBe('done');
    await w.execute('2025-12');
    const opened = await knexOf(dbOf(w.ports.store))('collections').where({ period: '2025-12' }).orderBy('policy_number').pluck('policy_number');
    expect(opened).toEqual(['P2', 'P3', 'P5']); // P1 held: not opened

    const late = await w.hand('results-late.csv', `${RESULTS_HEADER}acme-202511-4-1,UNPAID,0.00,34,2025-12-01\n`, 'bank');
    expect(late).toMatchObject({ status: 'applied', imported: 1 });
    expect((await holds()).map((h) => `${h.policy_number} ${h.reason_code} ${h.held_on}`)).toEqual(['P1 30 2025-11-04', 'P5 34 2025-12-01']);
    expect(await w.collection('P5', '2025-12')).toMatchObject({ status: 'OPEN', halted_reason: 'POLICY_HELD', presentments: 0 });

    for (const c of ['C1', 'C2', 'C3', 'C5']) w.deposit(c, '2025-12-02', 1_000_00);
    await w.run('2025-12-02', '2025-12-05');
    // P2's unknown code stopped November only: it is presented in December (and fails again)
    expect(await decAttempts()).toEqual(['P2#1 2025-12-03 UNPAID', 'P3#1 2025-12-03 PAID']);

    // the insurer lifts both holds: P1 in its policy file, P5 through the API/CLI use case
    const file = await w.hand('policies-release.csv', 'customer_id,external_customer_ref,policy_number,product_code,collection_amount,hold\nC1,REF-C1,P1,FUNERAL,150.00,release\n');
    expect(file).toMatchObject({ status: 'applied', imported: 1, failed: 0 });
    expect(await releaseHold(w.ports, 'acme', 'P5', 'cli:test', 'new mandate')).toMatchObject({ status: 'released', hold: { policy_number: 'P5', released_on: '2025-12-05' } });
    expect(await releaseHold(w.ports, 'acme', 'P5', 'cli:test')).toEqual({ status: 'not_held' });
    expect(await releaseHold(w.ports, 'acme', 'P9', 'cli:test')).toEqual({ status: 'unknown_policy' });
    expect((await holds()).map((h) => `${h.policy_number} ${h.released_on} ${h.released_by}`)).toEqual([
      'P1 2025-12-05 file:policies-release.csv',
      'P5 2025-12-05 cli:test',
    ]);
    expect((await tenantStatus(w.ports, '2025-12'))[0]!.held).toEqual([]);
    await w.execute('2025-12'); // the batch's auto-execute does this in the daemon
    w.script('P1', 1, 'PAID'); // the new mandate works
    w.deposit('C1', '2025-12-07', 1_000_00);
    w.deposit('C5', '2025-12-07', 1_000_00);
    await w.run('2025-12-06', '2025-12-09');
    expect(await decAttempts()).toEqual(['P1#1 2025-12-08 PAID', 'P2#1 2025-12-03 UNPAID', 'P3#1 2025-12-03 PAID', 'P5#1 2025-12-08 PAID']);

    // November's held file (written by the close): P1, held on 4 November; P5 was held from 1 December
    expect(readFileSync(join(w.env.root, 'outbox/acme/2025-11/held-2025-11.csv'), 'utf8')).toBe(
      'period_month,policy_number,customer_id,external_customer_ref,product_code,reason_code,reason,held_on,released_on,released_by\n' +
        '2025-11,P1,C1,REF-C1,FUNERAL,30,NO_AUTHORITY,2025-11-04,,\n',
    );
  });

  it('holds placed from one list: first row of a policy wins, a held policy keeps its hold, its open collections stop', async () => {
    w.at('2025-11-01');
    await w.policies([['C1', 'P1', '150.00'], ['C2', 'P2', '100.00'], ['C3', 'P3', '120.00']]);
    await w.execute('2025-11');
    const ids = Object.fromEntries((await knexOf(dbOf(w.ports.store))('collections').select('id', 'policy_number')).map((r) => [r.policy_number as string, Number(r.id)]));
    const now = '2025-11-04T06:00:00.000Z';
    const first = await w.ports.store.transaction((tx) => tx.policyHolds.insertHolds([{ collectionId: ids.P2!, reasonCode: '34', heldOn: '2025-11-03' }], now));
    expect(first.map((h) => `${h.policy_number} ${h.reason_code} ${h.collection_id === ids.P2}`)).toEqual(['P2 34 true']);
    const placed = await w.ports.store.transaction((tx) =>
      tx.policyHolds.insertHolds(
        [
          { collectionId: ids.P1!, reasonCode: '30', heldOn: '2025-11-04' },
          { collectionId: ids.P2!, reasonCode: '06', heldOn: '2025-11-04' },
          { collectionId: ids.P1!, reasonCode: '32', heldOn: '2025-11-04' },
        ],
        now,
      ),
    );
    expect(placed.map((h) => `${h.policy_number} ${h.reason_code} ${h.held_on}`)).toEqual(['P1 30 2025-11-04']);
    expect((await holds()).map((h) => `${h.policy_number} ${h.reason_code} ${h.held_on}`)).toEqual(['P2 34 2025-11-03', 'P1 30 2025-11-04']);
    const halted = await knexOf(dbOf(w.ports.store))('collections').orderBy('policy_number').select('policy_number', 'halted_reason', 'next_check');
    expect(halted).toEqual([
      { policy_number: 'P1', halted_reason: 'POLICY_HELD', next_check: null },
      { policy_number: 'P2', halted_reason: 'POLICY_HELD', next_check: null },
      { policy_number: 'P3', halted_reason: null, next_check: null },
    ]);
  });

  it('kasi status lists the held policies', async () => {
    w.at('2025-11-01');
    await w.policies([['C1', 'P1', '150.00']]);
    await w.execute('2025-11');
    w.deposit('C1', '2025-11-03', 1_000_00);
    w.script('P1', 1, '18');
    await w.run('2025-11-03', '2025-11-04');
    expect((await tenantStatus(w.ports, '2025-11'))[0]!.held).toEqual([{ policyNumber: 'P1', reasonCode: '18', reason: 'ACCOUNT_HOLDER_DECEASED', heldOn: '2025-11-04' }]);
  });
});

/**
 * A hold (and a release) touches the policy's open collections by id through the (tenant, period,
 * policy number) index. Asked by tenant, policy number and status, SQLite took the API lists'
 * (tenant, status) index and read every open collection of the tenant once per hold: a present-all
 * day grew with the square of the book (the scaling curve found it).
 */
describe('policy holds on sqlite: the statements find the policy by its index', () => {
  it('HALT_OPEN and RESUME search collections by rowid through collections_period_policy, never the status index', async () => {
    const w = await EngineWorld.create('sqlite');
    try {
      const plan = async (text: string, params: string[]) =>
        ((await knexOf(dbOf(w.ports.store)).raw(`EXPLAIN QUERY PLAN ${text}`, params)) as { detail: string }[]).map((r) => r.detail.trim());
      const expected = [
        'SEARCH collections USING INTEGER PRIMARY KEY (rowid=?)',
        'LIST SUBQUERY 2',
        'SEARCH collections USING COVERING INDEX collections_period_policy (tenant_id=? AND period=? AND policy_number=?)',
        'LIST SUBQUERY 1',
      ];
      expect((await plan(HALT_OPEN, ['POLICY_HELD', 'now', 'acme', 'acme', 'P1'])).slice(0, 4)).toEqual(expected);
      expect((await plan(RESUME, ['now', 'acme', 'P1', 'acme'])).slice(0, 4)).toEqual(expected);
    } finally {
      await w.cleanup();
    }
  });
});
