import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { REPO, runKasi } from '../helpers/cli.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookService } from '../../src/daemon/webhook-service.js';
import { closePay, closeReport, closeSettle, disputeSettlement } from '../../src/usecases/close/close.js';
import { importFile } from '../../src/usecases/intake/import-file.js';
import { reading, transaction } from '../../src/store/sql.js';
import { recordPolicyHeld, recordPolicyReleased } from '../../src/usecases/webhooks/hold-events.js';
import { releaseHold } from '../../src/usecases/collect/policy-holds.js';
import { requeueFailed, webhookBacklog } from '../../src/store/webhook.repository.js';
import { recordEvents } from '../../src/usecases/webhooks/record-event.js';
import { buildApp } from '../../src/http/api/app.js';
import { formatStatus } from '../../src/cli/status.command.js';
import { tenantStatus } from '../../src/usecases/collect/status.js';
import { ExecutionQueue } from '../../src/usecases/api/api-executions.js';
import { API_KEYS, digest } from '../helpers/api.js';
import { makeEnv, type TestEnv } from '../helpers/env.js';
import { startReceiver, verifies, type Receiver } from '../helpers/webhook-receiver.js';
import { ACME_CONFIG, seedMonth } from './close-seed.js';
import { knexOf } from '../../src/store/db.js';
import { storeOf, dbOf } from '../../src/store/store.js';

/**
 * Webhooks against real receivers on loopback (node:http): each event arrives once per occurrence
 * with a signature that verifies; retries keep the event id and the lane's order; a refusing
 * receiver (4xx) stops retries for that event only; and replicas on one PostgreSQL send each event once.
 */
const SECRETS = { ACME_HOOK_SECRET: 'acme-s3cret', OPS_HOOK_SECRET: 'ops-s3cret' };
const TENANT_EVENTS = ['intake.file_rejected', 'intake.file_applied', 'collection.failed_hard', 'collection.likely_claim', 'policy.held', 'policy.released', 'period.closed', 'settlement.created', 'settlement.paid', 'settlement.disputed'];
const FAST = { retry_base_seconds: 0.05, retry_cap_seconds: 0.2, timeout_seconds: 1, poll_seconds: 0.05 };
const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pending(env: TestEnv): Promise<number> {
  return (await reading(dbOf(env.ports.store), (sql) => webhookBacklog(sql))).reduce((a, b) => a + b.pending, 0);
}

/** Tick until nothing is pending (retries wait their backoff). */
async function drain(env: TestEnv, svc: WebhookService): Promise<void> {
  for (let i = 0; i < 400; i++) {
    await svc.tick();
    if ((await pending(env)) === 0) return;
    await sleep(20);
  }
  throw new Error('webhook deliveries still pending');
}

function csvFile(name: string, body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kasi-hook-src-'));
  writeFileSync(join(dir, name), body);
  return join(dir, name);
}

