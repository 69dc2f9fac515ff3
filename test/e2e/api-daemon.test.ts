import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllKasi, requireBuilt, runKasi, waitFor, type KasiProcess } from '../helpers/cli.js';
import { API_KEYS, digest, openRootPorts, runBatches, startDaemon, stopDaemon } from '../helpers/api.js';

/**
 * The HTTP API of the built daemon over real HTTP (Node's fetch), as an insurer's system uses it.
 * One month twice on the seeded simulated bank: by files and the CLI in one runtime root, by the
 * API in another (import, execute, the daily batches, report, settle, export); the report and
 * the settlement come out byte for byte the same. Then tenant isolation and every error code over
 * the wire, the rate limit with Retry-After, and a 60 MB upload streamed with the daemon's peak
 * resident memory read from /proc.
 */
const ACCOUNT = { holder: 'Acme Funeral Insurance', bank: 'Absa', branch_code: '632005', number: '4000000000', type: 'current' };
const WRITES_PER_MINUTE = 25;
const tenants = {
  acme: { name: 'Acme Funeral Insurance Ltd', vat_number: '4100000000', intake: 'folder', bank_account: ACCOUNT, api_key_sha256: [digest(API_KEYS.acme), digest(API_KEYS.acme2)] },
  beta: { name: 'Beta Life Ltd', intake: 'folder', api_key_sha256: digest(API_KEYS.beta) },
};

function makeRoot(prefix: string, extra: Record<string, unknown> = {}): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(
    join(root, 'config/local.yaml'),
    stringify({
      database: 'sqlite:data/kasi.sqlite',
      gateway: 'simulator',
      http: { port: 0, host: '127.0.0.1', rate_limits: { reads_per_minute: 1000, writes_per_minute: WRITES_PER_MINUTE } },
      intake: { settle_seconds: 0.1 },
      daemon: { catch_up_days: 0 },
      tenants,
      ...extra,
    }),
  );
  return root;
}

/** 40 policies and one bad row (three decimals): the same file both ways. */
function policyFile(): string {
  let s = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
  for (let i = 1; i <= 40; i++) {
    const n = String(i).padStart(4, '0');
    s += `C${n},EXT-${n},POL-${n},FUNERAL-BASIC,${50 + ((i * 37) % 450)}.${String((i * 13) % 100).padStart(2, '0')}\n`;
  }
  return s + 'C9999,EXT-9999,POL-9999,FUNERAL-BASIC,12.345\n';
}

