import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Console passwords as scrypt hashes: `scrypt$N$r$p$<salt b64>$<hash b64>`. Only the hash is in
 * the config; the cost parameters travel with it so they can be raised without breaking old lines.
 */
const scrypt = (pw: string, salt: Buffer, len: number, o: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(pw, salt, len, o, (err, key) => (err ? reject(err) : resolve(key))));

export const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1 } as const;

export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, { ...cost, maxmem: 256 * cost.N * cost.r });
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const want = Buffer.from(parts[5]!, 'base64');
  if (!want.length) return false;
  const got = await scrypt(password, salt, want.length, { N, r, p, maxmem: 256 * N * r });
  return timingSafeEqual(got, want);
}

/** A hash no password matches: verified for unknown user names so they cost the same time. */
export const DUMMY_HASH = `scrypt$${SCRYPT_DEFAULTS.N}$8$1$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32, 1).toString('base64')}`;
