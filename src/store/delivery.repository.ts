import { isAbsolute, join } from 'node:path';
import type { Knex } from 'knex';
import type { Db } from './db.js';

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
 * Queue a delivered file again because its content changed (an intake result rewritten for a file
 * of the same name): true when a delivered row went back to pending. A row still pending or failed
 * is left alone: it is queued already and will carry the new content.
 */
export async function requeueDelivered(knex: Knex, tenant: string, localPath: string, at: string): Promise<boolean> {
  const n = await knex('deliveries')
    .where({ tenant_id: tenant, local_path: localPath, status: 'delivered' })
    .update({ status: 'pending', last_error: null, delivered_at: null, created_at: at });
  return n > 0;
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
    const rows = await undelivered(this.db.knex, tenant);
    return rows.map((r) => ({
      id: String(r.id),
      localPath: isAbsolute(r.local_path) ? r.local_path : join(this.root, r.local_path),
      remoteName: r.remote_name,
    }));
  }

  async markDelivered(id: string, at: Date): Promise<void> {
    await this.db
      .knex('deliveries')
      .where({ id: Number(id) })
      .update({ status: 'delivered', attempts: this.db.knex.raw('attempts + 1'), last_error: null, delivered_at: at.toISOString() });
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.db
      .knex('deliveries')
      .where({ id: Number(id) })
      .update({ status: 'failed', attempts: this.db.knex.raw('attempts + 1'), last_error: error.slice(0, MAX_ERROR_CHARS) });
  }
}
