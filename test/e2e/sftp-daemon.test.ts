import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { enqueueDeliveries } from '../../src/usecases/deliver/deliveries.js';
import { Paths, silentLog, type Ports } from '../../src/usecases/ports.js';
import { writeAtomic } from '../../src/files/atomic-writer.js';
import { openDb, type Db, knexOf } from '../../src/store/db.js';
import { deliveriesOf } from '../../src/store/delivery.repository.js';
import { killAllKasi, requireBuilt, runKasi, spawnKasi, waitFor, type KasiProcess } from '../helpers/cli.js';
import { freePort, startSshd, type Sshd } from '../helpers/sshd.js';
import { storeOf } from '../../src/store/store.js';

/**
 * `kasi daemon` and `kasi sftp check` as an operator runs them (SPEC 7), against a real OpenSSH
 * sshd on loopback. Tenants: acme (good account), dead (nothing listening on its port), wrongkey
 * (the real server, but a wrong pinned fingerprint) and plain (folder intake, no SFTP).
 */
const DAY = '2025-11-03';
const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
const WRONG_FP = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
let sshd: Sshd;
let root: string;
let daemon: KasiProcess;
let acme: { inbound: string; processed: string; outbound: string };
let deadPort: number;

const ls = (dir: string): string[] => readdirSync(dir).sort();
const env = () => ({ KASI_ROOT: root, KASI_NOW: `${DAY}T09:00:00`, KASI_HTTP_PORT: '0' });

function dirs(name: string) {
  const base = join(sshd.root, name);
  return { inbound: join(base, 'to-kasi'), processed: join(base, 'to-kasi-done'), outbound: join(base, 'from-kasi') };
}

/** The store as the test sees it, beside the running daemon (SQLite WAL: both may write). */
async function withStore<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = openDb({ client: 'sqlite', file: join(root, 'data/kasi.sqlite') });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  requireBuilt();
  sshd = await startSshd();
  root = mkdtempSync(join(tmpdir(), 'kasi-e2e-sftp-'));
  expect((await runKasi(['init', '--root', root, '--tenant', 'acme'])).code).toBe(0);
  acme = dirs('acme');
  deadPort = await freePort();
  const quick = { poll_seconds: 0.5, settle_seconds: 0.5, timeout_seconds: 5 };
  writeFileSync(
    join(root, 'config/local.yaml'),
    stringify({
      database: 'sqlite:data/kasi.sqlite',
      tenants: {
        acme: { name: 'Acme Funeral Insurance Ltd', intake: 'sftp', sftp: sshd.settings(acme, quick) },
        dead: { name: 'Dead Server Life Ltd', intake: 'sftp', sftp: { ...sshd.settings(dirs('dead'), quick), port: deadPort } },
        wrongkey: { name: 'Wrong Key Assurance Ltd', intake: 'sftp', sftp: sshd.settings(dirs('wrongkey'), { ...quick, host_key_sha256: WRONG_FP }) },
        plain: { name: 'Plain Folder Insurance Ltd', intake: 'folder' },
      },
    }),
  );
  daemon = spawnKasi(['daemon'], { env: { ...env(), KASI_LOG_LEVEL: 'info' } });
  await waitFor('the daemon to start', () => daemon.stderr().includes('kasi daemon started') || daemon.child.exitCode !== null, 30_000);
  expect(daemon.child.exitCode, daemon.stderr()).toBeNull();
});

