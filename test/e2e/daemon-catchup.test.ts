import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllKasi, requireBuilt, spawnKasi, waitFor, type KasiProcess, initRoot, daemonConfig } from '../helpers/cli.js';

/**
 * Catch-up (SPEC 6) with the built daemon: it runs on Thursday 27 November, is stopped before
 * Friday's batch, and comes back on Tuesday 2 December at 05:00. At start it runs what it missed,
 * in order, once: Friday's batch is recorded `skipped` (November is over: never a batch for a
 * period being closed), the day-1 close, Monday's December batch, the day-2 close. A restart
 * runs none of them again.
 */
const ACCOUNT = { holder: 'Acme Funeral Insurance', bank: 'Absa', branch_code: '632005', number: '4000000000', type: 'current' };
let root: string;

const sqlite = () => new Database(join(root, 'data/kasi.sqlite'), { readonly: true, fileMustExist: true });

/** In claim order (the row id): the order they ran in. */
function runs(): string[] {
  const db = sqlite();
  try {
    // the daily pay step's idle days (recorded `skipped`) are left out
    return (db.prepare(`SELECT step, occurrence, status, attempts FROM schedule_runs WHERE NOT (step = 'close_pay' AND status = 'skipped') ORDER BY id`).all() as Record<string, unknown>[]).map(
      (r) => `${r.step} ${r.occurrence} ${r.status} ${r.attempts}`,
    );
  } finally {
    db.close();
  }
}

async function daemon(now: string, speed: number): Promise<KasiProcess> {
  const d = spawnKasi(['daemon'], { env: { KASI_ROOT: root, KASI_NOW: now, KASI_SPEED: String(speed), KASI_LOG_LEVEL: 'info' } });
  await waitFor('the daemon to start', () => d.stderr().includes('kasi daemon started') || d.child.exitCode !== null, 30_000);
  expect(d.child.exitCode, d.stderr()).toBeNull();
  return d;
}

async function stop(d: KasiProcess): Promise<string> {
  d.child.kill('SIGTERM');
  const end = await d.exited;
  expect([end.code, end.signal], end.stderr.slice(-3000)).toEqual([0, null]);
  return end.stderr;
}

beforeAll(async () => {
  requireBuilt();
  root = await initRoot(
    'kasi-e2e-catchup-',
    'acme',
    daemonConfig({ tenants: { acme: { name: 'Acme Funeral Insurance Ltd', vat_number: '4100000000', intake: 'folder', bank_account: ACCOUNT } } }),
  );
});

afterAll(async () => {
  await killAllKasi();
  rmSync(root, { recursive: true, force: true });
});

describe('kasi daemon catch-up after an outage over the month end', () => {
  it('runs on Thursday 27 November and is stopped before Friday', async () => {
    const d = await daemon('2025-11-27T05:00:00+02:00', 1800);
    writeFileSync(join(root, 'inbox/acme/policies-nov.csv'), 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC1,R1,P1,FUN,150.00\nC2,R2,P2,FUN,99.90\n');
    await waitFor('the batch of the 27th', () => existsSync(join(root, 'data/kasi.sqlite')) && runs().includes('batch 2025-11-27T06:00:00+02:00 done 1'), 30_000, 25);
    await stop(d);
    expect(runs()).toEqual(['batch 2025-11-27T06:00:00+02:00 done 1']);
  });

  it('back on Tuesday 2 December 05:00: the missed steps run once, in order, and no batch of November', async () => {
    const d = await daemon('2025-12-02T05:00:00+02:00', 1);
    await waitFor('the catch-up', () => d.stderr().includes('catch-up done'), 30_000);
    const log = await stop(d);
    expect(runs()).toEqual([
      'batch 2025-11-27T06:00:00+02:00 done 1',
      'batch 2025-11-28T06:00:00+02:00 skipped 1',
      'close_report 2025-12-01T02:00:00+02:00 done 1',
      'batch 2025-12-01T06:00:00+02:00 done 1',
      'close_invoice 2025-12-02T02:00:00+02:00 done 1',
    ]);
    expect(log).toContain('"reason":"the 2025-11 period is over (it is closed on the 1st); no batch runs in it any more"');
    const db = sqlite();
    const dates = db.prepare(`SELECT DISTINCT action_date FROM attempts WHERE period = '2025-11' ORDER BY action_date`).all();
    const closed = db.prepare(`SELECT period, closed_at IS NOT NULL AS closed FROM periods ORDER BY period`).all();
    db.close();
    expect(dates).toEqual([{ action_date: '2025-11-27' }]);
    expect(closed).toEqual([
      { period: '2025-11', closed: 1 },
      { period: '2025-12', closed: 0 },
    ]);
    expect(existsSync(join(root, 'outbox/acme/2025-11/collections-2025-11.csv'))).toBe(true);
    expect(existsSync(join(root, 'outbox/acme/2025-11/invoice-INV-2025-11-001.json'))).toBe(true);
  });

  it('a restart ten minutes later runs nothing again', async () => {
    const before = runs();
    const d = await daemon('2025-12-02T05:10:00+02:00', 1);
    await waitFor('the catch-up', () => d.stderr().includes('catch-up done'), 30_000);
    const log = await stop(d);
    expect(log).toContain('"ran":0');
    expect(runs()).toEqual(before);
  });
});
