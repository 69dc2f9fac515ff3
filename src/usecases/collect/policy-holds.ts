import { sastDate, type IsoDate } from '../../domain/dates.js';
import { holdsPolicy } from '../../domain/engine/holds.js';
import { normaliseReasonCode } from '../../domain/engine/reason-codes.js';
import type { HoldRecord, HoldState } from '../../store/policy-hold.repository.js';
import type { Tx } from '../../store/store.js';
import type { Ports } from '../ports.js';
import { recordPolicyReleased } from '../webhooks/hold-events.js';

/**
 * Holds (issue 12), the two moves a hold makes: placed when a debit comes back with a holding
 * code (holdPolicies, from the results' transaction), released by the insurer (releaseHold: API,
 * CLI; a policy file's `hold` column releases through the import's own transaction). Observers
 * (webhooks: policy.held / policy.released) hook in at these two functions.
 */
export interface HardFailure {
  collectionId: number;
  reasonCode: string | null;
  /** the day the bank returned it (the result's processed date) */
  on: IsoDate;
}

/** In the caller's transaction: hold the policies of these failures whose code holds. */
export async function holdPolicies(tx: Tx, failures: readonly HardFailure[], now: string): Promise<HoldRecord[]> {
  const holding = failures.filter((f) => holdsPolicy(f.reasonCode));
  if (holding.length === 0) return [];
  return tx.policyHolds.insertHolds(
    holding.map((f) => ({ collectionId: f.collectionId, reasonCode: normaliseReasonCode(f.reasonCode!), heldOn: f.on })),
    now,
  );
}

export type ReleaseOutcome = { status: 'released'; hold: HoldRecord } | { status: 'not_held' } | { status: 'unknown_policy' };

/** The insurer lifts the hold: the policy is opened and collected again from now on. */
export async function releaseHold(ports: Ports, tenant: string, policyNumber: string, by: string, note: string | null = null): Promise<ReleaseOutcome> {
  const now = ports.clock.now();
  const { hold, known } = await ports.store.transaction(async (tx) => {
    const h = await tx.policyHolds.releaseHoldRow(tenant, policyNumber, { releasedOn: sastDate(now), releasedBy: by, note }, now.toISOString());
    // its policy.released event commits with the release (the outbox pattern)
    if (h) await recordPolicyReleased(tx, ports.config, now, { ...h, released_on: h.released_on ?? sastDate(now) });
    return { hold: h, known: h !== null || (await tx.policyHolds.policyExists(tenant, policyNumber)) };
  });
  if (hold) {
    ports.log.info({ tenant, policy: policyNumber, reason_code: hold.reason_code, held_on: hold.held_on, by }, 'policy hold released');
    return { status: 'released', hold };
  }
  return known ? { status: 'not_held' } : { status: 'unknown_policy' };
}

export function holdsOf(ports: Ports, opts: { tenant?: string; state?: HoldState }): Promise<HoldRecord[]> {
  return ports.store.policyHolds.holdsIn(opts);
}
