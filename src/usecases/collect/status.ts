import { periodOf, sastDate, type Period } from '../../domain/dates.js';
import type { Cents } from '../../domain/money.js';
import type { Ports } from '../ports.js';
import { classifyReturn } from '../../domain/engine/reason-codes.js';
import type { WebhookBacklog } from '../../store/webhook.repository.js';

/** What an operator asks first: per tenant, what is in the store, what intake did, how the period goes. */
export interface TenantStatus {
  tenant: string;
  name: string;
  policies: { active: number; cancelled: number };
  files: { applied: number; rejected: number; duplicate: number };
  lastFiles: { name: string; status: string; imported: number; failed: number; processed_at: string }[];
  period: PeriodStatus;
  /** Policies held now (a holding return code, until the insurer releases them): never presented. */
  held: { policyNumber: string; reasonCode: string; reason: string; heldOn: string }[];
  /** Webhook deliveries of the tenant's events (docs/webhooks.md); null when it has none at all. */
  webhooks: Omit<WebhookBacklog, 'tenant'> | null;
}

export interface PeriodStatus {
  period: Period;
  state: 'not executed' | 'open' | 'closed';
  closedAt: string | null;
  /** By collection status: OPEN while the period runs, the final statuses after the close. */
  collections: { open: number; paidFull: number; paidPartial: number; unpaid: number; cancelled: number };
  /** The OPEN collections by what is in so far. */
  openProgress: { collectedInFull: number; inPart: number; nothingYet: number };
  /** Due over the collections not cancelled (a cancelled policy owes nothing more). */
  dueCents: Cents;
  /** Collected over all collections, cancelled ones included (that money came in). */
  collectedCents: Cents;
  /** Attempts by result; awaiting = stored or presented, no result yet. */
  presentments: { total: number; paid: number; unpaid: number; awaiting: number };
  /** Unpaid attempts by reason (SPEC 4.3), most frequent first. */
  failures: { reason: string; count: number }[];
  /** Collections flagged DECEASED (return code 18): likely claims the insurer must hear about. */
  likelyClaims: { policyNumber: string; customerId: string }[];
}

type Count = number | string;
const num = (v: Count | null | undefined) => Number(v ?? 0);

export async function tenantStatus(ports: Ports, period: Period = periodOf(sastDate(ports.clock.now()))): Promise<TenantStatus[]> {
  const out: TenantStatus[] = [];
  const hooks = await webhookBacklog(ports);
  for (const [id, t] of Object.entries(ports.config.tenants)) {
    const { policiesByStatus: pol, filesByStatus: fil, lastFiles } = await ports.store.status.tenantCounts(id);
    const count = (rows: { status: string; n: Count }[], s: string) => num(rows.find((r) => r.status === s)?.n);
    out.push({
      tenant: id,
      name: t.name,
      policies: { active: count(pol, 'active'), cancelled: count(pol, 'cancelled') },
      files: { applied: count(fil, 'applied'), rejected: count(fil, 'rejected'), duplicate: count(fil, 'duplicate') },
      lastFiles,
      period: await periodStatus(ports, id, period),
      held: (await ports.store.policyHolds.holdsIn({ tenant: id, state: 'open' })).map((h) => ({
        policyNumber: h.policy_number,
        reasonCode: h.reason_code,
        reason: classifyReturn(h.reason_code).reason,
        heldOn: h.held_on,
      })),
      webhooks: backlogOf(hooks, id),
    });
  }
  return out;
}

async function periodStatus(ports: Ports, tenant: string, period: Period): Promise<PeriodStatus> {
  const { state, byStatus, attempts, failures, claims } = await ports.store.status.periodCounts(tenant, period);
  const row = (s: string) => byStatus.find((r) => r.status === s);
  const open = row('OPEN');
  const attemptsOf = (s: string) => num(attempts.find((r) => r.status === s)?.n);
  const paid = attemptsOf('PAID');
  const unpaid = attemptsOf('UNPAID');
  const awaiting = attemptsOf('SUBMITTED') + attemptsOf('PRESENTED');
  return {
    period,
    state: !state ? 'not executed' : state.closed_at ? 'closed' : 'open',
    closedAt: state?.closed_at ?? null,
    collections: {
      open: num(open?.n),
      paidFull: num(row('PAID_FULL')?.n),
      paidPartial: num(row('PAID_PARTIAL')?.n),
      unpaid: num(row('UNPAID')?.n),
      cancelled: num(row('CANCELLED')?.n),
    },
    openProgress: { collectedInFull: num(open?.full_n), inPart: num(open?.part_n), nothingYet: num(open?.n) - num(open?.full_n) - num(open?.part_n) },
    dueCents: byStatus.filter((r) => r.status !== 'CANCELLED').reduce((s, r) => s + num(r.due), 0),
    collectedCents: byStatus.reduce((s, r) => s + num(r.collected), 0),
    presentments: { total: paid + unpaid + awaiting, paid, unpaid, awaiting },
    failures: failures
      .map((f) => ({ reason: f.reason ?? 'UNKNOWN', count: num(f.n) }))
      .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0)),
    likelyClaims: claims.map((c) => ({ policyNumber: c.policy_number, customerId: c.customer_id })),
  };
}

function backlogOf(all: readonly WebhookBacklog[], tenant: string | null): Omit<WebhookBacklog, 'tenant'> | null {
  const b = all.find((x) => x.tenant === tenant);
  return b ? { pending: b.pending, failed: b.failed, delivered: b.delivered, oldestPendingAt: b.oldestPendingAt } : null;
}

/** Deliveries of operator events (schedule.step_failed, the bank's files); null when there are none. */
export async function operatorWebhooks(ports: Ports): Promise<Omit<WebhookBacklog, 'tenant'> | null> {
  return backlogOf(await webhookBacklog(ports), null);
}

/** Deliveries by status for every tenant that has any (tenant null: operator events). */
function webhookBacklog(ports: Ports): Promise<WebhookBacklog[]> {
  return ports.store.reading((tx) => tx.webhooks.webhookBacklog());
}
