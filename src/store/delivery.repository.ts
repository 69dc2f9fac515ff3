import { isAbsolute, join } from 'node:path';
import type { Knex } from 'knex';
import type { Db } from './db.js';
import { knexOf } from './db.js';

/**
 * The `deliveries` table: outbox files queued for a tenant's SFTP outbound folder. The ledger
 * class has the shape of the SFTP uploader's `DeliveryLedger` (matched structurally, so the store
 * does not import the sftp adapter). Paths are stored relative to the runtime root.
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: number;
  tenant_id: string;
  local_path: string;
  remote_name: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface NewDelivery {
  tenantId: string;
  /** relative to the runtime root */
  localPath: string;
  remoteName: string;
}

/** Keep a hopeless error (a stack, a server banner) from bloating the row. */
const MAX_ERROR_CHARS = 2000;

/** Insert unless (tenant, local_path) is already queued; true when a row was added now. */
export async function insertDelivery(knex: Knex, d: NewDelivery, createdAt: string): Promise<boolean> {
  const rows = (await knex('deliveries')
    .insert({ tenant_id: d.tenantId, local_path: d.localPath, remote_name: d.remoteName, status: 'pending', attempts: 0, created_at: createdAt })
    .onConflict(['tenant_id', 'local_path'])
    .ignore()
    .returning('id')) as { id: number }[];
  return rows.length > 0;
}

/**
 * Queue a file for delivery: added now (true), or already queued (false) — unless `again`, when a
 * delivered row goes back to pending (true; see requeueDelivered).
 */
export async function queueDelivery(db: Db, d: NewDelivery, createdAt: string, again: boolean): Promise<boolean> {
  return (await insertDelivery(knexOf(db), d, createdAt)) || (again && (await requeueDelivered(knexOf(db), d.tenantId, d.localPath, createdAt)));
}

/**
 * Queue a file again because its content changed (an intake result rewritten for a file of the
 * same name). True when a delivered row went back to pending; a row still pending or failed stays
 * queued (it will carry the new content) but gets the new queue time, so an upload of the old
 * content running right now does not mark it delivered (StoreDeliveryLedger.markDelivered).
 */
export async function requeueDelivered(knex: Knex, tenant: string, localPath: string, at: string): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const row = (await trx('deliveries').where({ tenant_id: tenant, local_path: localPath }).first('status')) as { status: DeliveryStatus } | undefined;
    if (!row) return false;
    await trx('deliveries')
      .where({ tenant_id: tenant, local_path: localPath })
      .update({ status: row.status === 'delivered' ? 'pending' : row.status, delivered_at: null, created_at: at });
    return row.status === 'delivered';
  });
}

export async function deliveriesOf(knex: Knex, tenant: string): Promise<DeliveryRecord[]> {
  return (await knex('deliveries').where({ tenant_id: tenant }).orderBy('id')) as DeliveryRecord[];
}

/** Not delivered yet (never tried, or failed before), oldest first. */
export async function undelivered(knex: Knex, tenant: string): Promise<DeliveryRecord[]> {
  return (await knex('deliveries').where({ tenant_id: tenant }).whereIn('status', ['pending', 'failed']).orderBy('id')) as DeliveryRecord[];
}

export class StoreDeliveryLedger {
  constructor(
    private readonly db: Db,
    /** the runtime root the stored relative paths are resolved against */
    private readonly root: string,
  ) {}

  async pending(tenant: string): Promise<{ id: string; localPath: string; remoteName: string }[]> {
    const rows = await undelivered(knexOf(this.db), tenant);
    // The id carries when the row was queued: a row queued again (requeueDelivered) while this
    // upload ran is not marked delivered by it, so the newer content still goes.
    return rows.map((r) => ({
      id: `${r.id}@${r.created_at}`,
      localPath: isAbsolute(r.local_path) ? r.local_path : join(this.root, r.local_path),
      remoteName: r.remote_name,
    }));
  }

  async markDelivered(id: string, at: Date): Promise<void> {
    const [row, queuedAt] = splitId(id);
    await knexOf(this.db)('deliveries')
      .where({ id: row, created_at: queuedAt })
      .update({ status: 'delivered', attempts: knexOf(this.db).raw('attempts + 1'), last_error: null, delivered_at: at.toISOString() });
  }

  async markFailed(id: string, error: string): Promise<void> {
    await knexOf(this.db)('deliveries')
      .where({ id: splitId(id)[0] })
      .update({ status: 'failed', attempts: knexOf(this.db).raw('attempts + 1'), last_error: error.slice(0, MAX_ERROR_CHARS) });
  }
}

/** The delivery ledger of this database, its stored relative paths resolved against the runtime root `root`. */
export function deliveryLedger(db: Db, root: string): StoreDeliveryLedger {
  return new StoreDeliveryLedger(db, root);
}

/** `<row id>@<created_at>` → [row id, created_at] */
function splitId(id: string): [number, string] {
  const at = id.indexOf('@');
  return [Number(id.slice(0, at)), id.slice(at + 1)];
}
