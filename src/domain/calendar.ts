import Holidays from 'date-holidays';
import { addDays, dayOfWeek, isIsoDate, isPeriod, type IsoDate, type Period } from './dates.js';

/**
 * Bank processing days in South Africa: Monday–Friday, not a public holiday (Public Holidays Act
 * 36 of 1994, as listed by the `date-holidays` library), not an extra configured day (days the
 * President declares at short notice, which no library can know in advance).
 *
 * The batch asks this millions of times in a simulated month, so each year is computed once into
 * arrays and maps; every query after the first of its year is a few map/array lookups.
 */
export interface BankCalendar {
  isProcessingDay(d: IsoDate): boolean;
  /** The first processing day strictly after d. */
  nextProcessingDay(d: IsoDate): IsoDate;
  /** The last processing day strictly before d. */
  previousProcessingDay(d: IsoDate): IsoDate;
  /** d if it is a processing day, else the previous one (e.g. a payday moved back). */
  onOrBefore(d: IsoDate): IsoDate;
  /** d if it is a processing day, else the next one. */
  onOrAfter(d: IsoDate): IsoDate;
  /** n processing days after d (n < 0: before); n = 0 returns d unchanged. */
  addProcessingDays(d: IsoDate, n: number): IsoDate;
  /** The period's processing days in order. The array is shared and frozen. */
  processingDaysIn(period: Period): readonly IsoDate[];
  lastProcessingDay(period: Period): IsoDate;
  /** The n-th (1-based) processing day of the period; throws if the period has fewer. */
  nthProcessingDay(period: Period, n: number): IsoDate;
  /** The public holiday's name, `EXTRA_DAY_NAME` for a configured day, else null (weekends too). */
  holidayName(d: IsoDate): string | null;
}

export interface PublicHoliday {
  readonly date: IsoDate;
  readonly name: string;
}

export const EXTRA_DAY_NAME = 'Declared non-processing day';

/** Sentinel before the first lookup. */
const NO_YEAR: YearData = {
  year: -1,
  firstDay: 0,
  dates: [],
  processing: [],
  processingBefore: new Int32Array(0),
  processingDates: [],
  names: new Map(),
};

interface YearData {
  readonly year: number;
  /** Day number (dayNumber) of 1 January. */
  readonly firstDay: number;
  /** Every date of the year, 1 January first: the index of a date is dayNumber(d) − firstDay. */
  readonly dates: IsoDate[];
  readonly processing: boolean[];
  /** Number of processing days strictly before each day of the year. */
  readonly processingBefore: Int32Array;
  readonly processingDates: IsoDate[];
  readonly names: Map<IsoDate, string>;
}

/**
 * South African public holidays of a year from `date-holidays`, filtered to type `public`
 * (the library also lists observances such as Mother's Day, which are working days).
 * The Act, s2(1): "whenever any public holiday falls on a Sunday, the Monday following on it shall
 * be a public holiday". The library lists those Mondays itself (as "Public Holiday"); the check
 * below adds one if a future data release ever drops it, so the rule does not hang on the data.
 */
export function zaPublicHolidays(year: number, source: Holidays = new Holidays('ZA')): PublicHoliday[] {
  const byDate = new Map<IsoDate, string>();
  for (const h of source.getHolidays(year, 'en')) {
    if (h.type !== 'public') continue;
    const date = h.date.slice(0, 10);
    const prev = byDate.get(date);
    byDate.set(date, prev === undefined ? h.name : `${prev} / ${h.name}`);
  }
  for (const [date, name] of [...byDate]) {
    if (dayOfWeek(date) !== 0) continue;
    const monday = addDays(date, 1);
    if (!byDate.has(monday) && monday.startsWith(String(year))) byDate.set(monday, `${name} (observed)`);
  }
  return [...byDate].map(([date, name]) => ({ date, name })).sort((a, b) => (a.date < b.date ? -1 : 1));
}