async function api(base: string, method: string, path: string, opts: { key?: string | null; body?: unknown; form?: FormData } = {}) {
  const key = opts.key === undefined ? API_KEYS.acme : opts.key;
  const headers: Record<string, string> = key ? { 'x-api-key': key } : {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(base + path, { method, headers, body: opts.form ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) };
}

async function upload(base: string, path: string, name: string, key: string = API_KEYS.acme) {
  const form = new FormData();
  form.set('file', await openAsBlob(path), name);
  return api(base, 'POST', '/v1/policies/import', { key, form });
}

afterAll(killAllKasi);

/** `from` with its header row replaced by one that misses collection_amount (streamed, same size class). */
async function rewriteHeader(from: string, to: string): Promise<void> {
  const out = createWriteStream(to);
  let first = true;
  for await (const chunk of createReadStream(from, { highWaterMark: 1 << 20 })) {
    let buf = chunk as Buffer;
    if (first) {
      first = false;
      buf = Buffer.concat([Buffer.from('customer_id,external_customer_ref,policy_number,product_code,premium,notes'), buf.subarray(buf.indexOf(10))]);
    }
    if (!out.write(buf)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

describe('the monthly cycle by API and by files', () => {
  let files: string;
  let viaApi: string;
  let daemon: KasiProcess | null = null;
  let policies: string;
  let cliImport: unknown;

  beforeAll(async () => {
    requireBuilt();
    files = makeRoot('kasi-e2e-files-');
    viaApi = makeRoot('kasi-e2e-api-');
    policies = join(files, 'policies.csv'); // the insurer's file, outside the inbox
    writeFileSync(policies, policyFile());
    for (const r of [files, viaApi]) expect((await runKasi(['migrate', '--root', r])).code).toBe(0);
  });
  afterAll(async () => {
    await killAllKasi();
    for (const r of [files, viaApi]) rmSync(r, { recursive: true, force: true });
  });

  it('by files: kasi import, execute, the batches, kasi close on the 1st and the 3rd', async () => {
    const at = (now: string) => ({ env: { KASI_NOW: now } });
    const imp = await runKasi(['import', policies, '--tenant', 'acme', '--json', '--root', files], at('2025-11-01T05:00:00'));
    expect(imp.code).toBe(2); // a file with a failed row
    cliImport = JSON.parse(imp.stdout);
    expect(cliImport).toMatchObject({ file: 'policies.csv', status: 'applied', imported: 40, failed: 1 });
    expect((await runKasi(['execute', '--period', '2025-11', '--root', files], at('2025-11-01T05:00:00'))).stdout).toBe('acme 2025-11: 40 collections opened (40 in the period)\nbeta 2025-11: 0 collections opened (0 in the period)\n');
    const p = await openRootPorts(files);
    await runBatches(p.ports, p.setNow, '2025-11-03', '2025-11-28');
    await p.close();
    expect((await runKasi(['close', '--period', '2025-11', '--tenant', 'acme', '--root', files], at('2025-12-01T09:00:00'))).code).toBe(0);
    expect((await runKasi(['close', '--period', '2025-11', '--tenant', 'acme', '--root', files], at('2025-12-03T09:00:00'))).code).toBe(0);
  });

  it('by API: import (the same result as kasi import), execute (202, then completed)', async () => {
    ({ proc: daemon } = await startDaemon(viaApi, '2025-11-01T05:00:00+02:00').then((d) => ((base = d.base), d)));
    const imp = await upload(base, policies, 'policies.csv');
    expect(imp.status).toBe(200);
    // {file, status, imported, failed, errors}: what `kasi import --json` said of the same file
    const { warnings, errors, ...same } = imp.json();
    expect({ ...same, errors: errors.map(({ severity, ...e }: { severity: string }) => (expect(severity).toBe('error'), e)) }).toEqual(cliImport);
    expect(warnings).toBe(0);
    expect(imp.json().errors).toEqual([{ line: 42, column: 'collection_amount', code: 'AMOUNT_TOO_MANY_DECIMALS', message: expect.any(String), severity: 'error' }]);
    expect(readFileSync(join(viaApi, 'archive/acme/2025-11-01/policies.csv'), 'utf8')).toBe(policyFile());
    // the same bytes again: a duplicate, as a file dropped twice
    expect((await upload(base, policies, 'policies-again.csv')).json()).toMatchObject({ status: 'duplicate', imported: 0 });

    const ex = await api(base, 'POST', '/v1/collections/execute', { body: { period_month: '2025-11' } });
    expect([ex.status, ex.json().status, ex.json().policies_queued]).toEqual([202, 'processing', 40]);
    expect(ex.headers.get('location')).toBe(`/v1/collections/executions/${ex.json().execution_id}`);
    const done = await waitFor('the execution', async () => {
      const e = (await api(base, 'GET', `/v1/collections/executions/${ex.json().execution_id}`)).json();
      return e.status !== 'processing' && e;
    });
    expect(done).toMatchObject({ status: 'completed', collections_opened: 40, error: null });
    expect((await stopDaemon(daemon!)).code).toBe(0);
  });

  let base = '';

  it('the month on the simulated bank, then report and settlement by API: the same bytes as the files', async () => {
    const p = await openRootPorts(viaApi);
    await runBatches(p.ports, p.setNow, '2025-11-03', '2025-11-28');
    await p.close();
    ({ proc: daemon, base } = await startDaemon(viaApi, '2025-12-01T09:00:00+02:00'));
    const out = (f: string) => readFileSync(join(files, 'outbox/acme/2025-11', f), 'utf8');

    const csv = await api(base, 'GET', '/v1/reports/collections?period_month=2025-11');
    expect([csv.status, csv.headers.get('content-type')]).toEqual([200, 'text/csv; charset=utf-8']);
    expect(csv.text).toBe(out('collections-2025-11.csv'));
    expect(csv.text.trim().split('\n')).toHaveLength(41);
    expect(new Set(csv.text.trim().split('\n').slice(1).map((l) => l.split(',')[8]))).toEqual(new Set(['PAID_FULL', 'UNPAID']));
    const json = await api(base, 'GET', '/v1/reports/collections?period_month=2025-11&format=json');
    expect(json.text).toBe(out('collections-2025-11.json'));

    const s = await api(base, 'POST', '/v1/settlements', { body: { period_month: '2025-11' } });
    expect(s.status).toBe(201);
    const byFiles = JSON.parse(out('settlement-SETTLE-2025-11-001.json'));
    const byApi = s.json();
    // everything but the instant it was generated (the daemon's clock runs on from KASI_NOW)
    expect({ ...byApi, id: null, created_at: null }).toEqual({ ...byFiles, id: null, created_at: null });
    expect(byApi.created_at.slice(0, 10)).toBe(byFiles.created_at.slice(0, 10));
    expect(byApi).toMatchObject({ settlement_number: 'SETTLE-2025-11-001', status: 'pending', payment_reference: 'EFT-20251203-001' });
    const again = await api(base, 'POST', '/v1/settlements', { body: { period_month: '2025-11' } });
    expect([again.status, again.text]).toEqual([200, s.text]);
    expect((await api(base, 'GET', `/v1/settlements/${byApi.id}`)).text).toBe(s.text);

    const exp = await api(base, 'GET', `/v1/settlements/${byApi.id}/export`);
    expect([exp.status, exp.headers.get('content-disposition')]).toEqual([200, 'attachment; filename="settlement-SETTLE-2025-11-001.csv"']);
    expect(exp.text).toBe(out('settlement-SETTLE-2025-11-001.csv'));

    // one collection as its report row
    const db = new Database(join(viaApi, 'data/kasi.sqlite'), { readonly: true });
    const { id } = db.prepare("SELECT id FROM collections WHERE tenant_id = 'acme' AND policy_number = 'POL-0007'").get() as { id: number };
    const runs = db.prepare('SELECT COUNT(*) AS n FROM schedule_runs').get() as { n: number };
    db.close();
    expect(runs.n).toBe(0); // the scheduler did none of it: the API did
    const row = JSON.parse(json.text).results.find((r: { policy_number: string }) => r.policy_number === 'POL-0007');
    expect((await api(base, 'GET', `/v1/collections/${id}`)).json()).toEqual({ id, ...row });
  });

  it('tenant isolation and every error code over HTTP', async () => {
    const settlement = (await api(base, 'POST', '/v1/settlements', { body: { period_month: '2025-11' } })).json();
    const shape = (r: { status: number; json: () => { error: Record<string, unknown> } }) => [r.status, r.json().error.code, typeof r.json().error.request_id];
    expect(shape(await api(base, 'GET', `/v1/settlements/${settlement.id}`, { key: API_KEYS.beta }))).toEqual([404, 'NOT_FOUND', 'string']);
    expect(shape(await api(base, 'GET', `/v1/settlements/${settlement.id}/export`, { key: API_KEYS.beta }))).toEqual([404, 'NOT_FOUND', 'string']);
    // beta executed nothing in November: no report for it, and never acme's
    expect(shape(await api(base, 'GET', '/v1/reports/collections?period_month=2025-11', { key: API_KEYS.beta }))).toEqual([404, 'NOT_FOUND', 'string']);
    expect(shape(await api(base, 'GET', `/v1/settlements/${settlement.id}`, { key: null }))).toEqual([401, 'UNAUTHORIZED', 'string']);
    expect(shape(await api(base, 'POST', '/v1/policies', { body: { policy_number: 'X' } }))).toEqual([400, 'VALIDATION_ERROR', 'string']);
    const refused = await api(base, 'POST', '/v1/settlements', { body: { period_month: '2026-01' } });
    expect(refused.json().error).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'period_month', code: 'PERIOD_RUNNING' }] });
    // the ops endpoints are still there, without a key
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^kasi_api_requests_total\{route="\/v1\/settlements\/:id",method="GET",status="404",app="kasi"\} 1$/m);
    const counts = metrics.split('\n').filter((l) => l.startsWith('kasi_api_request_duration_seconds_count{') && l.includes('route="/v1/reports/collections"'));
    expect(counts.length).toBe(1);
    expect((await fetch(`${base}/v1/docs`)).headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('writes over the per-key limit: 429 RATE_LIMITED with Retry-After; another tenant is not held back', async () => {
    let refused: Awaited<ReturnType<typeof api>> | null = null;
    for (let i = 0; i < 3 * WRITES_PER_MINUTE && !refused; i++) {
      const r = await api(base, 'POST', '/v1/settlements', { body: { period_month: '2025-11' } });
      if (r.status === 429) refused = r;
      else expect(r.status).toBe(200);
    }
    expect(refused).not.toBeNull();
    const retry = Number(refused!.headers.get('retry-after'));
    expect(Number.isInteger(retry) && retry >= 1 && retry <= 60).toBe(true);
    expect(refused!.json().error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: WRITES_PER_MINUTE, retry_after_seconds: retry } });
    // reads have their own budget; the other tenant's key its own
    expect((await api(base, 'GET', '/v1/reports/collections?period_month=2025-11')).status).toBe(200);
    expect((await api(base, 'POST', '/v1/settlements', { key: API_KEYS.beta, body: { period_month: '2025-11' } })).status).toBe(404);
    expect((await stopDaemon(daemon!)).code).toBe(0);
  });
});

