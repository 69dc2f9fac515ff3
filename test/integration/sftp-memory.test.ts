import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { MemoryDeliveryLedger } from '../../src/sftp/delivery-ledger.js';
import { HostKeyError } from '../../src/sftp/host-key.js';
import { SftpPoller, type PollReport } from '../../src/sftp/poller.js';
import type { SftpLog, TenantSftpSettings } from '../../src/sftp/tenant-sftp.config.js';
import { SftpUploader } from '../../src/sftp/uploader.js';
import { checkSftp } from '../../src/sftp/check.js';
import { recordingIntake, startMemorySftpServer, type MemorySftpServer } from '../helpers/sftp-memory-server.js';
import { databaseTarget } from '../../src/config.js';
import { SftpService } from '../../src/daemon/sftp-service.js';
import { queueIntakeResult } from '../../src/usecases/deliver/deliveries.js';
import { writeAtomic } from '../../src/files/atomic-writer.js';
import { deliveriesOf, StoreDeliveryLedger } from '../../src/store/delivery.repository.js';
import { openDb, knexOf } from '../../src/store/db.js';
import { makeEnv } from '../helpers/env.js';
import { dbOf, storeOf } from '../../src/store/store.js';

/** Fast cases against ssh2's in-process server: hostile listings, stalls, failed renames. */
let srv: MemorySftpServer;
let staging: string;
let settings: TenantSftpSettings;
let n = 0;
let dirs: { inbound: string; processed: string; outbound: string };

interface Line {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}
function memLog(): SftpLog & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (obj: object, msg = '') => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}
const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until `done(report)`; settle times are real but short. */
async function pollUntil(p: SftpPoller, done: (r: PollReport) => boolean, max = 30): Promise<PollReport> {
  for (let i = 0; i < max; i++) {
    const r = await p.pollOnce();
    if (done(r)) return r;
    await sleep(100);
  }
  throw new Error('condition not reached');
}

function poller(over: Partial<TenantSftpSettings> = {}, intake = recordingIntake(), log = memLog()) {
  const p = new SftpPoller({ tenant: 'acme', settings: { ...settings, ...over }, stagingDir: staging, intake: intake.intake, log, now: () => performance.now() });
  return { p, intake, log };
}

beforeAll(async () => {
  srv = await startMemorySftpServer();
});
afterAll(async () => {
  await srv.stop();
});
beforeEach(() => {
  n++;
  dirs = { inbound: `/t${n}/out`, processed: `/t${n}/out/processed`, outbound: `/t${n}/in` };
  settings = srv.settings(dirs);
  staging = mkdtempSync(join(tmpdir(), 'kasi-staging-'));
  srv.stallReads = false;
  srv.failRenames = 0;
  srv.beforeOpen = null;
  srv.inject(dirs.inbound, []);
});
afterEach(() => rmSync(staging, { recursive: true, force: true }));

const put = (remote: string, content: string | Buffer): void => writeFileSync(srv.local(remote), content);
const ls = (remote: string): string[] => readdirSync(srv.local(remote)).sort();

