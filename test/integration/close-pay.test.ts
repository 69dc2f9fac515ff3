import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { makeEnv, type TestEnv } from '../helpers/env.js';
import { loadConfig } from '../../src/config.js';
import { closeDue, closePay, closeReport, closeSettle, disputeSettlement } from '../../src/usecases/close/close.js';
import { planPaymentFile } from '../../src/usecases/close/close-pay.js';
import type { Ports } from '../../src/usecases/ports.js';
import { applyResults } from '../../src/usecases/collect/apply-results.js';
import { eftFileName, eftXml } from '../../src/outbox/eft.renderer.js';
import { ACME_CONFIG, seedMonth, snapshot, xmllint, type CollectionSpec } from './close-seed.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * Three tenants through a close whose payment date is moved back (2026-01-03 is a Saturday):
 * numbering across tenants, a tenant fee override, a flagged (deceased) policy, a tenant with a
 * bad bank account left out of the EFT file and reported, the correction paid in the day's next
 * file, a crash between planning and releasing a file, a late result carried into the next
 * settlement, and disputes.
 */
const P = '2025-12';
const BETA = {
  name: 'Beta Life Ltd',
  vat_number: '4200000000',
  bank_account: { holder: 'Beta Life', bank: 'Nedbank', branch_code: '198765', number: '1234567890', type: 'savings' },
  fees: [{ from: '2025-01-01', distribution_rate: '0.20', collections_rate: '0.03', vat_rate: '0.15' }],
};
const GAMMA = {
  name: 'Gamma Cover Ltd',
  vat_number: '4300000000',
  bank_account: { holder: 'Gamma Cover', bank: 'Capitec', branch_code: '470010', number: '12-34', type: 'current' },
};
const pol = (policy: string, due: number, attempts: CollectionSpec['attempts']): CollectionSpec => ({
  policy,
  customer: `C${policy}`,
  ref: `R${policy}`,
  product: 'FUNERAL_A',
  due,
  attempts,
});

