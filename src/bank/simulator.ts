import { addMonths, daysFrom, plusDays, type BankCalendar } from '../domain/calendar.js';
import { periodOf, type IsoDate, type Period } from '../domain/dates.js';
import type { Cents } from '../domain/money.js';
import type { IncomeEvent } from '../domain/engine/types.js';
import type { BankGateway, DebitInstruction, DebitResult } from './gateway.js';
import {
  DEFAULT_MIX,
  RETURN_CODE_OF_STATUS,
  accountProfile,
  hash32,
  monthDeposits,
  type AccountProfile,
  type PopulationMix,
} from './simulator-population.js';

export { DEFAULT_MIX, type PopulationMix, type AccountProfile } from './simulator-population.js';

/**
 * The simulated bank (SPEC 4.4), the default gateway and the yardstick for strategies.
 *
 * An account's balance on a day is computed only when a debit is presented, never by walking the
 * calendar: balance(D) = standing balance + what is left on D of each deposit of the last
 * WINDOW_DAYS days − debits paid in that window. A deposit loses its committed share on the day
 * it lands (other debit orders, rent, loans) and the rest evenly over the account's spending days,
 * except a small share that stays. Debits outside the window have been absorbed by the customer's
 * later spending; deposits outside it have been spent.
 *
 * A debit sees deposits dated before its action date, and a deposit of the same day only if that
 * credit was processed before the debit run: in South Africa some payers credit at midnight, others
 * later in the day. Which deposits come early is drawn per deposit (sameDayCreditShare, default
 * half). If only money that landed that day but was not yet cleared would have covered the debit,
 * it is returned 22 EFFECTS_NOT_CLEARED; otherwise 02 INSUFFICIENT_FUNDS. Closed, stopped,
 * deceased and unauthorised accounts return their hard code (12, 04, 18, 30) for every debit.
 * A paid debit takes the full amount (debit orders are all or nothing).
 *
 * State is reconstructable: everything is a function of (seed, customerId, date) except the debits
 * paid, which a restarted caller replays with recordPaid().
 */
export const WINDOW_DAYS = 62;

/** Deposits are not cached: regenerating a month is cheaper than keeping 100 000 accounts' months. */
interface Account {
  readonly profile: AccountProfile;
  readonly paid: { date: IsoDate; cents: Cents }[];
}

export interface SimulatedBankOptions {
  readonly seed: number;
  readonly calendar: BankCalendar;
  readonly mix?: Partial<PopulationMix>;
  /** Share of deposits credited before the debit run of their own day (0–1, default 0.5). */
  readonly sameDayCreditShare?: number;
}

export class SimulatedBank implements BankGateway {
  readonly name = 'simulator' as const;
  private readonly seed: number;
  private readonly calendar: BankCalendar;
  private readonly mix: PopulationMix;
  private readonly earlyCredit: number;
  private readonly accounts = new Map<string, Account>();
  /** Results by instruction id: a debit presented twice is answered twice but taken once. */
  private readonly results = new Map<string, DebitResult>();

  constructor(opts: SimulatedBankOptions) {
    if (!Number.isInteger(opts.seed)) throw new Error(`simulator seed must be an integer, got ${opts.seed}`);
    this.seed = opts.seed;
    this.calendar = opts.calendar;
    this.mix = Object.freeze({ ...DEFAULT_MIX, ...opts.mix });
    const bad = Object.entries(this.mix).filter(([, v]) => !(Number.isFinite(v) && v >= 0));
    if (bad.length > 0) throw new Error(`population mix: ${bad.map(([k]) => k).join(', ')} must be numbers ≥ 0`);
    const m = this.mix;
    if (m.salary25 + m.salaryLastDay + m.grant + m.weekly + m.fortnightly + m.gig <= 0) throw new Error('population mix: no income kind has a weight');
    if (m.closed + m.stopped + m.deceased + m.noAuthority > 1) throw new Error('population mix: account state shares add up to more than 1');
    const share = opts.sameDayCreditShare ?? 0.5;
    if (!(share >= 0 && share <= 1)) throw new Error(`sameDayCreditShare must be between 0 and 1, got ${share}`);
    // Compared with a 32-bit hash: a deposit is early when its hash is below this threshold.
    this.earlyCredit = Math.round(share * 2 ** 32);
  }

  /** Results come back at once, dated the action date (moved to a processing day if it is not one). */
  async present(_batchDate: IsoDate, instructions: readonly DebitInstruction[]): Promise<DebitResult[]> {
    return instructions.map((i) => this.presentOne(i));
  }

  /** The simulated customer's account profile (income kind, premium, status…). */
  profileOf(customerId: string): AccountProfile {
    return this.account(customerId).profile;
  }

  /** The premium the simulated population pays for this customer's policy. */
  premiumFor(customerId: string): Cents {
    return this.account(customerId).profile.premiumCents;
  }

