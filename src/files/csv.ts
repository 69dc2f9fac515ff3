import { formatCents, type Cents } from '../domain/money.js';

/**
 * CSV output rules for every file kasi writes:
 * - RFC 4180 quoting: a cell containing `,`, `"`, CR or LF is wrapped in `"` with `"` doubled.
 * - Lines end with `\n` (not RFC 4180's CRLF): every consumer we serve (spreadsheets, pandas,
 *   csv-parse, awk) reads LF, and LF keeps golden files and sha256 sidecars identical on all
 *   platforms. UTF-8 without a BOM.
 * - Formula neutralisation (SPEC 9): a *text* cell beginning with `=`, `+`, `-`, `@`, tab or CR
 *   gets a leading `'` so a spreadsheet shows it as text instead of running it. Amount and count
 *   cells are numbers we format ourselves (`-12.50` is a negative adjustment, not a formula), so
 *   they go through `amountCell` / `integerCell` and are never prefixed.
 */
export const CSV_EOL = '\n';

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
/** Either of the two above: most cells match neither and are taken as they are after one test. */
const SPECIAL = /[",\r\n]|^[=+\-@\t]/;

function quote(s: string): string {
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A text cell: neutralised, then quoted if needed. null/undefined is an empty cell. */
export function textCell(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  if (!SPECIAL.test(value)) return value;
  return quote(FORMULA_START.test(value) ? `'${value}` : value);
}

/** Alias kept for readers who look for the usual name. */
export const csvCell = textCell;

/** An amount in cents as `123.45` / `-0.05`; null is an empty cell. */
export function amountCell(cents: Cents | null | undefined): string {
  return cents === null || cents === undefined ? '' : formatCents(cents);
}

/** A whole number (counts); null is an empty cell. */
export function integerCell(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
}

/** One line from already-encoded cells (use textCell / amountCell / integerCell). */
export function csvLine(cells: readonly string[]): string {
  return cells.join(',') + CSV_EOL;
}

/** The header line; column names are fixed identifiers, quoted only if ever needed. */
export function headerLine(columns: readonly string[]): string {
  return csvLine(columns.map(quote));
}

/** Group lines into chunks of `size` so a million rows stream as ~1,000 writes, not 1,000,000. */
export async function* chunkLines<T>(
  rows: AsyncIterable<T> | Iterable<T>,
  render: (row: T) => string,
  size = 1000,
): AsyncGenerator<string> {
  yield* chunkPages(pagesOf(rows, size), render);
}

/**
 * Rows grouped into arrays of `size` (the last one shorter), each handed on as soon as it is
 * full: never more than one group read ahead.
 */
export async function* pagesOf<T>(rows: AsyncIterable<T> | Iterable<T>, size = 1000): AsyncGenerator<T[]> {
  let page: T[] = [];
  for await (const row of rows) {
    page.push(row);
    if (page.length >= size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/**
 * One chunk per page of rows, rendered synchronously: the store hands rows over in pages, and a
 * page costs one await here where row by row a million rows cost a million. Empty pages give nothing.
 */
export async function* chunkPages<T>(
  pages: AsyncIterable<readonly T[]> | Iterable<readonly T[]>,
  render: (row: T) => string,
): AsyncGenerator<string> {
  for await (const page of pages) {
    let chunk = '';
    for (let i = 0; i < page.length; i++) chunk += render(page[i]!);
    if (chunk !== '') yield chunk;
  }
}