afterAll(async () => {
  await killAllKasi();
  await sshd?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('kasi sftp check', () => {
  it('a good account: every line OK, exit 0', async () => {
    const r = await runKasi(['sftp', 'check', '--tenant', 'acme'], { env: env() });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      [
        `connection to 127.0.0.1:${sshd.port} as ${sshd.username}: OK`,
        `host key matches the pinned fingerprint ${sshd.hostKeySha256}`,
        `inbound folder ${acme.inbound}: exists, readable (0 entries)`,
        `processed folder ${acme.processed}: exists, readable (0 entries), writable (probe file written and removed)`,
        `outbound folder ${acme.outbound}: exists, readable (0 entries), writable (probe file written and removed)`,
        '',
      ].join('\n'),
    );
    expect([ls(acme.processed), ls(acme.outbound)]).toEqual([[], []]);
  });

  it('a wrong pinned fingerprint: refused loudly, exit 1', async () => {
    const r = await runKasi(['sftp', 'check', '--tenant', 'wrongkey'], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `HOST KEY MISMATCH at 127.0.0.1:${sshd.port}: expected ${WRONG_FP}, the server offered ${sshd.hostKeySha256}. Connection refused. ` +
        'If the insurer changed its key, confirm the new fingerprint with them before pinning it.\n',
    );
  });

  it('nothing listening: exit 1', async () => {
    const r = await runKasi(['sftp', 'check', '--tenant', 'dead'], { env: env() });
    expect([r.code, r.stdout]).toEqual([1, `connection to 127.0.0.1:${deadPort} refused (nothing listening on that port)\n`]);
  });

  it('an unknown tenant or one without SFTP settings: exit 2', async () => {
    const unknown = await runKasi(['sftp', 'check', '--tenant', 'nosuch'], { env: env() });
    expect([unknown.code, unknown.stdout, unknown.stderr]).toEqual([2, '', 'kasi: unknown tenant "nosuch": known tenants are acme, dead, wrongkey, plain\n']);
    const plain = await runKasi(['sftp', 'check', '--tenant', 'plain'], { env: env() });
    expect([plain.code, plain.stdout, plain.stderr]).toEqual([2, '', 'kasi: tenant plain has no sftp settings in the configuration (tenants.plain.sftp)\n']);
  });
});

describe('kasi daemon with SFTP tenants', () => {
  const body = `${HEADER}C1,E1,P1,FUN,150.00\nC2,E2,P2,FUN,R 1 500.00\n`;

  it('pulls a policies file: applied once, archived, moved to processed (while dead and wrongkey fail)', async () => {
    writeFileSync(join(acme.inbound, 'policies-2025-11.csv'), body);
    await waitFor('the file in processed', () => ls(acme.processed).includes('policies-2025-11.csv'), 30_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}; the daemon's log:\n${daemon.stderr().slice(-4000)}`);
    });
    expect(ls(acme.inbound)).toEqual([]);
    expect(readFileSync(join(acme.processed, 'policies-2025-11.csv'), 'utf8')).toBe(body);
    expect(readFileSync(join(root, 'archive/acme', DAY, 'policies-2025-11.csv'), 'utf8')).toBe(body);
    // its result CSV goes back to the insurer's outbound folder, under intake/
    const result = join(acme.outbound, 'intake/policies-2025-11.csv.result.csv');
    await waitFor('the result CSV in outbound/intake', () => existsSync(`${result}.sha256`), 30_000, 100);
    expect(readFileSync(result, 'utf8')).toBe('file,line,column,code,severity,message\n');
    // the other tenants' servers were failing all along, loudly and per tenant
    const lines = daemon.stderr().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { tenant?: string; msg: string });
    expect(lines.some((l) => l.tenant === 'dead' && l.msg === 'SFTP poll failed; will reconnect')).toBe(true);
    expect(lines.some((l) => l.tenant === 'wrongkey' && l.msg.startsWith('SFTP HOST KEY MISMATCH'))).toBe(true);
  });

  it('the same bytes again under another name: a duplicate, not applied twice, also moved', async () => {
    writeFileSync(join(acme.inbound, 'policies-2025-11-resent.csv'), body);
    await waitFor('the resent file in processed', () => ls(acme.processed).includes('policies-2025-11-resent.csv'), 30_000, 100);
    const files = await withStore((db) => knexOf(db)('intake_files').orderBy('id').select('tenant_id', 'name', 'status', 'imported'));
    expect(files).toEqual([
      { tenant_id: 'acme', name: 'policies-2025-11.csv', status: 'applied', imported: 2 },
      { tenant_id: 'acme', name: 'policies-2025-11-resent.csv', status: 'duplicate', imported: 0 },
    ]);
    const policies = await withStore((db) => knexOf(db)('policies').orderBy('policy_number').select('tenant_id', 'policy_number', 'collection_amount'));
    expect(policies).toEqual([
      { tenant_id: 'acme', policy_number: 'P1', collection_amount: 15_000 },
      { tenant_id: 'acme', policy_number: 'P2', collection_amount: 150_000 },
    ]);
  });

  it('delivers files queued while it runs: final names with sidecars, ledger marked', async () => {
    const report = join(root, 'outbox/acme/2025-11/collections-2025-11.csv');
    await writeAtomic(report, 'policy_number,amount\nP1,150.00\n');
    await withStore(async (db) => {
      const ports: Ports = { config: loadConfig({ root, env: {} }), store: storeOf(db), clock: { now: () => new Date(`${DAY}T07:00:00Z`) }, log: silentLog, paths: new Paths(root) };
      expect((await enqueueDeliveries(ports, 'acme', [report])).queued).toEqual(['outbox/acme/2025-11/collections-2025-11.csv', 'outbox/acme/2025-11/collections-2025-11.csv.sha256']);
    });
    await waitFor('the daemon to deliver', () => ls(acme.outbound).includes('collections-2025-11.csv.sha256'), 30_000, 100);
    expect(ls(acme.outbound)).toEqual(['collections-2025-11.csv', 'collections-2025-11.csv.sha256', 'intake']);
    expect(readFileSync(join(acme.outbound, 'collections-2025-11.csv'), 'utf8')).toBe('policy_number,amount\nP1,150.00\n');
    const rows = await waitFor('the ledger', () =>
      withStore(async (db) => {
        const r = await deliveriesOf(knexOf(db), 'acme');
        return r.every((x) => x.status === 'delivered') && r;
      }),
    );
    expect(rows.map((r) => [r.remote_name, r.status, Number(r.attempts)])).toEqual([
      ['intake/policies-2025-11.csv.result.csv', 'delivered', 1],
      ['intake/policies-2025-11.csv.result.csv.sha256', 'delivered', 1],
      ['intake/policies-2025-11-resent.csv.result.csv', 'delivered', 1],
      ['intake/policies-2025-11-resent.csv.result.csv.sha256', 'delivered', 1],
      ['collections-2025-11.csv', 'delivered', 1],
      ['collections-2025-11.csv.sha256', 'delivered', 1],
    ]);
  });

  it('SIGTERM: exits 0 although two servers are failing', async () => {
    daemon.child.kill('SIGTERM');
    const end = await daemon.exited;
    expect([end.code, end.signal]).toEqual([0, null]);
    expect(end.stderr).toContain('kasi daemon stopped');
  });
});