  /** Deposits dated from..to inclusive, ascending: what an account-information feed shows. */
  depositsFor(customerId: string, from: IsoDate, to: IsoDate): IncomeEvent[] {
    const acc = this.account(customerId);
    const out: IncomeEvent[] = [];
    // Pay moved back before a holiday can land in the previous month: look one month further.
    const last = periodOf(plusDays(to, 7));
    for (let p = periodOf(from); p <= last; p = addMonths(p, 1)) {
      for (const e of this.monthOf(customerId, acc, p)) if (e.date >= from && e.date <= to) out.push(e);
    }
    return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  }

  /** Replay a debit already paid (after a restart) so balances are what they were. */
  recordPaid(customerId: string, date: IsoDate, cents: Cents): void {
    if (!Number.isSafeInteger(cents) || cents <= 0) throw new Error(`not a positive amount in cents: ${cents}`);
    this.account(customerId).paid.push({ date, cents });
  }

  /** What a debit on `date` can take: cleared funds, including that day's early credits and debits already paid. */
  balanceOn(customerId: string, date: IsoDate): Cents {
    return this.balances(customerId, date).cleared;
  }

  private presentOne(i: DebitInstruction): DebitResult {
    const known = this.results.get(i.instructionId);
    if (known) return known;
    if (!Number.isSafeInteger(i.amountCents) || i.amountCents <= 0) {
      throw new Error(`instruction ${i.instructionId}: amount must be positive integer cents, got ${i.amountCents}`);
    }
    const acc = this.account(i.customerId);
    const processedDate = this.calendar.onOrAfter(i.actionDate);
    const hard = RETURN_CODE_OF_STATUS[acc.profile.status];
    let result: DebitResult;
    if (hard !== null) {
      result = { instructionId: i.instructionId, result: 'UNPAID', amountCollectedCents: 0, reasonCode: hard, processedDate };
    } else {
      const { cleared, uncleared } = this.balances(i.customerId, processedDate, acc);
      if (cleared >= i.amountCents) {
        acc.paid.push({ date: processedDate, cents: i.amountCents });
        result = { instructionId: i.instructionId, result: 'PAID', amountCollectedCents: i.amountCents, reasonCode: null, processedDate };
      } else {
        const code = cleared + uncleared >= i.amountCents ? '22' : '02';
        result = { instructionId: i.instructionId, result: 'UNPAID', amountCollectedCents: 0, reasonCode: code, processedDate };
      }
    }
    this.results.set(i.instructionId, result);
    return result;
  }

  private balances(customerId: string, date: IsoDate, acc = this.account(customerId)): { cleared: Cents; uncleared: Cents } {
    const p = acc.profile;
    const { from, months } = this.windowOf(date);
    let cleared = p.baseCents;
    let uncleared = 0;
    for (const m of months) {
      for (const e of this.monthOf(customerId, acc, m)) {
        if (e.date < from || e.date > date) continue;
        const left = leftOf(e.amountCents, daysFrom(e.date, date), p);
        if (e.date !== date || hash32(this.seed, `early:${customerId}:${e.date}`) < this.earlyCredit) cleared += left;
        else uncleared += left;
      }
    }
    for (const d of acc.paid) if (d.date >= from && d.date <= date) cleared -= d.cents;
    return { cleared, uncleared };
  }

  /** The window a debit on `date` looks back over, and the months whose deposits can fall in it (the last one computed: a batch presents on one date). */
  private window: { date: IsoDate; from: IsoDate; months: readonly Period[] } | null = null;
  private windowOf(date: IsoDate): { from: IsoDate; months: readonly Period[] } {
    if (this.window?.date !== date) {
      const from = plusDays(date, -WINDOW_DAYS);
      const months: Period[] = [];
      for (let m = periodOf(from), last = addMonths(periodOf(date), 1); m <= last; m = addMonths(m, 1)) months.push(m);
      this.window = { date, from, months };
    }
    return this.window;
  }

  private account(customerId: string): Account {
    let acc = this.accounts.get(customerId);
    if (!acc) {
      acc = { profile: accountProfile(this.seed, customerId, this.mix), paid: [] };
      this.accounts.set(customerId, acc);
    }
    return acc;
  }

  private monthOf(customerId: string, acc: Account, period: Period): IncomeEvent[] {
    return monthDeposits(this.seed, customerId, acc.profile, period, this.calendar);
  }
}

/**
 * What is left of a deposit `days` after it landed: minus the committed share at once, minus the
 * spendable part evenly over spendDays (integer cents, rounded towards spending).
 */
export function leftOf(amount: Cents, days: number, p: Pick<AccountProfile, 'commitPermille' | 'spendDays' | 'keepPermille'>): Cents {
  const disposable = amount - Math.floor((amount * p.commitPermille) / 1000);
  const spendable = disposable - Math.floor((disposable * p.keepPermille) / 1000);
  const spent = Math.ceil((spendable * Math.min(days, p.spendDays)) / p.spendDays);
  return disposable - spent;
}
