import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { KeyIndex } from '../../src/http/api/auth.js';
import { RateLimiter } from '../../src/http/api/rate-limit.js';
import { digest } from '../helpers/api.js';

/** The API's configuration: keys per tenant (a list for rotation, one digest accepted), rate limits. */
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function load(local: string) {
  const r = mkdtempSync(join(tmpdir(), 'kasi-cfg-api-'));
  roots.push(r);
  mkdirSync(join(r, 'config'));
  writeFileSync(join(r, 'config/local.yaml'), local);
  return loadConfig({ root: r, env: {} });
}

describe('API keys and limits in the configuration', () => {
  it('defaults: no keys, 100 reads and 10 writes a minute, uploads up to 200 MB', () => {
    const c = load('tenants: { acme: { name: Acme } }\n');
    expect(c.tenants.acme!.api_key_sha256).toEqual([]);
    expect(c.http).toMatchObject({ port: 8080, rate_limits: { reads_per_minute: 100, writes_per_minute: 10 }, max_upload_mb: 200 });
  });

  it('a list of digests (rotation) or one digest; upper-case hex is read as lower case; the old and the new key both work', () => {
    const c = load(`tenants:\n  acme: { name: Acme, api_key_sha256: ["${digest('old').toUpperCase()}", "${digest('new')}"] }\n  beta: { name: Beta, api_key_sha256: "${digest('beta')}" }\n`);
    expect(c.tenants.acme!.api_key_sha256).toEqual([digest('old'), digest('new')]);
    expect(c.tenants.beta!.api_key_sha256).toEqual([digest('beta')]);
    const keys = new KeyIndex(c);
    expect([keys.identify('old')?.tenant, keys.identify('new')?.tenant, keys.identify(' beta ')?.tenant, keys.identify('nope'), keys.identify(undefined)]).toEqual(['acme', 'acme', 'beta', null, null]);
  });

  it('refuses a digest that is not 64 hex digits and one key shared by two tenants', () => {
    let problems: string[] = [];
    try {
      load(`tenants:\n  acme: { name: Acme, api_key_sha256: ["abc", "${digest('k')}"] }\n  beta: { name: Beta, api_key_sha256: ["${digest('k')}"] }\n`);
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual(['tenants.acme.api_key_sha256.0: the hex SHA-256 of an API key (64 hex digits: printf %s "$KEY" | sha256sum)']);
    try {
      load(`tenants:\n  acme: { name: Acme, api_key_sha256: ["${digest('k')}"] }\n  beta: { name: Beta, api_key_sha256: ["${digest('k')}"] }\n`);
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual(["tenants.beta.api_key_sha256.0: the same key is also one of tenant acme's keys; give each tenant its own"]);
  });
});

describe('RateLimiter', () => {
  it('a fixed minute per key and class from its first request; refusals do not count', () => {
    let t = 0;
    const rl = new RateLimiter({ reads_per_minute: 2, writes_per_minute: 1 }, () => t);
    expect(rl.take('k', 'read')).toEqual({ ok: true, limit: 2, remaining: 1, resetSeconds: 60 });
    t = 10_500;
    expect(rl.take('k', 'read')).toEqual({ ok: true, limit: 2, remaining: 0, resetSeconds: 50 });
    expect(rl.take('k', 'read')).toEqual({ ok: false, limit: 2, retryAfterSeconds: 50 });
    expect(rl.take('k', 'write')).toMatchObject({ ok: true });
    expect(rl.take('other', 'read')).toMatchObject({ ok: true, remaining: 1 });
    t = 59_999;
    expect(rl.take('k', 'read')).toEqual({ ok: false, limit: 2, retryAfterSeconds: 1 });
    t = 60_000;
    expect(rl.take('k', 'read')).toEqual({ ok: true, limit: 2, remaining: 1, resetSeconds: 60 });
  });
});
