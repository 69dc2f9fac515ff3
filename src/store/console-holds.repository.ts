import type { Db } from './db.js';
import { knexOf } from './db.js';

/**
 * Held policies for the console's overview. The shared contract (issue 12, migration 014):
 * `policy_holds`, a policy held while a row with released_on IS NULL exists.
 */
export interface HeldPolicy {
  policy_number: string;
  reason: string;
  since: string | null;
  collection_id: number | null;
}

/** Active holds of a tenant: the newest `limit`, and how many there are. */
export async function heldPolicies(db: Db, tenant: string, limit: number): Promise<{ rows: HeldPolicy[]; total: number }> {
  const k = knexOf(db);
  {
    const base = () => k('policy_holds').where({ tenant_id: tenant }).whereNull('released_on');
    const rows = (await base()
      .orderBy('held_on', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .select('policy_number', { reason: 'reason_code' }, { since: 'held_on' }, 'collection_id')) as HeldPolicy[];
    const [{ n }] = (await base().count({ n: '*' })) as [{ n: number | string }];
    return { rows, total: Number(n) };
  }
}
