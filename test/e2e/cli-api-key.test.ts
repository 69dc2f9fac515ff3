import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { KeyIndex } from '../../src/http/api/auth.js';
import { requireBuilt, runKasi } from '../helpers/cli.js';

/** `kasi api-key`: a new key, printed once, and the config line that lets it in (beside the old digests). */
let root: string;
const OLD = createHash('sha256').update('the old key').digest('hex');

beforeAll(() => {
  requireBuilt();
  root = mkdtempSync(join(tmpdir(), 'kasi-e2e-apikey-'));
  mkdirSync(join(root, 'config'));
  writeFileSync(join(root, 'config/local.yaml'), stringify({ tenants: { acme: { name: 'Acme', api_key_sha256: [OLD] } } }));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('kasi api-key', () => {
  it('prints a new key and the digest line with the old digest kept; the key then identifies the tenant', async () => {
    const r = await runKasi(['api-key', '--tenant', 'acme', '--root', root]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.split('\n');
    const key = lines[1]!.trim();
    expect(key).toMatch(/^kasi_[A-Za-z0-9_-]{32}$/);
    const digest = createHash('sha256').update(key).digest('hex');
    expect(lines).toEqual([
      'API key for acme (shown once; send it to the insurer over a safe channel):',
      `  ${key}`,
      'Add its digest to tenants.acme in your config (keep the old digests until the insurer has moved over), then restart the daemon:',
      `  api_key_sha256: ["${OLD}", "${digest}"]`,
      '',
    ]);
    writeFileSync(join(root, 'config/local.yaml'), stringify({ tenants: { acme: { name: 'Acme', api_key_sha256: [OLD, digest] } } }));
    const keys = new KeyIndex(loadConfig({ root, env: {} }));
    expect([keys.identify(key)?.tenant, keys.identify('the old key')?.tenant]).toEqual(['acme', 'acme']);
    const json = JSON.parse((await runKasi(['api-key', '--tenant', 'acme', '--json', '--root', root])).stdout) as { key: string; sha256: string };
    expect(json.sha256).toBe(createHash('sha256').update(json.key).digest('hex'));
    expect(json.key).not.toBe(key);
  });

  it('an unknown tenant: exit 2', async () => {
    expect(await runKasi(['api-key', '--tenant', 'zeta', '--root', root])).toMatchObject({ code: 2, stdout: '', stderr: 'kasi: unknown tenant "zeta": known tenants are acme\n' });
  });
});
