import type { IsoDate } from '../dates.js';
import type { Cents, Rate } from '../money.js';

/** A deposit seen on the customer's account (income file, SPEC 3.3, or an account feed). */
export interface IncomeEvent {
  readonly date: IsoDate;
  readonly amountCents: Cents;
}

/** An attempt of a past period, as far as the income model needs it. */
export interface PastAttempt {
  readonly actionDate: IsoDate;
  readonly result: 'PAID' | 'UNPAID';
  readonly reasonCode: string | null;
}

export type AttemptResult = 'PAID' | 'UNPAID' | 'PENDING';

/** An attempt of the period being collected. PENDING: presented, result not known yet. */
export interface Attempt {
  readonly actionDate: IsoDate;
  readonly amountRequestedCents: Cents;
  readonly amountCollectedCents: Cents;
  readonly result: AttemptResult;
  readonly reasonCode: string | null;
}

/** Engine limits (config `engine.*`). */
export interface EngineLimits {
  readonly maxPresentments: number;
  readonly minDebitCents: Cents;
  readonly maxConsecutiveInsufficient: number;
  /** Irregular earners: the share of a deposit to debit (e.g. 0.8). */
  readonly irregularShare: Rate;
}

/** Priors for customers with no evidence (config `engine.salary_day` …). */
export interface IncomePriors {
  readonly salaryDay: number;
  /** The grant is paid between these business days of the month (1-based, inclusive). */
  readonly grantBusinessDays: readonly [number, number];
  readonly defaultPrior: 'salary' | 'grant';
}

export interface ExpectedDeposit {
  readonly date: IsoDate;
  /** Known for seen deposits and projections from income events; null when only timing is known. */
  readonly amountCents: Cents | null;
}

export type IncomeSource = 'income' | 'history' | 'prior';
export type IncomePattern = 'regular' | 'irregular';

export interface IncomeModel {
  readonly source: IncomeSource;
  readonly pattern: IncomePattern;
  /**
   * Deposits for the period being collected, ascending by date. With source `income`: deposits
   * seen up to today (plus a deposit of the previous month whose next business day falls in this
   * period, e.g. a last-business-day salary) and projections dated today or later.
   */
  readonly expectedDeposits: readonly ExpectedDeposit[];
}
