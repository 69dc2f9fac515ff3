import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/start.js';
import { makeEnv, type TestEnv } from '../helpers/env.js';

/**
 * startDaemon()'s handle (src/daemon/start.ts), in process, without signals: the services answer
 * while it runs; stop() (or disposal) stops them all, closes HTTP and resolves `done` with the
 * outcome; a second stop() is the same stop.
 */
describe('startDaemon handle', () => {
  let env: TestEnv | null = null;
  afterEach(async () => {
    await env?.cleanup();
    env = null;
  });

  it('serves /healthz while running; stop() drains, closes HTTP, settles done; stopping twice is one stop', async () => {
    env = await makeEnv('sqlite', { http: { host: '127.0.0.1', port: 0 } });
    const daemon = await startDaemon(env.ports, { speed: 1, env: {} });
    const url = `http://127.0.0.1:${daemon.httpPort}/healthz`;
    const res = await fetch(url);
    expect([res.status, await res.text()]).toEqual([200, '{"status":"ok"}\n']);
    const first = daemon.stop();
    expect(daemon.stop()).toBe(first);
    expect(await first).toBe('drained');
    expect(await daemon.done).toBe('drained');
    await expect(fetch(url)).rejects.toThrow('fetch failed');
  });

  it('await using stops it at the end of the block', async () => {
    env = await makeEnv('sqlite', { http: { host: '127.0.0.1', port: 0 } });
    let port = 0;
    let done: Promise<string> | null = null;
    {
      await using daemon = await startDaemon(env.ports, { speed: 1, env: {} });
      port = daemon.httpPort;
      done = daemon.done;
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    }
    expect(await done).toBe('drained');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow('fetch failed');
  });
});
