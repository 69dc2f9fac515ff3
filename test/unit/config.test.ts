import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, configWarnings, databaseTarget, loadConfig, type KasiConfig } from '../../src/config.js';

/** SPEC 2: defaults ← <root>/config/local.yaml ← --config ← env; validated once, every bad key listed. */
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function root(local?: string): string {
  const r = mkdtempSync(join(tmpdir(), 'kasi-cfg-'));
  roots.push(r);
  if (local !== undefined) {
    mkdirSync(join(r, 'config'));
    writeFileSync(join(r, 'config/local.yaml'), local);
  }
  return r;
}

function problems(fn: () => KasiConfig): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems].sort();
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: defaults', () => {
  it('loads the checked-in defaults with no local file', () => {
    const r = root();
    const c = loadConfig({ root: r, env: {} });
    expect(c.root).toBe(r);
    expect(c.database).toBe('sqlite:data/kasi.sqlite');
    expect(databaseTarget(c)).toEqual({ client: 'sqlite', file: join(r, 'data/kasi.sqlite') });
    expect(c.timezone).toBe('Africa/Johannesburg');
    expect(c.gateway).toBe('simulator');
    expect(c.intake).toEqual({ settle_seconds: 2, done_markers: false, max_failed_share: '0.5', amount_ceiling: '100000.00' });
    expect(c.fees).toEqual([{ from: '2025-01-01', distribution_rate: '0.25', collections_rate: '0.035', vat_rate: '0.15' }]);
    expect(c.tenants).toEqual({});
    expect(c.sources).toHaveLength(1);
  });

  it('a local file overrides key by key and adds tenants; the result is frozen', () => {
    const r = root(['intake: { settle_seconds: 0.3 }', 'tenants:', '  acme: { name: Acme Funeral Insurance Ltd }', ''].join('\n'));
    const c = loadConfig({ root: r, env: {} });
    expect(c.intake.settle_seconds).toBe(0.3);
    expect(c.intake.amount_ceiling).toBe('100000.00');
    expect(c.tenants.acme).toEqual({ name: 'Acme Funeral Insurance Ltd', intake: 'folder', api_key_sha256: [], webhooks: [] });
    expect(c.sources).toEqual([expect.stringMatching(/config\/default\.yaml$/), join(r, 'config/local.yaml')]);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.intake)).toBe(true);
    expect(() => {
      (c.intake as { settle_seconds: number }).settle_seconds = 9;
    }).toThrow(TypeError);
  });
});

describe('loadConfig: environment', () => {
  it('KASI_DATABASE_URL overrides the files', () => {
    const r = root('database: sqlite:/var/lib/kasi/x.sqlite\n');
    const c = loadConfig({ root: r, env: { KASI_DATABASE_URL: 'postgres://kasi@db.example:5432/kasi' } });
    expect(c.database).toBe('postgres://kasi@db.example:5432/kasi');
    expect(databaseTarget(c)).toEqual({ client: 'pg', url: 'postgres://kasi@db.example:5432/kasi' });
  });

  it('--db (the database option) wins over KASI_DATABASE_URL', () => {
    const c = loadConfig({ root: root(), database: 'sqlite:/tmp/other.sqlite', env: { KASI_DATABASE_URL: 'postgres://kasi@db/kasi' } });
    expect(c.database).toBe('sqlite:/tmp/other.sqlite');
  });

  it('KASI_ROOT is the root when no option names one; KASI_GATEWAY sets the gateway', () => {
    const r = root();
    const c = loadConfig({ env: { KASI_ROOT: r, KASI_GATEWAY: 'file' } });
    expect(c.root).toBe(r);
    expect(c.gateway).toBe('file');
  });

  it('a bad URL in the environment is a listed problem', () => {
    expect(problems(() => loadConfig({ root: root(), env: { KASI_DATABASE_URL: 'mysql://x' } }))).toEqual(['database: sqlite:<path> or postgres://...']);
  });

  it('a --config file that does not exist is a problem', () => {
    const r = root();
    expect(problems(() => loadConfig({ root: r, configFile: join(r, 'nope.yaml'), env: {} }))).toEqual([`config file ${join(r, 'nope.yaml')} does not exist`]);
  });
});

