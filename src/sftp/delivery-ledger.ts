/**
 * Which outbox files still have to reach a tenant's outbound folder. The store implements it
 * durably (each file delivered once; a failed one stays pending and is tried again); the memory
 * version below is for tests. A `.sha256` sidecar is an entry of its own.
 */
export interface PendingDelivery {
  id: string;
  localPath: string;
  /** Final name in outbound_dir: a plain file name, or `folder/name` one level down (intake results). */
  remoteName: string;
}

export interface DeliveryLedger {
  /** Not yet delivered (never tried, or failed before), for one tenant. */
  pending(tenant: string): Promise<PendingDelivery[]>;
  markDelivered(id: string, at: Date): Promise<void>;
  markFailed(id: string, error: string): Promise<void>;
}

interface MemoryEntry extends PendingDelivery {
  tenant: string;
  deliveredAt: Date | null;
  attempts: number;
  lastError: string | null;
}

export class MemoryDeliveryLedger implements DeliveryLedger {
  private readonly rows: MemoryEntry[] = [];

  add(tenant: string, localPath: string, remoteName: string): string {
    const id = String(this.rows.length + 1);
    this.rows.push({ id, tenant, localPath, remoteName, deliveredAt: null, attempts: 0, lastError: null });
    return id;
  }

  async pending(tenant: string): Promise<PendingDelivery[]> {
    return this.rows.filter((r) => r.tenant === tenant && !r.deliveredAt).map(({ id, localPath, remoteName }) => ({ id, localPath, remoteName }));
  }

  async markDelivered(id: string, at: Date): Promise<void> {
    const r = this.row(id);
    r.attempts++;
    r.deliveredAt = at;
    r.lastError = null;
  }

  async markFailed(id: string, error: string): Promise<void> {
    const r = this.row(id);
    r.attempts++;
    r.lastError = error;
  }

  entries(): readonly Readonly<MemoryEntry>[] {
    return this.rows;
  }

  private row(id: string): MemoryEntry {
    const r = this.rows.find((x) => x.id === id);
    if (!r) throw new Error(`no delivery ${id}`);
    return r;
  }
}
