import { mapHeader, sniffDelimiter, type Delimiter } from '../domain/csv-rules.js';
import { POLICY_OPTIONAL, POLICY_REQUIRED, readPolicyRow, type PolicyItem } from '../domain/policy-row.js';
import type { Cents } from '../domain/money.js';
import { readCsvBatches, type CsvItem } from './csv-source.js';
import type { FileScan } from './file-scan.js';
import type { RowError } from '../domain/row-error.js';
import { FirstLines } from './first-lines.js';

/**
 * An opened file: its file-level errors (no header, a required column missing: they come back
 * before any row is read, so nothing is applied), or its batches (`B`) still to be read.
 */
export type OpenedBatches<B> =
  | { ok: false; errors: RowError[] }
  | { ok: true; delimiter: Delimiter; warnings: RowError[]; items: AsyncGenerator<B> };

export type OpenedFile<T> = OpenedBatches<T[]>;

/** A policy row is rarely shorter (five ids, an amount): the record of numbers is sized for size / this. */
const BYTES_PER_ROW_AT_LEAST = 48;

export interface HeaderedCsv {
  delimiter: Delimiter;
  header: import('../domain/csv-rules.js').HeaderMap;
  width: number;
  /** the data rows, in batches */
  rest: AsyncGenerator<CsvItem[]>;
  /** the warning for a data record that is the header row again, else null */
  repeatedHeader: (item: CsvItem) => RowError | null;
}

/**
 * A record whose every value is blank is a blank line: Excel writes its empty rows as `;;;;;`.
 * It is skipped like one, never a failed row (a sheet with a few empty rows must not be rejected).
 */
function isBlankRecord(item: CsvItem): boolean {
  return item.kind === 'record' && item.cells.every((c) => c.trim() === '');
}

async function* withoutBlankRecords(batches: AsyncGenerator<CsvItem[]>): AsyncGenerator<CsvItem[]> {
  for await (const batch of batches) {
    const kept = batch.some(isBlankRecord) ? batch.filter((item) => !isBlankRecord(item)) : batch;
    if (kept.length) yield kept;
  }
}

/** `cell`, without a BOM and surrounding spaces, is the lower-case column name `name` in any case. */
function isColumnName(cell: string, name: string): boolean {
  if (cell.length < name.length) return false;
  const bare = cell.length === name.length ? cell : cell.replace(/^\ufeff/, '').trim();
  return bare.length === name.length && bare.toLowerCase() === name;
}

/** Read the header of a scanned file and map it; shared by every file kind. */
export async function openHeadered(
  path: string,
  scan: FileScan,
  required: readonly string[],
  optional: readonly string[],
  onBytes?: (n: number) => void,
): Promise<{ ok: false; errors: RowError[] } | ({ ok: true; warnings: RowError[] } & HeaderedCsv)> {
  if (!scan.verdict.ok) return { ok: false, errors: [{ line: scan.verdict.line ?? 0, column: '', code: scan.verdict.code, message: scan.verdict.message }] };
  const delimiter = sniffDelimiter(scan.headerLine);
  const batches = withoutBlankRecords(readCsvBatches(path, { encoding: scan.verdict.encoding, bom: scan.verdict.bom, delimiter, onBytes }));
  const firstBatch = await batches.next();
  if (firstBatch.done || firstBatch.value.length === 0) {
    return { ok: false, errors: [{ line: 1, column: '', code: 'FILE_NO_HEADER', message: `the file has no header row, only blank lines; the first line must name the columns ${required.join(', ')}` }] };
  }
  const head = firstBatch.value[0]!;
  if (head.kind === 'error') {
    await batches.return(undefined);
    return { ok: false, errors: [{ line: head.line, column: '', code: head.code, message: `the header row cannot be read: ${head.message}` }] };
  }
  const names = head.cells.map((c) => c.trim().toLowerCase());
  if (!required.some((col) => names.includes(col))) {
    await batches.return(undefined);
    return {
      ok: false,
      errors: [
        {
          line: head.line,
          column: '',
          code: 'FILE_NO_HEADER',
          message: `line ${head.line} is not a header row: it names none of the columns ${required.join(', ')}; put the header row first (or check that this is the right kind of file)`,
        },
      ],
    };
  }
  const mapped = mapHeader(head.cells, required, optional);
  if (!mapped.ok) {
    await batches.return(undefined);
    return { ok: false, errors: mapped.problems.map((p) => ({ line: head.line, column: p.column, code: p.code, message: p.message })) };
  }
  /** The header row again further down (two exports pasted together): a warning, and skipped. */
  // runs on every row: a data row is told apart by its first differing cell, without allocating
  const repeatedHeader = (item: CsvItem): RowError | null =>
    item.kind === 'record' && item.cells.length === names.length && item.cells.every((c, i) => isColumnName(c, names[i]!))
      ? {
          line: item.line,
          column: '',
          code: 'HEADER_REPEATED',
          message: `line ${item.line} repeats the header row (two files pasted together?); it was skipped, the rows after it were read`,
          severity: 'warning',
        }
      : null;
  async function* rest(): AsyncGenerator<CsvItem[]> {
    const tail = firstBatch.value!.slice(1);
    if (tail.length) yield tail;
    yield* batches;
  }
  const unused = mapped.header.extra.filter((name, i, all) => name !== '' || all.slice(i).some((n) => n !== ''));
  const warnings: RowError[] = unused.map((name) => ({
    line: head.line,
    column: name,
    code: 'EXTRA_COLUMN_IGNORED',
    message: name === '' ? 'a column without a name is not used; its values were ignored' : `column "${name}" is not used and was ignored`,
    severity: 'warning',
  }));
  return { ok: true, warnings, delimiter, header: mapped.header, width: head.cells.length, rest: rest(), repeatedHeader };
}