describe('loadConfig: every bad key in one ConfigError', () => {
  const BAD = [
    'colour: blue', // unknown top-level key
    'http: { port: "eighty" }', // wrong type
    'intake: { settle_seconds: -1 }',
    'tenants:',
    '  beta:',
    '    name: Beta Life',
    '    intake: sftp', // sftp settings missing
    '    nickname: b', // unknown tenant key
    '',
  ].join('\n');

  it('lists unknown keys, wrong types and a missing sftp block together', () => {
    expect(problems(() => loadConfig({ root: root(BAD), env: {} }))).toEqual([
      'colour: unknown key',
      'http.port: Invalid input: expected number, received string',
      'intake.settle_seconds: Too small: expected number to be >=0',
      'tenants.beta.nickname: unknown key',
      'tenants.beta.sftp: required when intake is sftp',
    ]);
  });

  it('the error message lists each problem on its own line', () => {
    try {
      loadConfig({ root: root('colour: blue\ngateway: carrier-pigeon\n'), env: {} });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe(
        'invalid configuration:\n  - gateway: Invalid option: expected one of "simulator"|"file"\n  - colour: unknown key',
      );
    }
  });

  it('refuses bad tenant ids (upper case, underscore, too long, "bank")', () => {
    const long = 'a'.repeat(33);
    const yaml = `tenants:\n  Acme_X: { name: A }\n  bank: { name: B }\n  ${long}: { name: C }\n  ok-1: { name: D }\n`;
    const rule = 'a tenant id is 1-32 of a-z 0-9 - (starting with a letter or digit), and not "bank"';
    expect(problems(() => loadConfig({ root: root(yaml), env: {} }))).toEqual([`tenants.${long}: ${rule}`, `tenants.Acme_X: ${rule}`, `tenants.bank: ${rule}`].sort());
  });

  // SPEC 2 "listing every bad key": a bad tenant id is listed beside the other problems.
  it('lists a bad tenant id together with the other problems', () => {
    const yaml = `${BAD}  Acme_X: { name: A }\n`;
    expect(problems(() => loadConfig({ root: root(yaml), env: {} }))).toContain(
      'tenants.Acme_X: a tenant id is 1-32 of a-z 0-9 - (starting with a letter or digit), and not "bank"',
    );
  });

  it('a YAML syntax error names the file', () => {
    const r = root('tenants: [unclosed\n');
    const p = problems(() => loadConfig({ root: r, env: {} }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(new RegExp(`^${join(r, 'config/local.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
  });
});

describe('tenant address and VAT registration (issue 14)', () => {
  it('a missing address or VAT number is a warning, not an error; vat_registered: false says why there is none', () => {
    const c = loadConfig({
      root: root(
        [
          'tenants:',
          '  acme: { name: Acme, vat_number: "4100000000", address: "5 Main Road\\nDurban 4001" }',
          '  beta: { name: Beta }',
          '  gamma: { name: Gamma, vat_registered: false, address: "1 Side Street" }',
          '',
        ].join('\n'),
      ),
      env: {},
    });
    expect(c.tenants.acme!.address).toBe('5 Main Road\nDurban 4001');
    expect(configWarnings(c)).toEqual([
      'tenants.beta.address is not set: beta\'s tax invoices will show no recipient address',
      'tenants.beta.vat_number is not set: beta\'s tax invoices will say "VAT number: not supplied" (set vat_registered: false if beta is not registered for VAT)',
    ]);
  });

  it('vat_registered: false beside a vat_number is a config error', () => {
    expect(problems(() => loadConfig({ root: root('tenants:\n  acme: { name: Acme, vat_number: "4100000000", vat_registered: false }\n'), env: {} }))).toEqual([
      'tenants.acme.vat_registered: false, but a vat_number is set: remove one of them',
    ]);
  });
});
