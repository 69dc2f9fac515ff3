/**
 * The webhook events kasi sends (issue 16; docs/webhooks.md), and the pure rules of delivering
 * them: which answer of a receiver ends an event's retries, and the body's shape. No I/O here.
 */
export const TENANT_EVENTS = [
  'intake.file_rejected',
  'intake.file_applied',
  'collection.failed_hard',
  'collection.likely_claim',
  'policy.held',
  'policy.released',
  'period.closed',
  'settlement.created',
  'settlement.paid',
  'settlement.disputed',
] as const;

/** Events about the service rather than one insurer: only operator-wide webhooks receive them. */
export const OPERATOR_EVENTS = ['schedule.step_failed'] as const;

export const WEBHOOK_EVENTS = [...TENANT_EVENTS, ...OPERATOR_EVENTS] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export function isOperatorEvent(type: string): boolean {
  return (OPERATOR_EVENTS as readonly string[]).includes(type);
}

/** What a receiver is sent: the same bytes on every attempt. */
export interface WebhookBody {
  id: string;
  type: WebhookEventType;
  /** null for operator events and for the bank's folder */
  tenant: string | null;
  /** ISO instant of the occurrence (the service's clock) */
  created_at: string;
  data: Record<string, unknown>;
}

export function webhookBody(b: WebhookBody): string {
  return JSON.stringify({ id: b.id, type: b.type, tenant: b.tenant, created_at: b.created_at, data: b.data });
}

export type AttemptVerdict = 'delivered' | 'retry' | 'failed';

/**
 * A receiver's answer: 2xx delivered; a 4xx other than 408 (timeout) and 429 (slow down) says the
 * request itself is refused, so sending the same bytes again cannot help: failed at once.
 * Everything else (no answer, a timeout, 3xx, 408, 429, 5xx) is tried again later.
 */
export function attemptVerdict(status: number | null): AttemptVerdict {
  if (status === null) return 'retry';
  if (status >= 200 && status < 300) return 'delivered';
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return 'failed';
  return 'retry';
}

/** A delivery's lane: its receiver and its tenant. One event of a lane is in flight at a time, in order. */
export function laneOf(url: string, tenant: string | null): string {
  return `${url} ${tenant ?? '-'}`;
}

/** Problems with a receiver URL (empty when it is fine): only http(s), no credentials in it. */
export function webhookUrlProblems(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return ['not a URL (e.g. https://hooks.example.com/kasi)'];
  }
  const out: string[] = [];
  if (u.protocol !== 'https:' && u.protocol !== 'http:') out.push(`only http:// and https:// URLs are sent to, not ${u.protocol}//`);
  if (u.username || u.password) out.push('no user or password in the URL: the signature authenticates kasi (secret_env / secret_file)');
  if (u.hash) out.push('no #fragment in the URL');
  return out;
}
