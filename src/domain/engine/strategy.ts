import type { BankCalendar } from '../calendar.js';
import type { IsoDate, Period } from '../dates.js';
import type { Cents } from '../money.js';
import { MAX_PRESENTMENTS, haltReason } from './collection-state.js';
import type { Attempt, EngineLimits, IncomeEvent, IncomeModel } from './types.js';

/**
 * A collection strategy (SPEC 4.2): pure inputs in, one decision for today out. The daily batch
 * asks it for every open collection; the simulator asks it to compare strategies.
 *
 * Contract, so callers may skip asking on days nothing can change:
 * - `wait` with `nextDate`: with the same attempts and deposits, nothing is presented before nextDate;
 * - `wait` without `nextDate`: nothing is presented until the attempts or deposits change;
 * - `stop`: nothing more is presented this period.
 */
export interface Strategy {
  readonly name: string;
  plan(input: PlanInput): PlanDecision;
}

export interface PlanInput {
  readonly today: IsoDate;
  readonly period: Period;
  readonly calendar: BankCalendar;
  readonly collection: {
    readonly amountDueCents: Cents;
    readonly collectedCents: Cents;
    readonly presentments: number;
    /** Attempts so far this period, oldest first. */
    readonly attempts: readonly Attempt[];
  };
  readonly income: IncomeModel;
  /** Deposits seen this period up to today (income files / account feed). */
  readonly incomeEventsThisPeriod: readonly IncomeEvent[];
  readonly limits: EngineLimits;
}

export type PlanDecision =
  | { readonly action: 'present'; readonly amountCents: Cents }
  | { readonly action: 'wait'; readonly reason: WaitReason; readonly nextDate?: IsoDate }
  | { readonly action: 'stop'; readonly reason: string };

export type WaitReason =
  | 'PENDING_RESULT'
  | 'BEFORE_PERIOD'
  | 'NOT_A_PROCESSING_DAY'
  | 'AWAITING_INCOME'
  | 'NO_EXPECTED_INCOME'
  | 'SCHEDULED';

export const FULLY_COLLECTED = 'FULLY_COLLECTED';
export const PERIOD_ENDED = 'PERIOD_ENDED';

/**
 * The checks every strategy shares, in order: no processing day left in the period, nothing left
 * to collect, a result outstanding (never present on top of a debit in flight), a hard failure or
 * a limit reached. Returns null when the strategy may decide.
 */
export function commonGuards(input: PlanInput): PlanDecision | null {
  const { today, period, calendar: cal, collection, limits } = input;
  if (today > cal.lastProcessingDay(period)) return { action: 'stop', reason: PERIOD_ENDED };
  if (collection.amountDueCents - collection.collectedCents <= 0) return { action: 'stop', reason: FULLY_COLLECTED };
  if (collection.attempts.some((a) => a.result === 'PENDING')) return { action: 'wait', reason: 'PENDING_RESULT' };
  const attempts = collection.attempts;
  const presented = Math.max(collection.presentments, attempts.length);
  const halt = haltReason(
    attempts,
    { maxPresentments: limits.maxPresentments, maxConsecutiveInsufficient: limits.maxConsecutiveInsufficient },
    input.incomeEventsThisPeriod.map((e) => e.date),
  );
  if (halt !== null) return { action: 'stop', reason: halt };
  if (presented >= limits.maxPresentments) return { action: 'stop', reason: MAX_PRESENTMENTS };
  return null;
}

/** Null if a debit can be presented today, else a wait until the first day one could be. */
export function dayGuard(input: PlanInput): PlanDecision | null {
  const { today, period, calendar: cal } = input;
  const first = cal.processingDaysIn(period)[0]!;
  if (today < first) return { action: 'wait', reason: 'BEFORE_PERIOD', nextDate: first };
  if (!cal.isProcessingDay(today)) return { action: 'wait', reason: 'NOT_A_PROCESSING_DAY', nextDate: cal.nextProcessingDay(today) };
  return null;
}
