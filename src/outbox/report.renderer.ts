import { formatCents } from '../domain/money.js';
import type { Period } from '../domain/dates.js';
import { REPORT_COLUMNS, type ReportRow } from '../domain/collection-report.js';
import { amountCell, chunkLines, csvLine, headerLine, integerCell, textCell } from './csv.js';

/**
 * The collection report (SPEC 5.1) as CSV and JSON. Both stream: rows are pulled one at a time
 * and emitted in chunks of `chunkRows`, so a million-row report never sits in memory.
 * The caller writes the chunks with writeAtomic.
 */
export function reportFileName(period: Period, format: 'csv' | 'json'): string {
  return `collections-${period}.${format}`;
}

type Rows = AsyncIterable<ReportRow> | Iterable<ReportRow>;

function csvRow(r: ReportRow): string {
  return csvLine([
    textCell(r.period_month),
    textCell(r.customer_id),
    textCell(r.external_customer_ref),
    textCell(r.policy_number),
    textCell(r.product_code),
    amountCell(r.collection_amount_due),
    amountCell(r.collection_amount_collected),
    amountCell(r.shortfall),
    textCell(r.collection_status),
    textCell(r.first_attempt_date),
    textCell(r.last_attempt_date),
    integerCell(r.number_of_attempts),
    textCell(r.last_failure_reason),
  ]);
}

export async function* reportCsv(rows: Rows, chunkRows = 1000): AsyncGenerator<string> {
  yield headerLine(REPORT_COLUMNS);
  yield* chunkLines(rows, csvRow, chunkRows);
}

/**
 * JSON amounts are strings with two decimals ("150.00"): a JSON number would lose the trailing
 * zeros and invite float parsing of money. Absent dates and reasons are null. Keys follow the
 * column order. One result per line, so the file diffs and greps well and is still one JSON value.
 */
export function reportJsonRow(r: ReportRow): string {
  return JSON.stringify({
    period_month: r.period_month,
    customer_id: r.customer_id,
    external_customer_ref: r.external_customer_ref,
    policy_number: r.policy_number,
    product_code: r.product_code,
    collection_amount_due: formatCents(r.collection_amount_due),
    collection_amount_collected: formatCents(r.collection_amount_collected),
    shortfall: formatCents(r.shortfall),
    collection_status: r.collection_status,
    first_attempt_date: r.first_attempt_date,
    last_attempt_date: r.last_attempt_date,
    number_of_attempts: r.number_of_attempts,
    last_failure_reason: r.last_failure_reason,
  });
}

export async function* reportJson(period: Period, rows: Rows, chunkRows = 1000): AsyncGenerator<string> {
  yield `{"period_month":${JSON.stringify(period)},"results":[`;
  let first = true;
  yield* chunkLines(
    rows,
    (r) => {
      if (r.period_month !== period) {
        throw new Error(`report for ${period} was given a row of ${r.period_month} (policy ${r.policy_number})`);
      }
      const sep = first ? '\n' : ',\n';
      first = false;
      return sep + reportJsonRow(r);
    },
    chunkRows,
  );
  yield first ? ']}\n' : '\n]}\n';
}