export function createZaCalendar(extraNonProcessingDays: readonly IsoDate[] = []): BankCalendar {
  for (const d of extraNonProcessingDays) {
    if (!isIsoDate(d)) throw new Error(`extra non-processing day "${d}" is not a date YYYY-MM-DD`);
  }
  const extra = new Set(extraNonProcessingDays);
  const source = new Holidays('ZA');
  const years = new Map<number, YearData>();
  const periods = new Map<Period, readonly IsoDate[]>();
  const lastDays = new Map<Period, IsoDate>();

  function buildYear(year: number): YearData {
    const names = new Map<IsoDate, string>();
    for (const h of zaPublicHolidays(year, source)) names.set(h.date, h.name);
    for (const d of extra) if (d.startsWith(`${year}-`) && !names.has(d)) names.set(d, EXTRA_DAY_NAME);
    const dates: IsoDate[] = [];
    const processing: boolean[] = [];
    const processingDates: IsoDate[] = [];
    const first = `${year}-01-01`;
    const days = isLeap(year) ? 366 : 365;
    const processingBefore = new Int32Array(days);
    for (let i = 0, d = first, dow = dayOfWeek(first); i < days; i++, d = addDays(d, 1), dow = (dow + 1) % 7) {
      dates.push(d);
      processingBefore[i] = processingDates.length;
      const isProc = dow !== 0 && dow !== 6 && !names.has(d);
      processing.push(isProc);
      if (isProc) processingDates.push(d);
    }
    return { year, firstDay: dayNumber(first), dates, processing, processingBefore, processingDates, names };
  }

  function yearOf(year: number): YearData {
    let y = years.get(year);
    if (!y) {
      y = buildYear(year);
      years.set(year, y);
    }
    return y;
  }

  // The year of the latest lookup: consecutive queries nearly always stay in one year.
  let cur: YearData = NO_YEAR;
  /**
   * The index in its year of a date, leaving that year in `cur` (no object per call: this runs
   * millions of times). The dates array doubles as validation of the string.
   */
  function locate(d: IsoDate): number {
    const year = (d.charCodeAt(0) - 48) * 1000 + (d.charCodeAt(1) - 48) * 100 + (d.charCodeAt(2) - 48) * 10 + d.charCodeAt(3) - 48;
    if (year !== cur.year) {
      if (!(year >= 1000 && year <= 9999) || d.length !== 10) throw new Error(`not a date: "${d}"`);
      cur = yearOf(year);
    }
    const i = dayNumber(d) - cur.firstDay;
    if (cur.dates[i] !== d) throw new Error(`not a date: "${d}"`);
    return i;
  }

  const cal: BankCalendar = {
    isProcessingDay(d) {
      const i = locate(d);
      return cur.processing[i]!;
    },
    nextProcessingDay(d) {
      const i = locate(d);
      const y = cur;
      const k = y.processingBefore[i]! + (y.processing[i] ? 1 : 0);
      if (k < y.processingDates.length) return y.processingDates[k]!;
      return yearOf(y.year + 1).processingDates[0]!;
    },
    previousProcessingDay(d) {
      const i = locate(d);
      const y = cur;
      const k = y.processingBefore[i]! - 1;
      if (k >= 0) return y.processingDates[k]!;
      const prev = yearOf(y.year - 1).processingDates;
      return prev[prev.length - 1]!;
    },
    onOrBefore(d) {
      return cal.isProcessingDay(d) ? d : cal.previousProcessingDay(d);
    },
    onOrAfter(d) {
      return cal.isProcessingDay(d) ? d : cal.nextProcessingDay(d);
    },
    addProcessingDays(d, n) {
      if (!Number.isInteger(n)) throw new Error(`not a whole number of days: ${n}`);
      let out = d;
      for (let k = 0; k < n; k++) out = cal.nextProcessingDay(out);
      for (let k = 0; k > n; k--) out = cal.previousProcessingDay(out);
      return out;
    },
    processingDaysIn(period) {
      let days = periods.get(period);
      if (!days) {
        if (!isPeriod(period)) throw new Error(`not a period: "${period}"`);
        const all = yearOf(Number(period.slice(0, 4))).processingDates;
        days = Object.freeze(all.filter((d) => d.startsWith(period)));
        periods.set(period, days);
      }
      return days;
    },
    lastProcessingDay(period) {
      let d = lastDays.get(period);
      if (d === undefined) {
        if (!isPeriod(period)) throw new Error(`not a period: "${period}"`);
        d = cal.onOrBefore(monthEnd(period));
        lastDays.set(period, d);
      }
      return d;
    },
    nthProcessingDay(period, n) {
      const days = cal.processingDaysIn(period);
      const d = Number.isInteger(n) && n >= 1 ? days[n - 1] : undefined;
      if (d === undefined) throw new Error(`${period} has no processing day number ${n} (it has ${days.length})`);
      return d;
    },
    holidayName(d) {
      locate(d);
      return cur.names.get(d) ?? null;
    },
  };
  return cal;
}

/**
 * Day arithmetic without Date objects (the engine does it millions of times a simulated month):
 * days since 1970-01-01 from a well-formed `YYYY-MM-DD`, and back (H. Hinnant's civil algorithms).
 */
export function dayNumber(d: IsoDate): number {
  const digit = (i: number) => d.charCodeAt(i) - 48;
  let y = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const m = digit(5) * 10 + digit(6);
  const day = digit(8) * 10 + digit(9);
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((m + 9) % 12) + 2) / 5) + day - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

export function dateOfDayNumber(n: number): IsoDate {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${m < 10 ? '0' : ''}${m}-${day < 10 ? '0' : ''}${day}`;
}

/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function weekday(d: IsoDate): number {
  return (((dayNumber(d) + 4) % 7) + 7) % 7;
}

/** The last date of a period `YYYY-MM`. */
export function monthEnd(period: Period): IsoDate {
  const y = Number(period.slice(0, 4));
  const m = Number(period.slice(5, 7));
  const days = m === 2 ? (isLeap(y) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  return `${period}-${days}`;
}

/** The period n months after (n < 0: before) `YYYY-MM`. */
export function addMonths(period: Period, n: number): Period {
  const k = Number(period.slice(0, 4)) * 12 + Number(period.slice(5, 7)) - 1 + n;
  const m = (k % 12) + 1;
  return `${Math.floor(k / 12)}-${m < 10 ? '0' : ''}${m}`;
}

/** b − a in days. */
export function daysFrom(a: IsoDate, b: IsoDate): number {
  return dayNumber(b) - dayNumber(a);
}

export function plusDays(d: IsoDate, n: number): IsoDate {
  return dateOfDayNumber(dayNumber(d) + n);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