describe('webhooks: events of intake, results and the close reach the receivers, signed', () => {
  let env: TestEnv;
  let acme: Receiver;
  let ops: Receiver;
  let svc: WebhookService;
  const types = (r: Receiver) => r.accepted().map((x) => x.body.type);

  beforeAll(async () => {
    acme = await startReceiver();
    ops = await startReceiver();
    env = await makeEnv(
      'sqlite',
      {
        tenants: {
          acme: { ...ACME_CONFIG, api_key_sha256: [digest(API_KEYS.acme)], webhooks: [{ url: acme.url, secret_env: 'ACME_HOOK_SECRET', events: TENANT_EVENTS }] },
          beta: { name: 'Beta Life', api_key_sha256: [digest(API_KEYS.beta)] },
        },
        webhooks: [{ url: ops.url, secret_env: 'OPS_HOOK_SECRET', events: ['schedule.step_failed', 'intake.file_rejected'] }],
        webhook_delivery: FAST,
      },
      '2025-12-20T09:00:00+02:00',
    );
    svc = new WebhookService(env.ports, { env: SECRETS });
  });
  afterAll(async () => {
    await svc?.stop();
    await env?.cleanup();
    await acme?.close();
    await ops?.close();
  });

  it('a rejected and an applied file: one event each, signed with the tenant secret; a duplicate tells nothing', async () => {
    await importFile(env.ports, { tenantId: 'acme', path: csvFile('policies-bad.csv', 'customer_id,policy_number\nC1,P1\n'), mode: 'copy' });
    const ok = `${HEADER}C1,E1,P-1,FUN,150.00\nC2,E2,P-2,FUN,abc\nC3,E3,P-3,FUN,99.99\n`;
    await importFile(env.ports, { tenantId: 'acme', path: csvFile('policies-ok.csv', ok), mode: 'copy' });
    await drain(env, svc);
    expect(types(acme)).toEqual(['intake.file_rejected', 'intake.file_applied']);
    expect(types(ops)).toEqual(['intake.file_rejected']);
    const [rejected, applied] = acme.accepted();
    expect(rejected!.body).toMatchObject({ type: 'intake.file_rejected', tenant: 'acme', created_at: '2025-12-20T07:00:00.000Z' });
    expect(rejected!.body.data).toMatchObject({ file: 'policies-bad.csv', kind: 'policies', failed_rows: 0, error_count: 3 });
    expect((rejected!.body.data.errors as { code: string; column: string }[]).map((e) => `${e.code} ${e.column}`)).toEqual([
      'HEADER_MISSING_COLUMN external_customer_ref',
      'HEADER_MISSING_COLUMN product_code',
      'HEADER_MISSING_COLUMN collection_amount',
    ]);
    expect(applied!.body.data).toMatchObject({ file: 'policies-ok.csv', kind: 'policies', imported: 2, failed: 1, warnings: 0 });
    expect(Object.keys(applied!.body)).toEqual(['id', 'type', 'tenant', 'created_at', 'data']);
    for (const r of acme.accepted()) {
      expect(r.headers['kasi-event-id']).toBe(r.body.id);
      expect(r.headers['content-type']).toBe('application/json');
      expect(verifies(r, SECRETS.ACME_HOOK_SECRET)).toBe(true);
      expect(verifies(r, SECRETS.OPS_HOOK_SECRET)).toBe(false);
    }
    expect(verifies(ops.accepted()[0]!, SECRETS.OPS_HOOK_SECRET)).toBe(true);
    // the operator's copy is the same event (same id), sent to another receiver
    expect(ops.accepted()[0]!.body.id).toBe(rejected!.body.id);
    // the same bytes again: a duplicate, no event
    await importFile(env.ports, { tenantId: 'acme', path: csvFile('policies-again.csv', ok), mode: 'copy' });
    await drain(env, svc);
    expect(acme.requests).toHaveLength(2);
  });

  it('the verification snippet of docs/webhooks.md accepts the requests kasi sends and refuses replays and changed bytes', async () => {
    const doc = readFileSync(join(REPO, 'docs/webhooks.md'), 'utf8');
    const code = /<!-- verify-snippet:start -->\n```js\n([\s\S]*?)```\n<!-- verify-snippet:end -->/.exec(doc)![1]!;
    const file = join(mkdtempSync(join(tmpdir(), 'kasi-snippet-')), 'verify.mjs');
    writeFileSync(file, code);
    const { verifyKasiWebhook } = (await import(pathToFileURL(file).href)) as {
      verifyKasiWebhook: (secret: string, headers: Record<string, unknown>, raw: string, tolerance?: number, now?: number) => boolean;
    };
    const r = acme.accepted()[0]!;
    const ts = Number(r.headers['kasi-timestamp']);
    expect(verifyKasiWebhook(SECRETS.ACME_HOOK_SECRET, r.headers, r.raw, 300, ts + 5)).toBe(true);
    expect(verifyKasiWebhook(SECRETS.ACME_HOOK_SECRET, r.headers, r.raw, 300, ts + 301)).toBe(false);
    expect(verifyKasiWebhook(SECRETS.ACME_HOOK_SECRET, r.headers, r.raw.replace('"acme"', '"beta"'), 300, ts)).toBe(false);
    expect(verifyKasiWebhook(SECRETS.OPS_HOOK_SECRET, r.headers, r.raw, 300, ts)).toBe(false);
  });

  it('bank results: failed_hard for hard codes, likely_claim for 18, nothing for a soft code or a repeated file', async () => {
    const P = '2025-12';
    const presented = (policy: string) => ({ policy, customer: `C${policy}`, ref: `R${policy}`, product: 'FUN', due: 10_000, attempts: [{ date: '2025-12-18', requested: 10_000 }] });
    await seedMonth(dbOf(env.ports.store), 'acme', P, [presented('H-1'), presented('H-2'), presented('H-3'), presented('H-4')]);
    const results =
      'instruction_id,result,amount_collected,reason_code,processed_date\n' +
      `acme-${P}-H-1-1,UNPAID,0.00,12,2025-12-19\nacme-${P}-H-2-1,UNPAID,0.00,18,2025-12-19\nacme-${P}-H-3-1,UNPAID,0.00,02,2025-12-19\nacme-${P}-H-4-1,PAID,100.00,,2025-12-19\n`;
    const before = acme.requests.length;
    await importFile(env.ports, { tenantId: 'bank', path: csvFile('results-1.csv', results), mode: 'copy' });
    await importFile(env.ports, { tenantId: 'bank', path: csvFile('results-2.csv', results + '\n'), mode: 'copy' });
    await drain(env, svc);
    const got = acme.accepted().slice(before).map((r) => [r.body.type, r.body.data.policy_number, r.body.data.code, r.body.data.reason]);
    expect(got).toEqual([
      ['collection.failed_hard', 'H-1', '12', 'ACCOUNT_CLOSED'],
      ['collection.failed_hard', 'H-2', '18', 'ACCOUNT_HOLDER_DECEASED'],
      ['collection.likely_claim', 'H-2', '18', 'ACCOUNT_HOLDER_DECEASED'],
      // 12 and 18 hold the policy (docs/money-rules.md): policy.held in the same transaction
      ['policy.held', 'H-1', undefined, 'ACCOUNT_CLOSED'],
      ['policy.held', 'H-2', undefined, 'ACCOUNT_HOLDER_DECEASED'],
    ]);
    expect(acme.accepted()[before]!.body.data).toEqual({
      policy_number: 'H-1',
      customer_id: 'CH-1',
      external_customer_ref: 'RH-1',
      period_month: P,
      instruction_id: `acme-${P}-H-1-1`,
      presentment: 1,
      action_date: '2025-12-18',
      amount_requested: '100.00',
      code: '12',
      reason: 'ACCOUNT_CLOSED',
      processed_date: '2025-12-19',
    });
    // the bank's files are no tenant's: the operator receiver lists only rejected files
    expect(types(ops)).toEqual(['intake.file_rejected']);
    // the insurer lifts H-1's hold (API/CLI path): policy.released once; a second release is not held
    const mark = acme.requests.length;
    expect((await releaseHold(env.ports, 'acme', 'H-1', 'ops@kasi', 'new mandate')).status).toBe('released');
    expect((await releaseHold(env.ports, 'acme', 'H-1', 'ops@kasi', 'again')).status).toBe('not_held');
    await drain(env, svc);
    expect(acme.accepted().slice(mark).map((r) => [r.body.type, r.body.data.policy_number, r.body.data.reason_code, r.body.data.released_by, r.body.data.release_note])).toEqual([
      ['policy.released', 'H-1', '12', 'ops@kasi', 'new mandate'],
    ]);
  });

  it('the close: period.closed, settlement.created, settlement.paid with the EFT reference, settlement.disputed; once each', async () => {
    env.setNow('2026-01-01T02:00:00+02:00');
    const before = acme.requests.length;
    await closeReport(env.ports, 'acme', '2025-12');
    await closeReport(env.ports, 'acme', '2025-12');
    await closeSettle(env.ports, 'acme', '2025-12');
    const s = (await knexOf(dbOf(env.ports.store))('settlements').where({ tenant_id: 'acme', period: '2025-12' }).first()) as { payment_date: string; settlement_number: string; payment_reference: string };
    env.setNow(`${s.payment_date}T02:00:00+02:00`);
    await closePay(env.ports, s.payment_date);
    await closePay(env.ports, s.payment_date);
    expect(await disputeSettlement(env.ports, s.settlement_number, 'fees look wrong')).toMatchObject({ ok: true });
    await drain(env, svc);
    const mine = acme.accepted().slice(before);
    expect(mine.map((r) => r.body.type)).toEqual(['period.closed', 'settlement.created', 'settlement.paid', 'settlement.disputed']);
    expect(mine[0]!.body.data).toEqual({
      period_month: '2025-12',
      closed_at: '2026-01-01T00:00:00.000Z',
      collections: { paid_full: 1, paid_partial: 0, unpaid: 3, cancelled: 0 },
      amount_due: '400.00',
      amount_collected: '100.00',
    });
    expect(mine[1]!.body.data).toMatchObject({ settlement_number: s.settlement_number, total_collections: '100.00', total_fees: '28.50', vat: '4.28', net_amount: '67.22', status: 'pending' });
    expect(mine[2]!.body.data).toMatchObject({ settlement_number: s.settlement_number, status: 'paid', payment_reference: s.payment_reference, payment_date: s.payment_date });
    expect(s.payment_reference).toMatch(/^EFT-\d{8}-001$/);
    expect(mine[3]!.body.data).toMatchObject({ settlement_number: s.settlement_number, status: 'disputed', reason: 'fees look wrong' });
    expect(mine.every((r) => verifies(r, SECRETS.ACME_HOOK_SECRET))).toBe(true);
  });
  it('policy.held and policy.released carry the hold, once per hold', async () => {
    const before = acme.requests.length;
    const hold = { id: 7, tenant_id: 'acme', policy_number: 'H-1', reason_code: '12', held_on: '2025-12-19', collection_id: 3 };
    const now = env.ports.clock.now();
    await env.ports.store.transaction(async (tx) => {
      expect(await recordPolicyHeld(tx, env.ports.config, now, hold)).toBe(true);
      expect(await recordPolicyHeld(tx, env.ports.config, now, hold)).toBe(false);
      await recordPolicyReleased(tx, env.ports.config, now, { ...hold, released_on: '2026-01-02', released_by: 'ops@kasi', release_note: 'new mandate signed' });
    });
    await drain(env, svc);
    expect(acme.accepted().slice(before).map((r) => [r.body.type, r.body.data])).toEqual([
      ['policy.held', { hold_id: 7, policy_number: 'H-1', reason_code: '12', reason: 'ACCOUNT_CLOSED', held_on: '2025-12-19', collection_id: 3 }],
      [
        'policy.released',
        { hold_id: 7, policy_number: 'H-1', reason_code: '12', reason: 'ACCOUNT_CLOSED', held_on: '2025-12-19', collection_id: 3, released_on: '2026-01-02', released_by: 'ops@kasi', release_note: 'new mandate signed' },
      ],
    ]);
  });

  it('GET /v1/webhooks/events: a tenant sees its own events with their delivery, by status, paged', async () => {
    const app = await buildApp({ ports: env.ports, executions: new ExecutionQueue(env.ports) });
    try {
      const get = async (url: string, key: string = API_KEYS.acme) => {
        const r = await app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });
        return { code: r.statusCode, body: r.json() as { events: { id: string; type: string; data: Record<string, unknown>; deliveries: { url: string; status: string; attempts: number; last_http_status: number | null }[] }[]; next_before: number | null } };
      };
      const all = await get('/v1/webhooks/events?limit=200');
      expect(all.code).toBe(200);
      expect(all.body.events.map((e) => e.type)).toEqual([...types(acme)].reverse());
      expect(all.body.events[0]!.deliveries).toEqual([{ url: acme.url, status: 'delivered', attempts: 1, last_http_status: 200, last_error: null, next_attempt_at: null, delivered_at: expect.any(String) }]);
      expect(all.body.events.map((e) => e.id)).toEqual(acme.accepted().map((r) => r.body.id).reverse());
      // paging: 3 at a time gives the same list
      const seen: string[] = [];
      for (let url = '/v1/webhooks/events?limit=3'; ; ) {
        const p = await get(url);
        seen.push(...p.body.events.map((e) => e.id));
        if (p.body.next_before === null) break;
        url = `/v1/webhooks/events?limit=3&before=${p.body.next_before}`;
      }
      expect(seen).toEqual(all.body.events.map((e) => e.id));
      expect((await get('/v1/webhooks/events?status=failed')).body).toEqual({ events: [], next_before: null });
      expect((await get('/v1/webhooks/events?status=delivered')).body.events).toHaveLength(all.body.events.length);
      expect((await get('/v1/webhooks/events', API_KEYS.beta)).body).toEqual({ events: [], next_before: null });
      expect((await get('/v1/webhooks/events?status=lost')).code).toBe(400);
      const doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as { paths: Record<string, { get?: { operationId: string } }> };
      expect(doc.paths['/v1/webhooks/events']?.get?.operationId).toBe('listWebhookEvents');
    } finally {
      await app.close();
    }
  });
});

