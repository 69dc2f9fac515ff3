import type { Db } from './db.js';
import { knexOf } from './db.js';
import type { DeliveryRecord } from './delivery.repository.js';
import type { ScheduleRun } from './schedule.repository.js';
import type { SettlementRecord } from './settlement.repository.js';

/** The console's settlements and operations pages: settlements, schedule runs, SFTP contact, deliveries. */
const num = (v: unknown) => Number(v);

function settlement(r: Record<string, unknown>): SettlementRecord {
  const out = { ...r } as Record<string, unknown>;
  for (const k of ['total_collections', 'distribution_fee', 'collections_fee', 'total_fees', 'vat', 'net_amount', 'collected_in_period', 'adjustments_total', 'seq', 'payment_seq']) out[k] = num(out[k]);
  if (out.payment_file_id !== null && out.payment_file_id !== undefined) out.payment_file_id = num(out.payment_file_id);
  return out as unknown as SettlementRecord;
}

/** Newest period first; keyset on (period, settlement_number) descending. */
export async function settlementsPage(db: Db, o: { tenants: string[] | null; before?: { period: string; number: string }; limit: number }): Promise<SettlementRecord[]> {
  const q = knexOf(db)('settlements').orderBy([{ column: 'period', order: 'desc' }, { column: 'settlement_number', order: 'desc' }]).limit(o.limit);
  if (o.tenants) q.whereIn('tenant_id', o.tenants);
  const b = o.before;
  if (b) q.where((w) => void w.where('period', '<', b.period).orWhere((x) => void x.where('period', b.period).andWhere('settlement_number', '<', b.number)));
  return ((await q.select('*')) as Record<string, unknown>[]).map(settlement);
}

export async function settlementById(db: Db, id: string): Promise<SettlementRecord | undefined> {
  const r = (await knexOf(db)('settlements').where({ id }).first()) as Record<string, unknown> | undefined;
  return r && settlement(r);
}

export async function paymentFileName(db: Db, id: number): Promise<{ name: string; released_at: string | null } | undefined> {
  return (await knexOf(db)('payment_files').where({ id }).first('name', 'released_at')) as { name: string; released_at: string | null } | undefined;
}

export type ScheduleRunRow = ScheduleRun & { id: number };

/** Newest occurrence first (occurrence keys sort in time order as text). */
export async function scheduleRunsPage(db: Db, o: { before?: string; limit: number }): Promise<ScheduleRunRow[]> {
  const q = knexOf(db)('schedule_runs').orderBy([{ column: 'occurrence', order: 'desc' }, { column: 'step', order: 'desc' }]).limit(o.limit);
  if (o.before) q.where('occurrence', '<', o.before);
  return (await q.select('*')) as ScheduleRunRow[];
}

export interface SftpContactRecord {
  tenant_id: string;
  last_contact_at: string | null;
  last_error_at: string | null;
  last_error: string | null;
  files_taken: number;
}

/** After each SFTP tick: a reached server moves last_contact_at; a failure records its error. */
export async function recordSftpContact(db: Db, tenant: string, at: string, error: string | null, taken: number): Promise<void> {
  const row = error === null ? { tenant_id: tenant, last_contact_at: at, files_taken: taken } : { tenant_id: tenant, last_error_at: at, last_error: error.slice(0, 2000), files_taken: 0 };
  await knexOf(db)('sftp_contacts')
    .insert(row)
    .onConflict('tenant_id')
    .merge(error === null ? { last_contact_at: at, files_taken: knexOf(db).raw('sftp_contacts.files_taken + ?', [taken]) } : { last_error_at: at, last_error: row.last_error });
}

export async function sftpContacts(db: Db, tenants: string[] | null): Promise<SftpContactRecord[]> {
  const q = knexOf(db)('sftp_contacts').orderBy('tenant_id').select('*');
  if (tenants) q.whereIn('tenant_id', tenants);
  return ((await q) as SftpContactRecord[]).map((r) => ({ ...r, files_taken: num(r.files_taken) }));
}

/** Deliveries not yet on the insurer's server (pending or failed, to be tried again). */
export async function pendingDeliveries(db: Db, o: { tenants: string[] | null; limit: number }): Promise<DeliveryRecord[]> {
  const q = knexOf(db)('deliveries').whereIn('status', ['pending', 'failed']).orderBy('id').limit(o.limit).select('*');
  if (o.tenants) q.whereIn('tenant_id', o.tenants);
  return (await q) as DeliveryRecord[];
}

export async function invoiceNumberOf(db: Db, settlementId: string): Promise<string | undefined> {
  const r = (await knexOf(db)('invoices').where({ settlement_id: settlementId }).first('invoice_number')) as { invoice_number: string } | undefined;
  return r?.invoice_number;
}

/** The last recorded occurrence of a scheduled step (null: never ran). */
export async function lastRunOccurrence(db: Db, step: string): Promise<string | null> {
  const r = (await knexOf(db)('schedule_runs').where({ step }).max({ o: 'occurrence' }).first()) as { o: string | null } | undefined;
  return r?.o ?? null;
}
