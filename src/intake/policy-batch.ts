import { copyLine } from '../store/copy-text.js';
import type { PolicyItem } from './policy-file.reader.js';
import type { RowError } from './row-error.js';

/**
 * A batch of a policy file's validated rows and row errors, packed as flat arrays of strings and
 * numbers: it crosses from the parse worker to the writer by structured clone, which copies flat
 * arrays of primitives far faster than ~4,000 small objects, and the writer reads it without
 * building an object per row. The same shape is built in-process for small files, so both paths
 * feed the same writer code (and give the same results by construction).
 */
export interface PolicyBatch {
  /** data rows in the batch */
  rows: number;
  /** the file line of each row ('rows' format only; empty in 'copy') */
  lines: number[];
  /** per row: policy number, customer id, external customer ref, product code, status ('rows' format only) */
  text: string[];
  /** per row: collection amount in cents ('rows' format only) */
  amounts: number[];
  /** PostgreSQL: the rows as COPY text lines for the staging table ('copy' format only) */
  copy: string;
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

/** 'rows' for SQLite's per-row statements; 'copy' for PostgreSQL's COPY into staging. */
export type BatchFormat = 'rows' | 'copy';

export const TEXT_PER_ROW = 5;

export function packPolicyBatch(items: PolicyItem[], format: BatchFormat, bytes: number): PolicyBatch {
  const b: PolicyBatch = { rows: 0, lines: [], text: [], amounts: [], copy: '', cancelling: 0, releases: [], errors: [], errorAt: [], bytes };
  let copy = '';
  for (const item of items) {
    if (item.kind === 'error') {
      b.errors.push(rowError(item));
      b.errorAt.push(b.rows);
      continue;
    }
    const r = item.row;
    if (r.status === 'cancelled') b.cancelling++;
    if (r.hold === 'release') b.releases.push(r.policyNumber);
    if (format === 'rows') {
      b.lines.push(item.line);
      b.text.push(r.policyNumber, r.customerId, r.externalCustomerRef, r.productCode, r.status);
      b.amounts.push(r.amountCents);
    } else {
      copy += copyLine([item.line, r.policyNumber, r.customerId, r.externalCustomerRef, r.productCode, r.amountCents, r.status]);
    }
    b.rows++;
  }
  b.copy = copy;
  return b;
}

function rowError(item: { kind: 'error' } & RowError): RowError {
  const e: RowError = { line: item.line, column: item.column, code: item.code, message: item.message };
  if (item.severity) e.severity = item.severity;
  return e;
}

/** In-process packing of a reader's batches (small files: a worker's start-up would cost more than it saves). */
export async function* packBatches(items: AsyncIterable<PolicyItem[]>, format: BatchFormat, bytesRead: () => number): AsyncGenerator<PolicyBatch> {
  for await (const batch of items) yield packPolicyBatch(batch, format, bytesRead());
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