describe('webhooks: retries, order and refusals', () => {
  let env: TestEnv;
  let rx: Receiver;
  let svc: WebhookService;
  const record = (keys: string[]) =>
    recordEvents(
      env.ports.store,
      env.ports.config,
      env.ports.clock.now(),
      keys.map((k) => ({ type: 'period.closed', tenant: 'acme', key: k, data: { period_month: k } })),
    );
  const state = async () =>
    (await knexOf(dbOf(env.ports.store))('webhook_deliveries as d').join('webhook_events as e', 'e.id', 'd.event_row').orderBy('d.id').select('e.body', 'd.status', 'd.attempts', 'd.last_status', 'd.last_error')) as {
      body: string;
      status: string;
      attempts: number;
      last_status: number | null;
      last_error: string | null;
    }[];

  beforeAll(async () => {
    rx = await startReceiver();
    env = await makeEnv('sqlite', {
      tenants: { acme: { ...ACME_CONFIG, webhooks: [{ url: rx.url, secret_env: 'ACME_HOOK_SECRET', events: ['period.closed'] }] } },
      webhook_delivery: { ...FAST, max_response_kb: 1 },
    });
    svc = new WebhookService(env.ports, { env: SECRETS });
  });
  afterAll(async () => {
    await svc?.stop();
    await env?.cleanup();
    await rx?.close();
  });

  it('a receiver down for a while gets everything afterwards, in order, the same event id on every retry', async () => {
    rx.answer = (_r, n) => (n <= 3 ? 503 : 200);
    await record(['a', 'b', 'c']);
    await drain(env, svc);
    const ids = rx.requests.map((r) => r.body.data.period_month);
    expect(ids).toEqual(['a', 'a', 'a', 'a', 'b', 'c']);
    expect(new Set(rx.requests.slice(0, 4).map((r) => r.body.id)).size).toBe(1);
    expect(new Set(rx.requests.slice(0, 4).map((r) => r.raw)).size).toBe(1);
    expect((await state()).map((d) => [d.status, d.attempts, d.last_status])).toEqual([
      ['delivered', 4, 200],
      ['delivered', 1, 200],
      ['delivered', 1, 200],
    ]);
  });

  it('a 4xx other than 408/429 stops retries for that event only; 408, 429, a timeout and a huge answer are handled', async () => {
    rx.requests.length = 0;
    const plan: Record<string, (n: number) => number | 'hang' | { status: number; body: string }> = {
      refused: () => 400,
      gone: () => 410,
      slow: (n) => (n === 1 ? 429 : n === 2 ? 408 : 200),
      hangs: (n) => (n === 1 ? 'hang' : 200),
      chatty: () => ({ status: 200, body: 'x'.repeat(1_000_000) }),
    };
    const seen: Record<string, number> = {};
    rx.answer = (r) => {
      const k = String(r.body.data.period_month);
      seen[k] = (seen[k] ?? 0) + 1;
      return plan[k]!(seen[k]);
    };
    await record(Object.keys(plan));
    await drain(env, svc);
    expect(rx.requests.map((r) => r.body.data.period_month)).toEqual(['refused', 'gone', 'slow', 'slow', 'slow', 'hangs', 'hangs', 'chatty']);
    const rows = (await state()).slice(3).map((d) => [JSON.parse(d.body).data.period_month, d.status, d.attempts, d.last_status, d.last_error?.slice(0, 30) ?? null]);
    expect(rows).toEqual([
      ['refused', 'failed', 1, 400, 'HTTP 400'],
      ['gone', 'failed', 1, 410, 'HTTP 410'],
      ['slow', 'delivered', 3, 200, null],
      ['hangs', 'delivered', 2, 200, null],
      ['chatty', 'delivered', 1, 200, null],
    ]);
    rx.releaseHanging(200);
  });

  it('gives up after max_attempts, and the lane goes on', async () => {
    rx.requests.length = 0;
    rx.answer = (r) => (r.body.data.period_month === 'never' ? 500 : 200);
    await record(['never', 'after']);
    await drain(env, svc);
    expect(rx.requests.map((r) => r.body.data.period_month)).toEqual([...Array(20).fill('never'), 'after']);
    const never = (await state()).find((d) => JSON.parse(d.body).data.period_month === 'never')!;
    expect([never.status, never.attempts, never.last_error]).toEqual(['failed', 20, 'gave up after 20 attempts; last: HTTP 500']);
  });

  it('kasi webhooks retry sends a failed event again, with the same id, once the receiver is fixed', async () => {
    const failed = (await state()).filter((d) => d.status === 'failed').map((d) => JSON.parse(d.body) as { id: string; data: { period_month: string } });
    const refused = failed.find((e) => e.data.period_month === 'refused')!;
    rx.requests.length = 0;
    rx.answer = () => 200;
    const r = await runKasi(['webhooks', 'retry', refused.id, 'evt_00000000-0000-0000-0000-000000000000'], { env: { KASI_ROOT: env.root } });
    expect(r.stdout).toBe(`${refused.id}: queued again\nevt_00000000-0000-0000-0000-000000000000: no failed delivery (unknown, pending or delivered): left alone\n`);
    expect(r.code).toBe(1);
    expect((await runKasi(['webhooks', 'retry', 'nope'], { env: { KASI_ROOT: env.root } })).code).toBe(2);
    await drain(env, svc);
    expect(rx.requests.map((x) => x.body.id)).toEqual([refused.id]);
    expect(rx.requests[0]!.body.data).toEqual({ period_month: 'refused' });
    // delivered now: nothing to queue again
    expect(await transaction(dbOf(env.ports.store), (sql) => requeueFailed(sql, [refused.id], new Date().toISOString()))).toEqual([]);
  });

  it('kasi status counts them: pending (with the oldest), failed, delivered', async () => {
    rx.answer = () => 503;
    env.setNow('2025-11-02T10:00:00+02:00');
    await record(['stuck']);
    await svc.tick();
    const [acme] = await tenantStatus(env.ports);
    expect(acme!.webhooks).toEqual({ pending: 1, failed: 2, delivered: 8, oldestPendingAt: '2025-11-02T08:00:00.000Z' });
    expect(formatStatus([acme!])).toContain('\n  webhooks: 1 pending (oldest from 2025-11-02T08:00:00Z), 2 failed, 8 delivered\n');
  });
});

