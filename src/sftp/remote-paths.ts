import { posix } from 'node:path';
import type { SftpSession } from './sftp-session.js';

/** Remote paths are POSIX whatever the local OS; names reaching here were validated first. */
export function remotePath(dir: string, name: string): string {
  return posix.join(dir, name);
}

/** `policies.csv` → `policies-2.csv`; a name without extension gets the suffix at the end. */
export function withSuffix(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}-${n}${name.slice(dot)}` : `${name}-${n}`;
}

/** First of `name`, `name-1`, `name-2`... not present in `dir`, so a move never overwrites. */
export async function freeRemoteName(session: SftpSession, dir: string, name: string, limit = 1000): Promise<string> {
  for (let n = 0; n < limit; n++) {
    const candidate = n === 0 ? name : withSuffix(name, n);
    if (!(await session.exists(remotePath(dir, candidate)))) return candidate;
  }
  throw new Error(`no free name for ${name} in ${dir} after ${limit} tries`);
}
