import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllKasi, requireBuilt, spawnKasi, waitFor, type KasiProcess, initRoot, daemonConfig } from '../helpers/cli.js';

/**
 * The built daemon across a month end on a simulated clock (KASI_NOW + KASI_SPEED), as a demo
 * runs it: a policy file dropped on Friday 28 November is taken and collected by that morning's
 * batch; the daemon restarts on Sunday night and the close produces the day-1 documents on 1
 * December, the invoice on the 2nd and the payment on the 3rd, each on its day, once.
 */
const ACCOUNT = { holder: 'Acme Funeral Insurance', bank: 'Absa', branch_code: '632005', number: '4000000000', type: 'current' };
const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
let root: string;

interface Run {
  step: string;
  occurrence: string;
  status: string;
  attempts: number;
  started_at: string;
}

function runs(): Run[] {
  const db = new Database(join(root, 'data/kasi.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT step, occurrence, status, attempts, started_at FROM schedule_runs ORDER BY occurrence, step').all() as Run[];
  } catch {
    return []; // not migrated yet
  } finally {
    db.close();
  }
}

const row = (step: string, occurrence: string) => runs().find((r) => r.step === step && r.occurrence === occurrence && r.status !== 'running');

async function startDaemon(now: string, speed: number): Promise<KasiProcess> {
  const d = spawnKasi(['daemon'], { env: { KASI_ROOT: root, KASI_NOW: now, KASI_SPEED: String(speed), KASI_LOG_LEVEL: 'info' } });
  await waitFor('the daemon to start', () => d.stderr().includes('kasi daemon started') || d.child.exitCode !== null, 30_000);
  expect(d.child.exitCode, d.stderr()).toBeNull();
  return d;
}

async function stopDaemon(d: KasiProcess): Promise<void> {
  d.child.kill('SIGTERM');
  const end = await d.exited;
  expect([end.code, end.signal], end.stderr.slice(-3000)).toEqual([0, null]);
}

function until<T>(what: string, d: KasiProcess, check: () => T | undefined | false): Promise<T> {
  return waitFor(what, check, 40_000, 25).catch((err: Error) => {
    throw new Error(`${err.message}; runs: ${JSON.stringify(runs())}\nlog:\n${d.stderr().slice(-4000)}`);
  });
}

beforeAll(async () => {
  requireBuilt();
  root = await initRoot(
    'kasi-e2e-month-',
    'acme',
    daemonConfig({ tenants: { acme: { name: 'Acme Funeral Insurance Ltd', vat_number: '4100000000', intake: 'folder', bank_account: ACCOUNT } } }),
  );
});

afterAll(async () => {
  await killAllKasi();
  rmSync(root, { recursive: true, force: true });
});

describe('kasi daemon through a month end on a simulated clock', () => {
  it('Friday 28 November: the file dropped at 05:00 is collected by the 06:00 batch', async () => {
    // half an hour a second: the file is taken well before 06:00 (2 s away)
    const d = await startDaemon('2025-11-28T05:00:00+02:00', 1800);
    writeFileSync(join(root, 'inbox/acme/policies-nov.csv'), `${HEADER}C1,R1,P1,FUN,150.00\nC2,R2,P2,FUN,99.90\nC3,R3,P3,FUN,250.00\n`);
    await until('the file to be archived', d, () => existsSync(join(root, 'archive/acme/2025-11-28/policies-nov.csv')));
    const batch = await until('the batch of the 28th', d, () => row('batch', '2025-11-28T06:00:00+02:00'));
    expect(batch).toMatchObject({ status: 'done', attempts: 1 });
    expect(batch.started_at.slice(0, 13)).toBe('2025-11-28T04'); // 06:xx SAST
    await stopDaemon(d);
    const db = new Database(join(root, 'data/kasi.sqlite'), { readonly: true });
    const attempts = db.prepare(`SELECT action_date, COUNT(*) AS n FROM attempts GROUP BY action_date`).all();
    db.close();
    expect(attempts).toEqual([{ action_date: '2025-11-28', n: 3 }]);
  });

  it('from Sunday night: day 1 report and statement, day 2 invoice, day 3 payment, each on its day', async () => {
    const out = (f: string) => join(root, 'outbox/acme/2025-11', f);
    const payments = join(root, 'outbox/bank/payments-20251203-001.xml');
    // four simulated hours a real second: 1 Dec 02:00 is 0.75 s away, the 3rd 12.75 s
    const d = await startDaemon('2025-11-30T23:00:00+02:00', 14_400);

    const day1 = await until('the day-1 close', d, () => row('close_report', '2025-12-01T02:00:00+02:00'));
    expect(day1.status).toBe('done');
    expect(existsSync(out('collections-2025-11.csv')) && existsSync(out('settlement-SETTLE-2025-11-001.pdf'))).toBe(true);
    expect(existsSync(out('invoice-INV-2025-11-001.pdf'))).toBe(false); // not before day 2

    const day2 = await until('the day-2 close', d, () => row('close_invoice', '2025-12-02T02:00:00+02:00'));
    expect(day2.status).toBe('done');
    expect(existsSync(out('invoice-INV-2025-11-001.pdf'))).toBe(true);
    expect(existsSync(payments)).toBe(false); // not before day 3

    const day3 = await until('the day-3 close', d, () => row('close_pay', '2025-12-03T02:00:00+02:00'));
    expect(day3.status).toBe('done');
    expect(existsSync(payments) && existsSync(out('settlement-SETTLE-2025-11-001.csv'))).toBe(true);
    await stopDaemon(d);

    // the daily pay step's idle days are recorded `skipped`: left out here
    const worked = runs().filter((r) => !(r.step === 'close_pay' && r.status === 'skipped'));
    expect(worked.map((r) => [r.step, r.occurrence, r.status, r.attempts, r.started_at.slice(0, 10)])).toEqual([
      ['batch', '2025-11-28T06:00:00+02:00', 'done', 1, '2025-11-28'],
      ['close_report', '2025-12-01T02:00:00+02:00', 'done', 1, '2025-12-01'],
      ['batch', '2025-12-01T06:00:00+02:00', 'done', 1, '2025-12-01'],
      ['close_invoice', '2025-12-02T02:00:00+02:00', 'done', 1, '2025-12-02'],
      ['batch', '2025-12-02T06:00:00+02:00', 'done', 1, '2025-12-02'],
      ['close_pay', '2025-12-03T02:00:00+02:00', 'done', 1, '2025-12-03'],
    ]);
    // the report holds the three policies with the 28th's attempts
    const report = readFileSync(out('collections-2025-11.csv'), 'utf8').trim().split('\n');
    expect(report).toHaveLength(4);
    expect(report.slice(1).map((l) => l.split(',').slice(3, 4).concat(l.split(',').slice(9, 12)))).toEqual([
      ['P1', '2025-11-28', '2025-11-28', '1'],
      ['P2', '2025-11-28', '2025-11-28', '1'],
      ['P3', '2025-11-28', '2025-11-28', '1'],
    ]);
    const xml = readFileSync(payments, 'utf8');
    expect(xml).toContain('<EndToEndId>EFT-20251203-001</EndToEndId>');
  });
});
