import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { executeCollections } from '../../src/usecases/collect/execute.js';
import { importFile } from '../../src/usecases/intake/import-file.js';
import { scheduledSteps } from '../../src/daemon/steps.js';
import { Scheduler, type UnitReport } from '../../src/daemon/scheduler.js';
import { existsComplete } from '../../src/files/atomic-writer.js';
import { makeEnv, type TestEnv } from '../helpers/env.js';
import { ACME_CONFIG, bigMonth, seedMonth } from './close-seed.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * Issue 7 item 4, the outbox side: a full disk and a folder that cannot be written. The step run by
 * the daemon's scheduler fails loudly (recorded `failed` with the file named, logged as an error),
 * leaves no partial or temp file, and its retry (the scheduler's next attempt) succeeds once the
 * disk has room again. As root the folder is a real small tmpfs (full: `size=` too small; unwritable:
 * remounted read-only); without root, the write-boundary seam KASI_FAULT_WRITE of
 * src/faults/write-faults.ts injects the same errno (KASI_TEST_NO_MOUNT=1 forces that path).
 */
const HOUR = 3_600_000;
let env: TestEnv | null = null;
const mounts: string[] = [];

afterEach(async () => {
  for (const m of mounts.splice(0)) execFileSync('umount', [m]);
  delete process.env.KASI_FAULT_WRITE;
  await env?.cleanup();
  env = null;
});

/** A folder that fails writes with `code` until healed: a tmpfs as root, else the seam. */
function faultyFolder(dir: string, code: 'ENOSPC' | 'EROFS'): { how: string; heal(): void } {
  try {
    if (process.env.KASI_TEST_NO_MOUNT) throw new Error('mounting disabled');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    mounts.push(dir);
    if (code === 'EROFS') execFileSync('mount', ['-o', 'remount,ro', dir]);
    return { how: 'tmpfs', heal: () => execFileSync('mount', ['-o', code === 'EROFS' ? 'remount,rw' : 'remount,size=16m', dir]) };
  } catch {
    process.env.KASI_FAULT_WRITE = `${code}:${dir}`;
    return { how: 'seam', heal: () => delete process.env.KASI_FAULT_WRITE };
  }
}

function scheduler(step: string, ran: UnitReport[]): Scheduler {
  const steps = scheduledSteps(env!.ports.config).filter((s) => s.name === step);
  return new Scheduler(env!.ports, { steps, leaseMs: 30_000, horizonMs: 3 * HOUR, maxAttempts: 3, retryMs: 0, maxSleepMs: 1000, onUnit: (u) => ran.push(u) });
}

const listing = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
const short = (u: UnitReport) => [u.step, u.status, u.attempt];

describe('outbox faults', () => {
  it('disk full during the day-1 close: failed loudly, nothing partial, done on the retry with every file complete', async () => {
    env = await makeEnv('sqlite', { tenants: { acme: ACME_CONFIG } }, '2025-12-01T02:30:00+02:00');
    const N = 3000;
    await seedMonth(dbOf(env.ports.store), 'acme', '2025-11', bigMonth(N, 3));
    const tenantOutbox = join(env.root, 'outbox/acme');
    const fault = faultyFolder(tenantOutbox, 'ENOSPC');
    const ran: UnitReport[] = [];
    const s = scheduler('close_report', ran);

    expect((await s.tick()).blockedAt).toBe('2025-12-01T02:00:00+02:00');
    expect(ran.map(short)).toEqual([['close_report', 'failed', 1]]);
    const error = (ran[0]!.detail as { error: string }).error;
    expect(error).toBe(`could not write ${join(tenantOutbox, '2025-11/collections-2025-11.csv')}: ENOSPC: no space left on device, write`);
    expect(listing(join(tenantOutbox, '2025-11')), fault.how).toEqual([]);

    fault.heal();
    expect((await s.tick()).blockedAt).toBeNull();
    expect(ran.map(short)).toEqual([
      ['close_report', 'failed', 1],
      ['close_report', 'done', 2],
    ]);
    const files = listing(join(tenantOutbox, '2025-11'));
    expect(files.filter((n) => !n.endsWith('.sha256'))).toEqual([
      'collections-2025-11.csv',
      'collections-2025-11.json',
      'flagged-2025-11.csv',
      'settlement-SETTLE-2025-11-001.json',
      'settlement-SETTLE-2025-11-001.pdf',
    ]);
    for (const f of files.filter((n) => !n.endsWith('.sha256'))) expect(await existsComplete(join(tenantOutbox, '2025-11', f)), f).toBe(true);
    expect(readFileSync(join(tenantOutbox, '2025-11/collections-2025-11.csv'), 'utf8').split('\n')).toHaveLength(N + 2);
  });

  it('the bank outbox read-only during the batch (file gateway): the attempts wait as SUBMITTED, the retry writes the debit file once', async () => {
    env = await makeEnv('sqlite', { gateway: 'file' }, '2025-11-26T06:30:00+02:00');
    const { ports } = env;
    let csv = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
    for (let i = 1; i <= 40; i++) csv += `CUST${String(i).padStart(3, '0')},REF${i},POL${String(i).padStart(3, '0')},FUNERAL,${50 + i * 7}.00\n`;
    writeFileSync(join(env.root, 'policies-faults.csv'), csv);
    expect((await importFile(ports, { tenantId: 'acme', path: join(env.root, 'policies-faults.csv'), mode: 'copy' })).status).toBe('applied');
    await executeCollections(ports, 'acme', '2025-11');
    const bankOutbox = join(env.root, 'outbox/bank');
    const fault = faultyFolder(bankOutbox, 'EROFS');
    const ran: UnitReport[] = [];
    const s = scheduler('batch', ran);

    await s.tick();
    expect(ran.map(short)).toEqual([['batch', 'failed', 1]]);
    // read-only: the temp file cannot even be opened (its name is random)
    expect((ran[0]!.detail as { error: string }).error).toMatch(
      new RegExp(`^could not write ${join(bankOutbox, 'debits-20251126-001.csv')}: EROFS: read-only file system, (open '${bankOutbox}/\\.debits-20251126-001\\.csv\\.[0-9a-f]{8}\\.tmp'|write)$`),
    );
    expect(listing(bankOutbox), fault.how).toEqual([]);
    const statuses = async () =>
      ((await knexOf(dbOf(ports.store))('attempts').groupBy('status').select('status').count({ n: '*' })) as { status: string; n: number }[]).map((r) => [r.status, Number(r.n)]);
    expect(await statuses()).toEqual([['SUBMITTED', 40]]);

    fault.heal();
    await s.tick();
    expect(ran.map(short)).toEqual([
      ['batch', 'failed', 1],
      ['batch', 'done', 2],
    ]);
    expect((ran[1]!.detail as { reconciled: number; batchFile: string }).reconciled).toBe(40);
    expect(listing(bankOutbox)).toEqual(['debits-20251126-001.csv', 'debits-20251126-001.csv.sha256']);
    const ids = readFileSync(join(bankOutbox, 'debits-20251126-001.csv'), 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(',')[0]);
    expect(new Set(ids).size).toBe(40);
    expect(await statuses()).toEqual([['PRESENTED', 40]]);
  });
});
