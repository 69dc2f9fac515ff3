import { addDays, dayOfWeek, lastDayOf, periodOf, previousPeriod, sastDate, type IsoDate, type Period } from './dates.js';

/**
 * Cron schedules evaluated in Africa/Johannesburg (UTC+2 all year, no DST) whatever the process
 * TZ, and the occurrences between two instants. Pure: instants are arguments.
 *
 * The syntax is node-cron's (v4): 5 fields `minute hour day-of-month month day-of-week`, or 6 with
 * seconds first; `*`, `a`, `a-b`, `*\/n`, `a-b/n`, `a/n`, comma lists, month names (jan, january)
 * and day names (mon, monday), 0 or 7 for Sunday. As in node-cron, a day matches when day-of-month
 * AND day-of-week both match (classic cron ORs them when both are restricted).
 */
const SAST_OFFSET_MS = 2 * 3_600_000;

export interface CronSpec {
  readonly source: string;
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
}

export class CronError extends Error {}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  namesFrom?: number;
}

const RULES: readonly FieldRule[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, namesFrom: 0 },
];

const FULL: Record<string, string> = {
  jan: 'january', feb: 'february', mar: 'march', apr: 'april', may: 'may', jun: 'june', jul: 'july', aug: 'august',
  sep: 'september', oct: 'october', nov: 'november', dec: 'december',
  sun: 'sunday', mon: 'monday', tue: 'tuesday', wed: 'wednesday', thu: 'thursday', fri: 'friday', sat: 'saturday',
};

function value(raw: string, rule: FieldRule): number {
  const word = raw.toLowerCase();
  if (rule.names && /^[a-z]+$/.test(word)) {
    const i = rule.names.findIndex((n) => word === n || word === FULL[n]);
    if (i >= 0) return i + (rule.namesFrom ?? 0);
  }
  if (!/^\d+$/.test(raw)) throw new CronError(`${rule.name}: "${raw}" is not a number${rule.names ? ' or a name' : ''}`);
  const n = Number(raw);
  if (n < rule.min || n > rule.max) throw new CronError(`${rule.name}: ${n} is outside ${rule.min}-${rule.max}`);
  return n;
}


