import { addMonths, dayNumber, monthEnd, type BankCalendar } from '../calendar.js';
import { firstDayOf, periodOf, type IsoDate, type Period } from '../dates.js';
import type { Cents } from '../money.js';
import { detectCadence, projectByStep, projectMonthly } from './income-projection.js';
import type { ExpectedDeposit, IncomeEvent, IncomeModel, IncomePattern, IncomePriors, PastAttempt } from './types.js';

/**
 * SPEC 4.2 step 1: when does this customer's money arrive in `period`, from the best evidence:
 * 1. income events (income files / an account feed) of the last LOOKBACK_MONTHS months up to today;
 * 2. else the customer's own attempts in those months;
 * 3. else a prior (salary on `salaryDay` moved back to a processing day, or a social grant).
 */
export interface IncomeModelInput {
  readonly period: Period;
  /** Deposits dated up to today count as seen; later ones are projected. */
  readonly today: IsoDate;
  readonly calendar: BankCalendar;
  readonly incomeEvents: readonly IncomeEvent[];
  /** Attempts of past periods (any attempt of `period` itself or later is ignored). */
  readonly history: readonly PastAttempt[];
  readonly priors: IncomePriors;
}

export const LOOKBACK_MONTHS = 3;
/** A projection this close to a deposit already seen is that deposit arriving early or late. */
const SAME_DEPOSIT_DAYS = 3;

export function buildIncomeModel(input: IncomeModelInput): IncomeModel {
  const { period, calendar: cal } = input;
  const start = firstDayOf(period);
  const end = monthEnd(period);
  const windowStart = firstDayOf(addMonths(period, -LOOKBACK_MONTHS));
  const seenUntil = input.today < end ? input.today : end;

  const inWindow: IncomeEvent[] = [];
  for (const e of input.incomeEvents) if (e.date >= windowStart && e.date <= seenUntil && e.amountCents > 0) inWindow.push(e);
  const events = perDate(inWindow);
  if (events.length > 0) return fromIncome(events, input, start, end);

  const history = input.history.filter((a) => a.actionDate >= windowStart && a.actionDate < start);
  if (history.length > 0) return fromHistory(history, input);

  return { source: 'prior', pattern: 'regular', expectedDeposits: priorDeposits(input.priors.defaultPrior, period, input.priors, cal) };
}

function fromIncome(events: IncomeEvent[], input: IncomeModelInput, start: IsoDate, end: IsoDate): IncomeModel {
  const { period, calendar: cal } = input;
  // A deposit on the previous month's last processing day (or the weekend after it) is the money
  // this period's first processing day can collect: a month-end salary pays next month's premium.
  const carryFrom = cal.lastProcessingDay(addMonths(period, -1));
  let firstCurrent = events.length;
  while (firstCurrent > 0 && events[firstCurrent - 1]!.date >= start) firstCurrent--;
  let firstActual = events.length;
  while (firstActual > 0 && events[firstActual - 1]!.date >= carryFrom) firstActual--;
  const actual = events.slice(firstActual);
  const cadence = detectCadence(events);
  const projected =
    cadence === 'monthly'
      ? projectMonthly(events.slice(0, firstCurrent), period, cal)
      : projectByStep(events, cadence === 'weekly' ? 7 : 14, period, cal);
  const from = input.today > start ? input.today : start;
  const expectedDeposits: ExpectedDeposit[] = actual.slice();
  for (const p of projected) {
    if (p.date < from || p.date > end) continue;
    const n = dayNumber(p.date);
    if (actual.some((a) => Math.abs(dayNumber(a.date) - n) <= SAME_DEPOSIT_DAYS)) continue;
    expectedDeposits.push(p);
  }
  expectedDeposits.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { source: 'income', pattern: classifyPattern(events, start), expectedDeposits };
}

/**
 * Irregular: "several smaller deposits of irregular amounts". A month is irregular when it has
 * at least 3 deposits, none of them is half the month's total or more (no main income), and the
 * amounts vary (coefficient of variation above 0.2; steady weekly wages stay regular). The
 * customer is irregular when at least half of the earlier months with deposits are irregular
 * (ties go to irregular: a share of each deposit is the gentler way to collect from a doubtful
 * earner); with no earlier month, the current month so far decides.
 */
