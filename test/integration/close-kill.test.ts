import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeEnv, type TestEnv } from '../helpers/env.js';
import { killAllKasi, requireBuilt, runKasi, spawnKasi } from '../helpers/cli.js';
import { bigMonth, seedMonth } from './close-seed.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * SPEC 9: "a crash (kill -9) at any moment, then a restart: no file lost, none applied twice,
 * none half-written". The report step of a 60,000-collection month (30,000 on PostgreSQL, where
 * seeding two stores costs more) runs in a child process (the
 * built CLI: `kasi close --step report`, which calls closeReport) and is SIGKILLed at random
 * moments three times; a final run then completes. Its outputs must equal, byte for byte, those
 * of an undisturbed run on an identical store, with no temp file left behind.
 */
const P = '2025-11';
const NOW = { KASI_NOW: '2025-12-01T02:00:00+02:00' };

function outputs(root: string): Record<string, string> {
  const dir = join(root, 'outbox/acme', P);
  if (!existsSync(dir)) return {};
  return Object.fromEntries(readdirSync(dir).sort().map((n) => [n, readFileSync(join(dir, n), 'utf8')]));
}

describe.each(['sqlite', 'pg'] as const)('kill -9 during the close on %s', (dialect) => {
  const envs: TestEnv[] = [];
  beforeAll(() => requireBuilt());
  afterEach(async () => {
    await killAllKasi();
    for (const e of envs.splice(0)) await e.cleanup();
  });

  it('re-running after kills gives the same bytes as an undisturbed run, and no temp files', { timeout: 240_000 }, async () => {
    const N = dialect === 'sqlite' ? 60_000 : 30_000;
    const book = bigMonth(N, 7);
    const clean = await makeEnv(dialect);
    const killed = await makeEnv(dialect);
    envs.push(clean, killed);
    await seedMonth(dbOf(clean.ports.store), 'acme', P, book);
    await seedMonth(dbOf(killed.ports.store), 'acme', P, book);
    const args = (e: TestEnv) => ['close', '--period', P, '--tenant', 'acme', '--step', 'report', '--root', e.root, '--db', e.databaseUrl];

    const t0 = Date.now();
    const ref = await runKasi(args(clean), { env: NOW });
    const took = Date.now() - t0;
    expect([ref.code, ref.stderr]).toEqual([0, '']);
    const want = outputs(clean.root);
    expect(Object.keys(want)).toEqual([
      'collections-2025-11.csv',
      'collections-2025-11.csv.sha256',
      'collections-2025-11.json',
      'collections-2025-11.json.sha256',
      'flagged-2025-11.csv',
      'flagged-2025-11.csv.sha256',
    ]);
    expect(want['collections-2025-11.csv']!.split('\n').length).toBe(N + 2);

    const delays: number[] = [];
    for (let k = 0; k < 3; k++) {
      const delay = Math.floor(Math.random() * took);
      delays.push(delay);
      const child = spawnKasi(args(killed), { env: NOW });
      await new Promise((r) => setTimeout(r, delay));
      child.child.kill('SIGKILL');
      await child.exited;
    }
    const last = await runKasi(args(killed), { env: NOW });
    expect([last.code, last.stderr], `kills after ${delays.join(', ')} ms of ${took} ms`).toEqual([0, '']);
    expect(outputs(killed.root), `kills after ${delays.join(', ')} ms`).toEqual(want);
    const all = readdirSync(join(killed.root, 'outbox/acme', P));
    expect(all.filter((n) => n.endsWith('.tmp'))).toEqual([]);

    const statuses = async (e: TestEnv) =>
      (await knexOf(dbOf(e.ports.store))('collections').groupBy('status').orderBy('status').select('status').count({ n: '*' })).map((r: Record<string, unknown>) => [r.status, Number(r.n)]);
    expect(await statuses(killed)).toEqual(await statuses(clean));
    expect(await statuses(killed)).toEqual([
      ['PAID_FULL', N * 0.6],
      ['PAID_PARTIAL', N * 0.2],
      ['UNPAID', N * 0.2],
    ]);
  });
});
