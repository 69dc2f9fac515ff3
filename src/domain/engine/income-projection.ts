import { daysFrom, monthEnd, plusDays, weekday, type BankCalendar } from '../calendar.js';
import { firstDayOf, periodOf, type IsoDate, type Period } from '../dates.js';
import type { Cents } from '../money.js';
import type { ExpectedDeposit, IncomeEvent } from './types.js';

/**
 * Projection of a customer's income into a period from the deposits of earlier months.
 * Pure helpers of income-model.ts; events here are one per date (amounts of a day summed), ascending.
 */

export type Cadence = 'weekly' | 'fortnightly' | 'monthly';

/**
 * Weekly or fortnightly when at least three quarters of the gaps between consecutive deposit dates
 * are about a week (5–9 days) or a fortnight (12–16 days); needs at least 3 deposits. Otherwise
 * monthly: each deposit recurs at its place in the month.
 */
export function detectCadence(events: readonly IncomeEvent[]): Cadence {
  if (events.length < 3) return 'monthly';
  const gaps: number[] = [];
  for (let i = 1; i < events.length; i++) gaps.push(daysFrom(events[i - 1]!.date, events[i]!.date));
  const share = (lo: number, hi: number) => gaps.filter((g) => g >= lo && g <= hi).length / gaps.length;
  if (share(5, 9) >= 0.75) return 'weekly';
  if (share(12, 16) >= 0.75) return 'fortnightly';
  return 'monthly';
}

/**
 * Every `step` days from the latest deposit on the customer's usual weekday (wages moved to the
 * day before a holiday do not shift the rhythm), each moved back to a processing day as employers
 * pay before a weekend or holiday. Amount: the median of the last four deposits.
 */
export function projectByStep(events: readonly IncomeEvent[], step: 7 | 14, period: Period, cal: BankCalendar): ExpectedDeposit[] {
  const counts = [0, 0, 0, 0, 0, 0, 0];
  for (const e of events) counts[weekday(e.date)]!++;
  const usual = counts.indexOf(Math.max(...counts));
  const latest = events[events.length - 1]!.date;
  const anchor = [...events].reverse().find((e) => weekday(e.date) === usual)?.date ?? latest;
  const amount = median(events.slice(-4).map((e) => e.amountCents));
  const end = monthEnd(period);
  const out: ExpectedDeposit[] = [];
  for (let nominal = plusDays(anchor, step); nominal <= end; nominal = plusDays(nominal, step)) {
    const date = cal.onOrBefore(nominal);
    if (date > latest && periodOf(date) === period) out.push({ date, amountCents: amount });
  }
  return out;
}

/**
 * Monthly: each deposit of the latest earlier month that had deposits recurs in `period` at the
 * same kind of place:
 * - on or after that month's last processing day → the period's last processing day (month-end pay);
 * - on one of the first five processing days → the same processing day (grants, early-month pay);
 * - otherwise the same day of the month, moved back to a processing day (the 25th salary rule).
 *   The nominal day is the latest day within ±3 days seen in any earlier month, because a payday
 *   only ever moves back: a 25th paid on Friday the 24th must not teach us "the 24th".
 */
export function projectMonthly(past: readonly IncomeEvent[], period: Period, cal: BankCalendar): ExpectedDeposit[] {
  const last = past[past.length - 1];
  if (!last) return [];
  const ref = periodOf(last.date);
  const refLastPd = cal.lastProcessingDay(ref);
  const refDays = cal.processingDaysIn(ref);
  const start = firstDayOf(period);
  const lastDay = Number(monthEnd(period).slice(8));
  const doms = past.map((e) => (e.date.charCodeAt(8) - 48) * 10 + e.date.charCodeAt(9) - 48);
  const out: { date: IsoDate; amountCents: Cents }[] = [];
  for (let k = 0; k < past.length; k++) {
    const x = past[k]!;
    if (!x.date.startsWith(ref)) continue;
    let date: IsoDate;
    const ordinal = refDays.indexOf(x.date) + 1;
    if (x.date >= refLastPd) {
      date = cal.lastProcessingDay(period);
    } else if (ordinal >= 1 && ordinal <= 5) {
      date = cal.nthProcessingDay(period, ordinal);
    } else {
      const dom = doms[k]!;
      let nominal = dom;
      for (const d of doms) if (d > nominal && d - dom <= 3) nominal = d;
      date = cal.onOrBefore(`${period}-${String(Math.min(nominal, lastDay)).padStart(2, '0')}`);
    }
    if (date < start) continue;
    const same = out.find((o) => o.date === date);
    if (same) same.amountCents += x.amountCents;
    else out.push({ date, amountCents: x.amountCents });
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** The lower median (no rounding needed, the result is an amount that was actually seen). */
export function median(values: readonly Cents[]): Cents {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}
