import { z } from 'zod';
import { REPORT_COLUMNS } from '../../domain/collection-report.js';

/**
 * The API's request and response schemas (zod 4). Requests are validated with them and the
 * OpenAPI document (openapi.ts) is generated from them, so the two cannot drift. Shapes only
 * here: the policy row rules (lengths, product codes, amounts, the ceiling) are the CSV's own
 * (domain/policy-row.ts), applied after the shape check, with the CSV's error codes.
 */
export const PeriodMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM, e.g. 2025-11').meta({ example: '2025-11' });

const Amount = z
  .union([z.string(), z.number()])
  .meta({ description: 'Rand amount, > 0, at most 2 decimals, at most intake.amount_ceiling (the CSV rule): "150.00" or 150', example: '150.00' });

const Text64 = (what: string, example: string) => z.string().meta({ description: `${what}: 1-64 printable characters, trimmed`, example });

export const PolicyCreate = z
  .strictObject({
    customer_id: Text64('the insurer\'s customer id', 'C0001'),
    external_customer_ref: Text64('the insurer\'s reference for the customer', 'ACME-778812'),
    policy_number: Text64('unique per tenant', 'POL-100001'),
    product_code: z.string().meta({ description: '1-32 of A-Z a-z 0-9 _ -', example: 'FUNERAL-FAMILY' }),
    collection_amount: Amount,
    status: z.string().optional().meta({ description: 'active (default) or cancelled', example: 'active' }),
  })
  .meta({ id: 'PolicyCreate', description: 'One policy, as one row of a policy file. A known policy_number updates that policy, as in a file.' });

export const PolicyPatch = z
  .strictObject({
    collection_amount: Amount.optional(),
    status: z.string().optional().meta({ description: 'active or cancelled (cancelled ends the policy at once: its open collection ends CANCELLED)' }),
  })
  .refine((p) => p.collection_amount !== undefined || p.status !== undefined, { message: 'give collection_amount, status or both' })
  .meta({ id: 'PolicyPatch', description: 'A premium change applies from the next period not yet executed.' });

const Instant = z.string().meta({ description: 'ISO 8601 instant (UTC)', example: '2025-11-01T06:00:00.000Z' });
const Money = z.string().meta({ description: 'Rand amount with two decimals', example: '150.00' });
// ids are 32-bit integers in both stores (PostgreSQL `integer`): a larger one is a malformed id, not a missing one
const MAX_ID = 2_147_483_647;
const Id = z.number().int().positive().max(MAX_ID);

export const Policy = z
  .object({
    id: Id,
    policy_number: z.string(),
    customer_id: z.string(),
    external_customer_ref: z.string(),
    product_code: z.string(),
    collection_amount: Money,
    status: z.enum(['active', 'cancelled']),
    cancelled_at: Instant.nullable(),
    created_at: Instant,
    updated_at: Instant,
  })
  .meta({ id: 'Policy' });

const RowProblem = z.object({
  line: z.number().int().meta({ description: 'the file line (1 is the header); 0 for the whole file' }),
  column: z.string(),
  code: z.string().meta({ example: 'AMOUNT_TOO_MANY_DECIMALS' }),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
});

export const ImportResult = z
  .object({
    file: z.string(),
    status: z.enum(['applied', 'duplicate']),
    imported: z.number().int(),
    failed: z.number().int(),
    warnings: z.number().int(),
    errors: z.array(RowProblem),
  })
  .meta({ id: 'ImportResult', description: 'As `kasi import --json` and outbox/<tenant>/intake/<name>.result.json. A rejected file is a 400 with this object as details.' });

export const ExecuteRequest = z
  .strictObject({
    period_month: PeriodMonth,
    policy_ids: z.array(Id).min(1).max(10_000).optional().meta({ description: 'only these policies (default: every active policy)' }),
  })
  .meta({ id: 'ExecuteRequest' });

