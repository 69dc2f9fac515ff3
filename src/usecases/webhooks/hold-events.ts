import type { KasiConfig } from '../../config.js';
import { classifyReturn } from '../../domain/engine/reason-codes.js';
import type { Tx } from '../../store/store.js';
import { recordEvent, type EventOccurrence } from './record-event.js';

/**
 * `policy.held` / `policy.released` (the holds of docs/money-rules.md, table `policy_holds`):
 * recorded in the transaction that places or releases the hold, keyed by the hold's id.
 */
type Config = Pick<KasiConfig, 'tenants' | 'webhooks'>;

export interface HoldFacts {
  id: number;
  tenant_id: string;
  policy_number: string;
  reason_code: string;
  held_on: string;
  collection_id: number | null;
}

export interface ReleaseFacts extends HoldFacts {
  released_on: string;
  released_by: string | null;
  release_note: string | null;
}

function holdData(h: HoldFacts): Record<string, unknown> {
  return { hold_id: h.id, policy_number: h.policy_number, reason_code: h.reason_code, reason: classifyReturn(h.reason_code).reason, held_on: h.held_on, collection_id: h.collection_id };
}

export async function recordPolicyHeld(tx: Tx, config: Config, now: Date, h: HoldFacts): Promise<boolean> {
  return recordEvent(tx, config, now, { type: 'policy.held', tenant: h.tenant_id, key: `hold:${h.id}`, data: holdData(h) });
}

/** The policy.released occurrence of a released hold. */
export function releasedEvent(h: HoldFacts & { released_on: string | null; released_by: string | null; release_note: string | null }): EventOccurrence {
  const data = { ...holdData(h), released_on: h.released_on, released_by: h.released_by, release_note: h.release_note };
  return { type: 'policy.released', tenant: h.tenant_id, key: `hold:${h.id}`, data };
}

export async function recordPolicyReleased(tx: Tx, config: Config, now: Date, h: ReleaseFacts): Promise<boolean> {
  return recordEvent(tx, config, now, releasedEvent(h));
}
