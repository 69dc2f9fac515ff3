import { mapHeader, sniffDelimiter, type Delimiter } from '../domain/csv-rules.js';
import { POLICY_OPTIONAL, POLICY_REQUIRED, readPolicyRow, type PolicyRow } from '../domain/policy-row.js';
import type { Cents } from '../domain/money.js';
import { readCsv } from './csv-source.js';
import type { FileScan } from './file-scan.js';
import type { RowError } from './row-error.js';

/**
 * A policy file as a stream of validated rows and row errors. File-level problems (no header, a
 * required column missing) come back before any row is read, so nothing is applied.
 */
export type PolicyItem = { kind: 'row'; line: number; row: PolicyRow } | ({ kind: 'error' } & RowError);

export type OpenedFile<T> =
  | { ok: false; errors: RowError[] }
  | { ok: true; delimiter: Delimiter; warnings: RowError[]; items: AsyncGenerator<T> };

export interface HeaderedCsv {
  delimiter: Delimiter;
  header: import('../domain/csv-rules.js').HeaderMap;
  width: number;
  rest: AsyncGenerator<import('./csv-source.js').CsvItem>;
}

/** Read the header of a scanned file and map it; shared by every file kind. */
export async function openHeadered(
  path: string,
  scan: FileScan,
  required: readonly string[],
  optional: readonly string[],
  onBytes?: (n: number) => void,
): Promise<{ ok: false; errors: RowError[] } | ({ ok: true; warnings: RowError[] } & HeaderedCsv)> {
  if (!scan.verdict.ok) return { ok: false, errors: [{ line: 0, column: '', code: scan.verdict.code, message: scan.verdict.message }] };
  const delimiter = sniffDelimiter(scan.headerLine);
  const rest = readCsv(path, { encoding: scan.verdict.encoding, bom: scan.verdict.bom, delimiter, onBytes });
  const first = await rest.next();
  if (first.done) return { ok: false, errors: [{ line: 1, column: '', code: 'FILE_NO_HEADER', message: 'the file has no header row' }] };
  if (first.value.kind === 'error') {
    await rest.return(undefined);
    return { ok: false, errors: [{ line: first.value.line, column: '', code: first.value.code, message: `the header row cannot be read: ${first.value.message}` }] };
  }
  const mapped = mapHeader(first.value.cells, required, optional);
  if (!mapped.ok) {
    await rest.return(undefined);
    return { ok: false, errors: mapped.problems.map((p) => ({ line: first.value.line, column: p.column, code: p.code, message: p.message })) };
  }
  const warnings: RowError[] = mapped.header.extra.map((name) => ({
    line: first.value.line,
    column: name,
    code: 'EXTRA_COLUMN_IGNORED',
    message: `column "${name}" is not used and was ignored`,
    severity: 'warning',
  }));
  return { ok: true, warnings, delimiter, header: mapped.header, width: first.value.cells.length, rest };
}

export async function openPolicyFile(
  path: string,
  scan: FileScan,
  rules: { ceilingCents: Cents },
  onBytes?: (n: number) => void,
): Promise<OpenedFile<PolicyItem>> {
  const opened = await openHeadered(path, scan, POLICY_REQUIRED, POLICY_OPTIONAL, onBytes);
  if (!opened.ok) return opened;
  const { header, width, rest, delimiter } = opened;
  const decimal = delimiter === ';' ? ',' : '.';
  async function* items(): AsyncGenerator<PolicyItem> {
    const seen = new Map<string, number>();
    for await (const item of rest) {
      if (item.kind === 'error') {
        yield { kind: 'error', line: item.line, column: '', code: item.code, message: item.message };
        continue;
      }
      if (item.cells.length !== width) {
        yield {
          kind: 'error',
          line: item.line,
          column: '',
          code: 'ROW_COLUMN_COUNT',
          message: `the row has ${item.cells.length} values but the header has ${width}; check delimiters and quotes`,
        };
        continue;
      }
      const r = readPolicyRow(item.cells, header, { decimal, ceilingCents: rules.ceilingCents });
      if (!r.ok) {
        for (const e of r.errors) yield { kind: 'error', line: item.line, ...e };
        continue;
      }
      const first = seen.get(r.row.policyNumber);
      if (first !== undefined) {
        yield {
          kind: 'error',
          line: item.line,
          column: 'policy_number',
          code: 'DUPLICATE_IN_FILE',
          message: `policy_number "${r.row.policyNumber}" already appears on line ${first}; each policy once per file`,
        };
        continue;
      }
      seen.set(r.row.policyNumber, item.line);
      yield { kind: 'row', line: item.line, row: r.row };
    }
  }
  return { ok: true, delimiter, warnings: opened.warnings, items: items() };
}
