import { addMonths, monthEnd, plusDays, type BankCalendar } from '../domain/calendar.js';
import { firstDayOf, type IsoDate, type Period } from '../domain/dates.js';
import type { Cents } from '../domain/money.js';
import { finalStatus, type FinalStatus } from '../domain/engine/collection-state.js';
import { buildIncomeModel, LOOKBACK_MONTHS } from '../domain/engine/income-model.js';
import type { PlanInput, Strategy } from '../domain/engine/strategy.js';
import type { Attempt, EngineLimits, IncomeEvent, IncomeModel, IncomePriors } from '../domain/engine/types.js';
import type { DebitInstruction } from './gateway.js';
import type { SimulatedBank } from './simulator.js';

/**
 * One month of collections for N simulated accounts with one strategy, day by day, against the
 * simulated bank: the yardstick of SPEC 4.4 (also reused by the benchmark). Each processing day
 * is one batch: every open collection is planned, the debits are presented together, the results
 * come back the same day. Income events are what an account-information feed shows: every deposit
 * dated up to that day (fetched once per account for the whole month and revealed day by day).
 */
export interface SimAccount {
  readonly customerId: string;
  readonly premiumCents: Cents;
}

export interface SimulateMonthOptions {
  readonly bank: SimulatedBank;
  readonly calendar: BankCalendar;
  readonly period: Period;
  readonly strategy: Strategy;
  readonly accounts: readonly SimAccount[];
  readonly limits: EngineLimits;
  readonly priors: IncomePriors;
  /**
   * `skip-idle` (default) asks the strategy again only when its wait ends (nextDate), a deposit
   * arrives or a result came in, which the Strategy contract allows, and rebuilds an income model
   * only when a deposit arrives; `daily` asks every processing day with a fresh model, as the
   * production batch does. Both give the same outcome (tested).
   */
  readonly mode?: 'skip-idle' | 'daily';
  /** false: strategies see no income events (priors only). Default true. */
  readonly incomeFeed?: boolean;
}

export interface MonthOutcome {
  readonly strategy: string;
  readonly period: Period;
  readonly accounts: number;
  readonly dueCents: Cents;
  readonly collectedCents: Cents;
  /** collected / due. */
  readonly collectionRate: number;
  readonly presentments: number;
  readonly paid: number;
  readonly failed: number;
  readonly failedPerSuccess: number;
  /** Day of the month on which the average rand was collected (weighted by amount). */
  readonly meanDayOfCollection: number;
  readonly statuses: Readonly<Record<Exclude<FinalStatus, 'CANCELLED'>, number>>;
  readonly failuresByCode: Readonly<Record<string, number>>;
}

interface State {
  readonly account: SimAccount;
  readonly deposits: IncomeEvent[];
  seen: number;
  readonly attempts: Attempt[];
  collected: Cents;
  open: boolean;
  /** Ask again on or after this day; null: only when a deposit arrives. */
  askOn: IsoDate | null;
  /**
   * The income model, rebuilt only when a deposit arrives (skip-idle): with the same deposits, a
   * model built on an earlier day differs only by projections now in the past, which the default
   * strategy ignores when the source is `income` (and other sources do not depend on the day).
   */
  model: IncomeModel | null;
  modelSeen: number;
  modelOn: IsoDate | null;
}

/** N accounts C0000001… with the premiums the simulated population pays. */
export function simulatedAccounts(bank: SimulatedBank, n: number): SimAccount[] {
  const out: SimAccount[] = [];
  for (let i = 1; i <= n; i++) {
    const customerId = `C${String(i).padStart(7, '0')}`;
    out.push({ customerId, premiumCents: bank.premiumFor(customerId) });
  }
  return out;
}

