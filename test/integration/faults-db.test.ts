import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { runBatch } from '../../src/usecases/collect/batch.js';
import { engineSetup } from '../../src/usecases/collect/engine-setup.js';
import { executeCollections } from '../../src/usecases/collect/execute.js';
import { makeGateway } from '../../src/usecases/collect/gateway-factory.js';
import { importFile } from '../../src/usecases/intake/import-file.js';
import type { ScheduledStep } from '../../src/daemon/steps.js';
import { Scheduler, type UnitReport } from '../../src/daemon/scheduler.js';
import { parseCron } from '../../src/domain/cron.js';
import { makeEnv, type TestEnv } from '../helpers/env.js';
import { PG_ADMIN_URL } from '../helpers/pg.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * Issue 7 item 4, the store side. SQLite busy: another process holds the write lock for a few
 * seconds; the intake of a file waits (busy_timeout) and completes. PostgreSQL going away mid-batch
 * (every connection of the test's own database terminated, as a server restart does; the shared
 * server itself is never restarted): the batch step fails, the scheduler's retry reconnects,
 * reconciles what was stored but not confirmed, and ends exactly as an undisturbed batch.
 */
const envs: TestEnv[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.cleanup();
});

function policies(n: number): string {
  let csv = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
  for (let i = 1; i <= n; i++) csv += `C${String(i).padStart(7, '0')},REF${i},POL${String(i).padStart(5, '0')},FUNERAL,${50 + (i % 400)}.${String(i % 100).padStart(2, '0')}\n`;
  return csv;
}

describe('SQLite busy', () => {
  it('another process holds the write lock for 3 s: the import waits and is applied', { timeout: 60_000 }, async () => {
    const env = await makeEnv('sqlite');
    envs.push(env);
    const file = join(env.root, 'policies-busy.csv');
    writeFileSync(file, policies(50));
    const events: string[] = [];
    // the lock holder: its own process and connection, BEGIN IMMEDIATE, a write, 3 s, COMMIT
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(process.argv[1]); db.exec('BEGIN IMMEDIATE');
         db.exec("CREATE TABLE IF NOT EXISTS busy_probe (x)"); db.exec('INSERT INTO busy_probe VALUES (1)');
         process.stdout.write('locked\\n'); setTimeout(() => { db.exec('COMMIT'); process.stdout.write('released\\n'); db.close(); }, 3000);`,
        join(env.root, 'data/kasi.sqlite'),
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((r) => holder.on('close', r));
    holder.stdout!.setEncoding('utf8').on('data', (d: string) => events.push(...d.trim().split('\n')));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (events.includes('locked')) {
          clearInterval(t);
          resolve();
        }
      }, 10);
    });
    const out = await importFile(env.ports, { tenantId: 'acme', path: file, mode: 'copy' });
    events.push(`import ${out.status} ${out.imported}`);
    await exited;
    // the import could not have committed while the lock was held: it waited, then went through
    expect(events.sort()).toEqual(['import applied 50', 'locked', 'released']);
    expect(Number(((await knexOf(dbOf(env.ports.store))('policies').count({ n: '*' })) as { n: number }[])[0]!.n)).toBe(50);
  });
});

describe('PostgreSQL connections terminated mid-batch', () => {
  const DATE = '2025-11-26';
  const N = 1200;

  async function prepared(): Promise<TestEnv> {
    const env = await makeEnv('pg', { daemon: { batch_chunk_size: 100 } }, `${DATE}T06:30:00+02:00`);
    envs.push(env);
    const file = join(env.root, 'policies-pg.csv');
    writeFileSync(file, policies(N));
    expect((await importFile(env.ports, { tenantId: 'acme', path: file, mode: 'copy' })).status).toBe('applied');
    await executeCollections(env.ports, 'acme', '2025-11');
    return env;
  }

  /** The batch as the daemon runs it, with a hook between chunks. */
  function batchStep(onChunk: (n: number) => Promise<void> | void): ScheduledStep {
    return {
      name: 'batch',
      cron: parseCron('0 6 * * 1-5'),
      async run(ports, occ) {
        const setup = engineSetup(ports.config);
        let chunks = 0;
        const r = await runBatch(ports, {
          date: occ.date,
          gateway: await makeGateway(ports, setup, occ.date),
          setup,
          chunkSize: 100,
          onChunk: () => void onChunk(++chunks),
        });
        return { status: 'done', detail: { reconciled: r.status === 'done' ? r.reconciled : 0 } };
      },
    };
  }

  async function outcome(env: TestEnv) {
    const rows = (await knexOf(dbOf(env.ports.store))('attempts').orderBy('instruction_id').select('instruction_id', 'status', 'amount_requested', 'amount_collected', 'reason_code')) as object[];
    const results = (await knexOf(dbOf(env.ports.store))('bank_results').groupBy('outcome').select('outcome').count({ n: '*' })) as { outcome: string; n: number }[];
    const collected = (await knexOf(dbOf(env.ports.store))('collections').sum({ s: 'amount_collected' })) as { s: number }[];
    return { rows, results: results.map((r) => [r.outcome, Number(r.n)]), collected: Number(collected[0]!.s) };
  }

  it('the step fails, the retry reconnects and ends exactly as an undisturbed batch', { timeout: 120_000 }, async () => {
    const undisturbed = await prepared();
    const ranRef: UnitReport[] = [];
    await new Scheduler(undisturbed.ports, { steps: [batchStep(() => {})], leaseMs: 30_000, horizonMs: 3_600_000, maxAttempts: 3, retryMs: 0, maxSleepMs: 1000, onUnit: (u) => ranRef.push(u) }).tick();
    expect(ranRef.map((u) => u.status)).toEqual(['done']);
    const want = await outcome(undisturbed);
    expect(want.rows).toHaveLength(N);

    const env = await prepared();
    const dbName = new URL(env.databaseUrl).pathname.slice(1);
    let terminated = 0;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    // after the third chunk of the first attempt: every connection of this test's database dropped
    const step = batchStep(async (n) => {
      if (n !== 3 || terminated > 0) return;
      const r = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
      terminated = r.rowCount ?? 0;
    });
    const ran: UnitReport[] = [];
    const errors: string[] = [];
    const s = new Scheduler(env.ports, { steps: [step], leaseMs: 30_000, horizonMs: 3_600_000, maxAttempts: 3, retryMs: 0, maxSleepMs: 1000, onUnit: (u) => ran.push(u) });
    try {
      for (let k = 0; k < 10 && !ran.some((u) => u.status === 'done'); k++) {
        await s.tick().catch((err: Error) => errors.push(err.message)); // a tick that fails on the store is retried, as the loop does
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await admin.end();
    }
    expect(terminated).toBeGreaterThan(0);
    expect(ran.map((u) => [u.status, u.attempt]), errors.join('\n')).toEqual([
      ['failed', 1],
      ['done', 2],
    ]);
    expect(await outcome(env)).toEqual(want);
  });
});
