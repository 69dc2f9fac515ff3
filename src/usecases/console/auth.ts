import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConsoleConfig } from '../../config.console.js';
import type { KasiConfig } from '../../config.js';
import type { AuditEntry } from '../../store/audit.repository.js';
import type { Ports } from '../ports.js';
import { DUMMY_HASH, verifyPassword } from './password.js';

/**
 * Console sign-in: scrypt passwords from config, a random session token in an HttpOnly cookie
 * (the store keeps only its SHA-256), a per-session CSRF token for forms, and a lock-out after
 * `max_failures` wrong passwords in a row for `lockout_seconds` (counted per user name, known or
 * not, so the answer never tells which names exist). Every outcome is audited.
 */
export interface ConsoleUser {
  name: string;
  role: 'operator' | 'tenant';
  /** the tenant a tenant user sees; undefined for an operator */
  tenant?: string;
}

export interface Session {
  user: ConsoleUser;
  csrf: string;
  tokenSha256: string;
}

export type LoginOutcome =
  | { ok: true; token: string; session: Session }
  | { ok: false; reason: 'wrong' | 'locked'; lockedUntil?: string };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function consoleEnabled(config: Pick<KasiConfig, 'console'>): boolean {
  return Object.keys(config.console.users).length > 0;
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** The tenants a user may see (null = every tenant). */
export function visibleTenants(user: ConsoleUser): string[] | null {
  return user.role === 'operator' ? null : [user.tenant!];
}

export function maySee(user: ConsoleUser, tenant: string): boolean {
  return user.role === 'operator' || user.tenant === tenant;
}

export class ConsoleAuth {
  private readonly cfg: ConsoleConfig;

  constructor(private readonly ports: Ports) {
    this.cfg = ports.config.console;
  }

  user(name: string): ConsoleUser | undefined {
    const u = Object.hasOwn(this.cfg.users, name) ? this.cfg.users[name] : undefined;
    return u && { name, role: u.role, ...(u.tenant !== undefined ? { tenant: u.tenant } : {}) };
  }

  async login(name: string, password: string, remote: string | null): Promise<LoginOutcome> {
    const now = this.ports.clock.now();
    const at = now.toISOString();
    const sessions = this.ports.store.consoleAuth;
    const key = name.slice(0, 64);
    const prior = await sessions.loginFailures(key);
    if (prior?.locked_until && prior.locked_until > at) {
      await this.audit({ user_name: key, action: 'login', outcome: 'refused', detail: `locked until ${prior.locked_until}`, remote });
      return { ok: false, reason: 'locked', lockedUntil: prior.locked_until };
    }
    const cfg = Object.hasOwn(this.cfg.users, name) ? this.cfg.users[name] : undefined;
    const good = await verifyPassword(password, cfg?.password_scrypt ?? DUMMY_HASH);
    if (!good || !cfg) {
      // a lock that ran out starts a new count
      const failures = (prior && !prior.locked_until ? prior.failures : 0) + 1;
      const lockedUntil = failures >= this.cfg.max_failures ? new Date(now.getTime() + this.cfg.lockout_seconds * 1000).toISOString() : null;
      await sessions.recordLoginFailure(key, failures, at, lockedUntil);
      await this.audit({ user_name: key, action: 'login', outcome: 'failed', detail: lockedUntil ? `wrong password ${failures}; locked until ${lockedUntil}` : `wrong password ${failures}`, remote });
      return lockedUntil ? { ok: false, reason: 'locked', lockedUntil } : { ok: false, reason: 'wrong' };
    }
    if (prior) await sessions.clearLoginFailures(key);
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const tokenSha256 = sha256(token);
    await sessions.insertSession({ token_sha256: tokenSha256, user_name: name, csrf, created_at: at, last_seen_at: at, expires_at: this.expiry(now) });
    const user = this.user(name)!;
    await this.audit({ user_name: name, role: user.role, tenant_id: user.tenant ?? null, action: 'login', outcome: 'ok', remote });
    return { ok: true, token, session: { user, csrf, tokenSha256 } };
  }

  /** The session of a cookie's token, its expiry moved on; null when unknown, expired or its user was removed from config. */
  async session(token: string | undefined): Promise<Session | null> {
    if (!token) return null;
    const now = this.ports.clock.now();
    const tokenSha256 = sha256(token);
    const row = await this.ports.store.consoleAuth.findSession(tokenSha256);
    if (!row) return null;
    const user = this.user(row.user_name);
    if (!user || row.expires_at <= now.toISOString()) {
      await this.ports.store.consoleAuth.deleteSession(tokenSha256);
      return null;
    }
    // one write a minute at most: a page view is not a database write
    if (now.getTime() - Date.parse(row.last_seen_at) > 60_000) await this.ports.store.consoleAuth.touchSession(tokenSha256, now.toISOString(), this.expiry(now));
    return { user, csrf: row.csrf, tokenSha256 };
  }

  async logout(s: Session, remote: string | null): Promise<void> {
    await this.ports.store.consoleAuth.deleteSession(s.tokenSha256);
    await this.audit({ user_name: s.user.name, role: s.user.role, tenant_id: s.user.tenant ?? null, action: 'logout', outcome: 'ok', remote });
  }

  async audit(e: Partial<AuditEntry> & Pick<AuditEntry, 'user_name' | 'action' | 'outcome'>): Promise<void> {
    await this.ports.store.audit.insertAudit({
      at: this.ports.clock.now().toISOString(),
      role: null,
      tenant_id: null,
      target: null,
      detail: null,
      remote: null,
      ...e,
    });
  }

  private expiry(now: Date): string {
    return new Date(now.getTime() + this.cfg.session_hours * 3_600_000).toISOString();
  }
}
