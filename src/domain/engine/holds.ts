import { normaliseReasonCode } from './reason-codes.js';

/**
 * Return codes that hold the policy (issue 12): after one of these, debiting again on the same
 * mandate is debiting without authority (or against a closed, frozen or dead account). The
 * policy is held — not opened in later periods, never presented — until the insurer releases it.
 * Other hard codes (an unknown code) stop the month only; soft codes are retried (SPEC 4.3).
 * The table docs/money-rules.md prints.
 */
export const HOLD_CODES: Readonly<Record<string, string>> = Object.freeze({
  '03': 'debits not allowed on this account: a new mandate on another account is needed',
  '04': 'the account holder stopped the payment: a new mandate is needed',
  '06': 'account frozen: wait for the insurer to confirm it is usable again',
  '08': 'account holder sequestrated: the estate must be dealt with',
  '10': 'account holder in liquidation: the estate must be dealt with',
  '12': 'account closed: new bank details and a new mandate are needed',
  '18': 'account holder deceased: a likely claim (also flagged in the collection report)',
  '26': 'no such account: the bank details are wrong',
  '30': 'no authority to debit: a new mandate is needed',
  '32': 'the debit contravenes the authority (amount or date): a new mandate is needed',
  '34': 'authority cancelled by the account holder: a new mandate is needed',
  '36': 'previously stopped by the account holder: a new mandate is needed',
});

/** Whether a return code holds the policy (codes are normalised: "3" and " 03 " hold too). */
export function holdsPolicy(code: string | null): boolean {
  return code !== null && Object.hasOwn(HOLD_CODES, normaliseReasonCode(code));
}
