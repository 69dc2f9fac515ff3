import { daysFrom } from '../calendar.js';
import { firstDayOf, type IsoDate } from '../dates.js';
import { applyRate, divHalfUp, type Cents } from '../money.js';
import { commonGuards, dayGuard, type PlanDecision, type PlanInput, type Strategy } from './strategy.js';
import type { ExpectedDeposit } from './types.js';

/**
 * The default strategy, SPEC 4.2 steps 2–4 and 4.3:
 * - present on the first business day after a deposit (the second is the slack for a missed
 *   batch; a deposit whose first day has passed is acted on at once), never before or on its day,
 *   unless month end forces it: a deposit on the last processing day is presented that day;
 * - a deposit only triggers a presentment if it came on or after the last attempt's day (money
 *   that was there for the last attempt is not new); so after a soft failure we wait for the next
 *   income, never retry the next day blindly;
 * - regular earners: the full remaining amount; irregular: a share of the deposit(s) acted on,
 *   capped at the remaining amount, floored at the minimum debit (or the remaining, if less);
 * - no income expected at all and nothing tried yet: one attempt on the period's last processing
 *   day (full collection is aimed at by month end).
 */
export const defaultStrategy: Strategy = {
  name: 'default',
  plan(input: PlanInput): PlanDecision {
    const guard = commonGuards(input) ?? dayGuard(input);
    if (guard) return guard;
    const { today, period, calendar: cal, collection, income, limits } = input;
    const remaining = collection.amountDueCents - collection.collectedCents;
    const lastPd = cal.lastProcessingDay(period);
    const since = collection.attempts[collection.attempts.length - 1]?.actionDate ?? null;

    const triggers: { deposit: ExpectedDeposit; on: IsoDate }[] = [];
    for (const deposit of depositsToActOn(input)) {
      if (since !== null && deposit.date < since) continue;
      if (deposit.date > lastPd) continue;
      let on = cal.addProcessingDays(deposit.date, 1);
      if (on > lastPd) on = lastPd;
      if (on < today) on = today;
      if (since !== null && on <= since) on = cal.nextProcessingDay(since);
      if (on <= lastPd) triggers.push({ deposit, on });
    }

    if (triggers.length === 0) {
      if (collection.attempts.length > 0) return { action: 'wait', reason: 'NO_EXPECTED_INCOME' };
      if (today < lastPd) return { action: 'wait', reason: 'NO_EXPECTED_INCOME', nextDate: lastPd };
      return { action: 'present', amountCents: remaining };
    }
    const next = triggers.reduce((d, t) => (t.on < d ? t.on : d), lastPd);
    if (next > today) return { action: 'wait', reason: 'AWAITING_INCOME', nextDate: next };
    if (income.pattern === 'regular') return { action: 'present', amountCents: remaining };

    const acting = triggers.filter((t) => t.on === today).map((t) => t.deposit.amountCents);
    let base: Cents;
    if (acting.every((a): a is Cents => a !== null)) {
      base = applyRate(acting.reduce((s, a) => s + a, 0), limits.irregularShare);
    } else {
      // Timing known but not amounts (history, priors): spread what is left over the deposits to come.
      base = Number(divHalfUp(BigInt(remaining), BigInt(triggers.length - acting.length + 1)));
    }
    const floor = Math.min(limits.minDebitCents, remaining);
    return { action: 'present', amountCents: Math.min(Math.max(base, floor), remaining) };
  },
};

const SAME_DEPOSIT_DAYS = 3;

/**
 * The deposits to plan from. With income evidence (source `income`) reality wins over projection:
 * a deposit of this period dated before today counts only if it was seen; a projection close to a
 * deposit seen is that deposit arriving early or late. Deposits before the period (carried in by
 * the model) were seen. With history or priors, the model's dates are all there is.
 */
function depositsToActOn(input: PlanInput): ExpectedDeposit[] {
  const { today, period, income, incomeEventsThisPeriod: seen } = input;
  const start = firstDayOf(period);
  const out: ExpectedDeposit[] = [];
  for (const d of income.expectedDeposits) {
    if (d.date >= start) {
      if (seen.some((e) => e.date === d.date)) continue; // the feed's amount is taken below
      if (income.source === 'income' && d.date < today) continue;
      if (seen.some((e) => Math.abs(daysFrom(e.date, d.date)) <= SAME_DEPOSIT_DAYS)) continue;
    }
    out.push(d);
  }
  const fromFeed = new Map<IsoDate, Cents>();
  for (const e of seen) if (e.date <= today) fromFeed.set(e.date, (fromFeed.get(e.date) ?? 0) + e.amountCents);
  for (const [date, amountCents] of fromFeed) out.push({ date, amountCents });
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
