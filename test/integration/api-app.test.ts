import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sastDate } from '../../src/domain/dates.js';
import { buildApp } from '../../src/http/api/app.js';
import { ExecutionQueue } from '../../src/usecases/api/api-executions.js';
import { withSettlementCsvChunks } from '../../src/usecases/close/close-settlement-csv.js';
import { findSettlement } from '../../src/store/settlement.repository.js';
import { reading } from '../../src/store/sql.js';
import { makeEnv, type TestEnv } from '../helpers/env.js';
import { API_KEYS, digest, runBatches } from '../helpers/api.js';
import { knexOf } from '../../src/store/db.js';
import { storeOf, dbOf } from '../../src/store/store.js';

/**
 * The HTTP API in process (Fastify inject) on SQLite and PostgreSQL: every error code and its
 * envelope, the CSV row rules on JSON policies, tenant isolation, rate limits on a controlled
 * clock, and a small month through execute, report and settlement. The daemon e2e test
 * (test/e2e/api-daemon.test.ts) does the same cycle over real HTTP against files.
 */
const ACCOUNT = { holder: 'Acme Funeral Insurance', bank: 'Absa', branch_code: '632005', number: '4000000000', type: 'current' };
const TENANTS = {
  acme: { name: 'Acme Funeral Insurance Ltd', vat_number: '4100000000', bank_account: ACCOUNT, api_key_sha256: [digest(API_KEYS.acme), digest(API_KEYS.acme2)] },
  beta: { name: 'Beta Life Ltd', api_key_sha256: digest(API_KEYS.beta) },
};

