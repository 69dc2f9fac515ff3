import type { Sql } from './sql.js';

/**
 * `webhook_events` and `webhook_deliveries` (migration 017): the outbox of webhook events and the
 * state of each (event, receiver). Instants compared here (next_attempt_at, lease_until) are
 * wall-clock ISO strings, compared as text.
 */
export interface NewWebhookEvent {
  eventId: string;
  /** one occurrence, one key: recording the same key again does nothing */
  dedupeKey: string;
  tenant: string | null;
  type: string;
  body: string;
  createdAt: string;
  /** receivers, each with its lane */
  receivers: readonly { url: string; lane: string }[];
  /** wall-clock now: the first attempt is due at once */
  dueAt: string;
}

/** Record the event and its deliveries, in the caller's transaction. False when its key was recorded before. */
export async function insertWebhookEvent(sql: Sql, e: NewWebhookEvent): Promise<boolean> {
  const added = await sql.run(
    `INSERT INTO webhook_events (event_id, dedupe_key, tenant_id, type, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [e.eventId, e.dedupeKey, e.tenant, e.type, e.body, e.createdAt],
  );
  if (added === 0) return false;
  for (const r of e.receivers) {
    await sql.run(
      `INSERT INTO webhook_deliveries (event_row, url, lane, status, attempts, next_attempt_at)
       SELECT id, ?, ?, 'pending', 0, ? FROM webhook_events WHERE event_id = ?`,
      [r.url, r.lane, e.dueAt, e.eventId],
    );
  }
  return true;
}

export interface DeliveryHead {
  id: number;
  url: string;
  lane: string;
  attempts: number;
  next_attempt_at: string;
  first_attempt_at: string | null;
  claimed_by: string | null;
  lease_until: string | null;
  event_id: string;
  type: string;
  tenant_id: string | null;
  body: string;
}

/** The oldest pending delivery of each lane (due or not, claimed or not), oldest lanes first. */
export async function laneHeads(sql: Sql, limit: number): Promise<DeliveryHead[]> {
  const rows = await sql.all<DeliveryHead>(
    `SELECT d.id, d.url, d.lane, d.attempts, d.next_attempt_at, d.first_attempt_at, d.claimed_by, d.lease_until,
       e.event_id, e.type, e.tenant_id, e.body
     FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_row
     WHERE d.id IN (SELECT MIN(id) FROM webhook_deliveries WHERE status = 'pending' GROUP BY lane)
     ORDER BY d.id LIMIT ?`,
    [limit],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), attempts: Number(r.attempts) }));
}

/**
 * Take a pending delivery for one send: free, or its lease ran out, or held by `takeFrom` (a
 * holder known dead). True when this owner has it now; the conditional update makes it one winner.
 */
export async function claimDelivery(sql: Sql, id: number, owner: string, wallNow: string, leaseUntil: string, takeFrom: string | null): Promise<boolean> {
  const n = await sql.run(
    `UPDATE webhook_deliveries SET claimed_by = ?, lease_until = ?
     WHERE id = ? AND status = 'pending' AND (claimed_by IS NULL OR lease_until < ? OR claimed_by = ?)`,
    [owner, leaseUntil, id, wallNow, takeFrom ?? ''],
  );
  return n === 1;
}

/** Let go of a claim without counting an attempt (the service stopped mid-send). */
export async function releaseDelivery(sql: Sql, id: number, owner: string): Promise<void> {
  await sql.run(`UPDATE webhook_deliveries SET claimed_by = NULL, lease_until = NULL WHERE id = ? AND claimed_by = ?`, [id, owner]);
}

export interface AttemptRecord {
  id: number;
  owner: string;
  status: 'pending' | 'delivered' | 'failed';
  at: string;
  httpStatus: number | null;
  error: string | null;
  /** pending only: when to try again */
  nextAttemptAt?: string;
}

const MAX_ERROR_CHARS = 1000;

/** The outcome of one attempt by the claim's owner; the claim ends with it. */
export async function recordAttempt(sql: Sql, a: AttemptRecord): Promise<void> {
  await sql.run(
    `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?,
       last_status = ?, last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at), delivered_at = ?, claimed_by = NULL, lease_until = NULL
     WHERE id = ? AND claimed_by = ?`,
    [a.status, a.at, a.at, a.httpStatus, a.error?.slice(0, MAX_ERROR_CHARS) ?? null, a.nextAttemptAt ?? null, a.status === 'delivered' ? a.at : null, a.id, a.owner],
  );
}

export interface WebhookBacklog {
  tenant: string | null;
  pending: number;
  failed: number;
  delivered: number;
  /** created_at of the oldest pending event (the service's clock), null when none */
  oldestPendingAt: string | null;
}

/** Deliveries by status for every tenant that has any (tenant null: operator events). */
export async function webhookBacklog(sql: Sql): Promise<WebhookBacklog[]> {
  const rows = await sql.all<{ tenant_id: string | null; status: string; n: number | string; oldest: string | null }>(
    `SELECT e.tenant_id, d.status, COUNT(*) AS n, MIN(e.created_at) AS oldest
     FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_row
     GROUP BY e.tenant_id, d.status ORDER BY e.tenant_id, d.status`,
  );
  const byTenant = new Map<string, WebhookBacklog>();
  for (const r of rows) {
    const k = r.tenant_id ?? '';
    let b = byTenant.get(k);
    if (!b) byTenant.set(k, (b = { tenant: r.tenant_id, pending: 0, failed: 0, delivered: 0, oldestPendingAt: null }));
    if (r.status === 'pending' || r.status === 'failed' || r.status === 'delivered') b[r.status] = Number(r.n);
    if (r.status === 'pending') b.oldestPendingAt = r.oldest;
  }
  return [...byTenant.values()];
}

export interface WebhookEventRow {
  id: number;
  event_id: string;
  type: string;
  tenant_id: string | null;
  created_at: string;
  body: string;
  url: string;
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: string;
  delivered_at: string | null;
}

/**
 * A tenant's events, newest first, `limit` of them, one row per (event, receiver); `status` keeps
 * the events with a delivery in that status; `beforeId` pages (keyset on the event row).
 */
export async function tenantWebhookEvents(sql: Sql, tenant: string, status: string | null, limit: number, beforeId: number | null): Promise<WebhookEventRow[]> {
  const params: (string | number)[] = [tenant];
  let where = 'e.tenant_id = ?';
  if (status !== null) {
    where += ' AND EXISTS (SELECT 1 FROM webhook_deliveries x WHERE x.event_row = e.id AND x.status = ?)';
    params.push(status);
  }
  if (beforeId !== null) {
    where += ' AND e.id < ?';
    params.push(beforeId);
  }
  const ids = (await sql.all<{ id: number }>(`SELECT e.id FROM webhook_events e WHERE ${where} ORDER BY e.id DESC LIMIT ?`, [...params, limit])).map((r) => Number(r.id));
  if (ids.length === 0) return [];
  const rows = await sql.all<WebhookEventRow>(
    `SELECT e.id, e.event_id, e.type, e.tenant_id, e.created_at, e.body, d.url, d.status, d.attempts, d.last_status, d.last_error, d.next_attempt_at, d.delivered_at
     FROM webhook_events e JOIN webhook_deliveries d ON d.event_row = e.id
     WHERE e.id IN (${ids.map(() => '?').join(', ')}) ORDER BY e.id DESC, d.id`,
    ids,
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), attempts: Number(r.attempts), last_status: r.last_status === null ? null : Number(r.last_status) }));
}

export interface AttemptFacts {
  instruction_id: string;
  tenant_id: string;
  period: string;
  policy_number: string;
  customer_id: string;
  external_customer_ref: string;
  action_date: string;
  amount_requested: number;
  presentment: number;
}

/** What a collection event tells about the attempts of these instructions (read in the caller's transaction). */
export async function attemptFacts(sql: Sql, instructionIds: readonly string[]): Promise<AttemptFacts[]> {
  const out: AttemptFacts[] = [];
  for (let i = 0; i < instructionIds.length; i += 500) {
    const chunk = instructionIds.slice(i, i + 500);
    const rows = await sql.all<AttemptFacts>(
      `SELECT a.instruction_id, c.tenant_id, c.period, c.policy_number, c.customer_id, c.external_customer_ref, a.action_date, a.amount_requested, a.presentment
       FROM attempts a JOIN collections c ON c.id = a.collection_id
       WHERE a.instruction_id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    out.push(...rows.map((r) => ({ ...r, amount_requested: Number(r.amount_requested), presentment: Number(r.presentment) })));
  }
  return out;
}

