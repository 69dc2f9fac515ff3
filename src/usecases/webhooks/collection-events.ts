import type { DebitResult } from '../../bank/gateway.js';
import type { KasiConfig } from '../../config.js';
import { formatCents } from '../../domain/money.js';
import { classifyReturn } from '../../domain/engine/reason-codes.js';
import type { WebhookEventType } from '../../domain/webhook-events.js';
import type { Tx } from '../../store/store.js';
import type { HoldRecord } from '../../store/policy-hold.repository.js';
import { recordPolicyHeld } from './hold-events.js';
import { recordEvent } from './record-event.js';

type Config = Pick<KasiConfig, 'tenants' | 'webhooks'>;

/** Does any receiver at all listen to one of `types`? (Skips the work on the batch's hot path when none does.) */
export function anyReceiver(config: Config, types: readonly WebhookEventType[]): boolean {
  const all = [...config.webhooks, ...Object.values(config.tenants).flatMap((t) => t.webhooks)];
  return all.some((w) => w.events.some((e) => types.includes(e)));
}

const COLLECTION_EVENTS: readonly WebhookEventType[] = ['collection.failed_hard', 'collection.likely_claim'];

/**
 * After bank results were applied (in the same transaction): `collection.failed_hard` for every
 * result applied now with a hard return code (SPEC 4.3: collection stops for the period), and
 * `collection.likely_claim` as well for code 18 (account holder deceased). One event per
 * instruction: a result file sent again is `repeated` and records nothing.
 */
export async function recordCollectionEvents(
  tx: Tx,
  config: Config,
  now: Date,
  results: readonly DebitResult[],
  applied: { outcomes: readonly (string | undefined)[]; holds: readonly HoldRecord[] },
): Promise<number> {
  const n = await recordHardFailures(tx, config, now, results, applied.outcomes);
  // then policy.held: the holds these results placed (docs/money-rules.md), keyed by the hold's id
  let held = 0;
  for (const h of applied.holds) if (await recordPolicyHeld(tx, config, now, h)) held++;
  return n + held;
}

async function recordHardFailures(tx: Tx, config: Config, now: Date, results: readonly DebitResult[], outcomes: readonly (string | undefined)[]): Promise<number> {
  if (!anyReceiver(config, COLLECTION_EVENTS)) return 0;
  const hard = new Map<string, DebitResult>();
  results.forEach((r, i) => {
    if (outcomes[i] === 'applied' && r.result === 'UNPAID' && classifyReturn(r.reasonCode ?? '').kind === 'hard') hard.set(r.instructionId, r);
  });
  if (hard.size === 0) return 0;
  let n = 0;
  for (const f of await tx.webhooks.attemptFacts([...hard.keys()])) {
    const r = hard.get(f.instruction_id)!;
    const cls = classifyReturn(r.reasonCode ?? '');
    const data = {
      policy_number: f.policy_number,
      customer_id: f.customer_id,
      external_customer_ref: f.external_customer_ref,
      period_month: f.period,
      instruction_id: f.instruction_id,
      presentment: f.presentment,
      action_date: f.action_date,
      amount_requested: formatCents(f.amount_requested),
      code: r.reasonCode,
      reason: cls.reason,
      processed_date: r.processedDate,
    };
    const key = `instruction:${f.instruction_id}`;
    if (await recordEvent(tx, config, now, { type: 'collection.failed_hard', tenant: f.tenant_id, key, data })) n++;
    if (cls.flag === 'DECEASED' && (await recordEvent(tx, config, now, { type: 'collection.likely_claim', tenant: f.tenant_id, key, data }))) n++;
  }
  return n;
}