/**
 * A policy file's validated rows and row errors, in batches. A policy number repeated in the file
 * is an error found here, on both stores, while the file is read (SPEC 3.2: the first line is
 * applied): the record of the numbers seen is sized from the file's bytes, so it does not grow
 * row by row.
 */
export async function openPolicyFile(path: string, scan: FileScan, rules: { ceilingCents: Cents }, onBytes?: (n: number) => void): Promise<OpenedFile<PolicyItem>> {
  const opened = await openHeadered(path, scan, POLICY_REQUIRED, POLICY_OPTIONAL, onBytes);
  if (!opened.ok) return opened;
  const { header, width, rest, delimiter, repeatedHeader } = opened;
  const decimal = delimiter === ';' ? ',' : '.';
  const seen = new FirstLines(Math.ceil(scan.size / BYTES_PER_ROW_AT_LEAST));
  const rules2 = { decimal, ceilingCents: rules.ceilingCents } as const;
  async function* items(): AsyncGenerator<PolicyItem[]> {
    for await (const batch of rest) {
      const out: PolicyItem[] = [];
      for (const item of batch) {
        const again = repeatedHeader(item);
        if (again) out.push({ kind: 'error', ...again });
        else policyItem(item, header, width, delimiter, rules2, seen, out);
      }
      yield out;
    }
  }
  return { ok: true, delimiter, warnings: opened.warnings, items: items() };
}

/** One CSV item → validated row or row errors (pushed to `out`). */
function policyItem(
  item: CsvItem,
  header: HeaderedCsv['header'],
  width: number,
  delimiter: Delimiter,
  rules: { decimal: '.' | ','; ceilingCents: Cents },
  seen: FirstLines,
  out: PolicyItem[],
): void {
  if (item.kind === 'error') {
    out.push({ kind: 'error', line: item.line, column: '', code: item.code, message: item.message });
    return;
  }
  if (item.cells.length !== width) {
    out.push(columnCountError(item.line, item.cells, width, delimiter));
    return;
  }
  const r = readPolicyRow(item.cells, header, rules);
  if (!r.ok) {
    for (const e of r.errors) out.push({ kind: 'error', line: item.line, ...e });
    return;
  }
  const first = seen.get(r.row.policyNumber);
  if (first !== undefined) {
    out.push({ kind: 'error', ...repeatedInFile(item.line, r.row.policyNumber, first) });
    return;
  }
  seen.set(r.row.policyNumber, item.line);
  out.push({ kind: 'row', line: item.line, row: r.row });
}

/** SPEC 3.2: each policy once per file; the first occurrence is applied, later ones are errors. */
export function repeatedInFile(line: number, policyNumber: string, firstLine: number): RowError {
  return {
    line,
    column: 'policy_number',
    code: 'DUPLICATE_IN_FILE',
    message: `policy_number "${policyNumber}" already appears on line ${firstLine}; each policy once per file`,
  };
}

export function columnCountError(line: number, cells: string[], width: number, delimiter: Delimiter): { kind: 'error' } & RowError {
  const other = delimiter === ',' ? ';' : ',';
  const hint =
    cells.length < width && cells.some((c) => c.includes(other))
      ? `it seems to use "${other}" between values where this file uses "${delimiter}"; write every row with "${delimiter}"`
      : `check the delimiter ("${delimiter}") and the quotes: a value containing "${delimiter}" must be quoted`;
  return {
    kind: 'error',
    line,
    column: '',
    code: 'ROW_COLUMN_COUNT',
    message: `the row has ${cells.length} values but the header has ${width}; ${hint}`,
  };
}

/** Any row-per-record file kind: header mapped by name, each record read by `readRow`. */
export async function openRowFile<T>(
  path: string,
  scan: FileScan,
  required: readonly string[],
  optional: readonly string[],
  readRow: (cells: string[], header: HeaderedCsv['header'], decimal: '.' | ',') => { ok: true; row: T } | { ok: false; errors: import('../domain/csv-rules.js').CellError[] },
): Promise<OpenedFile<{ kind: 'row'; line: number; row: T } | ({ kind: 'error' } & RowError)>> {
  const opened = await openHeadered(path, scan, required, optional);
  if (!opened.ok) return opened;
  const { header, width, rest, delimiter, repeatedHeader } = opened;
  const decimal = delimiter === ';' ? ',' : '.';
  type Item = { kind: 'row'; line: number; row: T } | ({ kind: 'error' } & RowError);
  async function* items(): AsyncGenerator<Item[]> {
    for await (const batch of rest) {
      const out: Item[] = [];
      for (const item of batch) {
        const again = repeatedHeader(item);
        if (again) out.push({ kind: 'error', ...again });
        else if (item.kind === 'error') out.push({ kind: 'error', line: item.line, column: '', code: item.code, message: item.message });
        else if (item.cells.length !== width) out.push(columnCountError(item.line, item.cells, width, delimiter));
        else {
          const r = readRow(item.cells, header, decimal);
          if (r.ok) out.push({ kind: 'row', line: item.line, row: r.row });
          else for (const e of r.errors) out.push({ kind: 'error', line: item.line, ...e });
        }
      }
      yield out;
    }
  }
  return { ok: true, delimiter, warnings: opened.warnings, items: items() };
}
