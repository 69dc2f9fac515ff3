import type { KasiConfig } from '../../config.js';
import { createZaCalendar, type BankCalendar } from '../../domain/calendar.js';
import { withDebitCap } from '../../domain/engine/debit-cap.js';
import { defaultStrategy } from '../../domain/engine/default-strategy.js';
import { naiveStrategy } from '../../domain/engine/naive-strategy.js';
import type { Strategy } from '../../domain/engine/strategy.js';
import type { EngineLimits, IncomePriors } from '../../domain/engine/types.js';
import { centsFromDecimal, parseRate } from '../../domain/money.js';

/** The engine's pure collaborators, built once from config. */
export interface EngineSetup {
  calendar: BankCalendar;
  strategy: Strategy;
  limits: EngineLimits;
  priors: IncomePriors;
}

const calendars = new Map<string, BankCalendar>();

export function calendarFor(config: Pick<KasiConfig, 'calendar'>): BankCalendar {
  const key = config.calendar.extra_non_processing_days.join(',');
  let cal = calendars.get(key);
  if (!cal) {
    cal = createZaCalendar([...config.calendar.extra_non_processing_days]);
    calendars.set(key, cal);
  }
  return cal;
}

export function engineSetup(config: KasiConfig, strategyName?: 'default' | 'naive'): EngineSetup {
  const e = config.engine;
  return {
    calendar: calendarFor(config),
    // every strategy under the debit cap: never more than the money seen (domain/engine/debit-cap.ts)
    strategy: withDebitCap((strategyName ?? e.strategy) === 'naive' ? naiveStrategy : defaultStrategy),
    limits: {
      maxPresentments: e.max_presentments,
      minDebitCents: centsFromDecimal(e.min_debit),
      maxConsecutiveInsufficient: e.max_consecutive_insufficient,
      irregularShare: parseRate(e.irregular_share),
    },
    priors: { salaryDay: e.salary_day, grantBusinessDays: e.grant_business_days, defaultPrior: e.default_prior },
  };
}