describe('webhooks on PostgreSQL: replicas and a slow receiver', () => {
  let env: TestEnv;
  let rx: Receiver;
  const services: WebhookService[] = [];

  beforeAll(async () => {
    rx = await startReceiver();
    env = await makeEnv(
      'pg',
      {
        tenants: { acme: { ...ACME_CONFIG, webhooks: [{ url: rx.url, secret_env: 'ACME_HOOK_SECRET', events: ['period.closed', 'intake.file_applied'] }] } },
        webhook_delivery: { ...FAST, timeout_seconds: 60 },
      },
      '2025-12-20T09:00:00+02:00',
    );
  });
  afterAll(async () => {
    rx?.releaseHanging(200);
    await Promise.all(services.map((s) => s.stop()));
    await env?.cleanup();
    await rx?.close();
  });

  it('two senders on one database send each event once, in order', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    await recordEvents(env.ports.store, env.ports.config, env.ports.clock.now(), keys.map((k) => ({ type: 'period.closed', tenant: 'acme', key: k, data: { period_month: k } })));
    const { openDb } = await import('../../src/store/db.js');
    const other = openDb({ client: 'pg', url: env.databaseUrl });
    try {
      const a = new WebhookService(env.ports, { env: SECRETS });
      const b = new WebhookService({ ...env.ports, store: storeOf(other) }, { env: SECRETS });
      for (let i = 0; i < 100 && (await pending(env)) > 0; i++) await Promise.all([a.tick(), b.tick()]);
    } finally {
      await other.close();
    }
    expect(rx.requests.map((r) => r.body.data.period_month)).toEqual(keys);
    expect(rx.accepted()).toHaveLength(12);
  });

  it('a receiver that does not answer holds only its own event: intake and the close go on', async () => {
    rx.requests.length = 0;
    rx.answer = (_r, n) => (n === 1 ? 'hang' : 200);
    const svc = new WebhookService(env.ports, { env: SECRETS });
    services.push(svc);
    svc.start();
    await importFile(env.ports, { tenantId: 'acme', path: csvFile('policies-1.csv', `${HEADER}C1,E1,P-1,FUN,150.00\n`), mode: 'copy' });
    for (let i = 0; i < 500 && rx.requests.length === 0; i++) await sleep(10);
    expect(rx.requests).toHaveLength(1);
    // the receiver holds the first request open; the next file and the close run to the end meanwhile
    const second = await importFile(env.ports, { tenantId: 'acme', path: csvFile('policies-2.csv', `${HEADER}C2,E2,P-2,FUN,99.00\n`), mode: 'copy' });
    expect(second).toMatchObject({ status: 'applied', imported: 1 });
    env.setNow('2026-01-01T02:00:00+02:00');
    expect((await closeReport(env.ports, 'acme', '2025-12')).status).toBe('done');
    expect(rx.requests.map((r) => r.answered)).toEqual([null]);
    expect(await pending(env)).toBe(3);
    rx.releaseHanging(200);
    for (let i = 0; i < 500 && (await pending(env)) > 0; i++) await sleep(20);
    expect(rx.accepted().map((r) => [r.body.type, r.body.data.file ?? r.body.data.period_month])).toEqual([
      ['intake.file_applied', 'policies-1.csv'],
      ['intake.file_applied', 'policies-2.csv'],
      ['period.closed', '2025-12'],
    ]);
  });
});
