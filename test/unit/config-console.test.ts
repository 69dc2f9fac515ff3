import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { consoleEnabled } from '../../src/usecases/console/auth.js';

/** The console's configuration: off without users; users need a valid role, tenant and scrypt hash. */
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function load(local: string) {
  const r = mkdtempSync(join(tmpdir(), 'kasi-cfg-console-'));
  roots.push(r);
  mkdirSync(join(r, 'config'));
  writeFileSync(join(r, 'config/local.yaml'), local);
  return loadConfig({ root: r, env: {} });
}

const HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=';

describe('console configuration', () => {
  it('defaults: no users (the console is off), 8 h sessions, 5 failures lock for 15 minutes, pages of 50', () => {
    const c = load('tenants: { acme: { name: Acme } }\n');
    expect(c.console).toEqual({ users: {}, session_hours: 8, max_failures: 5, lockout_seconds: 900, cookie_secure: 'auto', summary_refresh_seconds: 60, page_size: 50 });
    expect(consoleEnabled(c)).toBe(false);
  });

  it('an operator and a tenant user turn it on', () => {
    const c = load(`tenants: { acme: { name: Acme } }\nconsole:\n  users:\n    op: { role: operator, password_scrypt: "${HASH}" }\n    ana: { role: tenant, tenant: acme, password_scrypt: "${HASH}" }\n`);
    expect(consoleEnabled(c)).toBe(true);
    expect(c.console.users.ana).toEqual({ role: 'tenant', tenant: 'acme', password_scrypt: HASH });
  });

  it('lists every bad user: plain password, missing or unknown tenant, an operator with a tenant, a bad role', () => {
    let problems: string[] = [];
    try {
      load(
        `tenants: { acme: { name: Acme } }\nconsole:\n  users:\n    a: { role: operator, password_scrypt: hunter2 }\n    b: { role: tenant, password_scrypt: "${HASH}" }\n    c: { role: tenant, tenant: nope, password_scrypt: "${HASH}" }\n    d: { role: operator, tenant: acme, password_scrypt: "${HASH}" }\n    e: { role: admin, password_scrypt: "${HASH}" }\n`,
      );
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems.sort()).toEqual(
      [
        'console.users.a.password_scrypt: an scrypt hash as printed by `kasi console-user` (scrypt$N$r$p$salt$hash)',
        'console.users.b.tenant: required when role is tenant',
        'console.users.d.tenant: an operator sees every tenant: leave tenant out',
        'console.users.e.role: Invalid option: expected one of "operator"|"tenant"',
      ].sort(),
    );
    expect(() => load(`tenants: { acme: { name: Acme } }\nconsole: { users: { c: { role: tenant, tenant: nope, password_scrypt: "${HASH}" } } }\n`)).toThrow(
      'console.users.c.tenant: no tenant "nope" in tenants',
    );
  });
});
