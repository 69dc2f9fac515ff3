/**
 * Calendar dates as `YYYY-MM-DD` strings and periods as `YYYY-MM`, in Africa/Johannesburg
 * (UTC+2 all year, no DST). Pure: "now" is always an argument.
 */
export type IsoDate = string;
export type Period = string;

const DAY_MS = 86_400_000;
const SAST_OFFSET_MS = 2 * 3_600_000;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PERIOD_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isIsoDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

export function isPeriod(s: string): boolean {
  return PERIOD_RE.test(s);
}

function toUtcMs(date: IsoDate): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new Error(`not a date: "${date}"`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

function fromUtcMs(ms: number): IsoDate {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return fromUtcMs(toUtcMs(date) + days * DAY_MS);
}

/** Whole days from a to b (b − a). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return Math.round((toUtcMs(b) - toUtcMs(a)) / DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: IsoDate): number {
  return new Date(toUtcMs(date)).getUTCDay();
}

export function periodOf(date: IsoDate): Period {
  return date.slice(0, 7);
}

export function firstDayOf(period: Period): IsoDate {
  return `${period}-01`;
}

export function lastDayOf(period: Period): IsoDate {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return fromUtcMs(Date.UTC(y, m, 0));
}

export function nextPeriod(period: Period): Period {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

export function previousPeriod(period: Period): Period {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** The Johannesburg calendar date of an instant. */
export function sastDate(instant: Date): IsoDate {
  return fromUtcMs(instant.getTime() + SAST_OFFSET_MS);
}

/** The instant of a Johannesburg wall-clock time. */
export function sastInstant(date: IsoDate, hh = 0, mm = 0, ss = 0): Date {
  return new Date(toUtcMs(date) - SAST_OFFSET_MS + ((hh * 60 + mm) * 60 + ss) * 1000);
}

/** "20251103" for a payment reference or file name. */
export function compactDate(date: IsoDate): string {
  return date.replaceAll('-', '');
}