function field(text: string, rule: FieldRule): number[] {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!m) throw new CronError(`${rule.name}: "${item}" is not a value, range or step`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw new CronError(`${rule.name}: the step in "${item}" must be at least 1`);
    let lo: number;
    let hi: number;
    if (m[1] === '*') [lo, hi] = [rule.min, rule.max];
    else if (m[1]!.includes('-')) {
      const [a, b, extra] = m[1]!.split('-');
      if (extra !== undefined || !a || !b) throw new CronError(`${rule.name}: "${item}" is not a range a-b`);
      [lo, hi] = [value(a, rule), value(b, rule)];
      if (lo > hi) throw new CronError(`${rule.name}: the range "${item}" runs backwards`);
    } else {
      lo = value(m[1]!, rule);
      hi = m[2] === undefined ? lo : rule.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

/** Parse a node-cron string; throws CronError saying which field is wrong. */
export function parseCron(source: string): CronSpec {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    throw new CronError(`"${source}" has ${parts.length} fields; a cron string has 5 (minute hour day month weekday) or 6 (seconds first)`);
  }
  const all = parts.length === 5 ? ['0', ...parts] : parts;
  const f = all.map((p, i) => field(p, RULES[i]!));
  return {
    source,
    seconds: f[0]!,
    minutes: f[1]!,
    hours: f[2]!,
    days: new Set(f[3]),
    months: new Set(f[4]),
    weekdays: new Set(f[5]!.map((d) => (d === 7 ? 0 : d))),
  };
}

/** null when `source` parses, else why not (for config validation). */
export function cronProblem(source: string): string | null {
  try {
    parseCron(source);
    return null;
  } catch (err) {
    if (err instanceof CronError) return err.message;
    throw err;
  }
}

export function matchesDay(spec: CronSpec, date: IsoDate): boolean {
  const [, m, d] = date.split('-').map(Number) as [number, number, number];
  return spec.months.has(m) && spec.days.has(d) && spec.weekdays.has(dayOfWeek(date));
}

/** The occurrences of one SAST day, in order. */
function occurrencesOn(spec: CronSpec, date: IsoDate): Date[] {
  if (!matchesDay(spec, date)) return [];
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const out: Date[] = [];
  for (const h of spec.hours) for (const mi of spec.minutes) for (const s of spec.seconds) out.push(new Date(Date.UTC(y, m - 1, d, h, mi, s) - SAST_OFFSET_MS));
  return out;
}

/**
 * The occurrences t with `after` < t ≤ `upTo`, in order; at most `limit` (the earliest ones), so
 * a schedule of every second over a long outage cannot exhaust memory.
 */
export function occurrencesBetween(spec: CronSpec, after: Date, upTo: Date, limit = 10_000): Date[] {
  const out: Date[] = [];
  const last = sastDate(upTo);
  for (let day = sastDate(after); day <= last && out.length < limit; day = addDays(day, 1)) {
    for (const t of occurrencesOn(spec, day)) {
      if (t > after && t <= upTo) out.push(t);
      if (out.length >= limit) break;
    }
  }
  return out;
}

/** The first occurrence after `after`, or null when none within ~5 years (e.g. 31 February). */
export function nextOccurrence(spec: CronSpec, after: Date): Date | null {
  let day = sastDate(after);
  for (let i = 0; i < 5 * 366; i++, day = addDays(day, 1)) {
    for (const t of occurrencesOn(spec, day)) if (t > after) return t;
  }
  return null;
}

/**
 * The key an occurrence is recorded under: its SAST wall-clock time with the fixed offset, e.g.
 * `2025-12-01T02:00:00+02:00` — a valid ISO instant that sorts in time order as text.
 */
export function occurrenceKey(instant: Date): string {
  return new Date(instant.getTime() + SAST_OFFSET_MS).toISOString().slice(0, 19) + '+02:00';
}

export function keyInstant(key: string): Date {
  return new Date(key);
}

export function keyDate(key: string): IsoDate {
  return key.slice(0, 10);
}

/**
 * The pay step must run on every day a payment date can fall on: the 1st–3rd, but also the 4th or
 * 5th when the 1st–3rd hold no bank business day (May 2026, January 2027), or any day a settlement
 * generated late is due. A schedule that skips days leaves such a settlement pending until its next
 * occurrence; the warning says so (the daemon still runs it: an operator may mean it).
 */
export function payScheduleWarning(spec: CronSpec): string | null {
  const everyDay = spec.days.size === 31 && spec.months.size === 12 && spec.weekdays.size === 7;
  if (everyDay) return null;
  return `schedules.close_pay "${spec.source}" does not run every day: a settlement whose payment date falls between its occurrences (e.g. 2026-05-04, when the 1st–3rd hold no business day) is paid only at the next one; the default "0 2 * * *" pays every settlement on its payment date`;
}

/** The period a close occurrence on `date` (1st–3rd) closes: the month before. */
export function closedPeriodFor(date: IsoDate): Period {
  return previousPeriod(periodOf(date));
}

export type LateBatches = 'run' | 'today';

export type BatchVerdict = { run: true } | { run: false; reason: string };

/**
 * Whether the batch occurrence of `date` still makes sense on `today` (both SAST dates):
 * never once its period is over (the period is being or has been closed: a debit can no longer
 * be presented in it); a missed batch of the running period runs late, each with its own date,
 * unless `late` is `today` (for banks that refuse an action date in the past).
 */
export function batchVerdict(date: IsoDate, today: IsoDate, late: LateBatches): BatchVerdict {
  const period = periodOf(date);
  if (today > lastDayOf(period)) return { run: false, reason: `the ${period} period is over (it is closed on the 1st); no batch runs in it any more` };
  if (late === 'today' && date < today) return { run: false, reason: `missed on ${date}; late batches are not run (daemon.late_batches: today)` };
  return { run: true };
}
