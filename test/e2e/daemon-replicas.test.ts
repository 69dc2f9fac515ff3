import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllKasi, requireBuilt, runKasi, spawnKasi, waitFor, type KasiProcess } from '../helpers/cli.js';
import { createPgDatabase } from '../helpers/pg.js';

/**
 * Replicas (SPEC 6): three built daemons on one PostgreSQL database and one runtime root, on a
 * fast clock from Monday 24 November through the month close on 1–3 December. Twenty
 * policy files (ten per tenant) are in the shared inbox when they start: every file is taken by
 * exactly one replica, every debit is presented once, each tenant gets one settlement for
 * November, and the batches are shared out in chunks. Then again with the replica running a
 * batch killed (SIGKILL) half way: the other two finish its chunks and its occurrence.
 */
const ACCOUNT = { holder: 'Insurer', bank: 'Absa', branch_code: '632005', number: '4000000000', type: 'current' };
const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
const TENANTS = ['acme', 'beta'] as const;
const FILES_PER_TENANT = 10;
const ROWS_PER_FILE = 40;
/** ten simulated hours a real second: Monday 00:00 to the day-3 close in about 22 s */
const SPEED = 36_000;
/**
 * The replicas first take the dropped files on Sunday 23 November on the real clock (no step is
 * due), then run the month end from Sunday noon on the fast clock. They share one clock
 * (KASI_NOW_AT), and with catch_up_days: 1 a start delayed by a busy machine still runs every
 * batch from Monday 24th, so every run records the same occurrences.
 */
const IMPORT_AT = '2025-11-23T10:00:00+02:00';
const START = '2025-11-23T12:00:00+02:00';
const LAST = '2025-12-03T02:00:00+02:00';

interface World {
  root: string;
  db: { url: string; drop(): Promise<void> };
}

let world: World | null = null;
afterEach(async () => {
  await killAllKasi();
  if (world) {
    await world.db.drop();
    rmSync(world.root, { recursive: true, force: true });
    world = null;
  }
});
beforeAll(() => requireBuilt());
afterAll(() => killAllKasi());

async function makeWorld(): Promise<World> {
  const db = await createPgDatabase();
  const root = mkdtempSync(join(tmpdir(), 'kasi-e2e-replicas-'));
  world = { root, db };
  expect((await runKasi(['init', '--root', root, '--tenant', 'acme'])).code).toBe(0);
  writeFileSync(
    join(root, 'config/local.yaml'),
    stringify({
      database: db.url,
      gateway: 'simulator',
      http: { port: 0, host: '127.0.0.1' },
      intake: { settle_seconds: 0.1 },
      schedules: { inbox_rescan_seconds: 0.2 },
      daemon: { catch_up_days: 1, tick_seconds: 0.2, lease_seconds: 2, retry_seconds: 0.5, batch_chunk_size: 25 },
      tenants: Object.fromEntries(TENANTS.map((t, i) => [t, { name: `${t} Insurance Ltd`, vat_number: `410000000${i}`, intake: 'folder', bank_account: ACCOUNT }])),
    }),
  );
  for (const t of TENANTS) {
    mkdirSync(join(root, 'inbox', t), { recursive: true });
    for (let f = 1; f <= FILES_PER_TENANT; f++) {
      let body = HEADER;
      for (let r = 1; r <= ROWS_PER_FILE; r++) {
        const n = (f - 1) * ROWS_PER_FILE + r;
        body += `${t.toUpperCase()}-C${n},R${n},${t.toUpperCase()}-P${n},FUN,${50 + (n % 400)}.${String(n % 100).padStart(2, '0')}\n`;
      }
      writeFileSync(join(root, 'inbox', t, `policies-${String(f).padStart(2, '0')}.csv`), body);
    }
  }
  return world;
}

