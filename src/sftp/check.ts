import { randomBytes } from 'node:crypto';
import { HostKeyError, normalizeFingerprint } from './host-key.js';
import { remotePath } from './remote-paths.js';
import { errText, SftpSession, SftpTimeoutError } from './sftp-session.js';
import type { Env, SftpLog, TenantSftpSettings } from './tenant-sftp.config.js';

/**
 * `kasi check` for one tenant's SFTP account: plain sentences an operator can act on. Writes and
 * removes a small probe file in processed and outbound to prove they are writable.
 */
export interface SftpCheckResult {
  ok: boolean;
  lines: string[];
}

const quiet: SftpLog = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

export async function checkSftp(settings: TenantSftpSettings, opts: { env?: Env; log?: SftpLog } = {}): Promise<SftpCheckResult> {
  const lines: string[] = [];
  const target = `${settings.host}:${settings.port}`;
  let session: SftpSession;
  try {
    session = await SftpSession.open(settings, { log: opts.log ?? quiet, ...(opts.env ? { env: opts.env } : {}) });
  } catch (err) {
    lines.push(connectFailure(err, settings, target));
    return { ok: false, lines };
  }
  let ok = true;
  try {
    lines.push(`connection to ${target} as ${settings.username}: OK`);
    const hk = session.hostKey;
    if (hk?.kind === 'match') lines.push(`host key matches the pinned fingerprint ${hk.fingerprint}`);
    else if (hk?.kind === 'unpinned-accepted') {
      lines.push(`WARNING: no host key pinned and insecure_accept_any_host_key is on; the server offers ${hk.received} (pin it: host_key_sha256: "${hk.received}")`);
    }
    ok = (await folder(session, 'inbound', settings.inbound_dir, false, lines)) && ok;
    ok = (await folder(session, 'processed', settings.processed_dir, true, lines)) && ok;
    ok = (await folder(session, 'outbound', settings.outbound_dir, true, lines)) && ok;
  } catch (err) {
    ok = false;
    lines.push(`connection lost during the check: ${describe(err)}`);
  } finally {
    await session.end();
  }
  return { ok, lines };
}

async function folder(session: SftpSession, label: string, dir: string, write: boolean, lines: string[]): Promise<boolean> {
  const kind = await session.exists(dir).catch((err: unknown) => {
    lines.push(`${label} folder ${dir}: cannot be checked (${describe(err)})`);
    return null;
  });
  if (kind === null) return false;
  if (kind !== 'd') {
    lines.push(`${label} folder ${dir}: ${kind === false ? 'does not exist' : 'is not a folder'}`);
    return false;
  }
  let listed: string;
  try {
    const n = (await session.list(dir)).filter((e) => e.name !== '.' && e.name !== '..').length;
    listed = `${label} folder ${dir}: exists, readable (${n} ${n === 1 ? 'entry' : 'entries'})`;
  } catch (err) {
    lines.push(`${label} folder ${dir}: exists but cannot be listed (${describe(err)})`);
    return false;
  }
  if (!write) {
    lines.push(listed);
    return true;
  }
  const probe = remotePath(dir, `.kasi-probe-${randomBytes(4).toString('hex')}`);
  try {
    await session.uploadBuffer(Buffer.from('kasi write probe\n'), probe);
  } catch (err) {
    lines.push(`${listed}, NOT writable (${describe(err)})`);
    return false;
  }
  try {
    await session.delete(probe);
    lines.push(`${listed}, writable (probe file written and removed)`);
    return true;
  } catch (err) {
    lines.push(`${listed}, writable, but the probe file could not be removed (${describe(err)}); remove ${probe} by hand`);
    return false;
  }
}

function connectFailure(err: unknown, settings: TenantSftpSettings, target: string): string {
  if (err instanceof HostKeyError) {
    return err.code === 'HOST_KEY_MISMATCH'
      ? `HOST KEY MISMATCH at ${target}: expected ${normalizeFingerprint(settings.host_key_sha256 ?? '')}, the server offered ${err.received}. Connection refused. If the insurer changed its key, confirm the new fingerprint with them before pinning it.`
      : `no host key pinned for ${target}: the server offers ${err.received}. Confirm it with the insurer, then set host_key_sha256: "${err.received}"`;
  }
  const code = rootCode(err);
  if (code === 'ECONNREFUSED') return `connection to ${target} refused (nothing listening on that port)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host ${settings.host} not found (DNS)`;
  if (err instanceof SftpTimeoutError || code === 'SFTP_TIMEOUT' || /timed out/i.test(errText(err))) {
    return `connection to ${target} timed out after ${settings.timeout_seconds} s`;
  }
  if (/authentication/i.test(errText(err))) return `connection to ${target} OK, but login as ${settings.username} was refused (key or password not accepted)`;
  return `connection to ${target} failed: ${describe(err)}`;
}

function rootCode(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof SftpTimeoutError ? `timed out after ${err.ms} ms` : errText(err);
}
