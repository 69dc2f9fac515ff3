import type { Db } from './db.js';
import { knexOf } from './db.js';

/** Console sign-in state: sessions (by the SHA-256 of the cookie's token) and wrong-password counts. */
export interface ConsoleSessionRecord {
  token_sha256: string;
  user_name: string;
  csrf: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface LoginFailureRecord {
  user_name: string;
  failures: number;
  last_failure_at: string;
  locked_until: string | null;
}

export async function insertSession(db: Db, s: ConsoleSessionRecord): Promise<void> {
  await knexOf(db)('console_sessions').insert(s);
}

export async function findSession(db: Db, tokenSha256: string): Promise<ConsoleSessionRecord | undefined> {
  return (await knexOf(db)('console_sessions').where({ token_sha256: tokenSha256 }).first()) as ConsoleSessionRecord | undefined;
}

/** Sliding expiry: a session in use stays open. */
export async function touchSession(db: Db, tokenSha256: string, at: string, expiresAt: string): Promise<void> {
  await knexOf(db)('console_sessions').where({ token_sha256: tokenSha256 }).update({ last_seen_at: at, expires_at: expiresAt });
}

export async function deleteSession(db: Db, tokenSha256: string): Promise<number> {
  return knexOf(db)('console_sessions').where({ token_sha256: tokenSha256 }).delete();
}

export async function deleteExpiredSessions(db: Db, now: string): Promise<number> {
  return knexOf(db)('console_sessions').where('expires_at', '<=', now).delete();
}

export async function loginFailures(db: Db, user: string): Promise<LoginFailureRecord | undefined> {
  return (await knexOf(db)('console_login_failures').where({ user_name: user }).first()) as LoginFailureRecord | undefined;
}

/** One more wrong password; `lockedUntil` set when this one reaches the limit. */
export async function recordLoginFailure(db: Db, user: string, failures: number, at: string, lockedUntil: string | null): Promise<void> {
  await knexOf(db)('console_login_failures')
    .insert({ user_name: user, failures, last_failure_at: at, locked_until: lockedUntil })
    .onConflict('user_name')
    .merge(['failures', 'last_failure_at', 'locked_until']);
}

export async function clearLoginFailures(db: Db, user: string): Promise<void> {
  await knexOf(db)('console_login_failures').where({ user_name: user }).delete();
}
