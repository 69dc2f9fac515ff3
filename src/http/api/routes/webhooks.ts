import { z } from 'zod';
import type { WebhookEventRow } from '../../../store/webhook.repository.js';
import { route } from '../route.js';

/**
 * The caller's webhook events and how their delivery went (docs/webhooks.md): newest first,
 * filtered by delivery status, paged with `before` (the `next_before` of the previous page).
 */
const Query = z.strictObject({
  status: z.enum(['pending', 'delivered', 'failed']).optional().meta({ description: 'only events with a delivery in this status' }),
  limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: 'events per page (1-200, default 50)' }),
  before: z.coerce.number().int().positive().optional().meta({ description: 'the next_before of the previous page' }),
});

const Delivery = z
  .object({
    url: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']).meta({ description: 'pending: not delivered yet (retried with backoff); failed: refused (4xx) or out of attempts, not sent again' }),
    attempts: z.number().int(),
    last_http_status: z.number().int().nullable().meta({ description: "the receiver's last answer (null: none, e.g. a timeout)" }),
    last_error: z.string().nullable(),
    next_attempt_at: z.string().nullable().meta({ description: 'pending only: when it is tried next' }),
    delivered_at: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

const WebhookEvent = z
  .object({
    id: z.string().meta({ description: 'the event id the receiver sees (body.id, Kasi-Event-Id)', example: 'evt_1b0c6f6e-6a4e-4a53-9d0e-4f8a7c2f9e11' }),
    type: z.string().meta({ example: 'intake.file_rejected' }),
    created_at: z.string(),
    data: z.record(z.string(), z.unknown()).meta({ description: 'as sent (docs/webhooks.md lists each type)' }),
    deliveries: z.array(Delivery),
  })
  .meta({ id: 'WebhookEvent' });

const Page = z
  .object({ events: z.array(WebhookEvent), next_before: z.number().int().nullable().meta({ description: 'pass as before= for the next page; null on the last' }) })
  .meta({ id: 'WebhookEventPage' });

function eventsJson(rows: readonly WebhookEventRow[]) {
  const out: z.output<typeof WebhookEvent>[] = [];
  let last: number | null = null;
  for (const r of rows) {
    if (r.id !== last) {
      const body = JSON.parse(r.body) as { data: Record<string, unknown> };
      out.push({ id: r.event_id, type: r.type, created_at: r.created_at, data: body.data, deliveries: [] });
      last = r.id;
    }
    out[out.length - 1]!.deliveries.push({
      url: r.url,
      status: r.status as 'pending',
      attempts: r.attempts,
      last_http_status: r.last_status,
      last_error: r.last_error,
      next_attempt_at: r.status === 'pending' ? r.next_attempt_at : null,
      delivered_at: r.delivered_at,
    });
  }
  return out;
}

const listEvents = route({
  method: 'GET',
  path: '/webhooks/events',
  operationId: 'listWebhookEvents',
  tag: 'Webhooks',
  summary: 'Your webhook events and their delivery',
  description: 'Events recorded for your webhooks (tenants.<id>.webhooks), newest first, each with its delivery to every receiver. Only events someone subscribed to are recorded.',
  query: Query,
  responses: { 200: { description: 'a page of events', schema: Page } },
  async handler({ caller, query, deps }) {
    const rows = await deps.ports.store.reading((tx) => tx.webhooks.tenantWebhookEvents(caller.tenant, query.status ?? null, query.limit + 1, query.before ?? null));
    const ids = [...new Set(rows.map((r) => r.id))];
    const more = ids.length > query.limit;
    const page = more ? rows.filter((r) => r.id > ids[query.limit]!) : rows;
    return { events: eventsJson(page), next_before: more ? ids[query.limit - 1]! : null };
  },
});

export const webhookRoutes = [listEvents];
