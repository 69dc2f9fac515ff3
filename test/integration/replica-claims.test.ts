import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BankGateway } from '../../src/bank/gateway.js';
import { runBatch } from '../../src/usecases/collect/batch.js';
import { engineSetup } from '../../src/usecases/collect/engine-setup.js';
import { executeCollections } from '../../src/usecases/collect/execute.js';
import { makeGateway } from '../../src/usecases/collect/gateway-factory.js';
import { importFile } from '../../src/usecases/intake/import-file.js';
import { isTakenElsewhere } from '../../src/usecases/replica.js';
import { SftpService } from '../../src/daemon/sftp-service.js';
import { makeEnv, dropInInbox, type TestEnv } from '../helpers/env.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * The store's claims that let replicas share work (SPEC 6), process by process: an inbox file
 * taken by one of two importers racing for it, a dead holder's file claim taken over, a batch
 * chunk left half done by a dead claimant finished by the next one (its stored debits presented
 * once), and the SFTP turn of a tenant held by another replica (PostgreSQL advisory lock).
 */
const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
const policies = (n: number, from = 1) => HEADER + Array.from({ length: n }, (_, i) => `C${i + from},R${i + from},P${i + from},FUN,${100 + i}.00\n`).join('');

/** The name of a process on this host that has exited. */
function deadOwner(): string {
  const r = spawnSync(process.execPath, ['-e', '']);
  return `${hostname()}/${r.pid}/gone`;
}

async function count(env: TestEnv, table: string, where = '1 = 1'): Promise<number> {
  const [row] = (await knexOf(dbOf(env.ports.store)).raw(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).then((r: unknown) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows))) as { n: number | string }[];
  return Number(row!.n);
}

