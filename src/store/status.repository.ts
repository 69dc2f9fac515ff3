import type { Period } from '../domain/dates.js';
import type { Db } from './db.js';
import { knexOf } from './db.js';

/**
 * The counts behind `kasi status` (issue 13: moved here from usecases/collect/status.ts): per
 * tenant what is stored and what intake did, per tenant and period how the collections and their
 * attempts stand. Plain reads; the use case shapes them.
 */
type Count = number | string;

export interface TenantCounts {
  policiesByStatus: { status: string; n: Count }[];
  filesByStatus: { status: string; n: Count }[];
  /** the five latest intake files, newest first */
  lastFiles: { name: string; status: string; imported: number; failed: number; processed_at: string }[];
}

export async function tenantCounts(db: Db, tenant: string): Promise<TenantCounts> {
  const knex = knexOf(db);
  const policiesByStatus = (await knex('policies').where({ tenant_id: tenant }).groupBy('status').select('status').count({ n: '*' })) as { status: string; n: Count }[];
  const filesByStatus = (await knex('intake_files').where({ tenant_id: tenant }).groupBy('status').select('status').count({ n: '*' })) as { status: string; n: Count }[];
  const lastFiles = (await knex('intake_files')
    .where({ tenant_id: tenant })
    .orderBy('id', 'desc')
    .limit(5)
    .select('name', 'status', 'imported', 'failed', 'processed_at')) as TenantCounts['lastFiles'];
  return { policiesByStatus, filesByStatus, lastFiles };
}

export interface PeriodCounts {
  /** the periods row (undefined: never executed) */
  state: { closed_at: string | null } | undefined;
  /** collections by status, with due, collected, and how many are in full / in part */
  byStatus: { status: string; n: Count; due: Count; collected: Count; full_n: Count; part_n: Count }[];
  /** the period's attempts by status */
  attempts: { status: string; n: Count }[];
  /** its UNPAID attempts by reason */
  failures: { reason: string | null; n: Count }[];
  /** collections flagged DECEASED, by policy number */
  claims: { policy_number: string; customer_id: string }[];
}

export async function periodCounts(db: Db, tenant: string, period: Period): Promise<PeriodCounts> {
  const knex = knexOf(db);
  const state = (await knex('periods').where({ tenant_id: tenant, period }).first('closed_at')) as { closed_at: string | null } | undefined;
  const byStatus = (await knex('collections')
    .where({ tenant_id: tenant, period })
    .groupBy('status')
    .select(
      'status',
      knex.raw('COUNT(*) AS n'),
      knex.raw('SUM(amount_due) AS due'),
      knex.raw('SUM(amount_collected) AS collected'),
      knex.raw('SUM(CASE WHEN amount_collected >= amount_due THEN 1 ELSE 0 END) AS full_n'),
      knex.raw('SUM(CASE WHEN amount_collected > 0 AND amount_collected < amount_due THEN 1 ELSE 0 END) AS part_n'),
    )) as PeriodCounts['byStatus'];
  // a period's attempts are found through its collections (attempts are indexed by collection)
  const ofPeriod = () => knex('attempts as a').join('collections as c', 'c.id', 'a.collection_id').where({ 'c.tenant_id': tenant, 'c.period': period });
  const attempts = (await ofPeriod().groupBy('a.status').select('a.status as status').count({ n: '*' })) as PeriodCounts['attempts'];
  const failures = (await ofPeriod().where('a.status', 'UNPAID').groupBy('a.reason').select('a.reason as reason').count({ n: '*' })) as PeriodCounts['failures'];
  const claims = (await knex('collections')
    .where({ tenant_id: tenant, period, flag: 'DECEASED' })
    .orderBy('policy_number')
    .select('policy_number', 'customer_id')) as PeriodCounts['claims'];
  return { state, byStatus, attempts, failures, claims };
}