describe('SftpPoller against the in-process server', () => {
  test('takes complete matching files once, moves them to processed, ignores the rest', async () => {
    put(`${dirs.inbound}/policies-2025-11.csv`, 'policy_no,amount\nP1,100.00\n');
    put(`${dirs.inbound}/income-2025-11.csv`, 'income\n');
    put(`${dirs.inbound}/policies-x.csv.part`, 'half');
    put(`${dirs.inbound}/.policies-y.csv`, 'hidden');
    put(`${dirs.inbound}/readme.txt`, 'not ours');
    const { p, intake } = poller();
    const first = await p.pollOnce();
    expect(first.taken).toEqual([]); // first sight: settling
    expect(first.waiting.sort()).toEqual(['income-2025-11.csv', 'policies-2025-11.csv']);
    const r = await pollUntil(p, (x) => x.taken.length > 0);
    expect(r.taken.map((t) => [t.name, t.outcome, t.movedTo]).sort()).toEqual([
      ['income-2025-11.csv', 'applied', 'income-2025-11.csv'],
      ['policies-2025-11.csv', 'applied', 'policies-2025-11.csv'],
    ]);
    expect(intake.calls.map((c) => [c.tenant, c.name, c.sha256]).sort()).toEqual([
      ['acme', 'income-2025-11.csv', sha('income\n')],
      ['acme', 'policies-2025-11.csv', sha('policy_no,amount\nP1,100.00\n')],
    ]);
    expect(ls(dirs.inbound)).toEqual(['.policies-y.csv', 'policies-x.csv.part', 'processed', 'readme.txt']);
    expect(ls(dirs.processed)).toEqual(['income-2025-11.csv', 'policies-2025-11.csv']);
    expect(readdirSync(join(staging, 'acme'))).toEqual([]); // staged files deleted after intake
    const again = await p.pollOnce();
    expect(again).toEqual({ taken: [], waiting: [], refused: [], failed: [] });
    expect(intake.calls).toHaveLength(2);
  });

  test('a name already in processed gets a -<n> suffix, never overwritten', async () => {
    put(`${dirs.processed}/policies.csv`, 'old');
    put(`${dirs.processed}/policies-1.csv`, 'older');
    put(`${dirs.inbound}/policies.csv`, 'new');
    const { p } = poller({ settle_seconds: 0 });
    const r = await p.pollOnce();
    expect(r.taken).toEqual([{ name: 'policies.csv', outcome: 'applied', movedTo: 'policies-2.csv' }]);
    expect(readFileSync(srv.local(`${dirs.processed}/policies.csv`), 'utf8')).toBe('old');
    expect(readFileSync(srv.local(`${dirs.processed}/policies-2.csv`), 'utf8')).toBe('new');
  });

  test('hostile names in a listing are refused, reported once in the log, never opened', async () => {
    // ssh2's readdir drops '.' and '..' itself; the rest must be caught by the poller.
    const long = `policies-${'x'.repeat(250)}.csv`;
    srv.inject(dirs.inbound, [{ name: '../../etc/passwd' }, { name: 'policies/../../../tmp/evil.csv' }, { name: 'a\\b.csv' }, { name: 'policies\u0000.csv' }, { name: '..' }, { name: '' }, { name: 'policies-\u001b[31m.csv' }, { name: long }]);
    put(`${dirs.inbound}/policies-ok.csv`, 'ok');
    const { p, intake, log } = poller({ settle_seconds: 0 });
    const opsBefore = srv.ops.length;
    const r = await p.pollOnce();
    expect(r.refused.map((x) => [x.name, x.code])).toEqual([
      ['../../etc/passwd', 'NAME_SEPARATOR'],
      ['policies/../../../tmp/evil.csv', 'NAME_SEPARATOR'],
      ['a\\b.csv', 'NAME_SEPARATOR'],
      ['policies\u0000.csv', 'NAME_CONTROL'],
      ['', 'NAME_EMPTY'],
      ['policies-\u001b[31m.csv', 'NAME_CONTROL'],
      [long, 'NAME_TOO_LONG'],
    ]);
    expect(r.taken.map((t) => t.name)).toEqual(['policies-ok.csv']);
    expect(intake.calls.map((c) => c.name)).toEqual(['policies-ok.csv']);
    expect(srv.ops.slice(opsBefore).filter((o) => o.startsWith('open'))).toEqual([`open r ${dirs.inbound}/policies-ok.csv`]);
    await p.pollOnce();
    expect(log.lines.filter((l) => l.msg.startsWith('SFTP file refused')).map((l) => l.obj.code)).toEqual([
      'NAME_SEPARATOR',
      'NAME_SEPARATOR',
      'NAME_SEPARATOR',
      'NAME_CONTROL',
      'NAME_EMPTY',
      'NAME_CONTROL',
      'NAME_TOO_LONG',
    ]);
    expect(readdirSync(join(staging, 'acme'))).toEqual([]);
  });

  test('a failed move is retried later; intake sees the bytes again as a duplicate, applied once', async () => {
    put(`${dirs.inbound}/policies.csv`, 'P1\n');
    srv.failRenames = 1;
    const { p, intake } = poller({ settle_seconds: 0 });
    const r1 = await p.pollOnce();
    expect(r1.taken).toEqual([{ name: 'policies.csv', outcome: 'applied', movedTo: null }]);
    expect(ls(dirs.inbound)).toEqual(['policies.csv', 'processed']);
    const r2 = await p.pollOnce();
    expect(r2.taken).toEqual([{ name: 'policies.csv', outcome: 'duplicate', movedTo: 'policies.csv' }]);
    expect(intake.calls.map((c) => c.outcome)).toEqual(['applied', 'duplicate']);
    expect(ls(dirs.processed)).toEqual(['policies.csv']);
  });

  test('a file that changes during download is discarded and taken only after it settles again', async () => {
    put(`${dirs.inbound}/policies.csv`, 'P1\n');
    let grown = false;
    srv.beforeOpen = (remote, mode) => {
      if (!grown && mode === 'r' && remote.endsWith('/policies.csv')) {
        grown = true;
        appendFileSync(srv.local(remote), 'P2\n');
      }
    };
    const { p, intake } = poller({ settle_seconds: 0 });
    const r1 = await p.pollOnce();
    expect(r1.failed).toEqual([{ name: 'policies.csv', error: 'downloaded 6 bytes, listed size 3' }]);
    expect(intake.calls).toEqual([]);
    expect(readdirSync(join(staging, 'acme'))).toEqual([]);
    const r2 = await p.pollOnce();
    expect(r2.taken.map((t) => t.name)).toEqual(['policies.csv']);
    expect(intake.calls.map((c) => c.sha256)).toEqual([sha('P1\nP2\n')]);
  });

  test('a server that stops answering reads hits the timeout; the connection is dropped and nothing reaches intake', async () => {
    put(`${dirs.inbound}/policies.csv`, 'P1\n');
    srv.stallReads = true;
    const { p, intake } = poller({ settle_seconds: 0, timeout_seconds: 0.5 });
    await expect(p.pollOnce()).rejects.toThrow('SFTP get timed out after 500 ms; connection closed');
    expect(intake.calls).toEqual([]);
    srv.stallReads = false;
    const r = await p.pollOnce();
    expect(r.taken.map((t) => [t.name, t.outcome])).toEqual([['policies.csv', 'applied']]);
    expect(intake.calls).toHaveLength(1);
  });

  test('done-marker mode waits for <name>.done and moves the marker along', async () => {
    put(`${dirs.inbound}/policies.csv`, 'P1\n');
    const { p, intake } = poller({ settle_seconds: 0, done_markers: true });
    expect((await p.pollOnce()).waiting).toEqual(['policies.csv']);
    put(`${dirs.inbound}/policies.csv.done`, '');
    const r = await p.pollOnce();
    expect(r.taken.map((t) => t.name)).toEqual(['policies.csv']);
    expect(intake.calls).toHaveLength(1);
    expect(ls(dirs.processed)).toEqual(['policies.csv', 'policies.csv.done']);
    expect(ls(dirs.inbound)).toEqual(['processed']);
  });

  test('intake throwing leaves the remote file in inbound for the next poll', async () => {
    put(`${dirs.inbound}/policies.csv`, 'P1\n');
    const rec = recordingIntake();
    let fail = true;
    const intake = {
      calls: rec.calls,
      intake: async (t: string, path: string, name: string) => {
        if (fail) throw new Error('database is down');
        return rec.intake(t, path, name);
      },
    };
    const { p } = poller({ settle_seconds: 0 }, intake);
    const r1 = await p.pollOnce();
    expect(r1.failed).toEqual([{ name: 'policies.csv', error: 'intake failed: database is down' }]);
    expect(ls(dirs.inbound)).toEqual(['policies.csv', 'processed']);
    fail = false;
    const r2 = await p.pollOnce();
    expect(r2.taken).toEqual([{ name: 'policies.csv', outcome: 'applied', movedTo: 'policies.csv' }]);
  });
});

