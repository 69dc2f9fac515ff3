import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { checkSftp } from '../../src/sftp/check.js';
import { SftpPoller, type PollReport } from '../../src/sftp/poller.js';
import type { SftpLog, TenantSftpSettings } from '../../src/sftp/tenant-sftp.config.js';
import { SftpUploader } from '../../src/sftp/uploader.js';
import { recordingIntake } from '../helpers/sftp-memory-server.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';

/** The SFTP adapter against a real OpenSSH sshd on loopback (SPEC 7 and 9). */
let sshd: Sshd;
let n = 0;
let remote: { inbound: string; processed: string; outbound: string };
let settings: TenantSftpSettings;
let staging: string;

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
const sha = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
async function pollUntil(p: SftpPoller, done: (r: PollReport) => boolean, max = 40): Promise<PollReport> {
  for (let i = 0; i < max; i++) {
    const r = await p.pollOnce();
    if (done(r)) return r;
    await sleep(100);
  }
  throw new Error('condition not reached');
}
const ls = (dir: string): string[] => readdirSync(dir).sort();

function makePoller(tenant: string, s: TenantSftpSettings, intake = recordingIntake(), log = memLog()) {
  const p = new SftpPoller({ tenant, settings: s, stagingDir: staging, intake: intake.intake, log, now: () => performance.now(), backoff: { baseMs: 100, capMs: 1000 } });
  return { p, intake, log };
}

beforeAll(async () => {
  sshd = await startSshd(); // throws (fails the file) when sshd is not installed
});
afterAll(async () => {
  await sshd?.stop();
});
beforeEach(() => {
  n++;
  const base = join(sshd.root, `t${n}`);
  remote = { inbound: join(base, 'to-kasi'), processed: join(base, 'to-kasi/processed'), outbound: join(base, 'from-kasi') };
  settings = sshd.settings(remote);
  staging = mkdtempSync(join(tmpdir(), 'kasi-staging-'));
});

