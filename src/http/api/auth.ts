import { createHash } from 'node:crypto';
import type { KasiConfig } from '../../config.js';

/**
 * API keys (issue 8): a tenant's keys are configured as hex SHA-256 digests
 * (`tenants.<id>.api_key_sha256`, several for rotation), so the configuration holds no secret.
 * A request's `X-API-Key` is hashed and looked up; the digest names exactly one tenant (the
 * config refuses a digest shared by two). Hashing first makes the lookup independent of how
 * much of a guessed key is right.
 */
export interface Caller {
  tenant: string;
  /** the key's digest: the rate limiter's bucket (never the key itself) */
  keyId: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export class KeyIndex {
  private byDigest = new Map<string, string>();

  constructor(config: Pick<KasiConfig, 'tenants'>) {
    for (const [tenant, t] of Object.entries(config.tenants)) for (const d of t.api_key_sha256) this.byDigest.set(d, tenant);
  }

  /** The caller for a presented key, or null (missing, empty or unknown). */
  identify(presented: string | string[] | undefined): Caller | null {
    const key = Array.isArray(presented) ? undefined : presented?.trim();
    if (!key) return null;
    const digest = sha256Hex(key);
    const tenant = this.byDigest.get(digest);
    return tenant === undefined ? null : { tenant, keyId: digest };
  }

  get size(): number {
    return this.byDigest.size;
  }
}
