import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { afterCloseStep, deliverPendingFor, enqueueDeliveries } from '../../src/usecases/deliver/deliveries.js';
import { SftpService } from '../../src/daemon/sftp-service.js';
import { writeAtomic } from '../../src/files/atomic-writer.js';
import { deliveriesOf } from '../../src/store/delivery.repository.js';
import { makeEnv, type Dialect, type TestEnv } from '../helpers/env.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { waitFor } from '../helpers/cli.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * The SFTP adapter wired into kasi (SPEC 7) against a real OpenSSH sshd on loopback: the store's
 * delivery ledger on SQLite and PostgreSQL, re-delivery after the server comes back, and the
 * SftpService handing pulled files to the real intake.
 */
let sshd: Sshd;
let n = 0;

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
const sha = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');
const ls = (dir: string): string[] => readdirSync(dir).sort();

/** A runtime root whose tenant acme exchanges files with its own folders on the test sshd. */
async function sftpEnv(dialect: Dialect, over: Record<string, unknown> = {}): Promise<{ env: TestEnv; remote: { inbound: string; processed: string; outbound: string } }> {
  const base = join(sshd.root, `w${++n}`);
  const remote = { inbound: join(base, 'to-kasi'), processed: join(base, 'to-kasi-done'), outbound: join(base, 'from-kasi') };
  const sftp = { ...sshd.settings(remote), ...over };
  const env = await makeEnv(dialect, { tenants: { acme: { name: 'Acme Funeral Insurance Ltd', intake: 'sftp', sftp } } });
  return { env, remote };
}

/** Two deliverables as the month close writes them (atomic, with sidecars). */
async function writeDeliverables(env: TestEnv): Promise<{ csv: string; json: string }> {
  const dir = env.ports.paths.outbox('acme', '2025-11');
  const csv = join(dir, 'collections-2025-11.csv');
  const json = join(dir, 'settlement-SETTLE-2025-11-001.json');
  await writeAtomic(csv, 'policy_number,amount\nP1,150.00\n');
  await writeAtomic(json, '{"net_amount":"120.00"}\n');
  return { csv, json };
}

const OUT = 'outbox/acme/2025-11';
const FOUR = [`${OUT}/collections-2025-11.csv`, `${OUT}/collections-2025-11.csv.sha256`, `${OUT}/settlement-SETTLE-2025-11-001.json`, `${OUT}/settlement-SETTLE-2025-11-001.json.sha256`];

describe.each(['sqlite', 'pg'] as const)('deliveries on %s', (dialect) => {
  test('each file and its sidecar queued once, delivered under the final names, ledger marked delivered', async () => {
    const { env, remote } = await sftpEnv(dialect);
    try {
      const { csv, json } = await writeDeliverables(env);
      const bank = join(env.root, 'outbox/bank/eft.xml');
      const other = join(env.root, 'outbox/zulu/2025-11/collections-2025-11.csv');
      mkdirSync(join(env.root, 'outbox/bank'), { recursive: true });
      mkdirSync(join(env.root, 'outbox/zulu/2025-11'), { recursive: true });
      writeFileSync(bank, '<xml/>');
      writeFileSync(other, 'zulu\n');

      const first = await enqueueDeliveries(env.ports, 'acme', [csv, json, bank, other, join(env.root, OUT, 'missing.csv')]);
      expect(first).toEqual({
        queued: FOUR,
        already: [],
        refused: [
          { path: 'outbox/bank/eft.xml', reason: 'not under outbox/acme/' },
          { path: 'outbox/zulu/2025-11/collections-2025-11.csv', reason: 'not under outbox/acme/' },
          { path: `${OUT}/missing.csv`, reason: 'no such file' },
        ],
      });
      // the close runs again (idempotent): nothing queued twice
      expect(await enqueueDeliveries(env.ports, 'acme', [csv, `${csv}.sha256`])).toEqual({ queued: [], already: FOUR.slice(0, 2), refused: [] });

      expect(await deliverPendingFor(env.ports, 'acme', { env: {} })).toEqual({ delivered: 4, failed: 0 });
      expect(ls(remote.outbound)).toEqual(['collections-2025-11.csv', 'collections-2025-11.csv.sha256', 'settlement-SETTLE-2025-11-001.json', 'settlement-SETTLE-2025-11-001.json.sha256']);
      expect(readFileSync(join(remote.outbound, 'collections-2025-11.csv'), 'utf8')).toBe('policy_number,amount\nP1,150.00\n');
      expect(readFileSync(join(remote.outbound, 'collections-2025-11.csv.sha256'), 'utf8')).toBe(`${sha('policy_number,amount\nP1,150.00\n')}  collections-2025-11.csv\n`);
      expect(readFileSync(join(remote.outbound, 'settlement-SETTLE-2025-11-001.json.sha256'), 'utf8')).toBe(`${sha('{"net_amount":"120.00"}\n')}  settlement-SETTLE-2025-11-001.json\n`);

      const rows = await deliveriesOf(knexOf(dbOf(env.ports.store)), 'acme');
      expect(rows.map((r) => [r.local_path, r.remote_name, r.status, Number(r.attempts), r.last_error, r.created_at, r.delivered_at])).toEqual(
        FOUR.map((p) => [p, p.slice(OUT.length + 1), 'delivered', 1, null, '2025-11-01T06:00:00.000Z', '2025-11-01T06:00:00.000Z']),
      );
      // nothing pending: no second upload, no connection
      expect(await deliverPendingFor(env.ports, 'acme', { env: {} })).toEqual({ delivered: 0, failed: 0 });
    } finally {
      await env.cleanup();
    }
  });
});

