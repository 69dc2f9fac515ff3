import type { Ports } from './ports.js';

/** What an operator asks first: per tenant, what is in the store and what intake did. */
export interface TenantStatus {
  tenant: string;
  name: string;
  policies: { active: number; cancelled: number };
  files: { applied: number; rejected: number; duplicate: number };
  lastFiles: { name: string; status: string; imported: number; failed: number; processed_at: string }[];
}

export async function tenantStatus(ports: Ports): Promise<TenantStatus[]> {
  const { knex } = ports.db;
  const out: TenantStatus[] = [];
  for (const [id, t] of Object.entries(ports.config.tenants)) {
    const pol = (await knex('policies').where({ tenant_id: id }).groupBy('status').select('status').count({ n: '*' })) as { status: string; n: number | string }[];
    const fil = (await knex('intake_files').where({ tenant_id: id }).groupBy('status').select('status').count({ n: '*' })) as { status: string; n: number | string }[];
    const count = (rows: { status: string; n: number | string }[], s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    const lastFiles = (await knex('intake_files')
      .where({ tenant_id: id })
      .orderBy('id', 'desc')
      .limit(5)
      .select('name', 'status', 'imported', 'failed', 'processed_at')) as TenantStatus['lastFiles'];
    out.push({
      tenant: id,
      name: t.name,
      policies: { active: count(pol, 'active'), cancelled: count(pol, 'cancelled') },
      files: { applied: count(fil, 'applied'), rejected: count(fil, 'rejected'), duplicate: count(fil, 'duplicate') },
      lastFiles,
    });
  }
  return out;
}
