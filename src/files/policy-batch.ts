import { copyField } from './copy-text.js';
import type { PolicyItem } from '../domain/policy-row.js';
import type { RowError } from '../domain/row-error.js';

/**
 * A batch of a policy file's validated rows and row errors, packed as flat arrays of strings and
 * numbers: it crosses from the parse worker to the writer by structured clone, which copies flat
 * arrays of primitives far faster than ~4,000 small objects, and the writer reads it without
 * building an object per row. The same shape is built in-process for small files, so both paths
 * feed the same writer code (and give the same results by construction).
 */
export interface PolicyBatch {
  /** data rows in the batch (cancelled ones included) */
  rows: number;
  /** the file line of each row ('rows' format only) */
  lines: number[];
  /** per row: policy number, customer id, external customer ref, product code, status ('rows' format only) */
  text: string[];
  /** per row: collection amount in cents ('rows' format only) */
  amounts: number[];
  /** PostgreSQL: the rows that are not cancelled, as COPY lines ending in the target's `end` ('copy' format only) */
  copy: string;
  /** PostgreSQL: the cancelled rows as COPY lines, their file lines and policy numbers ('copy' format only) */
  cancelledCopy: string;
  cancelledLines: number[];
  cancelledNumbers: string[];
  /** rows with status cancelled */
  cancelling: number;
  /** policy numbers of the rows whose `hold` is release (issue 12: lift the policy's hold) */
  releases: string[];
  /** the row errors in file order; error k came after `errorAt[k]` of the batch's rows */
  errors: RowError[];
  errorAt: number[];
  /** bytes of the file read so far, for progress */
  bytes: number;
}

/** 'rows' for SQLite's per-row statements; 'copy' for PostgreSQL's COPY. */
export type BatchFormat = 'rows' | 'copy';

export const TEXT_PER_ROW = 5;

/**
 * Where PostgreSQL's COPY lines go, known once the file's transaction has begun: each line is
 * `policy_number, customer_id, external_customer_ref, product_code, collection_amount, status`
 * followed by `end` — a bare line break for the staging table, or the columns a tenant's first
 * file writes straight into `policies` (tenant, cancelled_at, created_at, updated_at, file id).
 */
export interface CopyTarget {
  end: string;
}

/** The staging table's lines: the six columns and nothing more. */
export const STAGING: CopyTarget = { end: '\n' };

/** Straight into `policies` (a tenant's first file): every row new and active, so no cancelled_at. */
export function policiesTarget(tenantId: string, now: string, fileId: number): CopyTarget {
  return { end: `\t${copyField(tenantId)}\t\\N\t${copyField(now)}\t${copyField(now)}\t${fileId}\n` };
}

export function packPolicyBatch(items: PolicyItem[], format: BatchFormat, bytes: number, target: CopyTarget = STAGING): PolicyBatch {
  const b: PolicyBatch = {
    rows: 0,
    lines: [],
    text: [],
    amounts: [],
    copy: '',
    cancelledCopy: '',
    cancelledLines: [],
    cancelledNumbers: [],
    cancelling: 0,
    releases: [],
    errors: [],
    errorAt: [],
    bytes,
  };
  let copy = '';
  const end = target.end;
  for (const item of items) {
    if (item.kind === 'error') {
      b.errors.push(rowError(item));
      b.errorAt.push(b.rows);
      continue;
    }
    const r = item.row;
    if (r.hold === 'release') b.releases.push(r.policyNumber);
    if (format === 'rows') {
      if (r.status === 'cancelled') b.cancelling++;
      b.lines.push(item.line);
      b.text.push(r.policyNumber, r.customerId, r.externalCustomerRef, r.productCode, r.status);
      b.amounts.push(r.amountCents);
    } else if (r.status === 'cancelled') {
      b.cancelling++;
      b.cancelledCopy += copyRow(r, end);
      b.cancelledLines.push(item.line);
      b.cancelledNumbers.push(r.policyNumber);
    } else {
      copy += copyRow(r, end);
    }
    b.rows++;
  }
  b.copy = copy;
  return b;
}

/** One row as a COPY line; a product code is [A-Za-z0-9_-] and the status a word, never escaped. */
function copyRow(r: { policyNumber: string; customerId: string; externalCustomerRef: string; productCode: string; amountCents: number; status: string }, end: string): string {
  return `${copyField(r.policyNumber)}\t${copyField(r.customerId)}\t${copyField(r.externalCustomerRef)}\t${r.productCode}\t${r.amountCents}\t${r.status}${end}`;
}

function rowError(item: { kind: 'error' } & RowError): RowError {
  const e: RowError = { line: item.line, column: item.column, code: item.code, message: item.message };
  if (item.severity) e.severity = item.severity;
  return e;
}

/**
 * A writer's source of packed batches. `aim` tells a 'copy' source where its lines go before the
 * first batch is taken (the worker builds them, so the writer only sends them on); a source that
 * is not aimed writes for the staging table.
 */
export interface PolicyBatches extends AsyncIterable<PolicyBatch> {
  aim?(target: CopyTarget): void;
}

/** In-process packing of a reader's batches (small files: a worker's start-up would cost more than it saves). */
export function packBatches(items: AsyncIterable<PolicyItem[]>, format: BatchFormat, bytesRead: () => number): AsyncGenerator<PolicyBatch> & PolicyBatches {
  let target = STAGING;
  async function* packed(): AsyncGenerator<PolicyBatch> {
    for await (const batch of items) yield packPolicyBatch(batch, format, bytesRead(), target);
  }
  return Object.assign(packed(), { aim: (t: CopyTarget) => (target = t) });
}

/**
 * Walk a batch in file order: `onError` for each row error, `onRow` for each row (its index into
 * the batch's arrays), interleaved exactly as the file had them, so the tally sees the same order
 * whichever path built the batch.
 */
export function walkBatch(b: PolicyBatch, onError: (e: RowError) => void, onRow: (i: number) => void): void {
  let k = 0;
  const errs = b.errors;
  for (let i = 0; i < b.rows; i++) {
    while (k < errs.length && b.errorAt[k]! <= i) onError(errs[k++]!);
    onRow(i);
  }
  while (k < errs.length) onError(errs[k++]!);
}
