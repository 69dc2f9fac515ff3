import { plusDays } from '../calendar.js';
import { commonGuards, dayGuard, type PlanDecision, type PlanInput, type Strategy } from './strategy.js';

/**
 * The yardstick: what a collections house without an income model does. The full remaining
 * amount on the first processing day of the month, then every 7 days (the processing day on or
 * after the last attempt + 7), under the same limits and hard-stop rules as the default strategy.
 * A collection opened late presents on its first processing day.
 */
export const naiveStrategy: Strategy = {
  name: 'naive',
  plan(input: PlanInput): PlanDecision {
    const guard = commonGuards(input) ?? dayGuard(input);
    if (guard) return guard;
    const { today, period, calendar: cal, collection } = input;
    const last = collection.attempts[collection.attempts.length - 1];
    const due = last ? cal.onOrAfter(plusDays(last.actionDate, 7)) : cal.processingDaysIn(period)[0]!;
    if (due > cal.lastProcessingDay(period)) return { action: 'wait', reason: 'SCHEDULED' };
    if (due > today) return { action: 'wait', reason: 'SCHEDULED', nextDate: due };
    return { action: 'present', amountCents: collection.amountDueCents - collection.collectedCents };
  },
};