/** A period's collections by final status: count, due and collected cents (for `period.closed`). */
export async function periodTotals(sql: Sql, tenant: string, period: string): Promise<{ status: string; n: number; due: number; collected: number }[]> {
  const rows = await sql.all<{ status: string; n: number | string; due: number | string | null; collected: number | string | null }>(
    `SELECT status, COUNT(*) AS n, SUM(amount_due) AS due, SUM(amount_collected) AS collected FROM collections
     WHERE tenant_id = ? AND period = ? GROUP BY status ORDER BY status`,
    [tenant, period],
  );
  return rows.map((r) => ({ status: r.status, n: Number(r.n), due: Number(r.due ?? 0), collected: Number(r.collected ?? 0) }));
}

/**
 * Send failed deliveries of these events again (the receiver was fixed): back to pending, due now,
 * attempts and errors cleared. Returns the event ids that had a failed delivery.
 */
export async function requeueFailed(sql: Sql, eventIds: readonly string[], dueAt: string): Promise<string[]> {
  const done: string[] = [];
  for (const id of eventIds) {
    const n = await sql.run(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, first_attempt_at = NULL, last_error = NULL, last_status = NULL
       WHERE status = 'failed' AND event_row = (SELECT id FROM webhook_events WHERE event_id = ?)`,
      [dueAt, id],
    );
    if (n > 0) done.push(id);
  }
  return done;
}
