import { addMonths } from '../calendar.js';
import { firstDayOf } from '../dates.js';
import type { Cents } from '../money.js';
import type { PlanDecision, PlanInput, Strategy } from './strategy.js';

/**
 * The debit cap (issue 12), for every strategy: with deposit amounts known (an income feed: the
 * income model's source is `income`), a presentment never exceeds the money seen since the last
 * attempt, and when that money is under the minimum debit the collection waits for more.
 *
 * - "Money seen since the last attempt": the deposits dated on or after the last attempt's action
 *   date (a debit runs before the day's credits clear, so a deposit on the day of an attempt is new
 *   money for the next one) up to today. With no attempt yet this period: the deposits from the
 *   previous month's last processing day on (the income model's rule: a month-end salary pays
 *   this month's premium).
 * - "The minimum debit" is `engine.min_debit`, or what is left to collect when that is less (a
 *   R10 balance is presented as R10, as without the cap).
 * - Without known amounts (history, priors) there is nothing to cap by: the strategy decides.
 *
 * So a steady R80-a-week earner with a R300 premium is debited R80 after an R80 deposit, not R300
 * (SPEC 4.2's R80 + R70 + R90 + R60), and the R20 floor never lifts a debit above an R15 deposit.
 */
export function moneySeenSinceLastAttempt(input: PlanInput): Cents | null {
  const { income, collection, calendar: cal, period, today } = input;
  if (income.source !== 'income') return null;
  const last = collection.attempts[collection.attempts.length - 1];
  const from = last ? last.actionDate : cal.lastProcessingDay(addMonths(period, -1));
  const start = firstDayOf(period);
  let seen = 0;
  for (const e of input.incomeEventsThisPeriod) if (e.date >= from && e.date >= start && e.date <= today) seen += e.amountCents;
  // deposits of the previous month's end, carried into this period by the model (seen, with amounts)
  for (const d of income.expectedDeposits) if (d.date < start && d.date >= from && d.amountCents !== null) seen += d.amountCents;
  return seen;
}

/** A strategy's decision under the cap. */
export function capDecision(input: PlanInput, decision: PlanDecision): PlanDecision {
  if (decision.action !== 'present') return decision;
  const seen = moneySeenSinceLastAttempt(input);
  if (seen === null) return decision;
  const remaining = input.collection.amountDueCents - input.collection.collectedCents;
  const amount = Math.min(decision.amountCents, seen);
  // no nextDate: nothing is presented until the deposits (or attempts) change (strategy.ts contract)
  if (amount <= 0 || amount < Math.min(input.limits.minDebitCents, remaining)) return { action: 'wait', reason: 'AWAITING_INCOME' };
  return { action: 'present', amountCents: amount };
}

/** Any strategy, capped: what the batch and the simulator run. */
export function withDebitCap(strategy: Strategy): Strategy {
  return { name: strategy.name, plan: (input) => capDecision(input, strategy.plan(input)) };
}