describe('a 60 MB upload', () => {
  let root: string;
  const big = join(tmpdir(), `kasi-api-60mb-${process.pid}.csv`);
  beforeAll(async () => {
    requireBuilt();
    root = makeRoot('kasi-e2e-upload-');
    // 60 MB: 15 000 policies whose rows carry a 4 KB notes column (ignored with a warning, as in a file)
    const out = createWriteStream(big);
    out.write('customer_id,external_customer_ref,policy_number,product_code,collection_amount,notes\n');
    const notes = 'x'.repeat(4000);
    for (let i = 1; i <= 15_000; i++) if (!out.write(`C${i},R${i},P${i},FUNERAL,${100 + (i % 400)}.00,${notes}\n`)) await once(out, 'drain');
    out.end();
    await once(out, 'close');
  });
  afterAll(async () => {
    await killAllKasi();
    rmSync(root, { recursive: true, force: true });
    rmSync(big, { force: true });
  });

  it('is streamed to disk and imported; the daemon\'s peak RSS stays under 250 MB; a fault is 500 INTERNAL', async () => {
    const { proc, base } = await startDaemon(root, '2025-11-01T05:00:00+02:00');
    const status = async () => readFile(`/proc/${proc.child.pid}/status`, 'utf8');
    const kb = (s: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(s)![1]);
    const before = kb(await status(), 'VmRSS');
    // the upload alone: the same 60 MB under a header without collection_amount is refused after
    // it is on disk and hashed, before any row is read: the peak must not grow by the file's size
    const headless = join(root, 'headless.csv');
    await rewriteHeader(big, headless);
    const refused = await upload(base, headless, 'policies-headless.csv', API_KEYS.beta);
    expect([refused.status, refused.json().error.details.status]).toEqual([400, 'rejected']);
    const uploadPeak = kb(await status(), 'VmHWM');
    console.log(`60 MB upload refused by its header: daemon peak RSS ${Math.round(uploadPeak / 1024)} MB (${Math.round((uploadPeak - before) / 1024)} MB over the RSS before)`);
    expect(uploadPeak - before).toBeLessThan(60 * 1024); // a buffered upload alone would add the 60 MB
    const r = await upload(base, big, 'policies-big.csv', API_KEYS.beta);
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ status: 'applied', imported: 15_000, failed: 0, warnings: 1 });
    const peak = kb(await status(), 'VmHWM');
    console.log(`60 MB upload: daemon RSS before ${Math.round(before / 1024)} MB, peak ${Math.round(peak / 1024)} MB`);
    expect(peak).toBeLessThan(250 * 1024);
    expect(readFileSync(join(root, 'archive/beta/2025-11-01/policies-big.csv')).length).toBe(readFileSync(big).length);
    // counted like a file taken from the inbox
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^kasi_intake_rows_imported_total\{tenant="beta",app="kasi"\} 15000$/m);

    // outbox/beta made a file: intake cannot write its result, an internal fault
    rmSync(join(root, 'outbox/beta'), { recursive: true, force: true });
    writeFileSync(join(root, 'outbox/beta'), 'in the way');
    writeFileSync(join(root, 'small.csv'), 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC1,R1,Q1,FUN,10.00\n');
    const fault = await upload(base, join(root, 'small.csv'), 'policies-small.csv', API_KEYS.beta);
    expect(fault.status).toBe(500);
    const err = fault.json().error;
    expect(err).toEqual({ code: 'INTERNAL', message: 'an internal error occurred; the operator can find it in the log by request_id', details: null, request_id: fault.headers.get('x-request-id') });
    await waitFor('the fault in the log', () => proc.stderr().includes(err.request_id));
    expect((await stopDaemon(proc)).code).toBe(0);
  });
});
