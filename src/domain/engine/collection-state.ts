import type { IsoDate } from '../dates.js';
import type { Cents } from '../money.js';
import { classifyReturn, isInsufficientFunds } from './reason-codes.js';
import type { Attempt, EngineLimits } from './types.js';

export type FinalStatus = 'PAID_FULL' | 'PAID_PARTIAL' | 'UNPAID' | 'CANCELLED';

/** SPEC 4.1. A cancelled policy ends CANCELLED whatever was collected before the cancellation. */
export function finalStatus(dueCents: Cents, collectedCents: Cents, cancelled: boolean): FinalStatus {
  if (cancelled) return 'CANCELLED';
  if (collectedCents >= dueCents) return 'PAID_FULL';
  return collectedCents > 0 ? 'PAID_PARTIAL' : 'UNPAID';
}

/**
 * SPEC 4.3: the reason of the most recent failed attempt if the last attempt failed, else null.
 * A success clears nothing of the history, but a later success means the collection is not failing.
 */
export function lastFailureReason(attempts: readonly Pick<Attempt, 'result' | 'reasonCode'>[]): string | null {
  const last = attempts[attempts.length - 1];
  if (!last || last.result !== 'UNPAID') return null;
  return classifyReturn(last.reasonCode ?? '').reason;
}

export type HaltReason = string;
export const MAX_PRESENTMENTS = 'MAX_PRESENTMENTS';
export const CONSECUTIVE_INSUFFICIENT_FUNDS = 'CONSECUTIVE_INSUFFICIENT_FUNDS';

/**
 * Why no further presentment may be made this period, or null.
 * - a hard failure (any attempt): its reason, e.g. `ACCOUNT_CLOSED`;
 * - `MAX_PRESENTMENTS`: the period's presentments are used up (pending ones count: they were sent);
 * - `CONSECUTIVE_INSUFFICIENT_FUNDS`: the last `maxConsecutiveInsufficient` results were all
 *   INSUFFICIENT_FUNDS with no deposit seen in between. A deposit dated on or after one failure and
 *   before the next counts as "in between" (a debit runs before the day's credits clear, so money
 *   that landed on the day of a failure was new money for the next try).
 * Attempts are oldest first.
 */
export function haltReason(
  attempts: readonly Attempt[],
  limits: Pick<EngineLimits, 'maxPresentments' | 'maxConsecutiveInsufficient'>,
  depositDates: readonly IsoDate[] = [],
): HaltReason | null {
  let run = 0;
  let prevFailure: IsoDate | null = null;
  for (const a of attempts) {
    if (a.result === 'UNPAID') {
      const cls = classifyReturn(a.reasonCode ?? '');
      if (cls.kind === 'hard') return cls.reason;
    }
    if (a.result === 'UNPAID' && isInsufficientFunds(a.reasonCode)) {
      const from = prevFailure;
      const incomeBetween = from !== null && depositDates.some((d) => d >= from && d < a.actionDate);
      run = run === 0 || incomeBetween ? 1 : run + 1;
      prevFailure = a.actionDate;
    } else if (a.result !== 'PENDING') {
      run = 0;
      prevFailure = null;
    }
  }
  if (run >= limits.maxConsecutiveInsufficient) return CONSECUTIVE_INSUFFICIENT_FUNDS;
  if (attempts.length >= limits.maxPresentments) return MAX_PRESENTMENTS;
  return null;
}

export function isHalted(
  attempts: readonly Attempt[],
  limits: Pick<EngineLimits, 'maxPresentments' | 'maxConsecutiveInsufficient'>,
  depositDates: readonly IsoDate[] = [],
): boolean {
  return haltReason(attempts, limits, depositDates) !== null;
}
