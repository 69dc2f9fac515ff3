import { lastDayOf, previousPeriod, periodOf, type IsoDate, type Period } from './dates.js';

/**
 * "The same day last month" for comparing a month's collections with the one before (the
 * collection-rate alert): the previous period's day of the same number, or its last day when it
 * is shorter (31 March compares with 28 or 29 February).
 */
export function sameDayLastMonth(today: IsoDate): { period: Period; date: IsoDate } {
  const period = previousPeriod(periodOf(today));
  const last = lastDayOf(period);
  const day = Math.min(Number(today.slice(8, 10)), Number(last.slice(8, 10)));
  return { period, date: `${period}-${String(day).padStart(2, '0')}` };
}

/** collected ÷ due, or null when nothing is due (no rate to compare). */
export function collectionRate(f: { dueCents: number; collectedCents: number } | undefined): number | null {
  return f && f.dueCents > 0 ? f.collectedCents / f.dueCents : null;
}
