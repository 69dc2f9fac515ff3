import { addDays, firstDayOf, nextPeriod, type IsoDate, type Period } from './dates.js';
import type { BankCalendar } from './calendar.js';

/**
 * When the month-close steps of a period fall due (SPEC 5), in Africa/Johannesburg dates. Pure.
 */

/**
 * SPEC 5.2: the 3rd of the next month, moved back to the previous processing day if the 3rd is
 * not one ("by the 3rd"). Two cases the rule alone gets wrong, so the date is never before the
 * money can be paid:
 * - moving back can leave the month (e.g. 1 January a Friday holiday, 2nd and 3rd a weekend, as
 *   in 2021 and 2027): the period has not closed by then, so it is the first processing day
 *   after the 1st instead;
 * - a settlement generated late (the daemon was down) is paid on its day of generation at the
 *   earliest (the next processing day if that is not one), never on a date already past.
 */
export function paymentDateFor(period: Period, calendar: BankCalendar, generatedOn?: IsoDate): IsoDate {
  const first = firstDayOf(nextPeriod(period));
  let date = calendar.onOrBefore(addDays(first, 2));
  if (date < first) date = calendar.onOrAfter(first);
  if (generatedOn !== undefined && generatedOn > date) date = calendar.onOrAfter(generatedOn);
  return date;
}

export interface CloseSchedule {
  /** day 1: close the period (report) and generate the settlement */
  report: IsoDate;
  settle: IsoDate;
  /** day 2: the tax invoice */
  invoice: IsoDate;
}

/** The calendar days of the steps that do not depend on a settlement (pay runs on its payment date). */
export function closeSchedule(period: Period): CloseSchedule {
  const first = firstDayOf(nextPeriod(period));
  return { report: first, settle: first, invoice: addDays(first, 1) };
}
