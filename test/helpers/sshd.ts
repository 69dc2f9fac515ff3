import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { TenantSftpSettings } from '../../src/sftp/tenant-sftp.config.js';

/**
 * A real OpenSSH server on loopback for integration tests: generated ed25519 host key, key-only
 * login as the current user, internal-sftp. Files live on the real filesystem, so a test seeds
 * and inspects the remote folders with plain fs calls under `root`.
 */
export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  host: string;
  port: number;
  username: string;
  clientKeyPath: string;
  /** As `ssh-keygen -lf` prints it, for `host_key_sha256`. */
  hostKeySha256: string;
  /** A temp folder for the test's remote folders (served as the same absolute paths). */
  root: string;
  /** Settings for this server with the given remote folders (created if missing). */
  settings(dirs: { inbound: string; processed: string; outbound: string }, over?: Partial<TenantSftpSettings>): TenantSftpSettings;
  /** SIGKILL the listener and every session process: connections drop as if the server died. */
  kill(): Promise<void>;
  /** Start again on the same port with the same host key. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSshd(): Promise<Sshd> {
  if (!existsSync(SSHD)) {
    throw new Error(`OpenSSH server not installed (${SSHD} missing): apt-get install openssh-server. These tests need a real sshd.`);
  }
  mkdirSync('/run/sshd', { recursive: true }); // privilege-separation directory sshd insists on
  const dir = mkdtempSync(join(tmpdir(), 'kasi-sshd-'));
  const root = join(dir, 'remote');
  mkdirSync(root);
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const clientKey = join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kasi-test-host', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kasi-test-client', '-f', clientKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${hostKey}.pub`], { encoding: 'utf8' }).split(/\s+/)[1]!;
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      'MaxStartups 50',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  let stderr = '';

  const start = async (): Promise<void> => {
    stderr = '';
    const c = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    child = c;
    await waitForPort(port, c, () => stderr);
  };

  const killAll = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    child = null;
    // sshd forks a process per connection and each calls setsid(): kill the whole tree by parentage.
    const pids = [...descendants(c.pid!), c.pid!];
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    await exited;
    await waitGone(pids.filter((p) => p !== c.pid));
  };

  await start();
  return {
    host: '127.0.0.1',
    port,
    username: userInfo().username,
    clientKeyPath: clientKey,
    hostKeySha256: fingerprint,
    root,
    settings(dirs, over = {}) {
      for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
      return {
        host: '127.0.0.1',
        port,
        username: userInfo().username,
        private_key_path: clientKey,
        host_key_sha256: fingerprint,
        insecure_accept_any_host_key: false,
        inbound_dir: dirs.inbound,
        processed_dir: dirs.processed,
        outbound_dir: dirs.outbound,
        poll_seconds: 0.2,
        settle_seconds: 0.3,
        done_markers: false,
        timeout_seconds: 5,
        ...over,
      };
    },
    kill: () => killAll('SIGKILL'),
    async restart() {
      await killAll('SIGKILL');
      await start();
    },
    async stop() {
      await killAll('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Ask the kernel for a free port, then release it for sshd (a tiny race, fine on loopback in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, c: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (c.exitCode !== null) throw new Error(`sshd exited with ${c.exitCode}: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port} within 10 s: ${log()}`);
}

/** All processes below `pid`, from /proc (Linux). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(e), ppid);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, pp] of parent) {
      if (pp !== p) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

async function waitGone(pids: number[]): Promise<void> {
  const alive = (pid: number): boolean => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
