/**
 * ACB / DebiCheck return codes (SPEC 4.3). Soft failures are worth retrying after the next income;
 * hard ones end collection for the period (a new mandate or a claim is needed, not another try).
 */
export type FailureKind = 'soft' | 'hard';

export interface ReturnClass {
  /** The `last_failure_reason` written to the collection report. */
  readonly reason: string;
  readonly kind: FailureKind;
  /** 18: the account holder died, which the insurer must hear about (a likely claim). */
  readonly flag: 'DECEASED' | null;
}

export const INSUFFICIENT_FUNDS = 'INSUFFICIENT_FUNDS';

const entry = (reason: string, kind: FailureKind, flag: 'DECEASED' | null = null): ReturnClass =>
  Object.freeze({ reason, kind, flag });

const TABLE: Readonly<Record<string, ReturnClass>> = Object.freeze({
  '02': entry(INSUFFICIENT_FUNDS, 'soft'),
  '22': entry('EFFECTS_NOT_CLEARED', 'soft'),
  '03': entry('DEBITS_NOT_ALLOWED', 'hard'),
  '04': entry('PAYMENT_STOPPED', 'hard'),
  '06': entry('ACCOUNT_FROZEN', 'hard'),
  '08': entry('ACCOUNT_IN_SEQUESTRATION', 'hard'),
  '10': entry('ACCOUNT_IN_LIQUIDATION', 'hard'),
  '12': entry('ACCOUNT_CLOSED', 'hard'),
  '18': entry('ACCOUNT_HOLDER_DECEASED', 'hard', 'DECEASED'),
  '26': entry('NO_SUCH_ACCOUNT', 'hard'),
  '30': entry('NO_AUTHORITY', 'hard'),
  '32': entry('DEBIT_CONTRAVENES_AUTHORITY', 'hard'),
  '34': entry('AUTHORITY_CANCELLED', 'hard'),
  '36': entry('PREVIOUSLY_STOPPED', 'hard'),
});

/**
 * Banks and files write codes as "2", "02" or " 02 "; numeric codes become two digits so they
 * match the table. Anything else is kept (trimmed, upper-cased) so an operator sees what came in.
 */
export function normaliseReasonCode(code: string): string {
  const t = code.trim().toUpperCase();
  if (/^\d+$/.test(t)) return t.replace(/^0+(?=\d)/, '').padStart(2, '0');
  return t;
}

/** Classify a return code; an unknown or empty code is hard (never retry what we don't understand). */
export function classifyReturn(code: string): ReturnClass {
  const c = normaliseReasonCode(code);
  const known = TABLE[c];
  if (known) return known;
  return entry(c === '' ? 'UNKNOWN' : `UNKNOWN_${c}`, 'hard');
}

export function isInsufficientFunds(code: string | null): boolean {
  return code !== null && classifyReturn(code).reason === INSUFFICIENT_FUNDS;
}

/** The `last_failure_reason`s of hard failures (UNKNOWN_<code> aside): what holds a policy. */
export const HARD_REASONS: readonly string[] = Object.freeze([...new Set(Object.values(TABLE).filter((e) => e.kind === 'hard').map((e) => e.reason))]);

export function isHardReason(reason: string): boolean {
  return HARD_REASONS.includes(reason) || reason.startsWith('UNKNOWN');
}
