/** One problem in an intake file, as the user sees it: file, line, column, code, message. */
export interface RowError {
  line: number;
  column: string;
  code: string;
  message: string;
  severity?: 'error' | 'warning';
}
