import type { Sql } from './sql.js';

/**
 * Idempotency-Key (issue 14): one row per (tenant, key). The first request with a key inserts it
 * `in_flight` with its fingerprint; its answer is stored (`done`) and replayed to every retry with
 * the same fingerprint for 24 h. Run inside one transaction (`claimKey`), so two replicas
 * receiving the same key at once cannot both run the request: the primary key decides.
 */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type KeyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'reused' }
  | { kind: 'in_use'; retryAfterSeconds: number };

export interface ClaimInput {
  tenant: string;
  key: string;
  method: string;
  path: string;
  fingerprint: string;
  /** the wall clock now, and the bounds it sets (ISO instants) */
  now: string;
  lockedUntil: string;
  expiresAt: string;
}

interface Row {
  fingerprint: string;
  status: 'in_flight' | 'done';
  locked_until: string | null;
  response_status: number | string | null;
  response_headers: string | null;
  response_body: string | null;
  expires_at: string;
}

/** Claim `key` for this request, or say what the earlier request with it left. */
export async function claimKey(sql: Sql, c: ClaimInput): Promise<KeyClaim> {
  // expired keys are forgotten (this one and any other): the 24 h promise is all a client gets
  await sql.run('DELETE FROM idempotency_keys WHERE expires_at <= ?', [c.now]);
  const [row] = await sql.all<Row>(
    'SELECT fingerprint, status, locked_until, response_status, response_headers, response_body, expires_at FROM idempotency_keys WHERE tenant_id = ? AND idem_key = ?',
    [c.tenant, c.key],
  );
  if (row && row.fingerprint !== c.fingerprint) return { kind: 'reused' };
  if (row?.status === 'done') {
    return { kind: 'replay', response: { status: Number(row.response_status), headers: JSON.parse(row.response_headers ?? '{}') as Record<string, string>, body: row.response_body ?? '' } };
  }
  if (row && row.locked_until !== null && row.locked_until > c.now) {
    return { kind: 'in_use', retryAfterSeconds: Math.max(1, Math.ceil((Date.parse(row.locked_until) - Date.parse(c.now)) / 1000)) };
  }
  // new, or in flight in a process that died (its lock ran out): this request takes it
  await sql.run('DELETE FROM idempotency_keys WHERE tenant_id = ? AND idem_key = ?', [c.tenant, c.key]);
  await sql.run(
    `INSERT INTO idempotency_keys (tenant_id, idem_key, method, path, fingerprint, status, locked_until, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, 'in_flight', ?, ?, ?)`,
    [c.tenant, c.key, c.method, c.path, c.fingerprint, c.lockedUntil, c.now, c.expiresAt],
  );
  return { kind: 'claimed' };
}

/** The answer to the request holding `key`: replayed from now on. */
export async function completeKey(sql: Sql, tenant: string, key: string, r: StoredResponse): Promise<void> {
  await sql.run(
    `UPDATE idempotency_keys SET status = 'done', locked_until = NULL, response_status = ?, response_headers = ?, response_body = ? WHERE tenant_id = ? AND idem_key = ? AND status = 'in_flight'`,
    [r.status, JSON.stringify(r.headers), r.body, tenant, key],
  );
}

/** The request failed in a way a retry may not (a 5xx, a dropped connection): free the key. */
export async function releaseKey(sql: Sql, tenant: string, key: string): Promise<void> {
  await sql.run(`DELETE FROM idempotency_keys WHERE tenant_id = ? AND idem_key = ? AND status = 'in_flight'`, [tenant, key]);
}
