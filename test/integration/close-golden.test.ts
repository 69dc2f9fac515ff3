import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnv, type TestEnv } from '../helpers/env.js';
import { GOLDEN_DIR } from '../fixtures/golden/golden.js';
import { STATEMENT } from '../fixtures/golden/small-month.js';
import { closeDue } from '../../src/usecases/close/close.js';
import { ACME_CONFIG, SMALL_ADJUSTMENTS, SMALL_MONTH, pdfText, seedAdjustments, seedMonth, snapshot, xmllint } from './close-seed.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * SPEC 5 end to end on the store: the golden small month seeded into SQLite and PostgreSQL, the
 * close run day by day with closeDue, and every output compared byte for byte with the golden
 * files the renderers are tested against. Then idempotency: running again writes nothing, and a
 * deleted output is rendered again identically from the store.
 */
const P = '2025-11';
const golden = (name: string) => readFileSync(join(GOLDEN_DIR, name), 'utf8');

function sidecarOk(path: string): boolean {
  const want = readFileSync(`${path}.sha256`, 'utf8');
  const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
  return want === `${sha}  ${path.split('/').pop()}\n`;
}

describe.each(['sqlite', 'pg'] as const)('month close of the golden small month on %s', (dialect) => {
  let env: TestEnv;
  let dir: string;
  const knex = () => knexOf(dbOf(env.ports.store));
  beforeAll(async () => {
    env = await makeEnv(dialect, { tenants: { acme: ACME_CONFIG } }, '2025-12-01T02:00:00+02:00');
    dir = join(env.root, 'outbox/acme', P);
    await seedMonth(dbOf(env.ports.store), 'acme', P, SMALL_MONTH);
    await seedAdjustments(knex(), SMALL_ADJUSTMENTS);
  });
  afterAll(async () => env?.cleanup());

  it('before the 1st nothing is due', async () => {
    expect(await closeDue(env.ports, P, '2025-11-30')).toEqual([]);
  });

  it('day 1: final statuses, the report and the statement, as the golden files', async () => {
    const out = await closeDue(env.ports, P, '2025-12-01');
    expect(out.map((o) => [o.step, o.tenant, o.result.status, o.result.problems])).toEqual([
      ['report', 'acme', 'done', []],
      ['settle', 'acme', 'done', []],
    ]);
    expect(out[0]!.result.files).toEqual([join(dir, 'collections-2025-11.csv'), join(dir, 'collections-2025-11.json')]);
    expect(out[1]!.result.files).toEqual([join(dir, 'settlement-SETTLE-2025-11-001.json'), join(dir, 'settlement-SETTLE-2025-11-001.pdf')]);

    const statuses = await knex()('collections').orderBy('policy_number').select('policy_number', 'status');
    expect(statuses.map((r: { status: string }) => r.status)).toEqual(['PAID_FULL', 'PAID_PARTIAL', 'UNPAID', 'CANCELLED', 'PAID_FULL']);
    expect((await knex()('periods').where({ tenant_id: 'acme', period: P }).first('closed_at')).closed_at).toBe('2025-12-01T00:00:00.000Z');

    expect(readFileSync(join(dir, 'collections-2025-11.csv'), 'utf8')).toBe(golden('collections-2025-11.csv'));
    expect(readFileSync(join(dir, 'collections-2025-11.json'), 'utf8')).toBe(golden('collections-2025-11.json'));
    const s = await knex()('settlements').first();
    expect(s.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const json = readFileSync(join(dir, 'settlement-SETTLE-2025-11-001.json'), 'utf8');
    expect(json.replace(s.id, STATEMENT.id as string)).toBe(golden('settlement-SETTLE-2025-11-001.json'));
    expect(Number(s.net_amount)).toBe(111_395);
    for (const f of [...out[0]!.result.files, ...out[1]!.result.files]) expect(sidecarOk(f), f).toBe(true);
    expect(readdirSync(dir).filter((n) => n.startsWith('flagged'))).toEqual([]);

    const adj = await knex()('adjustments').orderBy('id').select('origin_period', 'policy_number', 'carried_into_period');
    expect(adj).toEqual([
      { origin_period: '2025-09', policy_number: 'P-0998', carried_into_period: P },
      { origin_period: '2025-10', policy_number: 'P-0999', carried_into_period: P },
      { origin_period: '2025-11', policy_number: 'P-1003', carried_into_period: null },
      { origin_period: '2025-08', policy_number: 'P-0997', carried_into_period: '2025-10' },
    ]);

    const text = pdfText(join(dir, 'settlement-SETTLE-2025-11-001.pdf'));
    for (const want of ['SETTLEMENT STATEMENT', 'SETTLE-2025-11-001', 'Acme Funeral Insurance Ltd', 'Example Collections (Pty) Ltd', '4100000000', '4000000000', 'R 1 657.06', 'R 1 113.95', '-R 70.84', '2025-12-03', 'EFT-20251203-001', 'P-0998']) {
      expect(text).toContain(want);
    }
  });

  it('day 1 again: nothing is written, one settlement', async () => {
    const before = snapshot(env.root);
    const out = await closeDue(env.ports, P, '2025-12-01');
    expect(out.map((o) => o.result.status)).toEqual(['exists', 'exists']);
    expect(snapshot(env.root)).toEqual(before);
    expect(Number(((await knex()('settlements').count({ n: '*' })) as { n: number | string }[])[0]!.n)).toBe(1);
  });

  it('a deleted output is rendered again from the store, byte for byte', async () => {
    const before = snapshot(env.root);
    for (const f of ['collections-2025-11.json', 'settlement-SETTLE-2025-11-001.pdf', 'settlement-SETTLE-2025-11-001.json.sha256']) rmSync(join(dir, f));
    const out = await closeDue(env.ports, P, '2025-12-01');
    expect(out.map((o) => o.result.status)).toEqual(['done', 'done']);
    const after = snapshot(env.root);
    expect(Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v.sha]))).toEqual(Object.fromEntries(Object.entries(before).map(([k, v]) => [k, v.sha])));
  });

  it('day 2: the tax invoice, as the golden JSON; the PDF names both parties and VAT numbers', async () => {
    env.setNow('2025-12-02T02:00:00+02:00');
    const out = await closeDue(env.ports, P, '2025-12-02');
    expect(out.map((o) => [o.step, o.result.status])).toEqual([
      ['report', 'exists'],
      ['settle', 'exists'],
      ['invoice', 'done'],
    ]);
    expect(out[2]!.result.files).toEqual([join(dir, 'invoice-INV-2025-11-001.json'), join(dir, 'invoice-INV-2025-11-001.pdf')]);
    expect(readFileSync(join(dir, 'invoice-INV-2025-11-001.json'), 'utf8')).toBe(golden('invoice-INV-2025-11-001.json'));
    const text = pdfText(join(dir, 'invoice-INV-2025-11-001.pdf'));
    for (const want of ['TAX INVOICE', 'INV-2025-11-001', '2025-12-02', '4000000000', '4100000000', 'R 543.11', 'SETTLE-2025-11-001']) expect(text).toContain(want);
    const again = await closeDue(env.ports, P, '2025-12-02');
    expect(again.map((o) => o.result.status)).toEqual(['exists', 'exists', 'exists']);
    expect(await knex()('invoices').select('invoice_number')).toEqual([{ invoice_number: 'INV-2025-11-001' }]);
  });

  it('day 3: the settlement CSV and the EFT file as the golden files; the settlement is paid', async () => {
    env.setNow('2025-12-03T02:00:00+02:00');
    const out = await closeDue(env.ports, P, '2025-12-03');
    const pay = out[3]!;
    expect([pay.step, pay.paymentDate, pay.result]).toEqual([
      'pay',
      '2025-12-03',
      { status: 'done', files: [join(dir, 'settlement-SETTLE-2025-11-001.csv'), join(env.root, 'outbox/bank/payments-20251203-001.xml')], problems: [] },
    ]);
    expect(readFileSync(pay.result.files[0]!, 'utf8')).toBe(golden('settlement-SETTLE-2025-11-001.csv'));
    expect(readFileSync(pay.result.files[1]!, 'utf8')).toBe(golden('payments-20251203-001.xml'));
    xmllint(pay.result.files[1]!);
    for (const f of pay.result.files) expect(sidecarOk(f)).toBe(true);
    const s = await knex()('settlements').first('status', 'paid_at', 'payment_file_id');
    expect(s).toMatchObject({ status: 'paid', paid_at: '2025-12-03T00:00:00.000Z' });
    expect(await knex()('payment_files').select('name', 'payments', 'released_at')).toEqual([
      { name: 'payments-20251203-001.xml', payments: 1, released_at: '2025-12-03T00:00:00.000Z' },
    ]);

    // the statement file keeps the status it was issued with; a re-run changes nothing
    const before = snapshot(env.root);
    env.setNow('2025-12-04T09:00:00+02:00');
    const again = await closeDue(env.ports, P, '2025-12-04');
    expect(again.map((o) => o.result.status)).toEqual(['exists', 'exists', 'exists', 'exists']);
    expect(snapshot(env.root)).toEqual(before);
    expect(Object.keys(before).filter((n) => n.includes('.tmp'))).toEqual([]);
  });
});
