import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, stopDaemon } from '../helpers/api.js';
import { daemonConfig, initRoot, killAllKasi, waitFor, type KasiProcess } from '../helpers/cli.js';
import { parseProm, value } from '../helpers/prom.js';
import { startReceiver, verifies, type Receiver } from '../helpers/webhook-receiver.js';

/**
 * The built daemon sending webhooks to a receiver on loopback: killed (SIGKILL) while a request is
 * in flight, it sends the same event again after its restart, then the next one; its /metrics,
 * scraped for real, passes `promtool check metrics`.
 */
const SECRET = 'acme-e2e-secret';
const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
const NOW = '2025-11-03T09:00:00';
let root: string;
let rx: Receiver;
let daemon: KasiProcess;

beforeAll(async () => {
  rx = await startReceiver(() => 'hang');
  root = await initRoot(
    'kasi-e2e-webhooks-',
    'acme',
    daemonConfig({
      tenants: { acme: { name: 'Acme Funeral Insurance Ltd', intake: 'folder', webhooks: [{ url: rx.url, secret_env: 'ACME_HOOK_SECRET', events: ['intake.file_applied'] }] } },
      webhook_delivery: { retry_base_seconds: 0.2, retry_cap_seconds: 1, timeout_seconds: 120, poll_seconds: 0.1 },
    }),
  );
});

afterAll(async () => {
  rx?.releaseHanging(200);
  await killAllKasi();
  await rx?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('kasi daemon: webhooks across a SIGKILL', () => {
  it('a delivery cut by SIGKILL is sent again after the restart with the same event id, then the next in order', async () => {
    ({ proc: daemon } = await startDaemon(root, NOW, { ACME_HOOK_SECRET: SECRET }));
    writeFileSync(join(root, 'inbox/acme/policies-a.csv'), `${HEADER}C1,E1,P-1,FUN,150.00\n`);
    await waitFor('the first request', () => rx.requests.length === 1, 30_000);
    const first = rx.requests[0]!;
    expect(first.body).toMatchObject({ type: 'intake.file_applied', tenant: 'acme', data: { file: 'policies-a.csv', imported: 1, failed: 0 } });
    // killed while the receiver holds the request: the delivery was never recorded as done
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    rx.answer = () => 200;
    writeFileSync(join(root, 'inbox/acme/policies-b.csv'), `${HEADER}C2,E2,P-2,FUN,99.00\n`);
    const again = await startDaemon(root, NOW, { ACME_HOOK_SECRET: SECRET });
    daemon = again.proc;
    await waitFor('both events delivered', () => rx.accepted().length === 2, 30_000);
    expect(rx.requests.map((r) => r.body.id)).toEqual([first.body.id, first.body.id, rx.requests[2]!.body.id]);
    expect(rx.requests[1]!.raw).toBe(first.raw);
    expect(rx.requests[2]!.body.data).toMatchObject({ file: 'policies-b.csv', imported: 1 });
    expect(rx.requests.every((r) => verifies(r, SECRET))).toBe(true);

    // the real scrape: lint-clean for promtool, and it counts this process's deliveries
    const text = await (await fetch(`${again.base}/metrics`)).text();
    const lint = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`).toBe('');
    expect(lint.status).toBe(0);
    const { samples } = parseProm(text);
    expect(value(samples, 'kasi_webhook_attempts_total', { tenant: 'acme', outcome: 'delivered' })).toBe(2);
    expect(samples.some((s) => s.name === 'kasi_intake_last_file_timestamp_seconds' && s.labels.tenant === 'acme')).toBe(true);
    expect((await stopDaemon(daemon)).code).toBe(0);
  });
});
