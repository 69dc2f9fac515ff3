import Holidays from 'date-holidays';
import { plusDays } from '../../src/domain/calendar.js';
import type { IsoDate } from '../../src/domain/dates.js';

/**
 * An oracle for "bank processing day" built independently of src/domain/calendar.ts, for property
 * tests: Monday–Friday, not a South African public holiday as `date-holidays` lists them (a Sunday
 * holiday also makes the Monday a holiday, Public Holidays Act s2(1)), not a configured extra day.
 */
const data = new Holidays('ZA');
const byYear = new Map<number, Set<IsoDate>>();

export function isZaProcessingDay(d: IsoDate, extra: readonly IsoDate[] = []): boolean {
  const year = Number(d.slice(0, 4));
  let set = byYear.get(year);
  if (!set) {
    set = new Set<IsoDate>();
    for (const y of [year - 1, year]) {
      for (const h of data.getHolidays(y, 'en')) {
        if (h.type !== 'public') continue;
        const day = h.date.slice(0, 10);
        set.add(day);
        if (new Date(`${day}T00:00:00Z`).getUTCDay() === 0) set.add(plusDays(day, 1));
      }
    }
    byYear.set(year, set);
  }
  const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
  return dow >= 1 && dow <= 5 && !set.has(d) && !extra.includes(d);
}