describe('pulling from OpenSSH', () => {
  test('files pinned by the ssh-keygen fingerprint are handed to intake once and moved to processed', async () => {
    writeFileSync(join(remote.inbound, 'policies-2025-11.csv'), 'policy_no\nP1\n');
    writeFileSync(join(remote.inbound, 'income-2025-11.csv'), 'income\n');
    writeFileSync(join(remote.inbound, 'policies-2025-12.csv.filepart'), 'part');
    const { p, intake } = makePoller('acme', settings);
    const r = await pollUntil(p, (x) => x.taken.length > 0);
    expect(r.taken.map((t) => [t.name, t.outcome, t.movedTo]).sort()).toEqual([
      ['income-2025-11.csv', 'applied', 'income-2025-11.csv'],
      ['policies-2025-11.csv', 'applied', 'policies-2025-11.csv'],
    ]);
    expect(intake.calls.map((c) => [c.name, c.sha256]).sort()).toEqual([
      ['income-2025-11.csv', sha('income\n')],
      ['policies-2025-11.csv', sha('policy_no\nP1\n')],
    ]);
    expect(ls(remote.inbound)).toEqual(['policies-2025-12.csv.filepart', 'processed']);
    expect(ls(remote.processed)).toEqual(['income-2025-11.csv', 'policies-2025-11.csv']);
    expect(await p.pollOnce()).toEqual({ taken: [], waiting: [], refused: [], failed: [] });
    expect(intake.calls).toHaveLength(2);
  });

  test('a file still being written is not taken until it is complete', async () => {
    const s = { ...settings, settle_seconds: 1 };
    const { p, intake } = makePoller('acme', s);
    const path = join(remote.inbound, 'policies-growing.csv');
    const pieces = Array.from({ length: 8 }, (_, i) => `P${i},${'x'.repeat(1000)}\n`);
    writeFileSync(path, pieces[0]!);
    const running = p.run(new AbortController().signal);
    for (const piece of pieces.slice(1)) {
      await sleep(300);
      appendFileSync(path, piece);
    }
    await until(() => intake.calls.length > 0, 'intake');
    await sleep(1500); // a few more polls: nothing more may arrive
    await p.stop();
    await running;
    expect(intake.calls.map((c) => [c.name, c.size, c.sha256])).toEqual([['policies-growing.csv', 8 * 1004, sha(pieces.join(''))]]);
  });

  test('hostile and odd names a real server can hold are refused or skipped, never downloaded', async () => {
    writeFileSync(join(remote.inbound, 'policies\\..\\evil.csv'), 'x');
    writeFileSync(join(remote.inbound, 'policies\n.csv'), 'x');
    writeFileSync(Buffer.concat([Buffer.from(`${remote.inbound}/`), Buffer.from('policies\xff.csv', 'latin1')]), 'x');
    symlinkSync('/etc/passwd', join(remote.inbound, 'policies-link.csv'));
    writeFileSync(join(remote.inbound, 'policies-ok.csv'), 'ok');
    const { p, intake } = makePoller('acme', { ...settings, settle_seconds: 0 });
    const r = await p.pollOnce();
    expect(r.refused.map((x) => [x.name, x.code]).sort()).toEqual([
      ['policies\n.csv', 'NAME_CONTROL'],
      ['policies\\..\\evil.csv', 'NAME_SEPARATOR'],
      ['policies\ufffd.csv', 'NAME_UNDECODABLE'],
    ]);
    expect(intake.calls.map((c) => c.name)).toEqual(['policies-ok.csv']);
    expect(readdirSync(remote.inbound).length).toBe(5); // the four left alone + processed/
  });

  test('a wrong pinned host key is refused with both fingerprints named; nothing is downloaded', async () => {
    writeFileSync(join(remote.inbound, 'policies.csv'), 'P1\n');
    const wrong = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';
    const { p, intake } = makePoller('acme', { ...settings, settle_seconds: 0, host_key_sha256: wrong });
    await expect(p.pollOnce()).rejects.toThrow(`host key mismatch for 127.0.0.1:${sshd.port}: expected ${wrong}, received ${sshd.hostKeySha256}; connection refused`);
    expect(intake.calls).toEqual([]);
    expect(readdirSync(join(staging, 'acme'))).toEqual([]);
    expect(ls(remote.inbound)).toEqual(['policies.csv', 'processed']);
    const check = await checkSftp({ ...settings, host_key_sha256: wrong });
    expect(check.ok).toBe(false);
    expect(check.lines).toEqual([
      `HOST KEY MISMATCH at 127.0.0.1:${sshd.port}: expected ${wrong}, the server offered ${sshd.hostKeySha256}. Connection refused. If the insurer changed its key, confirm the new fingerprint with them before pinning it.`,
    ]);
  });

  test('sshd killed mid-download and restarted: the poller reconnects, no partial file reaches intake, nothing twice', async () => {
    const big = randomBytes(50 * 1024 * 1024);
    writeFileSync(join(remote.inbound, 'policies-big.csv'), big);
    const { p, intake, log } = makePoller('acme', { ...settings, settle_seconds: 0 });
    const part = join(staging, 'acme', '.policies-big.csv.part');
    const running = p.run(new AbortController().signal);
    await until(() => {
      try {
        return statSync(part).size > 0;
      } catch {
        return false;
      }
    }, 'the download to start');
    await sshd.kill();
    const killedAt = intake.calls.length;
    await sleep(300); // the poller sees the connection die and backs off against a closed port
    await sshd.restart();
    await until(() => intake.calls.length > 0 && ls(remote.processed).length > 0, 'the file after restart', 40_000);
    await p.stop();
    await running;
    expect(killedAt).toBe(0);
    expect(intake.calls.map((c) => [c.name, c.size, c.sha256])).toEqual([['policies-big.csv', big.length, sha(big)]]);
    expect(log.lines.some((l) => l.msg === 'SFTP poll failed; will reconnect')).toBe(true);
    expect(ls(remote.processed)).toEqual(['policies-big.csv']);
    expect(ls(join(staging, 'acme'))).toEqual([]);
  });

  test('two tenants: one behind a server that never answers, the other still flows', async () => {
    const hung: Socket[] = [];
    const blackhole: Server = createServer((sock) => void hung.push(sock)); // accepts, never speaks
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', () => r()));
    const deadPort = (blackhole.address() as { port: number }).port;
    const intake = recordingIntake();
    const good = makePoller('acme', settings, intake);
    const dead = makePoller('zulu', { ...settings, port: deadPort, timeout_seconds: 0.5 }, intake);
    const ac = new AbortController();
    const loops = [good.p.run(ac.signal), dead.p.run(ac.signal)];
    writeFileSync(join(remote.inbound, 'policies-a.csv'), 'A\n');
    await until(() => intake.calls.length === 1, 'first file');
    writeFileSync(join(remote.inbound, 'policies-b.csv'), 'B\n');
    await until(() => intake.calls.length === 2, 'second file');
    await until(() => dead.log.lines.filter((l) => l.level === 'error').length >= 2, 'the dead tenant to fail twice');
    ac.abort();
    await Promise.all(loops);
    for (const s of hung) s.destroy();
    await new Promise<void>((r) => blackhole.close(() => r()));
    expect(intake.calls.map((c) => [c.tenant, c.name])).toEqual([
      ['acme', 'policies-a.csv'],
      ['acme', 'policies-b.csv'],
    ]);
    expect(dead.log.lines.find((l) => l.level === 'error')!.obj.err).toBe(`SFTP connect to 127.0.0.1:${deadPort} failed: SFTP connect timed out after 500 ms; connection closed`);
  });
});