describe('the run loop', () => {
  test('overlapping pollOnce calls share one tick; run() takes files until stop(), which is idempotent', async () => {
    const { p, intake } = poller();
    const tick = p.pollOnce();
    expect(p.pollOnce()).toBe(tick);
    await tick;
    const running = p.run(new AbortController().signal);
    put(`${dirs.inbound}/policies.csv`, 'P1\n');
    for (let i = 0; i < 50 && intake.calls.length === 0; i++) await sleep(100);
    expect(intake.calls.map((c) => c.name)).toEqual(['policies.csv']);
    await Promise.all([p.stop(), p.stop()]);
    await running;
    await p.stop();
    await expect(p.pollOnce()).rejects.toThrow('SFTP poller for acme is stopped');
  });

  test('failures back off exponentially with jitter up to the cap, are logged, and an abort ends the loop', async () => {
    const log = memLog();
    const delays: number[] = [];
    const ac = new AbortController();
    const p = new SftpPoller({
      tenant: 'acme',
      settings: { ...settings, port: 1 }, // nothing listens on port 1
      stagingDir: staging,
      intake: recordingIntake().intake,
      log,
      now: () => performance.now(),
      backoff: { baseMs: 100, capMs: 400 },
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
        if (delays.length === 5) ac.abort();
      },
    });
    await p.run(ac.signal);
    expect(delays).toEqual([75, 150, 300, 300, 300]);
    expect(log.lines.filter((l) => l.level === 'error').map((l) => [l.msg, l.obj.attempt, l.obj.retry_in_ms])).toEqual([
      ['SFTP poll failed; will reconnect', 1, 75],
      ['SFTP poll failed; will reconnect', 2, 150],
      ['SFTP poll failed; will reconnect', 3, 300],
      ['SFTP poll failed; will reconnect', 4, 300],
      ['SFTP poll failed; will reconnect', 5, 300],
    ]);
    expect(String(log.lines[0]!.obj.err)).toBe('SFTP connect to 127.0.0.1:1 failed: getConnection: connect ECONNREFUSED 127.0.0.1:1');
  });
});