describe('SftpService', () => {
  test('pulled files go through the real intake: applied once, duplicate, rejected; all moved to processed', async () => {
    const { env, remote } = await sftpEnv('sqlite', { settle_seconds: 0 });
    const service = new SftpService(env.ports, { env: {} });
    try {
      const body = `${HEADER}C1,E1,P1,FUN,150.00\nC2,E2,P2,FUN,99.95\n`;
      const drop = (name: string, content: string, t: number): void => {
        writeFileSync(join(remote.inbound, name), content);
        utimesSync(join(remote.inbound, name), t, t); // oldest first: the order the poller takes them
      };
      drop('policies-a.csv', body, 1_700_000_000);
      drop('policies-a-again.csv', body, 1_700_000_100);
      drop('policies-empty.csv', '', 1_700_000_200);
      const r = await service.tick('acme');
      expect(r.pollError).toBeNull();
      expect(r.poll!.taken).toEqual([
        { name: 'policies-a.csv', outcome: 'applied', movedTo: 'policies-a.csv' },
        { name: 'policies-a-again.csv', outcome: 'duplicate', movedTo: 'policies-a-again.csv' },
        { name: 'policies-empty.csv', outcome: 'rejected', movedTo: 'policies-empty.csv' },
      ]);
      // each file's result CSV (and its sidecar) went back to outbound/intake/ in the same tick
      expect(r.delivery).toEqual({ delivered: 6, failed: 0 });
      expect(ls(join(remote.outbound, 'intake'))).toEqual(
        ['policies-a-again.csv', 'policies-a.csv', 'policies-empty.csv'].flatMap((f) => [`${f}.result.csv`, `${f}.result.csv.sha256`]),
      );
      expect(readFileSync(join(remote.outbound, 'intake/policies-empty.csv.result.csv'), 'utf8')).toBe(
        readFileSync(join(env.root, 'outbox/acme/intake/policies-empty.csv.result.csv'), 'utf8'),
      );
      expect(ls(remote.inbound)).toEqual([]);
      expect(ls(remote.processed)).toEqual(['policies-a-again.csv', 'policies-a.csv', 'policies-empty.csv']);

      const files = await knexOf(dbOf(env.ports.store))('intake_files').orderBy('id').select('tenant_id', 'name', 'status', 'imported');
      expect(files).toEqual([
        { tenant_id: 'acme', name: 'policies-a.csv', status: 'applied', imported: 2 },
        { tenant_id: 'acme', name: 'policies-a-again.csv', status: 'duplicate', imported: 0 },
        { tenant_id: 'acme', name: 'policies-empty.csv', status: 'rejected', imported: 0 },
      ]);
      const policies = await knexOf(dbOf(env.ports.store))('policies').orderBy('policy_number').select('tenant_id', 'policy_number', 'collection_amount');
      expect(policies).toEqual([
        { tenant_id: 'acme', policy_number: 'P1', collection_amount: 15_000 },
        { tenant_id: 'acme', policy_number: 'P2', collection_amount: 9_995 },
      ]);
      expect(ls(join(env.root, 'archive/acme/2025-11-01'))).toEqual(['policies-a-again.csv', 'policies-a.csv']);
      expect(readFileSync(join(env.root, 'archive/acme/2025-11-01/policies-a.csv'), 'utf8')).toBe(body);
      expect(ls(join(env.root, 'failed/acme'))).toEqual(['policies-empty.csv', 'policies-empty.csv.errors.csv']);
      // the staging folder is left empty
      expect(ls(join(env.ports.paths.staging(), 'acme'))).toEqual([]);
    } finally {
      await service.stop();
      await service.stop(); // idempotent
      await env.cleanup();
    }
  });

  test('a file processed but not moved (the move failed, as after a crash) is only moved on the next poll; the same bytes uploaded again are a duplicate', async () => {
    const { env, remote } = await sftpEnv('sqlite', { settle_seconds: 0 });
    const service = new SftpService(env.ports, { env: {} });
    try {
      const body = `${HEADER}C1,E1,P1,FUN,150.00\n`;
      writeFileSync(join(remote.inbound, 'policies-a.csv'), body);
      utimesSync(join(remote.inbound, 'policies-a.csv'), 1_700_000_000, 1_700_000_000);
      // the processed folder is away: intake commits, the remote move fails
      renameSync(remote.processed, `${remote.processed}.away`);
      const r1 = await service.tick('acme');
      expect(r1.poll!.taken).toEqual([{ name: 'policies-a.csv', outcome: 'applied', movedTo: null }]);
      expect(ls(remote.inbound)).toEqual(['policies-a.csv']);
      renameSync(`${remote.processed}.away`, remote.processed);

      const r2 = await service.tick('acme');
      expect(r2.poll!.taken).toEqual([{ name: 'policies-a.csv', outcome: 'applied', movedTo: 'policies-a.csv' }]);
      expect(ls(remote.inbound)).toEqual([]);
      expect(ls(remote.processed)).toEqual(['policies-a.csv']);
      // one intake, recorded as received at the remote modification time; its result sent once
      const files = async () => knexOf(dbOf(env.ports.store))('intake_files').orderBy('id').select('name', 'status', 'received_at');
      expect(await files()).toEqual([{ name: 'policies-a.csv', status: 'applied', received_at: '2023-11-14T22:13:20.000Z' }]);
      expect(ls(join(remote.outbound, 'intake'))).toEqual(['policies-a.csv.result.csv', 'policies-a.csv.result.csv.sha256']);
      const sent = async () => (await deliveriesOf(knexOf(dbOf(env.ports.store)), 'acme')).map((d) => [d.remote_name, d.status]);
      expect(await sent()).toEqual([
        ['intake/policies-a.csv.result.csv', 'delivered'],
        ['intake/policies-a.csv.result.csv.sha256', 'delivered'],
      ]);

      // the insurer uploads the same bytes again: a new modification time, through intake
      writeFileSync(join(remote.inbound, 'policies-a.csv'), body);
      utimesSync(join(remote.inbound, 'policies-a.csv'), 1_700_000_600, 1_700_000_600);
      const r3 = await service.tick('acme');
      expect(r3.poll!.taken).toEqual([{ name: 'policies-a.csv', outcome: 'duplicate', movedTo: 'policies-a-1.csv' }]);
      expect((await files()).map((f) => f.status)).toEqual(['applied', 'duplicate']);
      expect(readFileSync(join(remote.outbound, 'intake/policies-a.csv.result.csv'), 'utf8')).toContain('DUPLICATE_FILE');
    } finally {
      await service.stop();
      await env.cleanup();
    }
  });

  // Kills the shared sshd and restarts it: tests in a file run one after another.
  test('a delivery made while the server is down stays queued; the loop delivers it once sshd is back', async () => {
    const { env, remote } = await sftpEnv('sqlite', { timeout_seconds: 2 });
    const service = new SftpService(env.ports, { env: {}, backoff: { baseMs: 100, capMs: 400 } });
    try {
      const { csv } = await writeDeliverables(env);
      await sshd.kill();
      const after = await afterCloseStep(env.ports, 'acme', [csv], { env: {} });
      expect(after.enqueued).toEqual({ queued: FOUR.slice(0, 2), already: [], refused: [] });
      expect(after.delivery).toEqual({ delivered: 0, failed: 2 });
      const failed = await deliveriesOf(knexOf(dbOf(env.ports.store)), 'acme');
      expect(failed.map((r) => [r.status, Number(r.attempts), r.delivered_at])).toEqual([
        ['failed', 1, null],
        ['failed', 1, null],
      ]);
      expect(failed[0]!.last_error).toMatch(/^SFTP connect to 127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/);
      expect(ls(remote.outbound)).toEqual([]);

      service.start();
      await sshd.restart();
      await waitFor('the queued files to be delivered', async () => (await deliveriesOf(knexOf(dbOf(env.ports.store)), 'acme')).every((r) => r.status === 'delivered'));
      expect(ls(remote.outbound)).toEqual(['collections-2025-11.csv', 'collections-2025-11.csv.sha256']);
      expect(readFileSync(join(remote.outbound, 'collections-2025-11.csv'), 'utf8')).toBe('policy_number,amount\nP1,150.00\n');
      const rows = await deliveriesOf(knexOf(dbOf(env.ports.store)), 'acme');
      expect(rows.map((r) => [r.status, r.last_error])).toEqual([
        ['delivered', null],
        ['delivered', null],
      ]);
      // at least the failed attempt and the successful one
      expect(rows.every((r) => Number(r.attempts) >= 2)).toBe(true);
    } finally {
      await service.stop();
      await env.cleanup();
    }
  });

  test('a tenant that is not on SFTP: nothing queued, no attempt', async () => {
    const env = await makeEnv('sqlite');
    try {
      expect(await afterCloseStep(env.ports, 'acme', [join(env.root, OUT, 'collections-2025-11.csv')])).toEqual({ enqueued: null, delivery: null });
      expect(await deliveriesOf(knexOf(dbOf(env.ports.store)), 'acme')).toEqual([]);
    } finally {
      await env.cleanup();
    }
  });
});