export const ExecuteAccepted = z
  .object({ execution_id: z.uuid(), status: z.literal('processing'), policies_queued: z.number().int().meta({ description: 'active policies without a collection in the period yet' }) })
  .meta({ id: 'ExecuteAccepted' });

export const Execution = z
  .object({
    execution_id: z.uuid(),
    period_month: PeriodMonth,
    status: z.enum(['processing', 'completed', 'failed']),
    policies_queued: z.number().int(),
    collections_opened: z.number().int().nullable(),
    error: z.string().nullable(),
    created_at: Instant,
    finished_at: Instant.nullable(),
  })
  .meta({ id: 'Execution' });

const reportFields = {
  period_month: PeriodMonth,
  customer_id: z.string(),
  external_customer_ref: z.string(),
  policy_number: z.string(),
  product_code: z.string(),
  collection_amount_due: Money,
  collection_amount_collected: Money,
  shortfall: Money,
  collection_status: z.string().meta({ description: 'OPEN while the period runs; then PAID_FULL, PAID_PARTIAL, UNPAID or CANCELLED' }),
  first_attempt_date: z.string().nullable(),
  last_attempt_date: z.string().nullable(),
  number_of_attempts: z.number().int(),
  last_failure_reason: z.string().nullable(),
} satisfies Record<(typeof REPORT_COLUMNS)[number], z.ZodType>;

export const ReportRow = z.object(reportFields).meta({ id: 'ReportRow', description: 'The 13 columns of the collection report (SPEC 5.1)' });
export const Collection = z.object({ id: Id, ...reportFields }).meta({ id: 'Collection', description: 'The 13 report fields of one collection, plus its id' });
export const ReportJson = z.object({ period_month: PeriodMonth, results: z.array(ReportRow) }).meta({ id: 'CollectionReport' });

export const ReportQuery = z.strictObject({
  period_month: PeriodMonth,
  format: z.enum(['csv', 'json']).default('csv').meta({ description: 'csv (default) or json: the bytes of collections-<period>.csv / .json' }),
});

export const SettlementCreate = z.strictObject({ period_month: PeriodMonth }).meta({ id: 'SettlementCreate' });

export const Settlement = z
  .object({
    id: z.uuid(),
    settlement_number: z.string().meta({ example: 'SETTLE-2025-11-001' }),
    tenant: z.string(),
    period_month: PeriodMonth,
    total_collections: Money,
    distribution_fee: Money,
    collections_fee: Money,
    total_fees: Money,
    vat: Money,
    net_amount: Money,
    status: z.enum(['pending', 'paid', 'disputed']),
    payment_date: z.string(),
    payment_reference: z.string().meta({ example: 'EFT-20251203-001' }),
    created_at: Instant,
    adjustments: z.array(z.object({ period_month: PeriodMonth, policy_number: z.string(), amount: Money })),
    rates: z.object({ from: z.string(), distribution_rate: z.string(), collections_rate: z.string(), vat_rate: z.string() }),
  })
  .meta({ id: 'Settlement', description: 'The settlement statement (SPEC 5.2) with its current status' });

export const IntIdParams = z.strictObject({ id: z.coerce.number().int().positive().max(MAX_ID).meta({ description: 'numeric id' }) });
export const UuidParams = z.strictObject({ id: z.uuid() });
export const SettlementRefParams = z.strictObject({
  id: z
    .union([z.uuid(), z.string().regex(/^SETTLE-\d{4}-(0[1-9]|1[0-2])-\d{3,}$/)])
    .meta({ description: 'the settlement id (a UUID) or its number', example: 'SETTLE-2025-11-001' }),
});

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(['VALIDATION_ERROR', 'UNAUTHORIZED', 'NOT_FOUND', 'KEY_REUSED', 'KEY_IN_USE', 'RATE_LIMITED', 'INTERNAL']),
      message: z.string(),
      details: z.unknown().meta({ description: 'VALIDATION_ERROR: a list of {field, code, message}, or the rejected file\'s result; else null' }),
      request_id: z.string(),
    }),
  })
  .meta({ id: 'Error' });