describe('host keys', () => {
  test('a wrong pinned key refuses the connection naming both fingerprints; nothing is read', async () => {
    put(`${dirs.inbound}/policies.csv`, 'P1\n');
    const opsBefore = srv.ops.length;
    const { p, intake, log } = poller({ settle_seconds: 0, host_key_sha256: 'SHA256:AAAAC3NzaC1lZDI1NTE5AAAAIOtherKeyOtherKeyOtherKey' });
    const err = await p.pollOnce().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as Error).message).toBe(
      `host key mismatch for 127.0.0.1:${srv.port}: expected SHA256:AAAAC3NzaC1lZDI1NTE5AAAAIOtherKeyOtherKeyOtherKey, received ${srv.hostKeySha256}; connection refused`,
    );
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'SFTP HOST KEY MISMATCH: refusing the connection (possible man-in-the-middle, or the server key changed)',
    ]);
    expect(srv.ops.slice(opsBefore)).toEqual([]);
    expect(intake.calls).toEqual([]);
  });

  test('no pinned key: refused unless the lab flag is on, which warns loudly', async () => {
    put(`${dirs.inbound}/policies.csv`, 'P1\n');
    const refused = poller({ settle_seconds: 0, host_key_sha256: undefined });
    await expect(refused.p.pollOnce()).rejects.toThrow(`no host_key_sha256 configured for 127.0.0.1:${srv.port} (server offered ${srv.hostKeySha256})`);
    const lab = poller({ settle_seconds: 0, host_key_sha256: undefined, insecure_accept_any_host_key: true });
    expect((await lab.p.pollOnce()).taken.map((t) => t.name)).toEqual(['policies.csv']);
    expect(lab.log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'INSECURE: no host_key_sha256 pinned and insecure_accept_any_host_key is on; accepting any host key (lab use only)',
    ]);
  });
});

