import { createWriteStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeEnv, type Dialect, type TestEnv } from '../helpers/env.js';
import { killAllKasi, requireBuilt, runKasi, spawnKasi, waitFor } from '../helpers/cli.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * SPEC 3.2/9: "a crash mid-import leaves nothing applied, and the file is taken again". The built
 * CLI imports a 200,000-row file and is killed with SIGKILL while its transaction is open; then
 * nothing of the file is in the store, and importing again applies every row exactly once.
 */
const ROWS = 200_000;
const amountCents = (i: number) => 5_000 + (i % 9_000) * 7; // 50.00 … 679.93, deterministic
const EXPECTED_TOTAL = (() => {
  let t = 0;
  for (let i = 1; i <= ROWS; i++) t += amountCents(i);
  return t;
})();

async function writeBigFile(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('customer_id,external_customer_ref,policy_number,product_code,collection_amount,status\n');
  let buf = '';
  for (let i = 1; i <= ROWS; i++) {
    const c = amountCents(i);
    buf += `CUST${i},REF-${i},POL${String(i).padStart(7, '0')},FUNERAL_BASIC,${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')},active\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

/** Something that shows the child's import transaction is open and writing. */
function inTransaction(env: TestEnv, dialect: Dialect): () => Promise<boolean> {
  if (dialect === 'sqlite') {
    const wal = join(env.root, 'data/kasi.sqlite-wal');
    const size = () => {
      try {
        return statSync(wal).size;
      } catch {
        return 0;
      }
    };
    const base = size();
    // uncommitted pages spill into the WAL as the transaction outgrows SQLite's page cache
    return async () => size() > base + 4 * (1 << 20);
  }
  return async () => {
    const r = await knexOf(dbOf(env.ports.store)).raw(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL
          AND now() - xact_start > interval '300 milliseconds'`,
    );
    return (r.rows[0] as { n: number }).n > 0;
  };
}

describe.each(['sqlite', 'pg'] as const)('kill -9 during an import on %s', (dialect) => {
  let env: TestEnv | undefined;
  beforeAll(() => requireBuilt());
  afterEach(async () => {
    await killAllKasi();
    await env?.cleanup();
    env = undefined;
  });

  it('leaves nothing applied; the import run again applies every row exactly once', { timeout: 120_000 }, async () => {
    env = await makeEnv(dialect);
    const file = join(env.root, 'policies-big.csv');
    await writeBigFile(file);
    const args = ['import', file, '--tenant', 'acme', '--root', env.root, '--db', env.databaseUrl];
    const cliEnv = { KASI_NOW: '2025-11-03T07:00:00+02:00' };
    const knex = knexOf(dbOf(env.ports.store));
    const count = async (table: string, where: Record<string, string> = {}) => Number(((await knex(table).where(where).count({ n: '*' })) as { n: number | string }[])[0]!.n);

    const first = spawnKasi(args, { env: cliEnv });
    const writing = inTransaction(env, dialect);
    await waitFor('the import transaction to be under way', async () => first.child.exitCode !== null || (await writing()), 60_000, 25);
    expect(first.child.exitCode, `the import ended before it could be killed:\n${first.stdout()}${first.stderr()}`).toBeNull();
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');

    expect(await count('policies')).toBe(0);
    expect(await count('intake_files', { status: 'applied' })).toBe(0);
    expect(await count('intake_errors')).toBe(0);

    const again = await runKasi(args, { env: cliEnv });
    expect([again.code, again.stdout.split('\n')[0], again.stderr]).toEqual([0, `policies-big.csv: applied — ${ROWS} imported, 0 failed`, '']);
    expect(await count('policies')).toBe(ROWS);
    expect(Number(((await knex('policies').sum({ s: 'collection_amount' })) as { s: number | string }[])[0]!.s)).toBe(EXPECTED_TOTAL);
    const p = await knex('policies').where({ policy_number: 'POL0123457' }).first('customer_id', 'collection_amount', 'status');
    expect(p).toEqual({ customer_id: 'CUST123457', collection_amount: amountCents(123_457), status: 'active' });
    expect(await knex('intake_files').select('name', 'status', 'imported', 'failed')).toEqual([{ name: 'policies-big.csv', status: 'applied', imported: ROWS, failed: 0 }]);
    expect(readdirSync(join(env.root, 'archive/acme/2025-11-03'))).toEqual(['policies-big.csv']);

    // and a third time: the same bytes are a duplicate, nothing applied again
    const third = await runKasi([...args, '--json'], { env: cliEnv });
    expect(third.code).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ status: 'duplicate', imported: 0, failed: 0 });
    expect(await count('policies')).toBe(ROWS);
    expect(await count('intake_files', { status: 'applied' })).toBe(1);
  });
});
