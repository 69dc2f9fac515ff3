import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllKasi, requireBuilt, runKasi, spawnKasi, waitFor, type KasiProcess, initRoot } from '../helpers/cli.js';

/**
 * Shutdown (SPEC 6; STYLE habit 6) with the built daemon in the middle of a real batch: 30 000
 * policies whose salary is expected on the 25th (the prior), so the batch of Wednesday 26
 * November presents all of them, in chunks of 5 000. SIGTERM while it runs: the chunk in hand
 * commits, the batch stops, the occurrence is released and the daemon exits 0. A second signal
 * exits at once (130). Either way the next start completes the batch with every debit presented
 * exactly once.
 */
const POLICIES = 30_000;
const DATE = '2025-11-26';
const OCCURRENCE = `${DATE}T06:00:00+02:00`;
let base: string;
const roots: string[] = [];

beforeAll(async () => {
  requireBuilt();
  base = await initRoot('kasi-e2e-shutdown-', 'acme', {
    database: 'sqlite:data/kasi.sqlite',
    gateway: 'simulator',
    http: { port: 0, host: '127.0.0.1' },
    daemon: { catch_up_days: 0, shutdown_seconds: 30 },
    tenants: { acme: { name: 'Acme Funeral Insurance Ltd', intake: 'folder' } },
  });
  let csv = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
  for (let i = 1; i <= POLICIES; i++) csv += `C${i},R${i},P${String(i).padStart(6, '0')},FUN,${50 + (i % 300)}.00\n`;
  writeFileSync(join(base, 'policies-big.csv'), csv);
  const imported = await runKasi(['import', join(base, 'policies-big.csv'), '--tenant', 'acme', '--root', base], { env: { KASI_NOW: `${DATE}T05:00:00` } });
  expect(imported.code, imported.stderr).toBe(0);
});

afterAll(async () => {
  await killAllKasi();
  for (const r of [base, ...roots]) rmSync(r, { recursive: true, force: true });
});

function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'kasi-e2e-shutdown-'));
  cpSync(base, root, { recursive: true });
  roots.push(root);
  return root;
}

function query<T>(root: string, sql: string): T[] {
  const db = new Database(join(root, 'data/kasi.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const batchRun = (root: string) =>
  query<{ status: string; attempts: number; lease_until: string }>(root, `SELECT status, attempts, lease_until FROM schedule_runs WHERE step = 'batch' AND occurrence = '${OCCURRENCE}'`)[0];
const attemptCount = (root: string) => query<{ n: number }>(root, `SELECT COUNT(*) AS n FROM attempts`)[0]!.n;

function daemon(root: string, now: string, speed: number): KasiProcess {
  return spawnKasi(['daemon'], { env: { KASI_ROOT: root, KASI_NOW: now, KASI_SPEED: String(speed), KASI_LOG_LEVEL: 'info' } });
}

/** Start a minute before 06:00 at 60× (06:00 comes after a second) and wait until the batch is mid-way. */
async function midBatch(root: string): Promise<KasiProcess> {
  const d = daemon(root, `${DATE}T05:59:00+02:00`, 60);
  await waitFor('the batch to be mid-way', () => d.child.exitCode !== null || (batchRun(root)?.status === 'running' && attemptCount(root) > 0), 40_000, 10);
  expect(d.child.exitCode, d.stderr()).toBeNull();
  return d;
}

/** The next start completes the batch: every collection presented exactly once, all answered. */
async function restartCompletes(root: string): Promise<void> {
  const d = daemon(root, `${DATE}T06:30:00+02:00`, 1);
  await waitFor('the catch-up', () => d.stderr().includes('catch-up done') || d.child.exitCode !== null, 40_000);
  d.child.kill('SIGTERM');
  const end = await d.exited;
  expect(end.code, end.stderr.slice(-3000)).toBe(0);
  expect(batchRun(root)).toMatchObject({ status: 'done', attempts: 2 });
  expect(query(root, `SELECT COUNT(*) AS n, COUNT(DISTINCT collection_id) AS collections, MIN(action_date) AS first, MAX(action_date) AS last FROM attempts`)).toEqual([
    { n: POLICIES, collections: POLICIES, first: DATE, last: DATE },
  ]);
  expect(query(root, `SELECT COUNT(*) AS n FROM attempts WHERE status NOT IN ('PAID', 'UNPAID')`)).toEqual([{ n: 0 }]);
}

describe('kasi daemon shutdown during a batch', () => {
  it('SIGTERM: the batch stops between chunks, the occurrence is released, exit 0; the restart completes it once', async () => {
    const root = freshRoot();
    const d = await midBatch(root);
    d.child.kill('SIGTERM');
    const end = await d.exited;
    expect([end.code, end.signal], end.stderr.slice(-3000)).toEqual([0, null]);
    expect(end.stderr).toContain('step batch interrupted for shutdown; it runs again at the next start');
    expect(end.stderr).toContain('"outcome":"drained"');
    expect(batchRun(root)).toEqual({ status: 'running', attempts: 1, lease_until: '1970-01-01T00:00:00.000Z' });
    const presented = attemptCount(root);
    expect(presented % 5000).toBe(0); // whole chunks only
    expect(presented).toBeGreaterThan(0);
    expect(presented).toBeLessThan(POLICIES);
    await restartCompletes(root);
  });

  it('a second signal exits at once (130); the restart still presents nothing twice', async () => {
    const root = freshRoot();
    const d = await midBatch(root);
    d.child.kill('SIGTERM');
    d.child.kill('SIGINT');
    const end = await d.exited;
    expect([end.code, end.signal]).toEqual([130, null]);
    expect(end.stderr).toContain('second signal: exiting at once');
    expect(attemptCount(root)).toBeLessThan(POLICIES);
    // the dead process's lease (30 s) would hold the occurrence; a new daemon waits it out, so
    // expire it here as the passage of time would
    const db = new Database(join(root, 'data/kasi.sqlite'));
    db.prepare(`UPDATE schedule_runs SET lease_until = '2000-01-01T00:00:00.000Z' WHERE status = 'running'`).run();
    db.close();
    await restartCompletes(root);
  });
});
