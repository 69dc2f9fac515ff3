import { createHash } from 'node:crypto';
import type { SftpLog, TenantSftpSettings } from './tenant-sftp.config.js';

/**
 * Host-key pinning (SPEC 7). ssh2 hands the verifier the raw public-key blob; OpenSSH's
 * `ssh-keygen -lf` prints `SHA256:` + unpadded base64 of sha256(blob), so operators can paste
 * what their insurer sends them.
 */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Accept `SHA256:abc`, `sha256:abc=` or bare `abc`: people paste all three. Base64 stays case-sensitive. */
export function normalizeFingerprint(pinned: string): string {
  const body = pinned.trim().replace(/^sha256:/i, '').replace(/=+$/, '');
  return `SHA256:${body}`;
}

export type HostKeyVerdict =
  | { kind: 'match'; fingerprint: string }
  | { kind: 'mismatch'; expected: string; received: string }
  | { kind: 'unpinned-accepted'; received: string }
  | { kind: 'unpinned-refused'; received: string };

export class HostKeyError extends Error {
  constructor(
    readonly code: 'HOST_KEY_MISMATCH' | 'HOST_KEY_NOT_PINNED',
    message: string,
    readonly received: string,
    readonly expected?: string,
  ) {
    super(message);
    this.name = 'HostKeyError';
  }
}

export interface HostKeyCheck {
  /** Give to ssh2 as `hostVerifier`: true lets the handshake go on. */
  verifier: (key: Buffer) => boolean;
  /** What happened during the last handshake; null before the server showed its key. */
  verdict(): HostKeyVerdict | null;
  /** The error to throw when the verdict refused the connection, else null. */
  refusal(): HostKeyError | null;
}

export function hostKeyCheck(settings: TenantSftpSettings, log: SftpLog, where: object): HostKeyCheck {
  let verdict: HostKeyVerdict | null = null;
  const target = `${settings.host}:${settings.port}`;
  return {
    verifier(key: Buffer): boolean {
      const received = fingerprintSha256(key);
      if (settings.host_key_sha256) {
        const expected = normalizeFingerprint(settings.host_key_sha256);
        verdict = expected === received ? { kind: 'match', fingerprint: received } : { kind: 'mismatch', expected, received };
        if (verdict.kind === 'mismatch') {
          log.error({ ...where, target, expected, received }, 'SFTP HOST KEY MISMATCH: refusing the connection (possible man-in-the-middle, or the server key changed)');
        }
        return verdict.kind === 'match';
      }
      if (settings.insecure_accept_any_host_key) {
        verdict = { kind: 'unpinned-accepted', received };
        log.warn({ ...where, target, received }, 'INSECURE: no host_key_sha256 pinned and insecure_accept_any_host_key is on; accepting any host key (lab use only)');
        return true;
      }
      verdict = { kind: 'unpinned-refused', received };
      log.error({ ...where, target, received }, 'SFTP host key not pinned: set host_key_sha256 (refusing the connection)');
      return false;
    },
    verdict: () => verdict,
    refusal(): HostKeyError | null {
      const v = verdict;
      if (v?.kind === 'mismatch') {
        return new HostKeyError('HOST_KEY_MISMATCH', `host key mismatch for ${target}: expected ${v.expected}, received ${v.received}; connection refused`, v.received, v.expected);
      }
      if (v?.kind === 'unpinned-refused') {
        return new HostKeyError('HOST_KEY_NOT_PINNED', `no host_key_sha256 configured for ${target} (server offered ${v.received}); pin it, or set insecure_accept_any_host_key for a lab`, v.received);
      }
      return null;
    },
  };
}
