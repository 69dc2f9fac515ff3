import type { ReportRow } from '../domain/collection-report.js';
import type { Period } from '../domain/dates.js';
import { reportRowOf } from './report.repository.js';
import { COLLECTION_COLUMNS, collectionRow } from './api.repository.js';
import type { Param, Sql } from './sql.js';

/**
 * The API's lists (issue 14): keyset pages within one tenant. A page is `WHERE tenant_id = ?
 * [AND filters] AND key > after ORDER BY key LIMIT n + 1`: the extra row says whether there is a
 * next page, and each page costs the same however deep it is (an OFFSET would re-read every row
 * before it). The keys are unique (collection id, settlement number, file id), so a row is never
 * skipped or repeated between pages while rows are added. Indexes: migration 015.
 */
export interface Page<T> {
  rows: T[];
  /** the last row's key when there are more rows after this page */
  next: string | number | null;
}

/** `tenant_id = ?` and each condition whose value is given, with their parameters in order. */
function where(tenant: string, conditions: readonly (readonly [string, Param | undefined])[]): { sql: string; params: Param[] } {
  const given = conditions.filter(([, v]) => v !== undefined) as (readonly [string, Param])[];
  return { sql: ['tenant_id = ?', ...given.map(([c]) => c)].join(' AND '), params: [tenant, ...given.map(([, v]) => v)] };
}

function page<T>(rows: T[], limit: number, key: (r: T) => string | number): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { rows: kept, next: more ? key(kept[kept.length - 1]!) : null };
}

export interface CollectionListFilter {
  period?: Period;
  status?: string;
  /** the last id of the previous page */
  afterId?: number;
  limit: number;
}

/** Collections in id order, each as its collection report row with its id. */
export async function listCollections(sql: Sql, tenant: string, f: CollectionListFilter): Promise<Page<{ id: number; row: ReportRow }>> {
  const w = where(tenant, [
    ['period = ?', f.period],
    ['status = ?', f.status],
    ['id > ?', f.afterId],
  ]);
  const rows = await sql.all<Record<string, unknown>>(
    `SELECT id, ${COLLECTION_COLUMNS} FROM collections WHERE ${w.sql} ORDER BY id LIMIT ?`,
    [...w.params, f.limit + 1],
  );
  const out = rows.map((r) => ({
    id: Number(r.id),
    row: reportRowOf(r.period as Period)(collectionRow(r)),
  }));
  return page(out, f.limit, (r) => r.id);
}

export interface SettlementSummaryRecord {
  id: string;
  settlement_number: string;
  period: Period;
  status: string;
  total_collections: number;
  total_fees: number;
  vat: number;
  net_amount: number;
  payment_date: string;
  payment_reference: string;
  created_at: string;
}

export interface SettlementListFilter {
  period?: Period;
  status?: string;
  afterNumber?: string;
  limit: number;
}

/** Settlements in settlement-number order (SETTLE-<period>-<NNN>: by period, then number). */
export async function listSettlements(sql: Sql, tenant: string, f: SettlementListFilter): Promise<Page<SettlementSummaryRecord>> {
  const w = where(tenant, [
    ['period = ?', f.period],
    ['status = ?', f.status],
    ['settlement_number > ?', f.afterNumber],
  ]);
  const rows = await sql.all<Record<string, unknown>>(
    `SELECT id, settlement_number, period, status, total_collections, total_fees, vat, net_amount, payment_date, payment_reference, created_at
     FROM settlements WHERE ${w.sql} ORDER BY settlement_number LIMIT ?`,
    [...w.params, f.limit + 1],
  );
  const out = rows.map(
    (r) =>
      ({
        ...r,
        total_collections: Number(r.total_collections),
        total_fees: Number(r.total_fees),
        vat: Number(r.vat),
        net_amount: Number(r.net_amount),
      }) as SettlementSummaryRecord,
  );
  return page(out, f.limit, (r) => r.settlement_number);
}

/** The id of the tenant's settlement with this number, or undefined. */
export async function settlementIdByNumber(sql: Sql, tenant: string, settlementNumber: string): Promise<string | undefined> {
  const [row] = await sql.all<{ id: string }>('SELECT id FROM settlements WHERE tenant_id = ? AND settlement_number = ?', [tenant, settlementNumber]);
  return row?.id;
}

export interface IntakeFileSummary {
  id: number;
  name: string;
  kind: string;
  source: string | null;
  status: string;
  sha256: string;
  size: number;
  imported: number;
  failed: number;
  warnings: number;
  duplicate_of: number | null;
  received_at: string;
  processed_at: string;
}

export interface FileListFilter {
  /** processed in [from, to) (ISO instants: a SAST month's bounds) */
  processedFrom?: string;
  processedTo?: string;
  status?: string;
  afterId?: number;
  limit: number;
}

/** Intake files of the tenant (the ledger), in id order: the order they were taken. */
export async function listFiles(sql: Sql, tenant: string, f: FileListFilter): Promise<Page<IntakeFileSummary>> {
  const w = where(tenant, [
    ['processed_at >= ?', f.processedFrom],
    ['processed_at < ?', f.processedTo],
    ['status = ?', f.status],
    ['id > ?', f.afterId],
  ]);
  const rows = await sql.all<Record<string, unknown>>(
    `SELECT id, name, kind, source, status, sha256, size, imported, failed, warnings, duplicate_of, received_at, processed_at
     FROM intake_files WHERE ${w.sql} ORDER BY id LIMIT ?`,
    [...w.params, f.limit + 1],
  );
  const out = rows.map(
    (r) =>
      ({
        ...r,
        id: Number(r.id),
        size: Number(r.size),
        imported: Number(r.imported),
        failed: Number(r.failed),
        warnings: Number(r.warnings),
        duplicate_of: r.duplicate_of === null || r.duplicate_of === undefined ? null : Number(r.duplicate_of),
      }) as IntakeFileSummary,
  );
  return page(out, f.limit, (r) => r.id);
}