interface Res {
  status: number;
  headers: Record<string, unknown>;
  body: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe.each(['sqlite', 'pg'] as const)('HTTP API on %s', (dialect) => {
  let env: TestEnv;
  let app: FastifyInstance;
  let queue: ExecutionQueue;
  let ms = 0;
  const call = async (method: string, url: string, opts: { key?: string | null; body?: unknown; headers?: Record<string, string> } = {}): Promise<Res> => {
    const key = opts.key === undefined ? API_KEYS.acme : opts.key;
    const r = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...(key ? { 'x-api-key': key } : {}), ...(opts.body !== undefined && typeof opts.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      payload: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
    return { status: r.statusCode, headers: r.headers, body: r.body, json: () => JSON.parse(r.body) };
  };
  const errorOf = (r: Res) => ({ status: r.status, code: r.json().error.code });

  beforeAll(async () => {
    env = await makeEnv(dialect, { tenants: TENANTS, http: { port: 0, rate_limits: { reads_per_minute: 1000, writes_per_minute: 1000 } } }, '2025-11-01T05:00:00+02:00');
    queue = new ExecutionQueue(env.ports);
    app = await buildApp({ ports: env.ports, executions: queue, now: () => ms });
  });
  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('the OpenAPI document and its page need no key; every other /v1 path does (401)', async () => {
    const doc = (await call('GET', '/v1/openapi.json', { key: null })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/collections',
      '/v1/collections/execute',
      '/v1/collections/executions/{id}',
      '/v1/collections/{id}',
      '/v1/files',
      '/v1/holds',
      '/v1/policies',
      '/v1/policies/import',
      '/v1/policies/{id}',
      '/v1/policies/{id}/hold/release',
      '/v1/reports/collections',
      '/v1/settlements',
      '/v1/settlements/{id}',
      '/v1/settlements/{id}/export',
      '/v1/webhooks/events',
    ]);
    // generated from the validating schemas: the body of POST /policies is the PolicyCreate schema
    expect(doc.paths['/v1/policies'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/PolicyCreate' });
    expect(doc.components.schemas.PolicyCreate.required).toEqual(['customer_id', 'external_customer_ref', 'policy_number', 'product_code', 'collection_amount']);
    expect(doc.components.schemas.PolicyCreate.additionalProperties).toBe(false);
    expect(doc.paths['/v1/reports/collections'].get.parameters.map((p: { name: string; required: boolean }) => [p.name, p.required])).toEqual([
      ['period_month', true],
      ['format', false],
    ]);
    const page = await call('GET', '/v1/docs', { key: null });
    expect([page.status, page.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.body).toContain("fetch('openapi.json')");
    expect(page.body).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // self-contained

    const none = await call('GET', '/v1/collections/1', { key: null });
    expect(none.status).toBe(401);
    expect(none.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'send your API key in the X-API-Key header', details: null, request_id: none.headers['x-request-id'] } });
    expect((await call('GET', '/v1/collections/1', { key: 'not-a-key' })).json().error.message).toBe('the API key is not valid');
    expect(errorOf(await call('GET', '/v1/nothing'))).toEqual({ status: 404, code: 'NOT_FOUND' });
  });

  it('POST /policies: the CSV row rules and codes; 201 new, 200 known number', async () => {
    const bad = await call('POST', '/v1/policies', {
      body: { customer_id: ' ', external_customer_ref: 'R1', policy_number: 'P1', product_code: 'FUN ERAL', collection_amount: '150.001' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_ERROR');
    expect(bad.json().error.details.map((d: { field: string; code: string }) => [d.field, d.code])).toEqual([
      ['customer_id', 'REQUIRED'],
      ['product_code', 'INVALID_PRODUCT_CODE'],
      ['collection_amount', 'AMOUNT_TOO_MANY_DECIMALS'],
    ]);
    const shape = await call('POST', '/v1/policies', { body: { policy_number: 'P1', colection_amount: 5 } });
    expect(shape.json().error.details).toContainEqual({ field: 'body', code: 'UNKNOWN_FIELD', message: 'unknown field(s): colection_amount' });
    expect(errorOf(await call('POST', '/v1/policies', { body: '{"not json', headers: { 'content-type': 'application/json' } }))).toEqual({ status: 400, code: 'VALIDATION_ERROR' });
    expect((await call('POST', '/v1/policies', { body: { customer_id: 'C9', external_customer_ref: 'R9', policy_number: 'P9', product_code: 'FUN', collection_amount: '100000.01' } })).json().error.details).toEqual([
      { field: 'collection_amount', code: 'AMOUNT_OVER_CEILING', message: expect.any(String) },
    ]);
    // a cancellation of a number the tenant does not have: the file's CANCEL_UNKNOWN_POLICY
    const cancelUnknown = await call('POST', '/v1/policies', { body: { customer_id: 'C9', external_customer_ref: 'R9', policy_number: 'P9', product_code: 'FUN', collection_amount: 10, status: 'cancelled' } });
    expect(cancelUnknown.json().error.details.map((d: { code: string }) => d.code)).toEqual(['CANCEL_UNKNOWN_POLICY']);

    const made = [];
    for (const [i, amount] of ['150.00', 99.9, '250'].entries()) {
      const r = await call('POST', '/v1/policies', { body: { customer_id: `C${i + 1}`, external_customer_ref: `R${i + 1}`, policy_number: `P${i + 1}`, product_code: 'FUNERAL', collection_amount: amount } });
      expect(r.status).toBe(201);
      made.push(r.json());
    }
    expect(made.map((p) => [p.policy_number, p.collection_amount, p.status])).toEqual([
      ['P1', '150.00', 'active'],
      ['P2', '99.90', 'active'],
      ['P3', '250.00', 'active'],
    ]);
    expect(made[0]).toEqual({ id: made[0].id, policy_number: 'P1', customer_id: 'C1', external_customer_ref: 'R1', product_code: 'FUNERAL', collection_amount: '150.00', status: 'active', cancelled_at: null, created_at: '2025-11-01T03:00:00.000Z', updated_at: '2025-11-01T03:00:00.000Z' });
    const again = await call('POST', '/v1/policies', { body: { customer_id: 'C1', external_customer_ref: 'R1', policy_number: 'P1', product_code: 'FUNERAL', collection_amount: '150.00' } });
    expect([again.status, again.json().id]).toEqual([200, made[0].id]);
    // the same policy number in another tenant is another policy
    const beta = await call('POST', '/v1/policies', { key: API_KEYS.beta, body: { customer_id: 'B1', external_customer_ref: 'RB1', policy_number: 'P1', product_code: 'LIFE', collection_amount: '50.00' } });
    expect(beta.status).toBe(201);
    expect(beta.json().id).not.toBe(made[0].id);
  });

  it('PATCH /policies/{id}: premium and status by the same rules; another tenant\'s id is 404', async () => {
    const p2 = (await call('POST', '/v1/policies', { body: { customer_id: 'C2', external_customer_ref: 'R2', policy_number: 'P2', product_code: 'FUNERAL', collection_amount: '99.90' } })).json();
    const r = await call('PATCH', `/v1/policies/${p2.id}`, { key: API_KEYS.acme2, body: { collection_amount: '120.50' } });
    expect([r.status, r.json().collection_amount, r.json().status]).toEqual([200, '120.50', 'active']);
    expect((await call('PATCH', `/v1/policies/${p2.id}`, { body: { collection_amount: '-5' } })).json().error.details[0].code).toBe('AMOUNT_NOT_POSITIVE');
    expect((await call('PATCH', `/v1/policies/${p2.id}`, { body: { status: 'lapsed' } })).json().error.details[0].code).toBe('INVALID_STATUS');
    expect((await call('PATCH', `/v1/policies/${p2.id}`, { body: {} })).json().error.details[0]).toMatchObject({ field: 'body', message: 'give collection_amount, status or both' });
    expect(errorOf(await call('PATCH', `/v1/policies/${p2.id}`, { key: API_KEYS.beta, body: { status: 'cancelled' } }))).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(errorOf(await call('PATCH', '/v1/policies/abc', { body: { status: 'cancelled' } }))).toEqual({ status: 400, code: 'VALIDATION_ERROR' });
  });

  it('execute (202, then completed), a collection as its report row, tenant isolation', async () => {
    expect(errorOf(await call('POST', '/v1/collections/execute', { body: { period_month: '2025-13' } }))).toEqual({ status: 400, code: 'VALIDATION_ERROR' });
    expect((await call('POST', '/v1/collections/execute', { body: { period_month: '2025-11', policy_ids: [999_999] } })).json().error).toMatchObject({ code: 'NOT_FOUND', details: { policy_ids: [999_999] } });
    const betaPolicy = (await call('POST', '/v1/policies', { key: API_KEYS.beta, body: { customer_id: 'B1', external_customer_ref: 'RB1', policy_number: 'P1', product_code: 'LIFE', collection_amount: '50.00' } })).json();
    expect(errorOf(await call('POST', '/v1/collections/execute', { body: { period_month: '2025-11', policy_ids: [betaPolicy.id] } }))).toEqual({ status: 404, code: 'NOT_FOUND' });

    const ex = await call('POST', '/v1/collections/execute', { body: { period_month: '2025-11' } });
    expect(ex.status).toBe(202);
    expect(ex.json()).toEqual({ execution_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'processing', policies_queued: 3 });
    await queue.idle();
    const done = (await call('GET', `/v1/collections/executions/${ex.json().execution_id}`)).json();
    expect(done).toMatchObject({ status: 'completed', period_month: '2025-11', policies_queued: 3, collections_opened: 3, error: null });
    expect(errorOf(await call('GET', `/v1/collections/executions/${ex.json().execution_id}`, { key: API_KEYS.beta }))).toEqual({ status: 404, code: 'NOT_FOUND' });
    const again = await call('POST', '/v1/collections/execute', { body: { period_month: '2025-11' } });
    expect(again.json().policies_queued).toBe(0);
    await queue.idle();

    const [first] = await knexOf(dbOf(env.ports.store))('collections').where({ tenant_id: 'acme' }).orderBy('policy_number').select('id');
    const c = await call('GET', `/v1/collections/${first.id}`);
    expect(c.json()).toEqual({
      id: first.id,
      period_month: '2025-11',
      customer_id: 'C1',
      external_customer_ref: 'R1',
      policy_number: 'P1',
      product_code: 'FUNERAL',
      collection_amount_due: '150.00',
      collection_amount_collected: '0.00',
      shortfall: '150.00',
      collection_status: 'OPEN',
      first_attempt_date: null,
      last_attempt_date: null,
      number_of_attempts: 0,
      last_failure_reason: null,
    });
    expect(errorOf(await call('GET', `/v1/collections/${first.id}`, { key: API_KEYS.beta }))).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(errorOf(await call('GET', '/v1/collections/2147483648'))).toEqual({ status: 400, code: 'VALIDATION_ERROR' });
    expect(errorOf(await call('GET', '/v1/collections/2147483647'))).toEqual({ status: 404, code: 'NOT_FOUND' });
  });

  it('the report of a running period is 404; after the month: the report file\'s bytes, the settlement (201 then 200), its CSV', async () => {
    expect((await call('GET', '/v1/reports/collections?period_month=2025-11')).json().error).toMatchObject({ code: 'NOT_FOUND', details: [{ field: 'period_month', code: 'PERIOD_RUNNING' }] });
    expect(errorOf(await call('POST', '/v1/settlements', { body: { period_month: '2025-11' } }))).toEqual({ status: 400, code: 'VALIDATION_ERROR' });
    expect(errorOf(await call('GET', '/v1/reports/collections?period_month=2025-11&format=xml'))).toEqual({ status: 400, code: 'VALIDATION_ERROR' });
    // a month never executed is not closed by a request (a typo must not close a period for good)
    expect((await call('GET', '/v1/reports/collections?period_month=2015-11')).json().error).toMatchObject({ code: 'NOT_FOUND', details: [{ code: 'PERIOD_NOT_EXECUTED' }] });
    expect(errorOf(await call('POST', '/v1/settlements', { body: { period_month: '2015-11' } }))).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(await knexOf(dbOf(env.ports.store))('periods').where({ period: '2015-11' }).first()).toBeUndefined();
    await runBatches(env.ports, (d) => env.setNow(d.toISOString()), '2025-11-03', '2025-11-28');
    env.setNow('2025-12-01T09:00:00+02:00');

    const csv = await call('GET', '/v1/reports/collections?period_month=2025-11');
    expect([csv.status, csv.headers['content-type'], csv.headers['content-disposition']]).toEqual([200, 'text/csv; charset=utf-8', 'attachment; filename="collections-2025-11.csv"']);
    const dir = join(env.root, 'outbox/acme/2025-11');
    expect(csv.body).toBe(readFileSync(join(dir, 'collections-2025-11.csv'), 'utf8'));
    expect(csv.body.split('\n')).toHaveLength(5); // header, three policies, final newline
    const json = await call('GET', '/v1/reports/collections?period_month=2025-11&format=json');
    expect(json.body).toBe(readFileSync(join(dir, 'collections-2025-11.json'), 'utf8'));
    expect(json.json().results).toHaveLength(3);
    expect(json.json().results.map((r: { number_of_attempts: number }) => r.number_of_attempts > 0)).toEqual([true, true, true]);

    const s = await call('POST', '/v1/settlements', { body: { period_month: '2025-11' } });
    expect(s.status).toBe(201);
    const statement = s.json();
    expect(statement).toMatchObject({ settlement_number: 'SETTLE-2025-11-001', tenant: 'acme', period_month: '2025-11', status: 'pending', payment_date: '2025-12-03', payment_reference: 'EFT-20251203-001' });
    expect(s.body).toBe(readFileSync(join(dir, 'settlement-SETTLE-2025-11-001.json'), 'utf8'));
    const s2 = await call('POST', '/v1/settlements', { body: { period_month: '2025-11' } });
    expect([s2.status, s2.body]).toEqual([200, s.body]);
    expect((await call('GET', `/v1/settlements/${statement.id}`)).body).toBe(s.body);
    expect(errorOf(await call('GET', `/v1/settlements/${statement.id}`, { key: API_KEYS.beta }))).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(errorOf(await call('GET', `/v1/settlements/${statement.id}/export`, { key: API_KEYS.beta }))).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(errorOf(await call('GET', '/v1/settlements/not-a-uuid'))).toEqual({ status: 400, code: 'VALIDATION_ERROR' });

    const exp = await call('GET', `/v1/settlements/${statement.id}/export`);
    const rec = (await reading(dbOf(env.ports.store), (sql) => findSettlement(sql, 'acme', '2025-11')))!;
    let rendered = '';
    await withSettlementCsvChunks(env.ports, rec, async (chunks) => {
      for await (const c of chunks) rendered += c;
    });
    expect([exp.status, exp.headers['content-type'], exp.body]).toEqual([200, 'text/csv; charset=utf-8', rendered]);
    expect(exp.body.split('\n')[0]).toBe('settlement_number,period_month,policy_number,customer_id,external_customer_ref,product_code,collection_amount_collected,distribution_fee,collections_fee,vat,net_amount');
    // a closed period takes no execution
    expect((await call('POST', '/v1/collections/execute', { body: { period_month: '2025-11' } })).json().error.details[0].code).toBe('PERIOD_CLOSED');
  });

  it('POST /policies/import: the inbox rules; a rejected file is 400 with its result; a form without the file is 400', async () => {
    const send = async (name: string, content: string, field = 'file') => {
      const form = new FormData();
      form.set(field, new Blob([content]), name);
      const req = new Request('http://kasi/v1/policies/import', { method: 'POST', body: form });
      const r = await app.inject({ method: 'POST', url: '/v1/policies/import', headers: { 'x-api-key': API_KEYS.beta, 'content-type': req.headers.get('content-type')! }, payload: Buffer.from(await req.arrayBuffer()) });
      return { status: r.statusCode, body: JSON.parse(r.body) };
    };
    const bad = await send('policies-bad.csv', 'customer_id,external_customer_ref,policy_number,product_code\nC1,R1,P1,FUN\n');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    expect(bad.body.error.details).toMatchObject({ file: 'policies-bad.csv', status: 'rejected', imported: 0 });
    expect(bad.body.error.details.errors.map((e: { code: string }) => e.code)).toContain('HEADER_MISSING_COLUMN');
    expect(readFileSync(join(env.root, 'failed/beta/policies-bad.csv.errors.csv'), 'utf8')).toContain('HEADER_MISSING_COLUMN');
    // semicolons and decimal commas, as Excel on a South African locale writes them
    const ok = await send('../../etc/policies-za.csv', 'customer_id;external_customer_ref;policy_number;product_code;collection_amount\nB7;RB7;PB7;LIFE;R 1 500,50\n');
    expect(ok).toEqual({ status: 200, body: { file: 'policies-za.csv', status: 'applied', imported: 1, failed: 0, warnings: 0, errors: [] } });
    expect((await send('policies-x.csv', 'a', 'upload')).body.error.details[0]).toMatchObject({ field: 'file', code: 'REQUIRED' });
    const notMultipart = await call('POST', '/v1/policies/import', { key: API_KEYS.beta, body: {} });
    expect(notMultipart.json().error.code).toBe('VALIDATION_ERROR');
  });

  it('an execution left processing by a stopped process runs at the next start', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    await knexOf(dbOf(env.ports.store))('executions').insert({ id, tenant_id: 'beta', period: '2025-12', policy_ids: null, status: 'processing', policies_queued: 2, created_at: '2025-12-01T00:00:00.000Z' });
    const restarted = new ExecutionQueue(env.ports);
    expect(await restarted.resume()).toBe(1);
    await restarted.idle();
    expect((await call('GET', `/v1/collections/executions/${id}`, { key: API_KEYS.beta })).json()).toMatchObject({ status: 'completed', collections_opened: 2 });
  });

  it('rate limits per key and class: the window, 429 with Retry-After, then allowed again', async () => {
    const limited = await buildApp({ ports: { ...env.ports, config: { ...env.ports.config, http: { ...env.ports.config.http, rate_limits: { reads_per_minute: 3, writes_per_minute: 2 } } } }, executions: queue, now: () => ms });
    const hit = async (method: string, url: string, key: string = API_KEYS.acme) => {
      const r = await limited.inject({ method: method as 'GET', url, headers: { 'x-api-key': key, 'content-type': 'application/json' }, payload: method === 'GET' ? undefined : '{}' });
      return [r.statusCode, r.headers['retry-after'] ?? null, r.headers['ratelimit-remaining'] ?? null];
    };
    try {
      ms = 1_000_000;
      expect(await hit('GET', '/v1/collections/999999')).toEqual([404, null, '2']);
      expect(await hit('GET', '/v1/collections/999999')).toEqual([404, null, '1']);
      expect(await hit('GET', '/v1/collections/999999')).toEqual([404, null, '0']);
      ms += 20_000;
      const refused = await limited.inject({ method: 'GET', url: '/v1/collections/999999', headers: { 'x-api-key': API_KEYS.acme } });
      expect([refused.statusCode, refused.headers['retry-after']]).toEqual([429, '40']);
      expect(JSON.parse(refused.body).error).toMatchObject({ code: 'RATE_LIMITED', message: 'more than 3 reads a minute with this key; try again in 40 s', details: { limit: 3, retry_after_seconds: 40 } });
      // writes have their own budget, and so has another key of the same tenant
      expect(await hit('POST', '/v1/policies')).toEqual([400, null, '1']);
      expect(await hit('POST', '/v1/policies')).toEqual([400, null, '0']);
      expect((await hit('POST', '/v1/policies'))[0]).toBe(429);
      expect(await hit('GET', '/v1/collections/999999', API_KEYS.acme2)).toEqual([404, null, '2']);
      ms += 40_000; // the window of the first read ends
      expect(await hit('GET', '/v1/collections/999999')).toEqual([404, null, '2']);
    } finally {
      await limited.close();
    }
  });

  it('an unexpected fault is 500 INTERNAL without its cause', async () => {
    const broken = await buildApp({ ports: { ...env.ports, store: storeOf({ ...dbOf(env.ports.store), dialect: 'pg' as const }) }, executions: queue });
    try {
      const r = await broken.inject({ method: 'GET', url: '/v1/collections/1', headers: { 'x-api-key': API_KEYS.acme } });
      expect(r.statusCode).toBe(500);
      expect(JSON.parse(r.body)).toEqual({ error: { code: 'INTERNAL', message: 'an internal error occurred; the operator can find it in the log by request_id', details: null, request_id: r.headers['x-request-id'] } });
    } finally {
      await broken.close();
    }
  });

  it('holds: GET /holds lists them by state; POST /policies/{id}/hold/release lifts one, once; another tenant\'s id is 404', async () => {
    const p = (await call('POST', '/v1/policies', { body: { customer_id: 'C7', external_customer_ref: 'R7', policy_number: 'P7', product_code: 'FUNERAL', collection_amount: '70.00' } })).json();
    // a debit of P7 came back 30 (the results path places holds: test/integration/policy-holds.test.ts)
    await knexOf(dbOf(env.ports.store))('policy_holds').insert({ tenant_id: 'acme', policy_number: 'P7', reason_code: '30', held_on: '2025-10-06', created_at: '2025-10-06T16:00:00.000Z' });
    const open = (await call('GET', '/v1/holds?state=open')).json();
    expect(open.holds.map((h: { policy_number: string; reason: string; state: string }) => [h.policy_number, h.reason, h.state])).toEqual([['P7', 'NO_AUTHORITY', 'open']]);
    expect((await call('GET', '/v1/holds?state=open', { key: API_KEYS.beta })).json()).toEqual({ holds: [] });
    expect(errorOf(await call('POST', `/v1/policies/${p.id}/hold/release`, { key: API_KEYS.beta, body: {} }))).toEqual({ status: 404, code: 'NOT_FOUND' });
    const r = await call('POST', `/v1/policies/${p.id}/hold/release`, { body: { note: 'new mandate signed' } });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ policy_number: 'P7', reason_code: '30', held_on: '2025-10-06', state: 'released', released_on: sastDate(env.ports.clock.now()), release_note: 'new mandate signed' });
    expect(r.json().released_by).toMatch(/^api:key-[0-9a-f]{12}$/);
    expect((await call('POST', `/v1/policies/${p.id}/hold/release`)).json().error).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'id', code: 'NOT_HELD' }] });
    expect((await call('GET', '/v1/holds?state=released')).json().holds).toHaveLength(1);
    expect(errorOf(await call('GET', '/v1/holds?state=closed'))).toEqual({ status: 400, code: 'VALIDATION_ERROR' });
  });

});