describe('delivering to OpenSSH', () => {
  test('deliverables appear under their final names only, always complete; re-delivery replaces atomically', async () => {
    const local = mkdtempSync(join(tmpdir(), 'kasi-out-'));
    const body = randomBytes(20 * 1024 * 1024);
    writeFileSync(join(local, 'settlement.csv'), body);
    writeFileSync(join(local, 'settlement.csv.sha256'), `${sha(body)}  settlement.csv\n`);
    const seen: { name: string; size: number }[] = [];
    const look = (): void => {
      for (const name of readdirSync(remote.outbound)) {
        try {
          seen.push({ name, size: statSync(join(remote.outbound, name)).size });
        } catch {
          // renamed between readdir and stat
        }
      }
    };
    const watcher = watch(remote.outbound, look);
    const timer = setInterval(look, 2);
    const up = new SftpUploader({ tenant: 'acme', settings, log: memLog() });
    const files = [
      { localPath: join(local, 'settlement.csv'), remoteName: 'settlement-2025-11.csv' },
      { localPath: join(local, 'settlement.csv.sha256'), remoteName: 'settlement-2025-11.csv.sha256' },
    ];
    expect(await up.deliver(files)).toEqual([
      { remoteName: 'settlement-2025-11.csv', ok: true },
      { remoteName: 'settlement-2025-11.csv.sha256', ok: true },
    ]);
    clearInterval(timer);
    watcher.close();
    const sizes = (name: string): number[] => [...new Set(seen.filter((s) => s.name === name).map((s) => s.size))];
    expect(seen.some((s) => s.name === '.settlement-2025-11.csv.part' && s.size < body.length)).toBe(true); // we did watch mid-upload
    expect(sizes('settlement-2025-11.csv')).toEqual([body.length]);
    expect(ls(remote.outbound)).toEqual(['settlement-2025-11.csv', 'settlement-2025-11.csv.sha256']);
    expect(sha(readFileSync(join(remote.outbound, 'settlement-2025-11.csv')))).toBe(sha(body));

    writeFileSync(join(local, 'settlement.csv'), 'corrected\n');
    expect(await up.deliver([files[0]!])).toEqual([{ remoteName: 'settlement-2025-11.csv', ok: true }]);
    expect(readFileSync(join(remote.outbound, 'settlement-2025-11.csv'), 'utf8')).toBe('corrected\n');
    expect(ls(remote.outbound)).toEqual(['settlement-2025-11.csv', 'settlement-2025-11.csv.sha256']);

    // intake results go to a folder of outbound_dir: made on first use, found on the next run
    writeFileSync(join(local, 'r.csv'), 'file,line,column,code,severity,message\n');
    const result = { localPath: join(local, 'r.csv'), remoteName: 'intake/policies.csv.result.csv' };
    expect([...(await up.deliver([result])), ...(await up.deliver([result]))]).toEqual([
      { remoteName: result.remoteName, ok: true },
      { remoteName: result.remoteName, ok: true },
    ]);
    expect(ls(join(remote.outbound, 'intake'))).toEqual(['policies.csv.result.csv']);
    expect(readFileSync(join(remote.outbound, 'intake/policies.csv.result.csv'), 'utf8')).toBe('file,line,column,code,severity,message\n');
    rmSync(local, { recursive: true, force: true });
  });

  test('checkSftp says in plain words that the account works', async () => {
    const r = await checkSftp(settings);
    expect(r).toEqual({
      ok: true,
      lines: [
        `connection to 127.0.0.1:${sshd.port} as ${sshd.username}: OK`,
        `host key matches the pinned fingerprint ${sshd.hostKeySha256}`,
        `inbound folder ${remote.inbound}: exists, readable (1 entry)`,
        `processed folder ${remote.processed}: exists, readable (0 entries), writable (probe file written and removed)`,
        `outbound folder ${remote.outbound}: exists, readable (0 entries), writable (probe file written and removed)`,
      ],
    });
    expect(ls(remote.processed)).toEqual([]);
  });
});