export async function simulateMonth(opts: SimulateMonthOptions): Promise<MonthOutcome> {
  const { bank, calendar: cal, period, strategy } = opts;
  const mode = opts.mode ?? 'skip-idle';
  const start = firstDayOf(period);
  const end = monthEnd(period);
  const lookback = addMonths(period, -LOOKBACK_MONTHS);
  const states: State[] = opts.accounts.map((account) => ({
    account,
    deposits: opts.incomeFeed === false ? [] : bank.depositsFor(account.customerId, firstDayOf(lookback), end),
    seen: 0,
    attempts: [],
    collected: 0,
    open: true,
    askOn: start,
    model: null,
    modelSeen: -1,
    modelOn: null,
  }));
  let presentments = 0;
  let paid = 0;
  let failed = 0;
  let dayWeighted = 0;
  const failuresByCode: Record<string, number> = {};

  let open = states;
  for (let today = start; today <= end; today = plusDays(today, 1)) {
    if (!cal.isProcessingDay(today)) continue;
    const batch: { state: State; instruction: DebitInstruction }[] = [];
    for (const state of open) {
      const before = state.seen;
      while (state.seen < state.deposits.length && state.deposits[state.seen]!.date <= today) state.seen++;
      const due = state.askOn !== null && today >= state.askOn;
      if (mode === 'skip-idle' && !due && state.seen === before) continue;
      const decision = strategy.plan(planInput(state, today, opts));
      if (decision.action === 'stop') {
        state.open = false;
      } else if (decision.action === 'wait') {
        state.askOn = decision.nextDate ?? null;
      } else {
        const presentment = state.attempts.length + 1;
        const { customerId } = state.account;
        batch.push({
          state,
          instruction: {
            instructionId: `${customerId}-${period}-${presentment}`,
            tenant: 'sim',
            policyNumber: `P${customerId}`,
            customerId,
            externalCustomerRef: customerId,
            amountCents: decision.amountCents,
            actionDate: today,
            presentment,
          },
        });
      }
    }
    const results = await bank.present(today, batch.map((b) => b.instruction));
    results.forEach((r, k) => {
      const { state, instruction } = batch[k]!;
      state.attempts.push({
        actionDate: instruction.actionDate,
        amountRequestedCents: instruction.amountCents,
        amountCollectedCents: r.amountCollectedCents,
        result: r.result,
        reasonCode: r.reasonCode,
      });
      state.collected += r.amountCollectedCents;
      state.askOn = cal.nextProcessingDay(today);
      presentments++;
      if (r.result === 'PAID') {
        paid++;
        dayWeighted += Number(today.slice(8)) * r.amountCollectedCents;
      } else {
        failed++;
        const code = r.reasonCode ?? '';
        failuresByCode[code] = (failuresByCode[code] ?? 0) + 1;
      }
    });
    open = open.filter((s) => s.open);
  }

  let dueCents = 0;
  let collectedCents = 0;
  const statuses = { PAID_FULL: 0, PAID_PARTIAL: 0, UNPAID: 0 };
  for (const s of states) {
    dueCents += s.account.premiumCents;
    collectedCents += s.collected;
    const status = finalStatus(s.account.premiumCents, s.collected, false) as keyof typeof statuses;
    statuses[status]++;
  }
  return {
    strategy: strategy.name,
    period,
    accounts: states.length,
    dueCents,
    collectedCents,
    collectionRate: dueCents === 0 ? 0 : collectedCents / dueCents,
    presentments,
    paid,
    failed,
    failedPerSuccess: paid === 0 ? 0 : failed / paid,
    meanDayOfCollection: collectedCents === 0 ? 0 : dayWeighted / collectedCents,
    statuses,
    failuresByCode,
  };
}

function planInput(state: State, today: IsoDate, opts: SimulateMonthOptions): PlanInput {
  const { period, calendar, priors, limits } = opts;
  const start = firstDayOf(period);
  let firstThisPeriod = 0;
  while (firstThisPeriod < state.seen && state.deposits[firstThisPeriod]!.date < start) firstThisPeriod++;
  return {
    today,
    period,
    calendar,
    collection: {
      amountDueCents: state.account.premiumCents,
      collectedCents: state.collected,
      presentments: state.attempts.length,
      attempts: state.attempts,
    },
    // Built on first use: a strategy that plans without income (naive) does not pay for it.
    get income(): IncomeModel {
      if (state.model === null || state.modelSeen !== state.seen || (opts.mode === 'daily' && state.modelOn !== today)) {
        const incomeEvents = state.deposits.slice(0, state.seen);
        state.model = buildIncomeModel({ period, today, calendar, incomeEvents, history: [], priors });
        state.modelSeen = state.seen;
        state.modelOn = today;
      }
      return state.model;
    },
    incomeEventsThisPeriod: state.deposits.slice(firstThisPeriod, state.seen),
    limits,
  };
}
