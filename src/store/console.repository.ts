import type { Db } from './db.js';
import { knexOf } from './db.js';

/**
 * The console's reads: every list is one keyset page (`WHERE id < ? ORDER BY id DESC LIMIT n`, or
 * `id > ?` ascending for a period's collections, on the batch's (tenant_id, period, id) index), so
 * a page of a 1M-row table costs what a page of a 100-row one does. `tenants` null = every tenant
 * (an operator); else only those (a tenant user: its own).
 */
export interface ConsoleFileRow {
  id: number;
  tenant_id: string;
  kind: string;
  name: string;
  source: string | null;
  status: string;
  imported: number;
  failed: number;
  warnings: number;
  size: number;
  received_at: string;
  processed_at: string;
  archive_path: string | null;
  duplicate_of: number | null;
}

const FILE_COLUMNS = ['id', 'tenant_id', 'kind', 'name', 'source', 'status', 'imported', 'failed', 'warnings', 'size', 'received_at', 'processed_at', 'archive_path', 'duplicate_of'];

export async function filesPage(db: Db, o: { tenants: string[] | null; status?: string; beforeId?: number; limit: number }): Promise<ConsoleFileRow[]> {
  const q = knexOf(db)('intake_files').orderBy('id', 'desc').limit(o.limit).select(FILE_COLUMNS);
  if (o.tenants) q.whereIn('tenant_id', o.tenants);
  if (o.status) q.where({ status: o.status });
  if (o.beforeId !== undefined) q.where('id', '<', o.beforeId);
  return (await q) as ConsoleFileRow[];
}

export async function fileById(db: Db, id: number): Promise<ConsoleFileRow | undefined> {
  return (await knexOf(db)('intake_files').where({ id }).first(FILE_COLUMNS)) as ConsoleFileRow | undefined;
}

export interface ConsoleRowError {
  id: number;
  line: number;
  column: string;
  code: string;
  message: string;
  severity: string;
}

export async function fileErrorsPage(db: Db, fileId: number, o: { afterId?: number; limit: number }): Promise<ConsoleRowError[]> {
  const q = knexOf(db)('intake_errors').where({ intake_file_id: fileId }).orderBy('id').limit(o.limit).select('id', 'line', 'column', 'code', 'message', 'severity');
  if (o.afterId !== undefined) q.where('id', '>', o.afterId);
  return (await q) as ConsoleRowError[];
}

export interface ConsoleCollectionRow {
  id: number;
  tenant_id: string;
  period: string;
  policy_number: string;
  customer_id: string;
  external_customer_ref: string;
  product_code: string;
  amount_due: number;
  amount_collected: number;
  status: string;
  halted_reason: string | null;
  presentments: number;
  pending: number;
  first_attempt_date: string | null;
  last_attempt_date: string | null;
  last_failure_reason: string | null;
  flag: string | null;
  next_check: string | null;
}

const COLLECTION_COLUMNS = [
  'id',
  'tenant_id',
  'period',
  'policy_number',
  'customer_id',
  'external_customer_ref',
  'product_code',
  'amount_due',
  'amount_collected',
  'status',
  'halted_reason',
  'presentments',
  'pending',
  'first_attempt_date',
  'last_attempt_date',
  'last_failure_reason',
  'flag',
  'next_check',
];

const cents = <T extends { amount_due: number; amount_collected: number }>(r: T): T => ({ ...r, amount_due: Number(r.amount_due), amount_collected: Number(r.amount_collected) });

export interface CollectionFilter {
  status?: string;
  reason?: string;
  policy?: string;
  afterId?: number;
  limit: number;
}

/** A period's collections in id order from `afterId`, filtered; a policy number is looked up exactly. */
export async function collectionsPage(db: Db, tenant: string, period: string, f: CollectionFilter): Promise<ConsoleCollectionRow[]> {
  const q = knexOf(db)('collections').where({ tenant_id: tenant, period }).orderBy('id').limit(f.limit).select(COLLECTION_COLUMNS);
  if (f.status) q.where({ status: f.status });
  if (f.reason) q.where({ last_failure_reason: f.reason });
  if (f.policy) q.where({ policy_number: f.policy });
  if (f.afterId !== undefined) q.where('id', '>', f.afterId);
  return ((await q) as ConsoleCollectionRow[]).map(cents);
}

export async function collectionById(db: Db, id: number): Promise<ConsoleCollectionRow | undefined> {
  const r = (await knexOf(db)('collections').where({ id }).first(COLLECTION_COLUMNS)) as ConsoleCollectionRow | undefined;
  return r && cents(r);
}

/** A policy's collections over the periods given (the (tenant, period, policy_number) index per period). */
export async function collectionsOfPolicy(db: Db, tenant: string, policyNumber: string, periods: string[]): Promise<ConsoleCollectionRow[]> {
  if (periods.length === 0) return [];
  const rows = (await knexOf(db)('collections')
    .where({ tenant_id: tenant, policy_number: policyNumber })
    .whereIn('period', periods)
    .orderBy('period', 'desc')
    .select(COLLECTION_COLUMNS)) as ConsoleCollectionRow[];
  return rows.map(cents);
}

export interface ConsoleAttemptRow {
  presentment: number;
  instruction_id: string;
  action_date: string;
  amount_requested: number;
  amount_collected: number | null;
  status: string;
  reason_code: string | null;
  reason: string | null;
  processed_date: string | null;
}

export async function attemptsOfCollection(db: Db, collectionId: number): Promise<ConsoleAttemptRow[]> {
  const rows = (await knexOf(db)('attempts')
    .where({ collection_id: collectionId })
    .orderBy('presentment')
    .select('presentment', 'instruction_id', 'action_date', 'amount_requested', 'amount_collected', 'status', 'reason_code', 'reason', 'processed_date')) as ConsoleAttemptRow[];
  return rows.map((r) => ({ ...r, amount_requested: Number(r.amount_requested), amount_collected: r.amount_collected === null ? null : Number(r.amount_collected) }));
}

export interface ConsolePolicyRow {
  id: number;
  tenant_id: string;
  policy_number: string;
  customer_id: string;
  external_customer_ref: string;
  product_code: string;
  collection_amount: number;
  status: string;
  cancelled_at: string | null;
  updated_at: string;
}

export async function policyByNumber(db: Db, tenant: string, policyNumber: string): Promise<ConsolePolicyRow | undefined> {
  const r = (await knexOf(db)('policies')
    .where({ tenant_id: tenant, policy_number: policyNumber })
    .first('id', 'tenant_id', 'policy_number', 'customer_id', 'external_customer_ref', 'product_code', 'collection_amount', 'status', 'cancelled_at', 'updated_at')) as
    | ConsolePolicyRow
    | undefined;
  return r && { ...r, collection_amount: Number(r.collection_amount) };
}

/** Income deposits seen for a customer on or after `from` (the "why" of a planned date). */
export async function depositsOf(db: Db, tenant: string, customerId: string, from: string): Promise<{ date: string; amount: number }[]> {
  const rows = (await knexOf(db)('income_events')
    .where({ tenant_id: tenant, customer_id: customerId })
    .where('date', '>=', from)
    .orderBy('date')
    .limit(40)
    .select('date', 'amount')) as { date: string; amount: number | string }[];
  return rows.map((r) => ({ date: r.date, amount: Number(r.amount) }));
}
