import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllKasi, requireBuilt, spawnKasi, waitFor, type KasiProcess, initRoot, daemonConfig } from '../helpers/cli.js';
import { createPgDatabase, PG_ADMIN_URL } from '../helpers/pg.js';
import { parseProm, value } from '../helpers/prom.js';

/**
 * The daemon's operations endpoints (SPEC 6) on PostgreSQL, scraped over HTTP as a probe and
 * Prometheus would: /healthz, /readyz (down while the database refuses connections, back when it
 * accepts them again) and /metrics in the Prometheus text format, parsed and checked against the
 * store.
 */
const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
let root: string;
let database: { url: string; drop(): Promise<void> };
let daemon: KasiProcess;
let base: string;

async function get(path: string): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(`${base}${path}`);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

async function admin(sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  requireBuilt();
  database = await createPgDatabase();
  root = await initRoot(
    'kasi-e2e-health-',
    'acme',
    daemonConfig({
      database: database.url,
      daemon: { catch_up_days: 0, tick_seconds: 0.5, retry_seconds: 0.2 },
      tenants: { acme: { name: 'Acme Funeral Insurance Ltd', intake: 'folder' } },
    }),
  );
  // the policies are there from the start; the batch comes 15 s after start (Friday 06:00): time to take them even on a loaded machine
  writeFileSync(join(root, 'inbox/acme/policies-a.csv'), `${HEADER}C1,R1,P1,FUN,150.00\nC2,R2,P2,FUN,99.90\nC3,R3,P3,FUN,250.00\n`);
  writeFileSync(join(root, 'inbox/acme/policies-bad.csv'), 'this,is,not,a,policy,file\n1,2,3\n');
  daemon = spawnKasi(['daemon'], { env: { KASI_ROOT: root, KASI_NOW: '2025-11-28T05:59:45+02:00', KASI_LOG_LEVEL: 'info' } });
  await waitFor('the daemon to start', () => daemon.stderr().includes('kasi daemon started') || daemon.child.exitCode !== null, 30_000);
  expect(daemon.child.exitCode, daemon.stderr()).toBeNull();
  base = `http://127.0.0.1:${/"http_port":(\d+)/.exec(daemon.stderr())![1]}`;
});

afterAll(async () => {
  await killAllKasi();
  await admin(`ALTER DATABASE ${database.url.split('/').pop()} ALLOW_CONNECTIONS true`).catch(() => undefined);
  await database.drop();
  rmSync(root, { recursive: true, force: true });
});

describe('kasi daemon /healthz, /readyz, /metrics', () => {
  it('/healthz and /readyz answer 200 with JSON', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, type: 'application/json; charset=utf-8', body: '{"status":"ok"}\n' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok', scheduler: 'ok' } });
    expect((await get('/nothing')).status).toBe(404);
  });

  it('/metrics: intake files and rows by tenant, presentments by result and reason as in the store, step runs and durations', async () => {
    await waitFor('the batch', () => daemon.stderr().includes('step batch done') && existsSync(join(root, 'failed/acme/policies-bad.csv')), 30_000);
    // the same file again: a duplicate
    writeFileSync(join(root, 'inbox/acme/policies-again.csv'), `${HEADER}C1,R1,P1,FUN,150.00\nC2,R2,P2,FUN,99.90\nC3,R3,P3,FUN,250.00\n`);
    await waitFor('the duplicate', () => daemon.stderr().includes('intake duplicate: policies-again.csv'), 30_000);

    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { types, samples } = parseProm(res.body);
    for (const s of samples) expect(types.has(s.name.replace(/_(bucket|sum|count)$/, '')) || types.has(s.name), s.name).toBe(true);
    expect(types.get('kasi_intake_files_total')).toBe('counter');
    expect(types.get('kasi_step_duration_seconds')).toBe('histogram');
    expect(types.get('kasi_step_last_success_timestamp_seconds')).toBe('gauge');
    expect(types.get('kasi_sftp_errors_total')).toBe('counter');

    const files = (status: string) => value(samples, 'kasi_intake_files_total', { tenant: 'acme', status });
    expect([files('applied'), files('rejected'), files('duplicate')]).toEqual([1, 1, 1]);
    expect(value(samples, 'kasi_intake_rows_imported_total', { tenant: 'acme' })).toBe(3);
    expect(value(samples, 'kasi_step_runs_total', { step: 'batch', status: 'done' })).toBe(1);
    expect(value(samples, 'kasi_step_duration_seconds_count', { step: 'batch' })).toBe(1);
    expect(value(samples, 'kasi_step_last_success_timestamp_seconds', { step: 'batch' })).toBeGreaterThan(Date.parse('2025-01-01') / 1000);

    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    const { rows } = await c.query<{ status: string; reason: string | null; n: number }>(`SELECT status, reason, COUNT(*)::int AS n FROM attempts GROUP BY status, reason ORDER BY status, reason`);
    await c.end();
    expect(rows.reduce((a, r) => a + r.n, 0)).toBe(3);
    const scraped = samples
      .filter((s) => s.name === 'kasi_presentments_total')
      .map((s) => ({ status: s.labels.result, reason: s.labels.reason || null, n: s.value }))
      .sort((a, b) => `${a.status}${a.reason}`.localeCompare(`${b.status}${b.reason}`));
    expect(scraped).toEqual(rows);
  });

  it('/readyz is 503 while the database refuses connections, /healthz stays 200, and both recover', async () => {
    const name = database.url.split('/').pop()!;
    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);
    const down = await waitFor('/readyz to fail', async () => {
      const r = await get('/readyz');
      return r.status === 503 && r;
    });
    const body = JSON.parse(down.body) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('not ready');
    expect(body.checks.database).toMatch(/^unreachable: /);
    expect(body.checks.migrations).toBe('unknown: the database is unreachable');
    expect(body.checks.scheduler).toBe('ok');
    expect((await get('/healthz')).status).toBe(200);

    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await waitFor('/readyz to recover', async () => (await get('/readyz')).status === 200);
    expect(daemon.child.exitCode).toBeNull();
  });

  it('SIGTERM: exit 0', async () => {
    daemon.child.kill('SIGTERM');
    const end = await daemon.exited;
    expect([end.code, end.signal], end.stderr.slice(-3000)).toEqual([0, null]);
  });
});
