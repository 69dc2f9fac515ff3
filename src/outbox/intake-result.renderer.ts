import { csvLine, headerLine, integerCell, textCell } from '../files/csv.js';
import type { RowError } from '../domain/row-error.js';

/** `<name>.result.csv` / `.errors.csv`: one line per problem, sorted by line. */
export const RESULT_COLUMNS = ['file', 'line', 'column', 'code', 'severity', 'message'];

export function intakeErrorsCsv(file: string, errors: RowError[]): string {
  let out = headerLine(RESULT_COLUMNS);
  for (const e of errors) {
    out += csvLine([textCell(file), integerCell(e.line), textCell(e.column), textCell(e.code), textCell(e.severity ?? 'error'), textCell(e.message)]);
  }
  return out;
}

export interface IntakeSummary {
  file: string;
  tenant: string;
  kind: string;
  sha256: string;
  status: 'applied' | 'rejected' | 'duplicate';
  imported: number;
  failed: number;
  warnings: number;
  errors: { line: number; column: string; code: string; message: string; severity: string }[];
}

export function intakeResultJson(s: IntakeSummary): string {
  return JSON.stringify(s, null, 2) + '\n';
}
