import { addDays, firstDayOf, nextPeriod, sastDate, type IsoDate, type Period } from './dates.js';

/**
 * Why a settlement's payment date is after the 3rd of the month after its period (SPEC 5.2 says
 * "the 3rd, moved back to the previous business day"), or null when it is not. Two causes, and
 * kasi keeps both departures from the rule on purpose (docs/money-rules.md):
 * - no bank business day lies in the 1st–3rd (1 May a holiday with the 2nd–3rd a weekend, as in
 *   May 2026; 1 January a Friday, as in 2027): moving back would leave the month, before the
 *   period has even closed, so it is the first business day after;
 * - the settlement was generated after the 3rd (the daemon was down): it is paid from the day it
 *   was generated, never on a date already past.
 * Pure: the statement PDF prints it beside the payment date.
 */
export function paymentDateReason(period: Period, paymentDate: IsoDate, generatedAt: Date): string | null {
  const third = addDays(firstDayOf(nextPeriod(period)), 2);
  if (paymentDate <= third) return null;
  const generatedOn = sastDate(generatedAt);
  if (generatedOn > third) return `Paid after the 3rd: this settlement was generated on ${generatedOn}, after the 3rd, and is paid on the first bank business day from then.`;
  return `Paid after the 3rd: no bank business day falls between ${firstDayOf(nextPeriod(period))} and ${third}, so payment is made on the first bank business day after.`;
}
