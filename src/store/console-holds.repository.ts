import { HARD_REASONS, isHardReason } from '../domain/engine/reason-codes.js';
import type { Db } from './db.js';

/**
 * Held policies for the console's overview. The shared contract (issue 12, migration 014):
 * `policy_holds`, a policy held while a row with released_on IS NULL exists. Until that table
 * exists in this database the console shows what stands in for a hold: the period's collections
 * stopped by a hard failure (the engine's halted_reason other than the presentment limits).
 */
export interface HeldPolicy {
  policy_number: string;
  reason: string;
  since: string | null;
  collection_id: number | null;
}

/** Active holds of a tenant (null while this database has no policy_holds table). */
export async function heldPolicies(db: Db, tenant: string, limit: number): Promise<{ rows: HeldPolicy[]; total: number } | null> {
  const k = db.knex;
  if (await k.schema.hasTable('policy_holds')) {
    const base = () => k('policy_holds').where({ tenant_id: tenant }).whereNull('released_on');
    const rows = (await base()
      .orderBy('held_on', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .select('policy_number', { reason: 'reason_code' }, { since: 'held_on' }, 'collection_id')) as HeldPolicy[];
    const [{ n }] = (await base().count({ n: '*' })) as [{ n: number | string }];
    return { rows, total: Number(n) };
  }
  return null;
}

/** Up to `limit` collections of the period stopped by a hard failure (the stand-in for holds). */
export async function hardFailureHolds(db: Db, tenant: string, period: string, limit: number): Promise<HeldPolicy[]> {
  return (await db
    .knex('collections')
    .where({ tenant_id: tenant, period })
    .where((w) => void w.whereIn('halted_reason', HARD_REASONS).orWhere('halted_reason', 'like', 'UNKNOWN%'))
    .orderBy('id')
    .limit(limit)
    .select('policy_number', { reason: 'halted_reason' }, { since: 'last_attempt_date' }, { collection_id: 'id' })) as HeldPolicy[];
}

/** A halt reason that holds the policy (a hard return code), not the period's limits or a full collection. */
export function isHoldReason(reason: string): boolean {
  return isHardReason(reason);
}