describe.each(['sqlite', 'pg'] as const)('payment, late results and disputes on %s', (dialect) => {
  let env: TestEnv;
  const knex = () => knexOf(dbOf(env.ports.store));
  const settlement = (tenant: string, period: string) => knex()('settlements').where({ tenant_id: tenant, period }).first();
  beforeAll(async () => {
    env = await makeEnv(dialect, { tenants: { acme: ACME_CONFIG, beta: BETA, gamma: GAMMA } }, '2026-01-01T02:00:00+02:00');
    await seedMonth(dbOf(env.ports.store), 'acme', P, [
      pol('A-1', 10_000, [{ date: '2025-12-24', requested: 10_000, paid: 10_000 }]),
      pol('A-2', 20_000, [{ date: '2025-12-24', requested: 20_000, paid: 5_000 }]),
      pol('A-3', 12_000, [{ date: '2025-12-31', requested: 12_000 }]), // still PRESENTED at the close
    ]);
    await seedMonth(dbOf(env.ports.store), 'beta', P, [
      pol('B-1', 20_000, [{ date: '2025-12-24', requested: 20_000, paid: 20_000 }]),
      pol('B-2', 15_000, [{ date: '2025-12-05', requested: 15_000, paid: null, code: '18' }]),
    ]);
    await seedMonth(dbOf(env.ports.store), 'gamma', P, [pol('G-1', 30_000, [{ date: '2025-12-24', requested: 30_000, paid: 30_000 }])]);
  });
  afterAll(async () => env?.cleanup());

  it('day 1: numbers count across tenants; payment date 2026-01-02; beta at its own rates; the deceased policy flagged', async () => {
    const out = await closeDue(env.ports, P, '2026-01-01');
    expect(out.map((o) => [o.step, o.tenant, o.result.status])).toEqual([
      ['report', 'acme', 'done'],
      ['report', 'beta', 'done'],
      ['report', 'gamma', 'done'],
      ['settle', 'acme', 'done'],
      ['settle', 'beta', 'done'],
      ['settle', 'gamma', 'done'],
    ]);
    const rows = await knex()('settlements').orderBy('seq').select('settlement_number', 'tenant_id', 'payment_date', 'payment_reference', 'total_collections', 'total_fees', 'vat', 'net_amount');
    expect(rows.map((r: Record<string, unknown>) => ({ ...r, total_collections: Number(r.total_collections), total_fees: Number(r.total_fees), vat: Number(r.vat), net_amount: Number(r.net_amount) }))).toEqual([
      { settlement_number: 'SETTLE-2025-12-001', tenant_id: 'acme', payment_date: '2026-01-02', payment_reference: 'EFT-20260102-001', total_collections: 15_000, total_fees: 4_275, vat: 641, net_amount: 10_084 },
      { settlement_number: 'SETTLE-2025-12-002', tenant_id: 'beta', payment_date: '2026-01-02', payment_reference: 'EFT-20260102-002', total_collections: 20_000, total_fees: 4_600, vat: 690, net_amount: 14_710 },
      { settlement_number: 'SETTLE-2025-12-003', tenant_id: 'gamma', payment_date: '2026-01-02', payment_reference: 'EFT-20260102-003', total_collections: 30_000, total_fees: 8_550, vat: 1_283, net_amount: 20_167 },
    ]);
    expect(out[1]!.result.files.map((f) => f.split('/').pop())).toEqual(['collections-2025-12.csv', 'collections-2025-12.json', 'flagged-2025-12.csv']);
    expect(readFileSync(out[1]!.result.files[2]!, 'utf8')).toBe(
      'period_month,customer_id,external_customer_ref,policy_number,product_code,flag,collection_status,last_attempt_date,last_failure_reason\n' +
        '2025-12,CB-2,RB-2,B-2,FUNERAL_A,DECEASED,UNPAID,2025-12-05,ACCOUNT_HOLDER_DECEASED\n',
    );
    expect(readFileSync(join(env.root, 'outbox/acme/2025-12/collections-2025-12.csv'), 'utf8').split('\n')[3]).toBe('2025-12,CA-3,RA-3,A-3,FUNERAL_A,120.00,0.00,120.00,UNPAID,2025-12-31,2025-12-31,1,');
  });

  it('payment date 2026-01-02 (day 2): the bad account is left out and reported, the others paid in one file', async () => {
    env.setNow('2026-01-02T02:00:00+02:00');
    const out = await closeDue(env.ports, P, '2026-01-02');
    expect(out.map((o) => [o.step, o.tenant, o.result.status])).toEqual([
      ['report', 'acme', 'exists'],
      ['report', 'beta', 'exists'],
      ['report', 'gamma', 'exists'],
      ['settle', 'acme', 'exists'],
      ['settle', 'beta', 'exists'],
      ['settle', 'gamma', 'exists'],
      ['invoice', 'acme', 'done'],
      ['invoice', 'beta', 'done'],
      ['invoice', 'gamma', 'done'],
      ['pay', null, 'done'],
    ]);
    const pay = out[9]!.result;
    expect(pay.files.map((f) => f.slice(env.root.length + 1))).toEqual([
      'outbox/acme/2025-12/settlement-SETTLE-2025-12-001.csv',
      'outbox/beta/2025-12/settlement-SETTLE-2025-12-002.csv',
      'outbox/gamma/2025-12/settlement-SETTLE-2025-12-003.csv',
      'outbox/bank/payments-20260102-001.xml',
    ]);
    expect(pay.problems).toEqual([
      'gamma SETTLE-2025-12-003: bank account: number "12-34" must be digits only (no spaces or dashes); left out of the payment file, the settlement stays pending',
    ]);
    const xml = readFileSync(pay.files[3]!, 'utf8');
    xmllint(pay.files[3]!);
    expect(xml).toContain('<NbOfTxs>2</NbOfTxs>');
    expect(xml).toContain('<CtrlSum>247.94</CtrlSum>');
    expect(xml).toContain('<EndToEndId>EFT-20260102-001</EndToEndId>');
    expect(xml).toContain('<Ustrd>SETTLE-2025-12-002</Ustrd>');
    expect(xml).toContain('<Tp><Prtry>SAVINGS</Prtry></Tp>');
    expect(xml).not.toContain('Gamma');
    expect(await knex()('settlements').orderBy('seq').pluck('status')).toEqual(['paid', 'paid', 'pending']);
    expect((await knex()('invoices').orderBy('seq').pluck('invoice_number'))).toEqual(['INV-2025-12-001', 'INV-2025-12-002', 'INV-2025-12-003']);

    const before = snapshot(env.root);
    const again = await closePay(env.ports, '2026-01-02');
    expect([again.status, again.problems.length]).toEqual(['exists', 1]);
    expect(snapshot(env.root)).toEqual(before);
  });

  it('after the account is corrected, a crash between planning and release: the next run writes the planned bytes once', async () => {
    const cfgPath = join(env.root, 'config/local.yaml');
    const cfg = parse(readFileSync(cfgPath, 'utf8')) as { tenants: { gamma: typeof GAMMA } };
    cfg.tenants.gamma.bank_account.number = '1234567';
    writeFileSync(cfgPath, stringify(cfg));
    const ports: Ports = { ...env.ports, config: loadConfig({ root: env.root, env: {} }) };
    const gamma = await settlement('gamma', P);
    // what closePay's first transaction does, then the process dies before writing the file
    const planned = await ports.store.transaction((tx) =>
      planPaymentFile(tx, '2026-01-02', [gamma.id], (s, seq) => {
        const content = eftXml({
          paymentDate: '2026-01-02',
          sequence: seq,
          debtor: { name: ports.config.provider.name, account: ports.config.provider.bank_account },
          payments: s.map((x) => ({ settlementNumber: x.settlement_number, paymentReference: x.payment_reference, amountCents: Number(x.net_amount), creditor: { name: GAMMA.name, account: { ...GAMMA.bank_account, number: '1234567' } } })),
        });
        return { seq, name: eftFileName('2026-01-02', seq), content, total: 20_167 };
      }, '2026-01-02T00:00:00.000Z'),
    );
    expect(planned!.name).toBe('payments-20260102-002.xml');
    expect((await settlement('gamma', P)).status).toBe('pending');

    const out = await closePay(ports, '2026-01-02');
    expect([out.status, out.problems, out.files.slice(3).map((f) => f.split('/').pop())]).toEqual(['done', [], ['payments-20260102-001.xml', 'payments-20260102-002.xml']]);
    const path = join(env.root, 'outbox/bank/payments-20260102-002.xml');
    expect(readFileSync(path, 'utf8')).toBe(planned!.content);
    xmllint(path);
    expect(await knex()('settlements').orderBy('seq').pluck('status')).toEqual(['paid', 'paid', 'paid']);
    expect(await knex()('payment_files').orderBy('seq').pluck('name')).toEqual(['payments-20260102-001.xml', 'payments-20260102-002.xml']);

    // a crash after the rename but before the release: the file is kept as it is, then released
    await knex()('payment_files').where({ seq: 2 }).update({ released_at: null });
    await knex()('settlements').where({ tenant_id: 'gamma' }).update({ status: 'pending', paid_at: null });
    const mtime = statSync(path).mtimeMs;
    const rerun = await closePay(ports, '2026-01-02');
    expect(rerun.status).toBe('done');
    expect(statSync(path).mtimeMs).toBe(mtime);
    expect((await settlement('gamma', P)).status).toBe('paid');
    expect((await closePay(ports, '2026-01-02')).status).toBe('exists');
  });

  it('a late result for the closed period becomes an adjustment of the next settlement; the closed collection is untouched', async () => {
    env.setNow('2026-01-05T10:00:00+02:00');
    const summary = await env.ports.store.transaction((tx) =>
      applyResults(tx, [{ instructionId: 'acme-2025-12-A-3-1', result: 'PAID', amountCollectedCents: 12_000, reasonCode: null, processedDate: '2026-01-05' }], '2026-01-05T08:00:00.000Z'),
    );
    expect(summary.late).toBe(1);
    expect(await knex()('collections').where({ tenant_id: 'acme', period: P, policy_number: 'A-3' }).first('status', 'amount_collected')).toEqual({ status: 'UNPAID', amount_collected: 0 });

    await seedMonth(dbOf(env.ports.store), 'acme', '2026-01', [pol('A-1', 10_000, [{ date: '2026-01-23', requested: 10_000, paid: 10_000 }])]);
    env.setNow('2026-02-01T02:00:00+02:00');
    // three tenants settle at once: numbers are allocated without a clash
    for (const t of ['acme', 'beta', 'gamma']) expect((await closeReport(env.ports, t, '2026-01')).status).toBe('done');
    const settled = await Promise.all(['acme', 'beta', 'gamma'].map((t) => closeSettle(env.ports, t, '2026-01')));
    expect(settled.map((s) => s.status)).toEqual(['done', 'done', 'done']);
    const numbers = await knex()('settlements').where({ period: '2026-01' }).orderBy('seq').select('settlement_number', 'payment_reference');
    expect(numbers.map((n: { settlement_number: string }) => n.settlement_number)).toEqual(['SETTLE-2026-01-001', 'SETTLE-2026-01-002', 'SETTLE-2026-01-003']);
    expect(numbers.map((n: { payment_reference: string }) => n.payment_reference)).toEqual(['EFT-20260203-001', 'EFT-20260203-002', 'EFT-20260203-003']);

    const acme = await settlement('acme', '2026-01');
    expect([Number(acme.collected_in_period), Number(acme.adjustments_total), Number(acme.total_collections), Number(acme.net_amount)]).toEqual([10_000, 12_000, 22_000, 14_789]);
    expect(await knex()('adjustments').select('origin_period', 'policy_number', 'amount', 'carried_into_period')).toEqual([
      { origin_period: '2025-12', policy_number: 'A-3', amount: 12_000, carried_into_period: '2026-01' },
    ]);
    const json = JSON.parse(readFileSync(join(env.root, `outbox/acme/2026-01/settlement-${acme.settlement_number}.json`), 'utf8')) as Record<string, unknown>;
    expect(json.adjustments).toEqual([{ period_month: '2025-12', policy_number: 'A-3', amount: '120.00' }]);
    expect(json.total_collections).toBe('220.00');

    const pay = await closePay(env.ports, '2026-02-03');
    // the three settlements were numbered concurrently, in any order: take acme's file by its number
    const acmeCsv = pay.files.find((f) => f.includes(`/acme/`) && f.includes(acme.settlement_number));
    expect(readFileSync(acmeCsv!, 'utf8')).toBe(
      'settlement_number,period_month,policy_number,customer_id,external_customer_ref,product_code,collection_amount_collected,distribution_fee,collections_fee,vat,net_amount\n' +
        `${acme.settlement_number},2026-01,A-1,CA-1,RA-1,FUNERAL_A,100.00,25.00,3.50,4.28,67.22\n` +
        `${acme.settlement_number},2025-12,A-3,CA-3,RA-3,FUNERAL_A,120.00,30.00,4.20,5.13,80.67\n`,
    );
  });

  it('disputes: within 30 days of creation (pending: no longer paid; paid: marked), later refused', async () => {
    const acme = await settlement('acme', '2026-01');
    await knex()('payment_files').where({ payment_date: '2026-02-03' }).delete();
    await knex()('settlements').where({ id: acme.id }).update({ status: 'pending', payment_file_id: null, paid_at: null });
    const d = await disputeSettlement(env.ports, acme.settlement_number, 'premium for A-1 was refunded');
    expect(d.ok).toBe(true);
    const pay = await closePay(env.ports, '2026-02-03');
    expect(pay.problems.filter((p) => p.startsWith('acme '))).toEqual([`acme ${acme.settlement_number}: disputed (premium for A-1 was refunded); not paid`]);
    expect(pay.files.some((f) => f.endsWith('.xml'))).toBe(false);
    expect(await disputeSettlement(env.ports, acme.settlement_number, 'again')).toMatchObject({ ok: false, code: 'already_disputed' });

    env.setNow('2026-01-31T02:00:00+02:00'); // exactly 30 days after SETTLE-2025-12-002 was created
    expect(await disputeSettlement(env.ports, 'SETTLE-2025-12-002', '  fees wrong  ')).toMatchObject({ ok: true, settlement: { status: 'disputed', dispute_reason: 'fees wrong', paid_at: '2026-01-02T00:00:00.000Z' } });
    env.setNow('2026-01-31T02:00:01+02:00');
    expect(await disputeSettlement(env.ports, 'SETTLE-2025-12-003', 'late')).toEqual({
      ok: false,
      code: 'too_late',
      message: 'SETTLE-2025-12-003 was issued on 2026-01-01T00:00:00.000Z; it could be disputed for 30 days, until 2026-01-31T00:00:00.000Z',
    });
    expect(await disputeSettlement(env.ports, 'SETTLE-1999-01-001', 'x')).toMatchObject({ ok: false, code: 'not_found' });
    expect(await disputeSettlement(env.ports, 'SETTLE-2025-12-003', ' ')).toMatchObject({ ok: false, code: 'no_reason' });
  });
});
