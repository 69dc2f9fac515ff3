import type { Db } from './db.js';
import { knexOf } from './db.js';

/** The console's audit log: every action, who, what, when, on what; append-only. */
export interface AuditEntry {
  at: string;
  user_name: string;
  role: string | null;
  action: string;
  tenant_id: string | null;
  target: string | null;
  outcome: 'ok' | 'refused' | 'failed';
  detail: string | null;
  remote: string | null;
}

export interface AuditRecord extends AuditEntry {
  id: number;
}

export async function insertAudit(db: Db, e: AuditEntry): Promise<void> {
  await knexOf(db)('console_audit').insert({ ...e, target: e.target?.slice(0, 512) ?? null });
}

/** Newest first, keyset on id; a tenant user's view is limited to its own tenant. */
export async function auditPage(db: Db, opts: { tenant?: string; beforeId?: number; limit: number }): Promise<AuditRecord[]> {
  const q = knexOf(db)('console_audit').orderBy('id', 'desc').limit(opts.limit);
  if (opts.tenant !== undefined) q.where({ tenant_id: opts.tenant });
  if (opts.beforeId !== undefined) q.where('id', '<', opts.beforeId);
  return (await q.select('*')) as AuditRecord[];
}
