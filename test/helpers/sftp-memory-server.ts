import { constants as fsc, mkdirSync, mkdtempSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { lstat, mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import ssh2, { type Attributes, type SFTPWrapper } from 'ssh2';
import { fingerprintSha256 } from '../../src/sftp/host-key.js';
import type { TenantSftpSettings } from '../../src/sftp/tenant-sftp.config.js';

/**
 * An in-process SFTP server (ssh2's Server) over a real temp folder, for fast cases and for what a
 * real OpenSSH will not do: list hostile names, stall reads, fail renames. Remote path `/x` is
 * `<root>/x`; paths are normalised against `/` so nothing reaches outside `root`.
 */
const { Server, utils } = ssh2;
const { STATUS_CODE } = utils.sftp;

export interface InjectedEntry {
  name: string;
  size?: number;
}

export interface MemorySftpServer {
  port: number;
  hostKeySha256: string;
  clientKeyPath: string;
  root: string;
  /** Local path of a remote path. */
  local(remote: string): string;
  settings(dirs: { inbound: string; processed: string; outbound: string }, over?: Partial<TenantSftpSettings>): TenantSftpSettings;
  /** Extra names READDIR of `dir` lists (they do not exist). */
  inject(dir: string, entries: InjectedEntry[]): void;
  /** Remote paths opened (with the mode), renamed and removed, in order. */
  readonly ops: string[];
  /** Leave READ requests unanswered (a hung server) while true. */
  stallReads: boolean;
  /** Refuse the next n RENAMEs with FAILURE. */
  failRenames: number;
  /** Called before a file is opened (remote path, mode): lets a test change it under the client. */
  beforeOpen: ((remote: string, mode: string) => void) | null;
  stop(): Promise<void>;
}

type Handle = { kind: 'file'; fh: FileHandle } | { kind: 'dir'; path: string; sent: boolean };

export async function startMemorySftpServer(): Promise<MemorySftpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kasi-msftp-'));
  const root = join(dir, 'root');
  mkdirSync(root);
  const hostKey = utils.generateKeyPairSync('ed25519');
  const clientKey = utils.generateKeyPairSync('ed25519');
  const clientKeyPath = join(dir, 'client_ed25519');
  writeFileSync(clientKeyPath, clientKey.private, { mode: 0o600 });
  const parsedHost = utils.parseKey(hostKey.public);
  if (parsedHost instanceof Error) throw parsedHost;
  const injected = new Map<string, InjectedEntry[]>();
  const local = (remote: string): string => join(root, posix.resolve('/', remote));

  const state = {
    ops: [] as string[],
    stallReads: false,
    failRenames: 0,
    beforeOpen: null as MemorySftpServer['beforeOpen'],
  };

  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('error', () => undefined); // a client cut mid-transfer is normal here
    client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('ready', () => {
      client.on('session', (accept) => {
        accept().on('sftp', (acceptSftp) => serve(acceptSftp(), local, injected, state));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;

  const hostKeySha256 = fingerprintSha256(parsedHost.getPublicSSH());
  return {
    port,
    hostKeySha256,
    clientKeyPath,
    root,
    local,
    settings(dirs, over = {}) {
      for (const d of Object.values(dirs)) mkdirSync(local(d), { recursive: true });
      return {
        host: '127.0.0.1',
        port,
        username: 'kasi',
        private_key_path: clientKeyPath,
        host_key_sha256: hostKeySha256,
        insecure_accept_any_host_key: false,
        inbound_dir: dirs.inbound,
        processed_dir: dirs.processed,
        outbound_dir: dirs.outbound,
        poll_seconds: 0.1,
        settle_seconds: 0.2,
        done_markers: false,
        timeout_seconds: 5,
        ...over,
      };
    },
    inject(d, entries) {
      injected.set(posix.resolve('/', d), entries);
    },
    get ops() {
      return state.ops;
    },
    get stallReads() {
      return state.stallReads;
    },
    set stallReads(v: boolean) {
      state.stallReads = v;
    },
    get failRenames() {
      return state.failRenames;
    },
    set failRenames(n: number) {
      state.failRenames = n;
    },
    get beforeOpen() {
      return state.beforeOpen;
    },
    set beforeOpen(f) {
      state.beforeOpen = f;
    },
    async stop() {
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface State {
  ops: string[];
  stallReads: boolean;
  failRenames: number;
  beforeOpen: MemorySftpServer['beforeOpen'];
}

function serve(sftp: SFTPWrapper, local: (p: string) => string, injected: Map<string, InjectedEntry[]>, state: State): void {
  const handles = new Map<number, Handle>();
  let next = 1;
  const put = (h: Handle): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(next);
    handles.set(next++, h);
    return b;
  };
  const get = (b: Buffer): Handle | undefined => (b.length === 4 ? handles.get(b.readUInt32BE(0)) : undefined);
  // Every handler answers exactly once: a value, or a status mapped from the fs error.
  const reply = (id: number, work: () => Promise<void>): void => {
    work().catch((err: NodeJS.ErrnoException) => sftp.status(id, statusOf(err), err.message));
  };

  sftp.on('OPEN', (id, filename, flags) =>
    reply(id, async () => {
      const mode = utils.sftp.flagsToString(flags);
      if (!mode) return sftp.status(id, STATUS_CODE.OP_UNSUPPORTED);
      state.ops.push(`open ${mode} ${posix.resolve('/', filename)}`);
      state.beforeOpen?.(posix.resolve('/', filename), mode);
      sftp.handle(id, put({ kind: 'file', fh: await open(local(filename), mode) }));
    }),
  );
  sftp.on('READ', (id, handle, offset, length) => {
    if (state.stallReads) return; // never answered: the client's timeout must fire
    reply(id, async () => {
      const h = get(handle);
      if (h?.kind !== 'file') return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      const buf = Buffer.alloc(length);
      const { bytesRead } = await h.fh.read(buf, 0, length, offset);
      if (bytesRead === 0) sftp.status(id, STATUS_CODE.EOF);
      else sftp.data(id, buf.subarray(0, bytesRead));
    });
  });
  sftp.on('WRITE', (id, handle, offset, data) =>
    reply(id, async () => {
      const h = get(handle);
      if (h?.kind !== 'file') return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      await h.fh.write(data, 0, data.length, offset);
      sftp.status(id, STATUS_CODE.OK);
    }),
  );
  sftp.on('FSTAT', (id, handle) =>
    reply(id, async () => {
      const h = get(handle);
      if (h?.kind !== 'file') return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      sftp.attrs(id, attrsOf(await h.fh.stat()));
    }),
  );
  sftp.on('FSETSTAT', (id) => sftp.status(id, STATUS_CODE.OK));
  sftp.on('SETSTAT', (id) => sftp.status(id, STATUS_CODE.OK));
  sftp.on('CLOSE', (id, handle) =>
    reply(id, async () => {
      const h = get(handle);
      if (!h) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      handles.delete(handle.readUInt32BE(0));
      if (h.kind === 'file') await h.fh.close();
      sftp.status(id, STATUS_CODE.OK);
    }),
  );
  sftp.on('OPENDIR', (id, path) =>
    reply(id, async () => {
      if (!(await stat(local(path))).isDirectory()) return sftp.status(id, STATUS_CODE.FAILURE, 'not a directory');
      sftp.handle(id, put({ kind: 'dir', path: posix.resolve('/', path), sent: false }));
    }),
  );
  sftp.on('READDIR', (id, handle) =>
    reply(id, async () => {
      const h = get(handle);
      if (h?.kind !== 'dir') return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
      if (h.sent) return sftp.status(id, STATUS_CODE.EOF);
      h.sent = true;
      const names = [];
      for (const name of await readdir(local(h.path))) {
        const st = await lstat(join(local(h.path), name));
        names.push({ filename: name, longname: longname(name, st), attrs: attrsOf(st) });
      }
      for (const e of injected.get(h.path) ?? []) {
        const attrs = { mode: fsc.S_IFREG | 0o644, uid: 0, gid: 0, size: e.size ?? 10, atime: 1_700_000_000, mtime: 1_700_000_000 };
        names.push({ filename: e.name, longname: `-rw-r--r--    1 0        0        ${attrs.size} Nov 14  2023 ${e.name}`, attrs });
      }
      sftp.name(id, names);
    }),
  );
  const statHandler = (fn: typeof stat) => (id: number, path: string) => reply(id, async () => sftp.attrs(id, attrsOf(await fn(local(path)))));
  sftp.on('STAT', statHandler(stat));
  sftp.on('LSTAT', statHandler(lstat));
  sftp.on('REALPATH', (id, path) => sftp.name(id, [{ filename: posix.resolve('/', path), longname: '', attrs: {} as Attributes }]));
  sftp.on('MKDIR', (id, path) =>
    reply(id, async () => {
      await mkdir(local(path));
      sftp.status(id, STATUS_CODE.OK);
    }),
  );
  sftp.on('REMOVE', (id, path) =>
    reply(id, async () => {
      state.ops.push(`remove ${posix.resolve('/', path)}`);
      await unlink(local(path));
      sftp.status(id, STATUS_CODE.OK);
    }),
  );
  sftp.on('RENAME', (id, from, to) =>
    reply(id, async () => {
      state.ops.push(`rename ${posix.resolve('/', from)} ${posix.resolve('/', to)}`);
      if (state.failRenames > 0) {
        state.failRenames--;
        return sftp.status(id, STATUS_CODE.FAILURE, 'injected rename failure');
      }
      // SFTP v3 (and OpenSSH) refuse to rename over an existing file.
      if (await lstat(local(to)).then(() => true, () => false)) return sftp.status(id, STATUS_CODE.FAILURE, 'target exists');
      await rename(local(from), local(to));
      sftp.status(id, STATUS_CODE.OK);
    }),
  );
}

function statusOf(err: NodeJS.ErrnoException): number {
  if (err.code === 'ENOENT') return STATUS_CODE.NO_SUCH_FILE;
  if (err.code === 'EACCES' || err.code === 'EPERM') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

function attrsOf(st: Stats): Attributes {
  return { mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, atime: Math.floor(st.atimeMs / 1000), mtime: Math.floor(st.mtimeMs / 1000) };
}

function longname(name: string, st: Stats): string {
  const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : '-';
  return `${type}rw-r--r--    1 ${st.uid}        ${st.gid}        ${st.size} Jan  1 00:00 ${name}`;
}

/**
 * A fake intake for poller tests: records each hand-over with the sha256 of the staged bytes and
 * answers `duplicate` for bytes seen before, as the real intake's idempotency does.
 */
export interface IntakeCall {
  tenant: string;
  name: string;
  sha256: string;
  size: number;
  outcome: 'applied' | 'duplicate';
}

export function recordingIntake(): { calls: IntakeCall[]; intake: (tenant: string, path: string, name: string) => Promise<'applied' | 'duplicate'> } {
  const calls: IntakeCall[] = [];
  const seen = new Set<string>();
  return {
    calls,
    async intake(tenant, path, name) {
      const bytes = await readFile(path);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const outcome = seen.has(`${tenant}:${sha256}`) ? 'duplicate' : 'applied';
      seen.add(`${tenant}:${sha256}`);
      calls.push({ tenant, name, sha256, size: bytes.length, outcome });
      return outcome;
    },
  };
}