async function query<T>(w: World, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: w.db.url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Three replicas on one clock: `now` at this instant, `speed` simulated seconds a real second. */
function startReplicas(w: World, now: string, speed: number): KasiProcess[] {
  const env = { KASI_ROOT: w.root, KASI_NOW: now, KASI_SPEED: String(speed), KASI_NOW_AT: String(Date.now()), KASI_LOG_LEVEL: 'info' };
  return [1, 2, 3].map(() => spawnKasi(['daemon'], { env }));
}

/** The files dropped before the replicas start: each taken by one of them, on the real clock. */
async function takeTheFiles(w: World): Promise<void> {
  const ds = startReplicas(w, IMPORT_AT, 1);
  await started(ds);
  await waitFor(
    'the 20 files to be taken',
    async () =>
      TENANTS.every((t) => listFiles(join(w.root, 'inbox', t)).length === 0) &&
      (await query<{ n: number }>(w, 'SELECT COUNT(*)::int AS n FROM intake_files WHERE finished_at IS NOT NULL'))[0]!.n === TENANTS.length * FILES_PER_TENANT,
    60_000,
  );
  await stopAll(ds);
  // nothing but the daily pay step's idle occurrences (recorded `skipped`)
  expect(await query(w, `SELECT step FROM schedule_runs WHERE NOT (step = 'close_pay' AND status = 'skipped')`)).toEqual([]);
}

async function started(ds: KasiProcess[]): Promise<void> {
  for (const d of ds) {
    await waitFor('a replica to start', () => d.stderr().includes('kasi daemon started') || d.child.exitCode !== null, 60_000);
    expect(d.child.exitCode, d.stderr().slice(-3000)).toBeNull();
  }
}

const tableExists = async (w: World) => (await query<{ t: string | null }>(w, `SELECT to_regclass('schedule_runs')::text AS t`))[0]?.t != null;

/** Until the day-3 close ran (the last step of the month close). */
async function untilPaid(w: World, ds: KasiProcess[]): Promise<void> {
  await waitFor(
    'the day-3 close',
    async () =>
      (await tableExists(w)) &&
      // the day-3 occurrence settled and every settlement paid (on a fast clock an earlier daily pay
      // occurrence that runs late may already have paid it: pay goes by the real date)
      (await query(w, `SELECT 1 FROM schedule_runs WHERE step = 'close_pay' AND occurrence = $1 AND status IN ('done', 'skipped')`, [LAST])).length === 1 &&
      (await query<{ n: number }>(w, `SELECT COUNT(*)::int AS n FROM settlements WHERE period = '2025-11' AND status = 'paid'`))[0]!.n === TENANTS.length,
    120_000,
    100,
  ).catch(async (err: Error) => {
    const runs = await query(w, 'SELECT step, occurrence, status, attempts FROM schedule_runs ORDER BY occurrence').catch(() => []);
    throw new Error(`${err.message}; runs: ${JSON.stringify(runs)}\n${ds.map((d) => d.stderr().slice(-2500)).join('\n----\n')}`);
  });
}

async function stopAll(ds: KasiProcess[]): Promise<void> {
  const live = ds.filter((d) => d.child.exitCode === null && d.child.signalCode === null);
  for (const d of live) d.child.kill('SIGTERM');
  for (const d of live) {
    const end = await d.exited;
    expect([end.code, end.signal], end.stderr.slice(-3000)).toEqual([0, null]);
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  try {
    walk(dir);
  } catch {
    /* absent */
  }
  return out.sort();
}

/** What must hold after any run, killed replica or not. */
async function expectEverythingOnce(w: World): Promise<void> {
  const expectedFiles = TENANTS.flatMap((t) => Array.from({ length: FILES_PER_TENANT }, (_, i) => `${t} policies-${String(i + 1).padStart(2, '0')}.csv applied 1`));
  // every file taken once: one ledger row each, archived once, none left or failed
  const files = await query<{ tenant_id: string; name: string; status: string; n: number }>(
    w,
    `SELECT tenant_id, name, status, COUNT(*)::int AS n FROM intake_files GROUP BY tenant_id, name, status ORDER BY tenant_id, name`,
  );
  expect(files.map((f) => `${f.tenant_id} ${f.name} ${f.status} ${f.n}`)).toEqual(expectedFiles);
  for (const t of TENANTS) {
    expect(listFiles(join(w.root, 'inbox', t))).toEqual([]);
    expect(listFiles(join(w.root, 'archive', t)).map((p) => p.split('/').pop()).sort()).toEqual(
      Array.from({ length: FILES_PER_TENANT }, (_, i) => `policies-${String(i + 1).padStart(2, '0')}.csv`),
    );
  }
  expect(listFiles(join(w.root, 'failed'))).toEqual([]);
  expect(await query(w, 'SELECT * FROM intake_claims')).toEqual([]);
  const [policies] = await query<{ n: number }>(w, 'SELECT COUNT(*)::int AS n FROM policies');
  expect(policies!.n).toBe(TENANTS.length * FILES_PER_TENANT * ROWS_PER_FILE);

  // every presentment once: nothing left unconfirmed, a collection's count is its attempts, no
  // debit answered twice, no collection debited twice on one day
  const [attempts] = await query<{ n: number; submitted: number; days: number }>(
    w,
    `SELECT COUNT(*)::int AS n, COUNT(*) FILTER (WHERE status = 'SUBMITTED')::int AS submitted,
            COUNT(DISTINCT (collection_id, action_date))::int AS days FROM attempts`,
  );
  expect(attempts!.n).toBeGreaterThan(0);
  expect(attempts!.submitted).toBe(0);
  expect(attempts!.days).toBe(attempts!.n);
  expect(await query(w, `SELECT c.id FROM collections c WHERE c.presentments <> (SELECT COUNT(*) FROM attempts a WHERE a.collection_id = c.id)`)).toEqual([]);
  expect(await query(w, `SELECT instruction_id, COUNT(*)::int AS n FROM bank_results GROUP BY instruction_id HAVING COUNT(*) > 1`)).toEqual([]);
  expect(await query(w, `SELECT outcome, COUNT(*)::int AS n FROM bank_results WHERE outcome <> 'applied' GROUP BY outcome`)).toEqual([]);
  const [results] = await query<{ n: number }>(w, 'SELECT COUNT(*)::int AS n FROM bank_results');
  expect(results!.n).toBe(attempts!.n);

  // one settlement per tenant and period; every scheduled occurrence settled once
  const why = JSON.stringify({
    runs: await query(w, 'SELECT step, occurrence, status, attempts, owner, started_at, detail FROM schedule_runs ORDER BY occurrence'),
    periods: await query(w, 'SELECT * FROM periods ORDER BY tenant_id, period'),
    collections: await query(w, 'SELECT tenant_id, period, status, COUNT(*)::int AS n FROM collections GROUP BY tenant_id, period, status ORDER BY 1, 2, 3'),
    files: await query(w, 'SELECT tenant_id, name, processed_at, finished_at FROM intake_files ORDER BY id'),
  });
  expect(await query(w, `SELECT tenant_id, period, COUNT(*)::int AS n FROM settlements GROUP BY tenant_id, period ORDER BY tenant_id, period`), why).toEqual(
    TENANTS.map((t) => ({ tenant_id: t, period: '2025-11', n: 1 })),
  );
  // (a batch after the day-3 close may have been stopped half way by the SIGTERM: it resumes at the next start)
  expect(await query(w, `SELECT step, occurrence, status FROM schedule_runs WHERE status NOT IN ('done', 'skipped') AND occurrence <= $1`, [LAST])).toEqual([]);
  expect(await query(w, `SELECT run_key, tenant_id, seq FROM batch_chunks WHERE status <> 'done' AND run_key <= $1`, [LAST])).toEqual([]);
}

const pidOf = (owner: string) => Number(owner.split('/')[1]);

describe('three kasi daemons on one PostgreSQL database and one root', () => {
  it('share the inbox and the batches through a month end: every file once, every debit once, one settlement per tenant', async () => {
    const w = await makeWorld();
    await takeTheFiles(w);
    const ds = startReplicas(w, START, SPEED);
    await started(ds);
    await untilPaid(w, ds);
    await stopAll(ds);
    await expectEverythingOnce(w);

    const runs = await query<{ step: string; occurrence: string; status: string; attempts: number }>(
      w,
      `SELECT step, occurrence, status, attempts FROM schedule_runs WHERE occurrence <= $1 AND step <> 'close_pay' ORDER BY occurrence, step`,
      [LAST],
    );
    // every occurrence ran once; a start delayed by a busy machine may begin after Monday's batch
    const lines = runs.map((r) => `${r.step} ${r.occurrence} ${r.status} ${r.attempts}`);
    expect(lines.length >= 5 && lines.length <= 9, lines.join('\n')).toBe(true);
    const week = ['24', '25', '26', '27'].map((d) => `batch 2025-11-${d}T06:00:00+02:00 done 1`);
    expect(week.slice(week.length - (lines.length - 5))).toEqual(lines.slice(0, lines.length - 5));
    expect(lines.slice(-5)).toEqual([
      'batch 2025-11-28T06:00:00+02:00 done 1',
      'close_report 2025-12-01T02:00:00+02:00 done 1',
      'batch 2025-12-01T06:00:00+02:00 done 1',
      'close_invoice 2025-12-02T02:00:00+02:00 done 1',
      'batch 2025-12-02T06:00:00+02:00 done 1',
    ]);
    // the daily pay step: its occurrences up to the 3rd each ran once, and paid once (one payment file)
    const pays = await query<{ n: number; done: number }>(w, `SELECT COUNT(*)::int AS n, COUNT(*) FILTER (WHERE status = 'done')::int AS done FROM schedule_runs WHERE step = 'close_pay' AND occurrence <= $1 AND attempts = 1`, [LAST]);
    expect(pays[0]!.done).toBeGreaterThanOrEqual(1);
    expect(await query(w, `SELECT name FROM payment_files`)).toEqual([{ name: 'payments-20251203-001.xml' }]);
    // the batches were shared: their chunks were worked by more than one replica
    const pids = new Set(ds.map((d) => d.child.pid));
    const owners = await query<{ owner: string }>(w, `SELECT DISTINCT owner FROM batch_chunks`);
    expect(owners.length).toBeGreaterThanOrEqual(2);
    for (const o of owners) expect(pids.has(pidOf(o.owner))).toBe(true);
  }, 240_000);

  it('a replica killed (SIGKILL) in the middle of a batch: the other two finish its chunks and its occurrence', async () => {
    const w = await makeWorld();
    await takeTheFiles(w);
    const ds = startReplicas(w, START, SPEED);
    await started(ds);
    // the first batch with work in it, caught half way: some chunks done, more still open
    const caught = await waitFor(
      'a batch half way',
      async () => {
        if (!(await tableExists(w))) return undefined;
        const [r] = await query<{ run_key: string; owner: string }>(
          w,
          `SELECT k.run_key, s.owner FROM batch_chunks k JOIN schedule_runs s ON s.step = 'batch' AND s.occurrence = k.run_key AND s.status = 'running'
           GROUP BY k.run_key, s.owner HAVING COUNT(*) FILTER (WHERE k.status = 'done') >= 2 AND COUNT(*) FILTER (WHERE k.status = 'open') >= 6`,
        );
        return r;
      },
      90_000,
      10,
    );
    const victim = ds.find((d) => d.child.pid === pidOf(caught.owner))!;
    expect(victim).toBeDefined();
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    const survivors = ds.filter((d) => d !== victim);

    await untilPaid(w, survivors);
    await stopAll(survivors);
    await expectEverythingOnce(w);

    // the killed replica's occurrence was taken over by a survivor, and its run finished
    const [run] = await query<{ status: string; attempts: number; owner: string }>(w, `SELECT status, attempts, owner FROM schedule_runs WHERE step = 'batch' AND occurrence = $1`, [
      caught.run_key,
    ]);
    expect(run!.status).toBe('done');
    expect(run!.attempts).toBe(2);
    expect(survivors.map((d) => d.child.pid)).toContain(pidOf(run!.owner));
    const chunks = await query<{ owner: string; n: number }>(w, `SELECT owner, COUNT(*)::int AS n FROM batch_chunks WHERE run_key = $1 GROUP BY owner`, [caught.run_key]);
    expect(chunks.some((c) => survivors.some((d) => d.child.pid === pidOf(c.owner)))).toBe(true);
    const later = await query<{ occurrence: string; status: string }>(
      w,
      `SELECT occurrence, status FROM schedule_runs WHERE step = 'batch' AND occurrence > $1 AND occurrence <= $2 AND status <> 'done' ORDER BY occurrence`,
      [caught.run_key, LAST],
    );
    expect(later).toEqual([]);
  }, 240_000);
});
