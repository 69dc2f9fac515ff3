import { z } from 'zod';
import { firstDayOf, nextPeriod, sastInstant, type Period } from '../../../domain/dates.js';
import { formatCents } from '../../../domain/money.js';
import { reportJsonRow } from '../../../outbox/report.renderer.js';
import type { SettlementSummaryRecord } from '../../../store/api-list.repository.js';
import { decodeCursor, encodeCursor, filterText, listQueryFields, pageSchema } from '../pagination.js';
import { route } from '../route.js';
import { Collection, PeriodMonth } from '../schemas.js';
import { STD_ERRORS } from './policies.js';

/**
 * The lists (issue 14): collections, settlements and intake files of the caller's tenant (the
 * API key decides; no tenant parameter exists), filtered by period and status, in pages of at
 * most 200 with an opaque cursor (pagination.ts, SQL in store/api-list.repository.ts).
 */
const Money = z.string().meta({ description: 'Rand amount with two decimals', example: '150.00' });

const CollectionStatus = z.enum(['OPEN', 'PAID_FULL', 'PAID_PARTIAL', 'UNPAID', 'CANCELLED']);
const CollectionListQuery = z.strictObject({ ...listQueryFields, status: CollectionStatus.optional().meta({ description: 'OPEN while the period runs, then its final status' }) });

const listCollectionsRoute = route({
  method: 'GET',
  path: '/collections',
  operationId: 'listCollections',
  tag: 'Collections',
  summary: "The tenant's collections, in id order",
  description: 'Each item is the collection as GET /collections/{id} shows it. Filter by period_month and status; follow next_cursor for the next page.',
  query: CollectionListQuery,
  responses: { 200: { description: 'a page', schema: pageSchema(Collection, 'CollectionPage', 'A page of collections') }, ...STD_ERRORS },
  async handler({ caller, query, deps, reply }) {
    const filters = filterText({ period_month: query.period_month, status: query.status });
    const afterId = decodeCursor(query.cursor, filters, 'number');
    const p = await deps.ports.store.reading((tx) => tx.apiLists.listCollections(caller.tenant, { period: query.period_month, status: query.status, afterId, limit: query.limit }));
    // each item is the report's own JSON row (as GET /collections/{id}): a field reads the same everywhere
    const items = p.rows.map((c) => `{"id":${c.id},${reportJsonRow(c.row).slice(1)}`);
    const next = p.next === null ? 'null' : JSON.stringify(encodeCursor(p.next, filters));
    return reply.type('application/json; charset=utf-8').send(`{"data":[${items.join(',')}],"next_cursor":${next}}`);
  },
});

const SettlementSummary = z
  .object({
    id: z.uuid(),
    settlement_number: z.string().meta({ example: 'SETTLE-2025-11-001' }),
    period_month: PeriodMonth,
    status: z.enum(['pending', 'paid', 'disputed']),
    total_collections: Money,
    total_fees: Money,
    vat: Money,
    net_amount: Money,
    payment_date: z.string(),
    payment_reference: z.string(),
    created_at: z.string(),
  })
  .meta({ id: 'SettlementSummary', description: 'A settlement in a list; GET /settlements/{id} has the whole statement' });

const settlementSummary = (s: SettlementSummaryRecord): z.output<typeof SettlementSummary> => ({
  id: s.id,
  settlement_number: s.settlement_number,
  period_month: s.period,
  status: s.status as 'pending',
  total_collections: formatCents(s.total_collections),
  total_fees: formatCents(s.total_fees),
  vat: formatCents(s.vat),
  net_amount: formatCents(s.net_amount),
  payment_date: s.payment_date,
  payment_reference: s.payment_reference,
  created_at: s.created_at,
});

const SettlementListQuery = z.strictObject({ ...listQueryFields, status: z.enum(['pending', 'paid', 'disputed']).optional() });

const listSettlementsRoute = route({
  method: 'GET',
  path: '/settlements',
  operationId: 'listSettlements',
  tag: 'Settlements',
  summary: "The tenant's settlements, in settlement-number order",
  query: SettlementListQuery,
  responses: { 200: { description: 'a page', schema: pageSchema(SettlementSummary, 'SettlementPage', 'A page of settlements') }, ...STD_ERRORS },
  async handler({ caller, query, deps }) {
    const filters = filterText({ period_month: query.period_month, status: query.status });
    const afterNumber = decodeCursor(query.cursor, filters, 'string');
    const p = await deps.ports.store.reading((tx) => tx.apiLists.listSettlements(caller.tenant, { period: query.period_month, status: query.status, afterNumber, limit: query.limit }));
    return { data: p.rows.map(settlementSummary), next_cursor: p.next === null ? null : encodeCursor(p.next, filters) };
  },
});

const IntakeFile = z
  .object({
    id: z.number().int(),
    name: z.string(),
    kind: z.enum(['policies', 'income', 'results']),
    source: z.enum(['inbox', 'sftp', 'api']).nullable().meta({ description: 'where it arrived (null: before kasi recorded it)' }),
    status: z.enum(['applied', 'rejected', 'duplicate']),
    sha256: z.string(),
    size: z.number().int(),
    imported: z.number().int(),
    failed: z.number().int(),
    warnings: z.number().int(),
    duplicate_of: z.number().int().nullable(),
    received_at: z.string(),
    processed_at: z.string(),
  })
  .meta({ id: 'IntakeFile', description: 'One file intake took: its outcome and row counts (the row errors are in outbox/<tenant>/intake/<name>.result.csv)' });

const FileListQuery = z.strictObject({
  ...listQueryFields,
  period_month: PeriodMonth.optional().meta({ description: 'files taken in this month (Africa/Johannesburg)' }),
  status: z.enum(['applied', 'rejected', 'duplicate']).optional(),
});

/** A SAST month as UTC instants [from, to): processed_at is stored as an ISO instant. */
function monthBounds(period: Period | undefined): { processedFrom?: string; processedTo?: string } {
  if (!period) return {};
  return { processedFrom: sastInstant(firstDayOf(period)).toISOString(), processedTo: sastInstant(firstDayOf(nextPeriod(period))).toISOString() };
}

const listFilesRoute = route({
  method: 'GET',
  path: '/files',
  operationId: 'listFiles',
  tag: 'Files',
  summary: "The tenant's intake files (inbox, SFTP and API), in the order they were taken",
  query: FileListQuery,
  responses: { 200: { description: 'a page', schema: pageSchema(IntakeFile, 'IntakeFilePage', 'A page of intake files') }, ...STD_ERRORS },
  async handler({ caller, query, deps }) {
    const filters = filterText({ period_month: query.period_month, status: query.status });
    const afterId = decodeCursor(query.cursor, filters, 'number');
    const p = await deps.ports.store.reading((tx) => tx.apiLists.listFiles(caller.tenant, { ...monthBounds(query.period_month), status: query.status, afterId, limit: query.limit }));
    return { data: p.rows, next_cursor: p.next === null ? null : encodeCursor(p.next, filters) };
  },
});

export const listRoutes = [listCollectionsRoute, listSettlementsRoute, listFilesRoute];