describe('SftpUploader', () => {
  test('delivers under final names via a temp name; a re-delivery replaces the old file', async () => {
    const local = mkdtempSync(join(tmpdir(), 'kasi-out-'));
    writeFileSync(join(local, 'report.csv'), 'v1');
    const up = new SftpUploader({ tenant: 'acme', settings, log: memLog() });
    expect(await up.deliver([{ localPath: join(local, 'report.csv'), remoteName: 'report-2025-11.csv' }])).toEqual([{ remoteName: 'report-2025-11.csv', ok: true }]);
    writeFileSync(join(local, 'report.csv'), 'v2');
    expect(await up.deliver([{ localPath: join(local, 'report.csv'), remoteName: 'report-2025-11.csv' }])).toEqual([{ remoteName: 'report-2025-11.csv', ok: true }]);
    expect(ls(dirs.outbound)).toEqual(['report-2025-11.csv']);
    expect(readFileSync(srv.local(`${dirs.outbound}/report-2025-11.csv`), 'utf8')).toBe('v2');
    const writes = srv.ops.filter((o) => o.includes(`${dirs.outbound}/`));
    expect(writes).toEqual([
      `open w ${dirs.outbound}/.report-2025-11.csv.part`,
      `rename ${dirs.outbound}/.report-2025-11.csv.part ${dirs.outbound}/report-2025-11.csv`,
      `open w ${dirs.outbound}/.report-2025-11.csv.part`,
      `remove ${dirs.outbound}/report-2025-11.csv`,
      `rename ${dirs.outbound}/.report-2025-11.csv.part ${dirs.outbound}/report-2025-11.csv`,
    ]);
    rmSync(local, { recursive: true, force: true });
  });

  test('deliverPending: sidecar after its file, failures stay pending and are re-delivered', async () => {
    const local = mkdtempSync(join(tmpdir(), 'kasi-out-'));
    writeFileSync(join(local, 'a.csv'), 'A');
    writeFileSync(join(local, 'a.csv.sha256'), `${sha('A')}  a.csv\n`);
    const ledger = new MemoryDeliveryLedger();
    const sidecar = ledger.add('acme', join(local, 'a.csv.sha256'), 'a.csv.sha256');
    const data = ledger.add('acme', join(local, 'missing.csv'), 'a.csv'); // local file not there yet
    ledger.add('other', join(local, 'a.csv'), 'a.csv');
    const at = new Date('2025-11-03T08:00:00Z');
    const up = new SftpUploader({ tenant: 'acme', settings, log: memLog(), clock: () => at });
    expect(await up.deliverPending(ledger)).toEqual({ delivered: 0, failed: 2 });
    expect(ledger.entries().find((e) => e.id === sidecar)!.lastError).toBe('not delivered: its data file a.csv failed');
    expect(ls(dirs.outbound)).toEqual([]);
    // the store would now point at the real file; emulate by fixing the entry's path
    (ledger.entries().find((e) => e.id === data) as { localPath: string }).localPath = join(local, 'a.csv');
    expect(await up.deliverPending(ledger)).toEqual({ delivered: 2, failed: 0 });
    expect(ls(dirs.outbound)).toEqual(['a.csv', 'a.csv.sha256']);
    const renames = srv.ops.filter((o) => o.startsWith(`rename ${dirs.outbound}`));
    expect(renames).toEqual([
      `rename ${dirs.outbound}/.a.csv.part ${dirs.outbound}/a.csv`,
      `rename ${dirs.outbound}/.a.csv.sha256.part ${dirs.outbound}/a.csv.sha256`,
    ]);
    expect(ledger.entries().filter((e) => e.tenant === 'acme').map((e) => [e.remoteName, e.deliveredAt, e.attempts])).toEqual([
      ['a.csv.sha256', at, 2],
      ['a.csv', at, 2],
    ]);
    expect(await up.deliverPending(ledger)).toEqual({ delivered: 0, failed: 0 });
    rmSync(local, { recursive: true, force: true });
  });
});

