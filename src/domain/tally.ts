import { divHalfUp, type Rate } from '../domain/money.js';
import type { RowError } from '../domain/row-error.js';

/**
 * Counts a file's outcome while it streams: rows applied, lines failed (a line with three bad
 * cells is one failed row), and the errors to report. Decides whether the file may be applied.
 */
export class Tally {
  imported = 0;
  private failedLines = new Set<number>();
  readonly errors: RowError[] = [];
  warnings = 0;

  constructor(initial: RowError[] = []) {
    for (const e of initial) this.add(e);
  }

  add(e: RowError): void {
    if (this.errors.length < 100_000) this.errors.push(e);
    if (e.severity === 'warning') this.warnings++;
    else this.failedLines.add(e.line);
  }

  get failed(): number {
    return this.failedLines.size;
  }

  /** A file-level reason to reject, or null when the good rows may be applied. */
  verdict(maxFailedShare: Rate, kindLabel: string): RowError | null {
    const total = this.imported + this.failed;
    if (total === 0) {
      return { line: 0, column: '', code: 'FILE_NO_DATA', message: `the file has a header but no ${kindLabel} rows` };
    }
    // failed/total > share  ⇔  failed·den > num·total (exact, no floats)
    if (BigInt(this.failed) * maxFailedShare.den > maxFailedShare.num * BigInt(total)) {
      const pct = Number(divHalfUp(BigInt(this.failed) * 100n, BigInt(total)));
      return {
        line: 0,
        column: '',
        code: 'FILE_TOO_MANY_FAILED',
        message: `${this.failed} of ${total} rows (${pct}%) failed, more than the allowed ${sharePercent(maxFailedShare)}; nothing was applied: fix the file and send it again`,
      };
    }
    return null;
  }

  sorted(): RowError[] {
    return [...this.errors].sort((a, b) => a.line - b.line);
  }
}

/** 0.5 → "50%", 0.125 → "12.5%". */
function sharePercent(r: Rate): string {
  const hundredths = (r.num * 10_000n) / r.den; // percent × 100, exact for up to 4 decimals
  const whole = hundredths / 100n;
  const frac = (hundredths % 100n).toString().padStart(2, '0').replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''}%`;
}
