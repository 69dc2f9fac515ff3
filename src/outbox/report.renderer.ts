import { formatCents } from '../domain/money.js';
import type { Period } from '../domain/dates.js';
import { REPORT_COLUMNS, type ReportRow } from '../domain/collection-report.js';
import { CSV_EOL, amountCell, chunkPages, headerLine, integerCell, pagesOf, textCell } from '../files/csv.js';

/**
 * The collection report (SPEC 5.1) as CSV and JSON. Both stream: rows are pulled one at a time
 * and emitted in chunks of `chunkRows`, so a million-row report never sits in memory; the
 * `...Pages` forms take rows already in pages (as the store reads them) and emit a chunk per page.
 * The caller writes the chunks with writeAtomic.
 */
export function reportFileName(period: Period, format: 'csv' | 'json'): string {
  return `collections-${period}.${format}`;
}

type Rows = AsyncIterable<ReportRow> | Iterable<ReportRow>;
type Pages = AsyncIterable<readonly ReportRow[]> | Iterable<readonly ReportRow[]>;

/** One CSV line (csvLine of the 13 cells, built without the intermediate array). */
function csvRow(r: ReportRow): string {
  return (
    textCell(r.period_month) + ',' +
    textCell(r.customer_id) + ',' +
    textCell(r.external_customer_ref) + ',' +
    textCell(r.policy_number) + ',' +
    textCell(r.product_code) + ',' +
    amountCell(r.collection_amount_due) + ',' +
    amountCell(r.collection_amount_collected) + ',' +
    amountCell(r.shortfall) + ',' +
    textCell(r.collection_status) + ',' +
    textCell(r.first_attempt_date) + ',' +
    textCell(r.last_attempt_date) + ',' +
    integerCell(r.number_of_attempts) + ',' +
    textCell(r.last_failure_reason) + CSV_EOL
  );
}

export function reportCsv(rows: Rows, chunkRows = 1000): AsyncGenerator<string> {
  return reportCsvPages(pagesOf(rows, chunkRows));
}

export async function* reportCsvPages(pages: Pages): AsyncGenerator<string> {
  yield headerLine(REPORT_COLUMNS);
  yield* chunkPages(pages, csvRow);
}

/** A JSON string as JSON.stringify writes it; most values need no escape and are quoted as they are. */
const JSON_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
function jsonText(s: string | null): string {
  if (s === null) return 'null';
  return JSON_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * JSON amounts are strings with two decimals ("150.00"): a JSON number would lose the trailing
 * zeros and invite float parsing of money. Absent dates and reasons are null. Keys follow the
 * column order. One result per line, so the file diffs and greps well and is still one JSON value.
 * Byte for byte what JSON.stringify gives for the object of these keys, built without it (a
 * million rows).
 */
export function reportJsonRow(r: ReportRow): string {
  return (
    '{"period_month":' + jsonText(r.period_month) +
    ',"customer_id":' + jsonText(r.customer_id) +
    ',"external_customer_ref":' + jsonText(r.external_customer_ref) +
    ',"policy_number":' + jsonText(r.policy_number) +
    ',"product_code":' + jsonText(r.product_code) +
    ',"collection_amount_due":"' + formatCents(r.collection_amount_due) +
    '","collection_amount_collected":"' + formatCents(r.collection_amount_collected) +
    '","shortfall":"' + formatCents(r.shortfall) +
    '","collection_status":' + jsonText(r.collection_status) +
    ',"first_attempt_date":' + jsonText(r.first_attempt_date) +
    ',"last_attempt_date":' + jsonText(r.last_attempt_date) +
    ',"number_of_attempts":' + JSON.stringify(r.number_of_attempts) +
    ',"last_failure_reason":' + jsonText(r.last_failure_reason) +
    '}'
  );
}

export function reportJson(period: Period, rows: Rows, chunkRows = 1000): AsyncGenerator<string> {
  return reportJsonPages(period, pagesOf(rows, chunkRows));
}

export async function* reportJsonPages(period: Period, pages: Pages): AsyncGenerator<string> {
  yield `{"period_month":${JSON.stringify(period)},"results":[`;
  let first = true;
  yield* chunkPages(pages, (r) => {
    if (r.period_month !== period) {
      throw new Error(`report for ${period} was given a row of ${r.period_month} (policy ${r.policy_number})`);
    }
    const sep = first ? '\n' : ',\n';
    first = false;
    return sep + reportJsonRow(r);
  });
  yield first ? ']}\n' : '\n]}\n';
}
