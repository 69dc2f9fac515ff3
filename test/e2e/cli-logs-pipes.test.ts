import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { daemonConfig, initRoot, KASI_BIN, killAllKasi, requireBuilt, runKasi, spawnKasi, waitFor } from '../helpers/cli.js';

/**
 * Logs and pipes as an operator meets them (issue 14): KASI_LOG_LEVEL checked and honoured
 * (debug lines exist), a refused HTTP request leaves an info line with its request id, and
 * `kasi … | head -1` ends quietly instead of with an unhandled EPIPE.
 */
let root: string;
const dirs: string[] = [];
beforeAll(async () => {
  requireBuilt();
  root = await initRoot('kasi-e2e-logs-', 'acme', daemonConfig({ tenants: { acme: { name: 'Acme Funeral Insurance Ltd', address: '5 Main Road, Durban, 4001' } } }));
  dirs.push(root);
});
afterEach(killAllKasi);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const lines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Start the daemon at `level`, make one good and one refused request, stop it; its log lines. */
async function daemonRequests(level: string): Promise<{ lines: Record<string, unknown>[]; refusedId: string }> {
  const d = spawnKasi(['daemon'], { env: { KASI_ROOT: root, KASI_NOW: '2025-11-01T05:00:00+02:00', KASI_LOG_LEVEL: level } });
  await waitFor('the daemon to start', () => /"http_port":\d+/.test(d.stderr()) || d.child.exitCode !== null, 60_000);
  const base = `http://127.0.0.1:${/"http_port":(\d+)/.exec(d.stderr())![1]}`;
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  const refused = await fetch(`${base}/v1/settlements/SETTLE-2025-11-001`, { headers: { 'x-api-key': 'not-a-key' } });
  expect(refused.status).toBe(401);
  const refusedId = refused.headers.get('x-request-id')!;
  await waitFor('the refused request in the log', () => d.stderr().includes(refusedId));
  d.child.kill('SIGTERM');
  const end = await d.exited;
  expect(end.code, end.stderr.slice(-2000)).toBe(0);
  return { lines: lines(end.stderr), refusedId };
}

describe('KASI_LOG_LEVEL', () => {
  it('a value that is not a level is bad usage (exit 2), for any command', async () => {
    const r = await runKasi(['status', '--root', root], { env: { KASI_LOG_LEVEL: 'verbose' } });
    expect(r).toEqual({ code: 2, signal: null, stdout: '', stderr: 'kasi: KASI_LOG_LEVEL="verbose" is not a log level; use one of fatal, error, warn, info, debug, trace, silent\n' });
  });

  it('debug: debug lines appear (each request); info: they do not; a 4xx is an info line with its request id either way', async () => {
    const debug = await daemonRequests('debug');
    const requestLine = (ls: Record<string, unknown>[], path: string) => ls.filter((l) => l.path === path).map((l) => [l.level, l.msg, l.method, l.status]);
    expect(requestLine(debug.lines, '/healthz')).toEqual([[20, 'request', 'GET', 200]]);
    const refusedLine = (ls: Record<string, unknown>[], id: string) =>
      ls.filter((l) => l.request_id === id).map((l) => [l.level, l.msg, l.method, l.path, l.status, l.code]);
    expect(refusedLine(debug.lines, debug.refusedId)).toEqual([[30, 'request refused', 'GET', '/v1/settlements/SETTLE-2025-11-001', 401, 'UNAUTHORIZED']]);

    const info = await daemonRequests('info');
    expect(info.lines.filter((l) => (l.level as number) < 30)).toEqual([]);
    expect(requestLine(info.lines, '/healthz')).toEqual([]);
    expect(refusedLine(info.lines, info.refusedId)).toEqual([[30, 'request refused', 'GET', '/v1/settlements/SETTLE-2025-11-001', 401, 'UNAUTHORIZED']]);
  });
});

describe('a closed pipe', () => {
  it('`kasi simulate … | head -1` prints one line and kasi ends quietly (exit 0, no EPIPE)', () => {
    const sim = mkdtempSync(join(tmpdir(), 'kasi-e2e-pipe-'));
    dirs.push(sim);
    const r = spawnSync(
      'bash',
      ['-c', `set -o pipefail; "${process.execPath}" "${KASI_BIN}" simulate --root "${sim}" --from 2025-11-01 --to 2025-11-30 --policies 20 2>"${sim}/err" | head -1; echo "exit=\${PIPESTATUS[0]}"; grep -c EPIPE "${sim}/err" || true`],
      { encoding: 'utf8', env: { ...process.env, KASI_LOG_LEVEL: 'warn' } },
    );
    expect(r.stdout).toBe(`kasi simulate — runtime root ${sim}\nexit=0\n0\n`);
  });
});