function classifyPattern(events: readonly IncomeEvent[], start: IsoDate): IncomePattern {
  const earlier: Cents[][] = [];
  const current: Cents[] = [];
  let month: Period | null = null;
  for (const e of events) {
    if (e.date >= start) {
      current.push(e.amountCents);
      continue;
    }
    const p = periodOf(e.date);
    if (p !== month) {
      earlier.push([]);
      month = p;
    }
    earlier[earlier.length - 1]!.push(e.amountCents);
  }
  const months = earlier.length > 0 ? earlier : [current];
  const irregular = months.filter(isIrregularMonth).length;
  return irregular * 2 >= months.length && irregular > 0 ? 'irregular' : 'regular';
}

function isIrregularMonth(amounts: readonly Cents[]): boolean {
  if (amounts.length < 3) return false;
  const total = amounts.reduce((s, a) => s + a, 0);
  if (Math.max(...amounts) * 2 >= total) return false;
  const mean = total / amounts.length;
  const variance = amounts.reduce((s, a) => s + (a - mean) ** 2, 0) / amounts.length;
  return Math.sqrt(variance) / mean > 0.2;
}

/**
 * History: the customer paid on these days before, so money is there on those days again.
 * Each success of the latest period that had one recurs on its day of the month (the next
 * processing day if that is not one); the expected deposit is put on the processing day before,
 * so that "1 business day after the deposit" lands on the day that worked. Several successes in
 * one period were partial debits: irregular.
 * Failures only: the default prior, unless the customer already failed in its window in that
 * period, then the other prior.
 */
function fromHistory(history: readonly PastAttempt[], input: IncomeModelInput): IncomeModel {
  const { period, calendar: cal, priors } = input;
  const paid = history.filter((a) => a.result === 'PAID').map((a) => a.actionDate).sort();
  const lastPaid = paid[paid.length - 1];
  if (lastPaid !== undefined) {
    const ref = periodOf(lastPaid);
    const days = paid.filter((d) => periodOf(d) === ref);
    const lastDay = Number(monthEnd(period).slice(8));
    const dates = new Set<IsoDate>();
    for (const d of days) {
      const target = `${period}-${String(Math.min(Number(d.slice(8)), lastDay)).padStart(2, '0')}`;
      let on = cal.onOrAfter(target);
      if (periodOf(on) !== period) on = cal.onOrBefore(target);
      dates.add(cal.previousProcessingDay(on));
    }
    const expectedDeposits = [...dates].sort().map((date) => ({ date, amountCents: null }));
    return { source: 'history', pattern: days.length >= 2 ? 'irregular' : 'regular', expectedDeposits };
  }
  const failures = history.map((a) => a.actionDate).sort();
  const ref = periodOf(failures[failures.length - 1]!);
  const other = priors.defaultPrior === 'salary' ? 'grant' : 'salary';
  const failedInWindow = (kind: 'salary' | 'grant') =>
    priorDeposits(kind, ref, priors, cal).some((dep) => {
      const lo = cal.addProcessingDays(dep.date, 1);
      const hi = cal.addProcessingDays(dep.date, 2);
      return failures.some((f) => f >= lo && f <= hi);
    });
  const kind = failedInWindow(priors.defaultPrior) && !failedInWindow(other) ? other : priors.defaultPrior;
  return { source: 'history', pattern: 'regular', expectedDeposits: priorDeposits(kind, period, priors, cal) };
}

/**
 * Salary: `salaryDay` (the last day in shorter months) moved back to a processing day.
 * Grant: SASSA pays between the two configured business days; the later one is used so that a
 * debit is never presented before the grant is in.
 */
export function priorDeposits(kind: 'salary' | 'grant', period: Period, priors: IncomePriors, cal: BankCalendar): ExpectedDeposit[] {
  if (kind === 'grant') return [{ date: cal.nthProcessingDay(period, priors.grantBusinessDays[1]), amountCents: null }];
  const lastDay = Number(monthEnd(period).slice(8));
  const day = String(Math.min(priors.salaryDay, lastDay)).padStart(2, '0');
  return [{ date: cal.onOrBefore(`${period}-${day}`), amountCents: null }];
}

/** One event per date, amounts of the same date summed, ascending. */
function perDate(events: readonly IncomeEvent[]): IncomeEvent[] {
  let ascending = true;
  for (let i = 1; i < events.length && ascending; i++) ascending = events[i - 1]!.date < events[i]!.date;
  if (ascending) return events as IncomeEvent[];
  const byDate = new Map<IsoDate, Cents>();
  for (const e of events) byDate.set(e.date, (byDate.get(e.date) ?? 0) + e.amountCents);
  return [...byDate].map(([date, amountCents]) => ({ date, amountCents })).sort((a, b) => (a.date < b.date ? -1 : 1));
}