test('checkSftp reports an unpinned key and writable folders in plain words', async () => {
  const r = await checkSftp({ ...settings, host_key_sha256: undefined, insecure_accept_any_host_key: true });
  expect(r).toEqual({
    ok: true,
    lines: [
      `connection to 127.0.0.1:${srv.port} as kasi: OK`,
      `WARNING: no host key pinned and insecure_accept_any_host_key is on; the server offers ${srv.hostKeySha256} (pin it: host_key_sha256: "${srv.hostKeySha256}")`,
      `inbound folder ${dirs.inbound}: exists, readable (1 entry)`,
      `processed folder ${dirs.processed}: exists, readable (0 entries), writable (probe file written and removed)`,
      `outbound folder ${dirs.outbound}: exists, readable (0 entries), writable (probe file written and removed)`,
    ],
  });
  expect(existsSync(srv.local(dirs.outbound))).toBe(true);
});

describe.each(['sqlite', 'pg'] as const)('intake results of an SFTP tenant go back to its outbound folder (%s)', (dialect) => {
  const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
  const FILE_A = `${HEADER}C1,E1,P1,FUN,150.00\nC2,E2,P2,FUN,-5.00\nC3,E3,P3,FUN,99.999\nC4,E4,P4,FUN,80.00\nC5,E5,P5,FUN,60.00\n`;
  const RESULT_A =
    'file,line,column,code,severity,message\n' +
    'policies-2025-11.csv,3,collection_amount,AMOUNT_NOT_POSITIVE,error,"collection_amount ""-5.00"" must be greater than 0"\n' +
    'policies-2025-11.csv,4,collection_amount,AMOUNT_TOO_MANY_DECIMALS,error,"collection_amount ""99.999"" has more than 2 decimals; write it in rand and cents, e.g. 150.01"\n';
  const FILE_B = `${HEADER}C6,E6,P6,FUN,70.00\nC7,E7,P7,FUN,abc\nC8,E8,P8,FUN,90.00\n`;
  const RESULT_B =
    'file,line,column,code,severity,message\n' +
    'policies-b.csv,3,collection_amount,AMOUNT_NOT_A_NUMBER,error,"collection_amount ""abc"" is not an amount; write digits with ""."" before the cents, e.g. 150.00"\n';
  const DUP_A =
    'file,line,column,code,severity,message\n' +
    'policies-2025-11.csv,0,,DUPLICATE_FILE,warning,"the same bytes were already applied as ""policies-2025-11.csv"" on 2025-11-01; nothing was applied again"\n';
  const REMOTE_A = 'policies-2025-11.csv.result.csv';
  const REMOTE_B = 'policies-b.csv.result.csv';
  const remote = (name: string): string => readFileSync(srv.local(`${dirs.outbound}/intake/${name}`), 'utf8');
  const uploads = (): string[] => srv.ops.filter((o) => o.startsWith(`open w ${dirs.outbound}/`));

  test('a file with bad rows pulled over SFTP: its result CSV is uploaded once to intake/; a failed upload is retried on the next tick, after a restart too', async () => {
    const env = await makeEnv(dialect, { tenants: { acme: { name: 'Acme Funeral Insurance Ltd', intake: 'sftp', sftp: { ...settings, settle_seconds: 0 } } } });
    let service = new SftpService(env.ports, { env: {} });
    let db2: ReturnType<typeof openDb> | null = null;
    try {
      put(`${dirs.inbound}/policies-2025-11.csv`, FILE_A);
      const r1 = await service.tick('acme');
      expect(r1.poll!.taken).toEqual([{ name: 'policies-2025-11.csv', outcome: 'applied', movedTo: 'policies-2025-11.csv' }]);
      expect(r1.delivery).toEqual({ delivered: 2, failed: 0 });
      // the CSV and its sidecar, no temp names left, no .result.json
      expect(ls(`${dirs.outbound}/intake`)).toEqual([REMOTE_A, `${REMOTE_A}.sha256`]);
      expect(ls(dirs.outbound)).toEqual(['intake']);
      expect(remote(REMOTE_A)).toBe(RESULT_A);
      expect(readFileSync(join(env.root, 'outbox/acme/intake', REMOTE_A), 'utf8')).toBe(RESULT_A);
      expect(remote(`${REMOTE_A}.sha256`)).toBe(`${sha(RESULT_A)}  ${REMOTE_A}\n`);
      expect(uploads()).toEqual([`open w ${dirs.outbound}/intake/.${REMOTE_A}.part`, `open w ${dirs.outbound}/intake/.${REMOTE_A}.sha256.part`]);

      // once: the next tick uploads nothing
      const r2 = await service.tick('acme');
      expect(r2.poll!.taken).toEqual([]);
      expect(r2.delivery).toEqual({ delivered: 0, failed: 0 });
      expect(uploads()).toHaveLength(2);

      // a failing upload (the server refuses the temp file): queued with its error, nothing final on the server
      put(`${dirs.inbound}/policies-b.csv`, FILE_B);
      let refuse = 1;
      srv.beforeOpen = (path, mode) => {
        if (path === `${dirs.outbound}/intake/.${REMOTE_B}.part` && mode === 'w' && refuse-- > 0) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      };
      const r3 = await service.tick('acme');
      expect(r3.poll!.taken).toEqual([{ name: 'policies-b.csv', outcome: 'applied', movedTo: 'policies-b.csv' }]);
      expect(r3.delivery).toEqual({ delivered: 0, failed: 2 });
      expect(ls(`${dirs.outbound}/intake`)).toEqual([REMOTE_A, `${REMOTE_A}.sha256`]);
      const failed = (await deliveriesOf(knexOf(dbOf(env.ports.store)), 'acme')).slice(2);
      expect(failed.map((r) => [r.local_path, r.remote_name, r.status, Number(r.attempts)])).toEqual([
        [`outbox/acme/intake/${REMOTE_B}`, `intake/${REMOTE_B}`, 'failed', 1],
        [`outbox/acme/intake/${REMOTE_B}.sha256`, `intake/${REMOTE_B}.sha256`, 'failed', 1],
      ]);
      expect(failed[1]!.last_error).toBe(`not delivered: its data file intake/${REMOTE_B} failed`);

      // a restart: a new service on a new connection to the same database delivers what is queued
      await service.stop();
      db2 = openDb(databaseTarget(env.ports.config));
      service = new SftpService({ ...env.ports, store: storeOf(db2) }, { env: {} });
      const r4 = await service.tick('acme');
      expect(r4.poll!.taken).toEqual([]);
      expect(r4.delivery).toEqual({ delivered: 2, failed: 0 });
      expect(ls(`${dirs.outbound}/intake`)).toEqual([REMOTE_A, `${REMOTE_A}.sha256`, REMOTE_B, `${REMOTE_B}.sha256`]);
      expect(remote(REMOTE_B)).toBe(RESULT_B);
      expect(remote(`${REMOTE_B}.sha256`)).toBe(`${sha(RESULT_B)}  ${REMOTE_B}\n`);
      expect((await service.tick('acme')).delivery).toEqual({ delivered: 0, failed: 0 });

      // the same name sent again: its new result (a duplicate here) replaces the insurer's copy, once
      put(`${dirs.inbound}/policies-2025-11.csv`, FILE_A);
      const r5 = await service.tick('acme');
      expect(r5.poll!.taken).toEqual([{ name: 'policies-2025-11.csv', outcome: 'duplicate', movedTo: 'policies-2025-11-1.csv' }]);
      expect(r5.delivery).toEqual({ delivered: 2, failed: 0 });
      expect(remote(REMOTE_A)).toBe(DUP_A);
      expect(ls(`${dirs.outbound}/intake`)).toEqual([REMOTE_A, `${REMOTE_A}.sha256`, REMOTE_B, `${REMOTE_B}.sha256`]);
      expect((await service.tick('acme')).delivery).toEqual({ delivered: 0, failed: 0 });
      const rows = await deliveriesOf(knexOf(db2), 'acme');
      expect(rows.map((r) => [r.remote_name, r.status, Number(r.attempts), r.last_error])).toEqual([
        [`intake/${REMOTE_A}`, 'delivered', 2, null],
        [`intake/${REMOTE_A}.sha256`, 'delivered', 2, null],
        [`intake/${REMOTE_B}`, 'delivered', 2, null],
        [`intake/${REMOTE_B}.sha256`, 'delivered', 2, null],
      ]);
      // A, B's refused attempt (its sidecar held back, never opened), B, A again
      const [a, aSum, b, bSum] = [REMOTE_A, `${REMOTE_A}.sha256`, REMOTE_B, `${REMOTE_B}.sha256`].map((f) => `open w ${dirs.outbound}/intake/.${f}.part`);
      expect(uploads()).toEqual([a, aSum, b, b, bSum, a, aSum]);
    } finally {
      await service.stop();
      await db2?.close();
      await env.cleanup();
    }
  });

  test('a result rewritten while its old copy is being uploaded stays queued: the newer content still goes', async () => {
    const env = await makeEnv(dialect, { tenants: { acme: { name: 'Acme Funeral Insurance Ltd', intake: 'sftp', sftp: settings } } });
    try {
      const resultPath = join(env.root, 'outbox/acme/intake/policies.csv.result.csv');
      await writeAtomic(resultPath, 'old\n');
      expect(await queueIntakeResult(env.ports, { tenant: 'acme', resultPath })).toEqual({
        queued: ['outbox/acme/intake/policies.csv.result.csv', 'outbox/acme/intake/policies.csv.result.csv.sha256'],
        already: [],
        refused: [],
      });
      const ledger = new StoreDeliveryLedger(dbOf(env.ports.store), env.root);
      const inFlight = await ledger.pending('acme'); // an upload of 'old' starts
      env.setNow('2025-11-01T08:00:05+02:00');
      await writeAtomic(resultPath, 'new\n');
      const again = await queueIntakeResult(env.ports, { tenant: 'acme', resultPath });
      expect(again!.queued).toEqual([]); // still queued: not delivered yet
      for (const d of inFlight) await ledger.markDelivered(d.id, new Date()); // the old upload ends
      const rows = await deliveriesOf(knexOf(dbOf(env.ports.store)), 'acme');
      expect(rows.map((r) => [r.remote_name, r.status, r.created_at])).toEqual([
        ['intake/policies.csv.result.csv', 'pending', '2025-11-01T06:00:05.000Z'],
        ['intake/policies.csv.result.csv.sha256', 'pending', '2025-11-01T06:00:05.000Z'],
      ]);
      // not an SFTP tenant (the bank): nothing
      expect(await queueIntakeResult(env.ports, { tenant: 'bank', resultPath })).toBeNull();
    } finally {
      await env.cleanup();
    }
  });
});
