import { randomUUID } from 'node:crypto';
import type { KasiConfig, WebhookConfig } from '../../config.js';
import { isOperatorEvent, laneOf, webhookBody, type WebhookEventType } from '../../domain/webhook-events.js';
import { insertWebhookEvent, type NewWebhookEvent, type StoreTx, webhookTransaction } from '../../store/webhook.repository.js';
import type { Tx } from '../../store/store.js';
import type { Db } from '../../store/db.js';

/**
 * Recording a webhook event (docs/webhooks.md): called inside the transaction of what caused it
 * (the outbox pattern: the event exists exactly when its cause committed), or in an idempotent
 * step that a restart redoes; `key` names the occurrence so it is recorded once either way. Only
 * events someone subscribed to are recorded; delivery is the WebhookService's, later, so a slow
 * receiver never slows the step that caused the event.
 */
export interface EventOccurrence {
  type: WebhookEventType;
  /** null: an operator event, or the bank's folder */
  tenant: string | null;
  /** unique per occurrence, e.g. `intake_file:42` */
  key: string;
  data: Record<string, unknown>;
}

/** The receivers of `type` for `tenant`: the tenant's own webhooks, then the operator-wide ones. */
export function receiversOf(config: Pick<KasiConfig, 'tenants' | 'webhooks'>, tenant: string | null, type: WebhookEventType): WebhookConfig[] {
  const own = tenant !== null && !isOperatorEvent(type) ? (config.tenants[tenant]?.webhooks ?? []) : [];
  const all = [...own, ...config.webhooks].filter((w) => w.events.includes(type));
  const seen = new Set<string>();
  return all.filter((w) => !seen.has(w.url) && seen.add(w.url));
}

/** The receiver configured for `url` where a delivery of `tenant` goes (null: no longer configured). */
export function receiverFor(config: Pick<KasiConfig, 'tenants' | 'webhooks'>, tenant: string | null, url: string): WebhookConfig | null {
  const own = tenant !== null ? (config.tenants[tenant]?.webhooks ?? []) : [];
  return [...own, ...config.webhooks].find((w) => w.url === url) ?? null;
}

/** In the caller's transaction. True when recorded now (false: nobody listens, or recorded before). */
export async function recordEvent(sql: StoreTx, config: Pick<KasiConfig, 'tenants' | 'webhooks'>, now: Date, e: EventOccurrence): Promise<boolean> {
  const row = eventRow(config, now, e);
  return row ? insertWebhookEvent(sql, row) : false;
}

/** recordEvent in a transaction of the store (`ports.store.transaction`). */
export async function recordEventIn(tx: Tx, config: Pick<KasiConfig, 'tenants' | 'webhooks'>, now: Date, e: EventOccurrence): Promise<boolean> {
  const row = eventRow(config, now, e);
  return row ? tx.webhooks.insertWebhookEvent(row) : false;
}

/** The stored event for the receivers of `e`, or null when nobody listens. */
function eventRow(config: Pick<KasiConfig, 'tenants' | 'webhooks'>, now: Date, e: EventOccurrence): NewWebhookEvent | null {
  const receivers = receiversOf(config, e.tenant, e.type);
  if (receivers.length === 0) return null;
  const id = `evt_${randomUUID()}`;
  const createdAt = now.toISOString();
  return {
    eventId: id,
    dedupeKey: `${e.type}/${e.key}`,
    tenant: e.tenant,
    type: e.type,
    body: webhookBody({ id, type: e.type, tenant: e.tenant, created_at: createdAt, data: e.data }),
    createdAt,
    receivers: receivers.map((w) => ({ url: w.url, lane: laneOf(w.url, e.tenant) })),
    // delivery timing is the wall clock's, whatever clock the service runs on (KASI_NOW)
    dueAt: new Date().toISOString(),
  };
}

/** Several in a transaction of their own, for a step whose cause has committed already. */
export async function recordEvents(db: Db, config: Pick<KasiConfig, 'tenants' | 'webhooks'>, now: Date, events: readonly EventOccurrence[]): Promise<number> {
  const wanted = events.filter((e) => receiversOf(config, e.tenant, e.type).length > 0);
  if (wanted.length === 0) return 0;
  return webhookTransaction(db, async (sql) => {
    let n = 0;
    for (const e of wanted) if (await recordEvent(sql, config, now, e)) n++;
    return n;
  });
}
