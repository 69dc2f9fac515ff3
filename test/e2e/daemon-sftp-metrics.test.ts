import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllKasi, requireBuilt, spawnKasi, waitFor, type KasiProcess, initRoot } from '../helpers/cli.js';
import { parseProm } from '../helpers/prom.js';

/**
 * SFTP errors per tenant in /metrics (SPEC 6): the built daemon polls a tenant whose SFTP server
 * refuses connections; `kasi_sftp_errors_total{tenant="acme",operation="poll"}` counts each failed
 * poll (as many as the log's "SFTP poll failed" lines), and the folder tenant has no sample.
 */
const SECRET = 'pw-never-logged-4711';
let root: string;
let daemon: KasiProcess;
let base: string;

/** A port nothing listens on: bound by us, then closed. */
async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const failures = () => daemon.stderr().split('\n').filter((l) => l.includes('"msg":"SFTP poll failed; will reconnect"') && l.includes('"tenant":"acme"')).length;

beforeAll(async () => {
  requireBuilt();
  root = await initRoot('kasi-e2e-sftp-metrics-', 'beta', {
    database: 'sqlite:data/kasi.sqlite',
    http: { port: 0, host: '127.0.0.1' },
    daemon: { catch_up_days: 0 },
    tenants: {
      acme: {
        name: 'Acme Funeral Insurance Ltd',
        intake: 'sftp',
        sftp: {
          host: '127.0.0.1',
          port: await deadPort(),
          username: 'kasi',
          password_env: 'ACME_SFTP_PASSWORD',
          insecure_accept_any_host_key: true,
          inbound_dir: '/outgoing',
          processed_dir: '/outgoing/processed',
          outbound_dir: '/incoming',
          timeout_seconds: 5,
        },
      },
      beta: { name: 'Beta Life Ltd', intake: 'folder' },
    },
  });
  daemon = spawnKasi(['daemon'], { env: { KASI_ROOT: root, KASI_LOG_LEVEL: 'info', ACME_SFTP_PASSWORD: SECRET } });
  await waitFor('the daemon to start', () => daemon.stderr().includes('kasi daemon started') || daemon.child.exitCode !== null, 30_000);
  expect(daemon.child.exitCode, daemon.stderr()).toBeNull();
  base = `http://127.0.0.1:${/"http_port":(\d+)/.exec(daemon.stderr())![1]}`;
});

afterAll(async () => {
  await killAllKasi();
  rmSync(root, { recursive: true, force: true });
});

describe('kasi daemon: SFTP errors per tenant in /metrics', () => {
  it('counts each failed poll of the tenant whose server refuses connections, and nothing for the others', async () => {
    await waitFor('two failed polls', () => failures() >= 2, 30_000);
    const before = failures();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const { types, samples } = parseProm(await res.text());
    expect(types.get('kasi_sftp_errors_total')).toBe('counter');
    const sftp = samples.filter((s) => s.name === 'kasi_sftp_errors_total');
    expect(sftp.map((s) => s.labels)).toEqual([{ tenant: 'acme', operation: 'poll', app: 'kasi' }]);
    const counted = sftp[0]!.value;
    // each failure is counted before its log line is written: the count is between the lines seen before and after the scrape
    await waitFor('the log to catch up with the scrape', () => failures() >= counted, 10_000);
    expect(counted).toBeGreaterThanOrEqual(before);
    expect(counted).toBeLessThanOrEqual(failures());
    expect(daemon.stderr()).not.toContain(SECRET);

    daemon.child.kill('SIGTERM');
    const end = await daemon.exited;
    expect([end.code, end.signal]).toEqual([0, null]);
  });
});