describe.each(['sqlite', 'pg'] as const)('replica claims on %s', (dialect) => {
  test('two importers racing for one inbox file: one applies and moves it, the other leaves it (no error)', async () => {
    const env = await makeEnv(dialect);
    try {
      const path = dropInInbox(env, 'policies-race.csv', policies(50));
      const req = { tenantId: 'acme', path, mode: 'move' as const };
      const [a, b] = await Promise.allSettled([importFile(env.ports, req), importFile(env.ports, req)]);
      const outcomes = [a, b].map((r) => (r.status === 'fulfilled' ? r.value.status : isTakenElsewhere(r.reason) ? 'elsewhere' : String(r.reason)));
      expect(outcomes.sort()).toEqual(['applied', 'elsewhere']);
      expect(await count(env, 'intake_files')).toBe(1);
      expect(await count(env, 'policies')).toBe(50);
      expect(await count(env, 'intake_claims')).toBe(0);
      expect(existsSync(path)).toBe(false);
      expect(readdirSync(join(env.root, 'archive/acme/2025-11-01'))).toEqual(['policies-race.csv']);
    } finally {
      await env.cleanup();
    }
  });

  test("a file claimed by a live replica elsewhere is left; a dead holder's claim (this host) or an expired lease is taken over", async () => {
    const env = await makeEnv(dialect);
    try {
      const knex = knexOf(dbOf(env.ports.store));
      const claim = async (name: string, owner: string, leaseUntil: string) => {
        const body = policies(3, name.length * 10);
        const path = dropInInbox(env, name, body);
        const { createHash } = await import('node:crypto');
        const sha256 = createHash('sha256').update(body).digest('hex');
        await knex('intake_claims').insert({ tenant_id: 'acme', sha256, name, owner, claimed_at: '2025-11-01T06:00:00.000Z', lease_until: leaseUntil });
        return path;
      };
      const future = new Date(Date.now() + 3_600_000).toISOString();
      const live = await claim('policies-a.csv', 'other-host/123/x', future);
      await expect(importFile(env.ports, { tenantId: 'acme', path: live, mode: 'move' })).rejects.toThrow(/another process is taking these bytes/);
      expect(existsSync(live)).toBe(true);

      const dead = await claim('policies-bb.csv', deadOwner(), future);
      expect((await importFile(env.ports, { tenantId: 'acme', path: dead, mode: 'move' })).status).toBe('applied');
      const expired = await claim('policies-ccc.csv', 'other-host/123/y', '2000-01-01T00:00:00.000Z');
      expect((await importFile(env.ports, { tenantId: 'acme', path: expired, mode: 'move' })).status).toBe('applied');
      expect((await knex('intake_claims').select('name')).map((r: { name: string }) => r.name)).toEqual(['policies-a.csv']);
    } finally {
      await env.cleanup();
    }
  });

  test("a batch chunk left half done by a dead claimant: the next claimant presents its stored debits once and finishes the run", async () => {
    const env = await makeEnv(dialect, {}, '2025-11-27T06:00:00+02:00');
    try {
      const path = dropInInbox(env, 'policies-batch.csv', policies(40));
      await importFile(env.ports, { tenantId: 'acme', path, mode: 'move' });
      await executeCollections(env.ports, 'acme', '2025-11');
      const setup = engineSetup(env.ports.config);
      const date = '2025-11-27';
      const real = await makeGateway(env.ports, setup, date);
      // the first replica dies after storing its first chunk's debits, before the bank answers
      const dying: BankGateway = Object.assign(Object.create(real) as BankGateway, {
        present: () => Promise.reject(new Error('power cut')),
      });
      const a = deadOwner();
      await expect(runBatch(env.ports, { date, gateway: dying, setup, chunkSize: 10, claims: { runKey: 'R1', owner: a, leaseMs: 3_600_000 } })).rejects.toThrow('power cut');
      const stored = await count(env, 'attempts', `status = 'SUBMITTED'`);
      expect(stored).toBeGreaterThan(0);
      // PostgreSQL: the holder works two chunks at a time (batch-chunks.ts), so the cut leaves two
      const inFlight = dialect === 'pg' ? 2 : 1;
      expect(await count(env, 'batch_chunks', `status = 'running'`)).toBe(inFlight);

      const summary = await runBatch(env.ports, {
        date,
        gateway: await makeGateway(env.ports, setup, date),
        setup,
        chunkSize: 10,
        claims: { runKey: 'R1', owner: 'replica-b', leaseMs: 3_600_000 },
      });
      expect(summary.status).toBe('done');
      if (summary.status !== 'done') return;
      expect(summary.reconciled).toBe(0); // the chunk's debits were its claimant's, not reconcile's
      const attempts = await count(env, 'attempts');
      expect(summary.tenants).toMatchObject([{ tenant: 'acme', planned: 40, presented: attempts }]);
      expect(await count(env, 'attempts', `status = 'SUBMITTED'`)).toBe(0);
      expect(await count(env, 'bank_results')).toBe(attempts);
      expect(await count(env, 'bank_results', `outcome <> 'applied'`)).toBe(0);
      const chunks = (await knexOf(dbOf(env.ports.store))('batch_chunks').orderBy('seq').select('seq', 'status', 'owner', 'takeovers')) as { seq: number; status: string; owner: string; takeovers: number }[];
      expect(chunks.map((c) => [Number(c.seq), c.status, c.owner, Number(c.takeovers)])).toEqual([
        [1, 'done', 'replica-b', 1],
        [2, 'done', 'replica-b', inFlight === 2 ? 1 : 0],
        [3, 'done', 'replica-b', 0],
        [4, 'done', 'replica-b', 0],
      ]);
      // run again: nothing more
      const again = await runBatch(env.ports, { date, gateway: await makeGateway(env.ports, setup, date), setup, chunkSize: 10, claims: { runKey: 'R1', owner: 'replica-c', leaseMs: 60_000 } });
      expect(await count(env, 'attempts')).toBe(attempts);
      expect(again.status === 'done' && again.tenants[0]!.presented).toBe(attempts);
    } finally {
      await env.cleanup();
    }
  });
});

describe('SFTP turn across replicas (PostgreSQL advisory lock)', () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  test('while another replica holds the tenant lock, a tick does nothing; then it polls', async () => {
    const base = join(sshd.root, 'replicas');
    const remote = { inbound: join(base, 'in'), processed: join(base, 'done'), outbound: join(base, 'out') };
    for (const d of Object.values(remote)) mkdirSync(d, { recursive: true });
    const env = await makeEnv('pg', { tenants: { acme: { name: 'Acme Funeral Insurance Ltd', intake: 'sftp', sftp: sshd.settings(remote) } } });
    const holder = new pg.Client({ connectionString: env.databaseUrl });
    await holder.connect();
    const svc = new SftpService(env.ports, { env: process.env });
    try {
      writeFileSync(join(remote.inbound, 'policies-1.csv'), policies(2));
      await holder.query(`SELECT pg_advisory_lock(4731, hashtext('acme'))`);
      expect(await svc.tick('acme')).toEqual({ tenant: 'acme', poll: null, pollError: null, delivery: null, deliveryError: null, elsewhere: true });
      await holder.query(`SELECT pg_advisory_unlock(4731, hashtext('acme'))`);
      const r = await svc.tick('acme');
      expect([r.elsewhere, r.pollError, r.poll === null]).toEqual([undefined, null, false]);
    } finally {
      await svc.stop();
      await holder.end();
      await env.cleanup();
    }
  });
});
