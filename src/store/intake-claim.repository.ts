import type { Knex } from 'knex';
import type { Db } from './db.js';
import { knexOf } from './db.js';

/**
 * `intake_claims` (migration 007): which process is taking a tenant's file (by its bytes) right
 * now, so that replicas watching one inbox never both take one file. Lease times are wall-clock ISO
 * instants (text compare).
 */
export interface IntakeClaimRequest {
  tenantId: string;
  sha256: string;
  name: string;
  owner: string;
  wallNow: string;
  leaseUntil: string;
  /** a holder known dead (a process on this host that no longer runs): taken over before its lease ends */
  isDead?: (owner: string) => boolean;
}

/** Take the claim (a fresh one, or one whose holder's lease expired); false when someone holds it. */
export async function claimIntake(db: Db, r: IntakeClaimRequest): Promise<boolean> {
  return claimWith(knexOf(db), r);
}

async function claimWith(knex: Knex, r: IntakeClaimRequest): Promise<boolean> {
  const inserted = (await knex('intake_claims')
    .insert({ tenant_id: r.tenantId, sha256: r.sha256, name: r.name, owner: r.owner, claimed_at: r.wallNow, lease_until: r.leaseUntil })
    .onConflict(['tenant_id', 'sha256'])
    .ignore()
    .returning('owner')) as unknown[];
  if (inserted.length === 1) return true;
  const held = (await knex('intake_claims').where({ tenant_id: r.tenantId, sha256: r.sha256 }).first('owner', 'lease_until')) as
    | { owner: string; lease_until: string }
    | undefined;
  if (!held) return claimWith(knex, r); // released meanwhile
  if (held.lease_until >= r.wallNow && !(r.isDead?.(held.owner) ?? false)) return false;
  const taken = await knex('intake_claims')
    .where({ tenant_id: r.tenantId, sha256: r.sha256, owner: held.owner })
    .update({ name: r.name, owner: r.owner, claimed_at: r.wallNow, lease_until: r.leaseUntil });
  return taken === 1;
}

/** Extend the lease; 0 when this owner no longer holds it. */
export async function renewIntake(db: Db, tenantId: string, sha256: string, owner: string, leaseUntil: string): Promise<number> {
  return knexOf(db)('intake_claims').where({ tenant_id: tenantId, sha256, owner }).update({ lease_until: leaseUntil });
}

export async function releaseIntake(db: Db, tenantId: string, sha256: string, owner: string): Promise<void> {
  await knexOf(db)('intake_claims').where({ tenant_id: tenantId, sha256, owner }).delete();
}
