import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/api/app.js';
import { ExecutionQueue } from '../../src/usecases/api/api-executions.js';
import { API_KEYS, digest, runBatches } from '../helpers/api.js';
import { makeEnv, type TestEnv } from '../helpers/env.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * The API's lists, settlement by number and Idempotency-Key (issue 14), in process on SQLite and
 * PostgreSQL: keyset pages that neither skip nor repeat, filters, tenant scoping by key, cursor
 * errors; the same key and body answered once, another body 409, a running key 409 + Retry-After,
 * and forgotten after 24 h.
 */
const TENANTS = {
  acme: { name: 'Acme Funeral Insurance Ltd', vat_number: '4100000000', address: '5 Main Road, Durban, 4001', api_key_sha256: [digest(API_KEYS.acme)] },
  beta: { name: 'Beta Life Ltd', vat_registered: false, api_key_sha256: [digest(API_KEYS.beta)] },
};
const policy = (n: number, amount = '100.00') => ({ customer_id: `C${n}`, external_customer_ref: `R${n}`, policy_number: `P${n}`, product_code: 'FUNERAL', collection_amount: amount });

interface Res {
  status: number;
  headers: Record<string, unknown>;
  body: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe.each(['sqlite', 'pg'] as const)('API lists and idempotency on %s', (dialect) => {
  let env: TestEnv;
  let app: FastifyInstance;
  let queue: ExecutionQueue;
  const call = async (method: string, url: string, opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Res> => {
    const r = await app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-api-key': opts.key ?? API_KEYS.acme, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      payload: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    return { status: r.statusCode, headers: r.headers, body: r.body, json: () => JSON.parse(r.body) };
  };
  const errorOf = (r: Res) => [r.status, r.json().error.code, r.json().error.details?.[0]?.code ?? null];

  beforeAll(async () => {
    env = await makeEnv(dialect, { tenants: TENANTS, http: { port: 0, rate_limits: { reads_per_minute: 10_000, writes_per_minute: 10_000 } } }, '2025-11-01T05:00:00+02:00');
    queue = new ExecutionQueue(env.ports);
    app = await buildApp({ ports: env.ports, executions: queue });
    for (let n = 1; n <= 5; n++) expect((await call('POST', '/v1/policies', { body: policy(n) })).status).toBe(201);
    expect((await call('POST', '/v1/policies', { key: API_KEYS.beta, body: policy(9) })).status).toBe(201);
    for (const key of [API_KEYS.acme, API_KEYS.beta]) expect((await call('POST', '/v1/collections/execute', { key, body: { period_month: '2025-11' } })).status).toBe(202);
    await queue.idle();
  });
  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('GET /collections: pages of 2 in id order, nothing skipped or repeated; filters; the tenant of the key only', async () => {
    const ids = (await knexOf(dbOf(env.ports.store))('collections').where({ tenant_id: 'acme' }).orderBy('id').select('id')).map((r: { id: number }) => Number(r.id));
    expect(ids).toHaveLength(5);
    const seen: number[] = [];
    let cursor: string | null = null;
    const pages: number[] = [];
    do {
      const r: Res = await call('GET', `/v1/collections?period_month=2025-11&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.json().data.map((c: { id: number }) => c.id));
      pages.push(r.json().data.length);
      cursor = r.json().next_cursor;
    } while (cursor);
    expect([seen, pages]).toEqual([ids, [2, 2, 1]]);
    const first = (await call('GET', '/v1/collections?limit=1')).json();
    expect(first.data).toEqual([(await call('GET', `/v1/collections/${ids[0]}`)).json()]);
    expect(first.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect((await call('GET', '/v1/collections?status=OPEN')).json().data).toHaveLength(5);
    expect((await call('GET', '/v1/collections?status=PAID_FULL')).json()).toEqual({ data: [], next_cursor: null });
    expect((await call('GET', '/v1/collections?period_month=2025-10')).json()).toEqual({ data: [], next_cursor: null });
    expect((await call('GET', '/v1/collections', { key: API_KEYS.beta })).json().data.map((c: { policy_number: string }) => c.policy_number)).toEqual(['P9']);
  });

  it('refuses a cursor made for other filters, one it never gave out, and a page over 200', async () => {
    const cursor = (await call('GET', '/v1/collections?status=OPEN&limit=1')).json().next_cursor;
    expect(errorOf(await call('GET', `/v1/collections?limit=1&cursor=${cursor}`))).toEqual([400, 'VALIDATION_ERROR', 'CURSOR_FILTER_MISMATCH']);
    expect(errorOf(await call('GET', '/v1/collections?cursor=bm90LWEtY3Vyc29y'))).toEqual([400, 'VALIDATION_ERROR', 'INVALID_CURSOR']);
    expect(errorOf(await call('GET', '/v1/collections?limit=201'))).toEqual([400, 'VALIDATION_ERROR', 'TOO_BIG']);
    expect(errorOf(await call('GET', '/v1/collections?status=LATE'))).toEqual([400, 'VALIDATION_ERROR', 'INVALID_VALUE']);
  });

  it('GET /files: the intake ledger with where each file came from, by month and status', async () => {
    const send = async (name: string, content: string, headers: Record<string, string> = {}) => {
      const form = new FormData();
      form.set('file', new Blob([content]), name);
      const req = new Request('http://kasi/v1/policies/import', { method: 'POST', body: form });
      const r = await app.inject({ method: 'POST', url: '/v1/policies/import', headers: { 'x-api-key': API_KEYS.acme, 'content-type': req.headers.get('content-type')!, ...headers }, payload: Buffer.from(await req.arrayBuffer()) });
      return { status: r.statusCode, body: r.body, replayed: r.headers['idempotent-replayed'] ?? null };
    };
    const csv = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC6,R6,P6,FUNERAL,60.00\n';
    const a = await send('policies-api.csv', csv, { 'idempotency-key': 'upload-1' });
    expect([a.status, JSON.parse(a.body).status, a.replayed]).toEqual([200, 'applied', null]);
    // the same upload with the same key: the first answer (applied), not a duplicate report
    const again = await send('policies-api.csv', csv, { 'idempotency-key': 'upload-1' });
    expect([again.status, again.body, again.replayed]).toEqual([200, a.body, 'true']);
    const other = await send('policies-api.csv', csv.replace('60.00', '61.00'), { 'idempotency-key': 'upload-1' });
    expect(other.status).toBe(409);
    // without a key the same bytes are intake's duplicate
    expect(JSON.parse((await send('policies-api2.csv', csv)).body).status).toBe('duplicate');

    const files = (await call('GET', '/v1/files')).json();
    // the ledger holds every intake: the five policies sent one by one as JSON first, then the uploads
    expect(files.data.map((f: { name: string; source: string; status: string; imported: number }) => [f.name, f.source, f.status, f.imported])).toEqual([
      ...[1, 2, 3, 4, 5].map(() => [expect.stringMatching(/^api:POST \/v1\/policies [0-9a-f-]{36}$/), 'api', 'applied', 1]),
      ['policies-api.csv', 'api', 'applied', 1],
      ['policies-api2.csv', 'api', 'duplicate', 0],
    ]);
    expect((await call('GET', '/v1/files?period_month=2025-11&status=duplicate')).json().data.map((f: { name: string }) => f.name)).toEqual(['policies-api2.csv']);
    expect((await call('GET', '/v1/files?period_month=2025-10')).json().data).toEqual([]);
    // beta's key sees beta's one policy, nothing of acme's
    expect((await call('GET', '/v1/files', { key: API_KEYS.beta })).json().data.map((f: { name: string }) => f.name)).toEqual([expect.stringMatching(/^api:POST \/v1\/policies /)]);
  });

  it('POST with Idempotency-Key: same body → the stored answer; another body → 409 KEY_REUSED; running → 409 KEY_IN_USE; per tenant; 24 h', async () => {
    const k = { 'idempotency-key': 'create-p7' };
    const first = await call('POST', '/v1/policies', { body: policy(7), headers: k });
    expect([first.status, first.headers['idempotent-replayed']]).toEqual([201, undefined]);
    const again = await call('POST', '/v1/policies', { body: policy(7), headers: k });
    // without the key this would be 200 (a known number): the key returns the first answer
    expect([again.status, again.body, again.headers['idempotent-replayed']]).toEqual([201, first.body, 'true']);
    const reused = await call('POST', '/v1/policies', { body: policy(7, '70.00'), headers: k });
    expect([reused.status, reused.json().error.code]).toEqual([409, 'KEY_REUSED']);
    expect(Number((await knexOf(dbOf(env.ports.store))('policies').where({ tenant_id: 'acme', policy_number: 'P7' }).first()).collection_amount)).toBe(10000);
    // another tenant's key space is its own
    expect((await call('POST', '/v1/policies', { key: API_KEYS.beta, body: policy(7, '70.00'), headers: k })).status).toBe(201);
    // a bad key is a 400, not a silent non-idempotent request
    expect(errorOf(await call('POST', '/v1/policies', { body: policy(8), headers: { 'idempotency-key': 'has space' } }))).toEqual([400, 'VALIDATION_ERROR', 'INVALID_IDEMPOTENCY_KEY']);

    // a request still running with a key: the retry is told to wait
    const now = env.ports.clock.now().getTime();
    const running = { tenant: 'acme', key: 'busy', method: 'POST', path: '/v1/policies', now: new Date(now).toISOString(), lockedUntil: new Date(now + 30_000).toISOString(), expiresAt: new Date(now + 86_400_000).toISOString() };
    const { createHash } = await import('node:crypto');
    const fingerprint = createHash('sha256').update(`POST\n/v1/policies\n${JSON.stringify(policy(8))}`).digest('hex');
    expect(await env.ports.store.transaction((tx) => tx.idempotency.claimKey({ ...running, fingerprint }))).toEqual({ kind: 'claimed' });
    const busy = await call('POST', '/v1/policies', { body: policy(8), headers: { 'idempotency-key': 'busy' } });
    expect([busy.status, busy.json().error.code, busy.headers['retry-after']]).toEqual([409, 'KEY_IN_USE', '30']);

    // 24 h later the key is forgotten: a new request may use it
    env.setNow(new Date(now + 86_400_000 + 1000).toISOString());
    const later = await call('POST', '/v1/policies', { body: policy(7, '75.00'), headers: k });
    expect([later.status, later.json().collection_amount]).toEqual([200, '75.00']);
    env.setNow(new Date(now).toISOString());
  });

  it('settlements: listed, read by number (SETTLE-2025-11-001) as by id; POST /settlements keyed', async () => {
    await runBatches(env.ports, (d) => env.setNow(d.toISOString()), '2025-11-03', '2025-11-28');
    env.setNow('2025-12-01T09:00:00+02:00');
    const s = await call('POST', '/v1/settlements', { body: { period_month: '2025-11' }, headers: { 'idempotency-key': 'settle-nov' } });
    expect(s.status).toBe(201);
    const replay = await call('POST', '/v1/settlements', { body: { period_month: '2025-11' }, headers: { 'idempotency-key': 'settle-nov' } });
    expect([replay.status, replay.body, replay.headers.location]).toEqual([201, s.body, `/v1/settlements/${s.json().id}`]);
    const byNumber = await call('GET', '/v1/settlements/SETTLE-2025-11-001');
    expect([byNumber.status, byNumber.body]).toEqual([200, s.body]);
    expect((await call('GET', '/v1/settlements/SETTLE-2025-11-001/export')).body).toBe((await call('GET', `/v1/settlements/${s.json().id}/export`)).body);
    expect((await call('GET', '/v1/settlements/SETTLE-2025-11-001', { key: API_KEYS.beta })).status).toBe(404);
    expect((await call('GET', '/v1/settlements/SETTLE-2025-11-999')).status).toBe(404);
    const st = s.json();
    expect((await call('GET', '/v1/settlements?period_month=2025-11&status=pending')).json()).toEqual({
      data: [
        {
          id: st.id,
          settlement_number: 'SETTLE-2025-11-001',
          period_month: '2025-11',
          status: 'pending',
          total_collections: st.total_collections,
          total_fees: st.total_fees,
          vat: st.vat,
          net_amount: st.net_amount,
          payment_date: '2025-12-03',
          payment_reference: 'EFT-20251203-001',
          created_at: st.created_at,
        },
      ],
      next_cursor: null,
    });
    expect((await call('GET', '/v1/settlements?status=paid')).json().data).toEqual([]);
    expect((await call('GET', '/v1/settlements', { key: API_KEYS.beta })).json().data).toEqual([]);
  });
});
