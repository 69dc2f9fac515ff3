import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { killAllKasi, REPO, requireBuilt, runKasi } from '../helpers/cli.js';
import { openDb, knexOf } from '../../src/store/db.js';
import { ACME_CONFIG, SMALL_ADJUSTMENTS, SMALL_MONTH, seedAdjustments, seedMonth } from '../integration/close-seed.js';

/**
 * SPEC 8 as an operator runs the month close: `kasi close` day by day (KASI_NOW), `kasi report`,
 * `kasi settlement show|export|dispute`, their output and exit codes. The store is the golden
 * small month (acme) plus a tenant without a bank account (beta), written into the SQLite file.
 */
const GOLDEN = join(REPO, 'test/fixtures/golden');
let root: string;
let out: string;
const at = (now: string) => ({ env: { KASI_NOW: now } });
const kasi = (args: string[], now: string) => runKasi([...args, '--root', root], at(now));

beforeAll(async () => {
  requireBuilt();
  root = mkdtempSync(join(tmpdir(), 'kasi-e2e-close-'));
  out = join(root, 'outbox');
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(
    join(root, 'config/local.yaml'),
    stringify({ database: 'sqlite:data/kasi.sqlite', tenants: { acme: ACME_CONFIG, beta: { name: 'Beta Life Ltd', vat_number: '4200000000' } } }),
  );
  expect((await runKasi(['migrate', '--root', root])).code).toBe(0);
  const db = openDb({ client: 'sqlite', file: join(root, 'data/kasi.sqlite') });
  await seedMonth(db, 'acme', '2025-11', SMALL_MONTH);
  await seedAdjustments(knexOf(db), SMALL_ADJUSTMENTS);
  await seedMonth(db, 'beta', '2025-11', [{ policy: 'B-1', customer: 'CB', ref: 'RB', product: 'LIFE', due: 5_000, attempts: [{ date: '2025-11-25', requested: 5_000, paid: 5_000 }] }]);
  await db.close();
});
afterEach(killAllKasi);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('kasi close', () => {
  it('before the 1st: nothing is due; a named step on a running period is refused (exit 2)', async () => {
    expect(await kasi(['close', '--period', '2025-11'], '2025-11-20')).toMatchObject({
      code: 0,
      stdout: '2025-11: nothing due on 2025-11-20; the close starts on 2025-12-01\n',
      stderr: '',
    });
    const r = await kasi(['close', '--period', '2025-11', '--tenant', 'acme', '--step', 'report'], '2025-11-20');
    expect([r.code, r.stdout]).toEqual([2, 'report acme 2025-11: skipped\n  problem: acme 2025-11: the period is still running; it can be closed from 2025-12-01\n']);
    const rep = await kasi(['report', '--period', '2025-11', '--tenant', 'acme'], '2025-11-20');
    expect(rep).toMatchObject({ code: 2, stdout: '', stderr: 'kasi: acme 2025-11 is not closed yet; close it with: kasi close --period 2025-11 --tenant acme --step report\n' });
  });

  it('bad usage exits 2 and says what to do', async () => {
    expect(await kasi(['close', '--period', '2025-13'], '2025-12-01')).toMatchObject({ code: 2, stderr: 'kasi: --period "2025-13" is not a month YYYY-MM (e.g. 2025-11)\n' });
    expect(await kasi(['close', '--period', '2025-11', '--step', 'everything'], '2025-12-01')).toMatchObject({ code: 2, stderr: 'kasi: --step must be one of report, settle, invoice, pay, not "everything"\n' });
    expect(await kasi(['close', '--period', '2025-11', '--tenant', 'zeta'], '2025-12-01')).toMatchObject({ code: 2, stderr: 'kasi: unknown tenant "zeta": known tenants are acme, beta\n' });
    expect(await kasi(['settlement', 'show', 'SETTLE-1999-01-001'], '2025-12-01')).toMatchObject({ code: 2, stderr: 'kasi: no settlement SETTLE-1999-01-001 (numbers look like SETTLE-2025-11-001; see kasi close output)\n' });
  });

  it('day 1: prints what it wrote; again: that it was there', async () => {
    const r = await kasi(['close', '--period', '2025-11'], '2025-12-01T02:00:00');
    const a = join(out, 'acme/2025-11');
    const b = join(out, 'beta/2025-11');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      [
        'report acme 2025-11: written',
        `  ${a}/collections-2025-11.csv`,
        `  ${a}/collections-2025-11.json`,
        'report beta 2025-11: written',
        `  ${b}/collections-2025-11.csv`,
        `  ${b}/collections-2025-11.json`,
        'settle acme 2025-11: written',
        `  ${a}/settlement-SETTLE-2025-11-001.json`,
        `  ${a}/settlement-SETTLE-2025-11-001.pdf`,
        'settle beta 2025-11: written',
        `  ${b}/settlement-SETTLE-2025-11-002.json`,
        `  ${b}/settlement-SETTLE-2025-11-002.pdf`,
        '',
      ].join('\n'),
    );
    const again = await kasi(['close', '--period', '2025-11', '--tenant', 'acme'], '2025-12-01T09:00:00');
    expect(again.stdout.split('\n').filter((l) => !l.startsWith('  '))).toEqual(['report acme 2025-11: already there, nothing written', 'settle acme 2025-11: already there, nothing written', '']);
    expect(again.code).toBe(0);
  });

  it('kasi report prints or writes exactly the outbox file', async () => {
    const csv = await kasi(['report', '--period', '2025-11', '--tenant', 'acme'], '2025-12-05');
    expect([csv.code, csv.stderr]).toEqual([0, '']);
    expect(csv.stdout).toBe(readFileSync(join(GOLDEN, 'collections-2025-11.csv'), 'utf8'));
    expect(csv.stdout).toBe(readFileSync(join(out, 'acme/2025-11/collections-2025-11.csv'), 'utf8'));
    const json = await kasi(['report', '--period', '2025-11', '--tenant', 'acme', '--format', 'json'], '2025-12-05');
    expect(json.stdout).toBe(readFileSync(join(out, 'acme/2025-11/collections-2025-11.json'), 'utf8'));
    const file = join(root, 'my-report.json');
    const w = await kasi(['report', '--period', '2025-11', '--tenant', 'acme', '--format', 'json', '-o', file], '2025-12-05');
    expect([w.code, w.stdout]).toEqual([0, `wrote ${file}\n`]);
    expect(readFileSync(file, 'utf8')).toBe(json.stdout);
    expect((await kasi(['report', '--period', '2025-11', '--tenant', 'acme', '--format', 'xml'], '2025-12-05')).code).toBe(2);
  });

  it('day 3: the invoice, the settlement CSV and the EFT file; beta (no bank account) reported, exit 1', async () => {
    const r = await kasi(['close', '--period', '2025-11'], '2025-12-03T02:00:00');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => !l.startsWith('  '))).toEqual([
      'report acme 2025-11: already there, nothing written',
      'report beta 2025-11: already there, nothing written',
      'settle acme 2025-11: already there, nothing written',
      'settle beta 2025-11: already there, nothing written',
      'invoice acme 2025-11: written',
      'invoice beta 2025-11: written',
      'pay payment date 2025-12-03: written',
      '',
    ]);
    const pay = lines.indexOf('pay payment date 2025-12-03: written');
    expect(lines.slice(pay + 1)).toEqual([
      `  ${out}/acme/2025-11/settlement-SETTLE-2025-11-001.csv`,
      `  ${out}/beta/2025-11/settlement-SETTLE-2025-11-002.csv`,
      `  ${out}/bank/payments-20251203-001.xml`,
      '  problem: beta SETTLE-2025-11-002: bank account: no bank account is configured; left out of the payment file, the settlement stays pending',
      '',
    ]);
    expect(readFileSync(join(out, 'bank/payments-20251203-001.xml'), 'utf8')).toBe(readFileSync(join(GOLDEN, 'payments-20251203-001.xml'), 'utf8'));
  });

  it('kasi settlement show / export', async () => {
    const show = await kasi(['settlement', 'show', 'SETTLE-2025-11-001'], '2025-12-04');
    expect(show.code).toBe(0);
    expect(show.stdout).toBe(
      [
        'SETTLE-2025-11-001  acme  2025-11  paid',
        '  total collections        1657.06  (collected in 2025-11 1594.56, adjustments 62.50 in 2 lines)',
        '  distribution fee          414.27  (rate 0.25)',
        '  collections fee            58.00  (rate 0.035)',
        '  total fees                472.27',
        '  VAT                        70.84  (rate 0.15)',
        '  net amount               1113.95',
        '  payment           2025-12-03 EFT-20251203-001',
        '  created           2025-12-01T00:00:00.000Z',
        '  paid              2025-12-03T00:00:00.000Z',
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await kasi(['settlement', 'show', 'SETTLE-2025-11-002', '--json'], '2025-12-04')).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ settlement_number: 'SETTLE-2025-11-002', tenant: 'beta', status: 'pending', net_amount: '33.61', payment_reference: 'EFT-20251203-002' });
    const exp = await kasi(['settlement', 'export', 'SETTLE-2025-11-001'], '2025-12-04');
    expect([exp.code, exp.stdout]).toEqual([0, readFileSync(join(GOLDEN, 'settlement-SETTLE-2025-11-001.csv'), 'utf8')]);
  });

  it('kasi settlement dispute: refused after 30 days (exit 2), accepted within, refused twice', async () => {
    const late = await kasi(['settlement', 'dispute', 'SETTLE-2025-11-001', '--reason', 'fees wrong'], '2026-01-05');
    expect(late).toMatchObject({
      code: 2,
      stderr: 'kasi: SETTLE-2025-11-001 was issued on 2025-12-01T00:00:00.000Z; it could be disputed for 30 days, until 2025-12-31T00:00:00.000Z\n',
    });
    const ok = await kasi(['settlement', 'dispute', 'SETTLE-2025-11-001', '--reason', 'fees wrong'], '2025-12-10');
    expect(ok).toMatchObject({ code: 0, stdout: 'SETTLE-2025-11-001: disputed (fees wrong); it was already paid on 2025-12-03T00:00:00.000Z\n' });
    const pending = await kasi(['settlement', 'dispute', 'SETTLE-2025-11-002', '--reason', 'no bank account yet'], '2025-12-10');
    expect(pending.stdout).toBe('SETTLE-2025-11-002: disputed (no bank account yet); it will not be paid\n');
    expect((await kasi(['settlement', 'dispute', 'SETTLE-2025-11-001', '--reason', 'again'], '2025-12-11')).code).toBe(2);
    expect((await kasi(['settlement', 'show', 'SETTLE-2025-11-001'], '2025-12-11')).stdout).toContain('  disputed          2025-12-10T06:00:00.000Z: fees wrong\n');
  });
});
