import { prng } from '../domain/sample-book.js';
import { daysFrom, monthEnd, plusDays, weekday, type BankCalendar } from '../domain/calendar.js';
import { firstDayOf, type IsoDate, type Period } from '../domain/dates.js';
import type { Cents } from '../domain/money.js';
import type { IncomeEvent } from '../domain/engine/types.js';

/**
 * The simulated population (SPEC 4.4): every account is a pure function of (seed, customerId), and
 * every month's deposits a pure function of (seed, customerId, month). Nothing depends on the order
 * in which accounts or months are asked for, so a run can be replayed or resumed exactly.
 *
 * The numbers below are a plain-words model of South African retail accounts, fixed before any
 * strategy was measured against them (the simulator is the yardstick, never tuned to a strategy).
 */

export type IncomeKind = 'salary25' | 'salaryLastDay' | 'grant' | 'weekly' | 'fortnightly' | 'gig';
export type AccountStatus = 'open' | 'closed' | 'stopped' | 'deceased' | 'noAuthority';

/**
 * Income kinds are relative weights; account states are shares of the whole population.
 * Defaults: 35% salary on the 25th, 15% salary on the last business day, 20% SASSA grant,
 * 10% weekly wages, 7% fortnightly wages, 13% irregular gig income; and 2% closed accounts (12),
 * 1% stopped payments (04), 0.5% deceased holders (18), 1% without a valid mandate (30).
 */
export interface PopulationMix {
  readonly salary25: number;
  readonly salaryLastDay: number;
  readonly grant: number;
  readonly weekly: number;
  readonly fortnightly: number;
  readonly gig: number;
  readonly closed: number;
  readonly stopped: number;
  readonly deceased: number;
  readonly noAuthority: number;
}

export const DEFAULT_MIX: PopulationMix = Object.freeze({
  salary25: 0.35,
  salaryLastDay: 0.15,
  grant: 0.2,
  weekly: 0.1,
  fortnightly: 0.07,
  gig: 0.13,
  closed: 0.02,
  stopped: 0.01,
  deceased: 0.005,
  noAuthority: 0.01,
});

export const RETURN_CODE_OF_STATUS: Readonly<Record<AccountStatus, string | null>> = Object.freeze({
  open: null,
  closed: '12',
  stopped: '04',
  deceased: '18',
  noAuthority: '30',
});

export interface AccountProfile {
  readonly kind: IncomeKind;
  readonly status: AccountStatus;
  /** The policy premium this customer pays: R50–R500 in R5 steps. */
  readonly premiumCents: Cents;
  /** A standing balance that is never spent: R0–R500, most people near the bottom (R500 × u³). */
  readonly baseCents: Cents;
  /** Share of each deposit taken the day it lands by rent, loans and other debit orders (‰). */
  readonly commitPermille: number;
  /** The rest is spent evenly over this many days… */
  readonly spendDays: number;
  /** …except this share of it, which stays on the account (‰). */
  readonly keepPermille: number;
  /** Salary, grant or wage per payment (gig deposits are drawn per deposit). */
  readonly payCents: Cents;
  /** Grant: paid on this business day of the month (SASSA pays grant types on different days). */
  readonly grantBusinessDay: number;
  /** Fortnightly: which of the alternating Fridays. */
  readonly fortnightParity: 0 | 1;
}

/** 32-bit FNV-1a of the text, mixed with the seed. */
export function hash32(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: a small, fast, well-mixed PRNG; returns floats in [0, 1). One copy, in the domain. */
export const mulberry32 = prng;

const int = (rnd: () => number, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

/**
 * Spending per income kind, drawn per account: [commitments ‰ of each deposit, taken the day it
 * lands], [days over which the rest is spent]. Commitments eat most of a salary at once; grants,
 * wages and gig money are spent within days. Every account keeps 0–2% of what it does not commit
 * and has a standing balance of R0–R500 (most near R0), so that before payday a salaried
 * customer typically cannot pay a premium (measured: 65% cannot on the day before, all can after).
 */
const SPENDING: Readonly<Record<IncomeKind, { commit: [number, number]; days: [number, number] }>> = {
  salary25: { commit: [400, 850], days: [7, 20] },
  salaryLastDay: { commit: [400, 850], days: [7, 20] },
  grant: { commit: [0, 300], days: [3, 10] },
  weekly: { commit: [200, 600], days: [3, 7] },
  fortnightly: { commit: [300, 700], days: [5, 14] },
  gig: { commit: [0, 200], days: [2, 7] },
};

/** SASSA amounts (2025): child support R560 per child, foster care R1 250, old age / disability R2 315. */
const GRANTS: readonly Cents[] = [56000, 112000, 168000, 125000, 231500, 231500];

export function accountProfile(seed: number, customerId: string, mix: PopulationMix): AccountProfile {
  const rnd = mulberry32(hash32(seed, `account:${customerId}`));
  const kinds: IncomeKind[] = ['salary25', 'salaryLastDay', 'grant', 'weekly', 'fortnightly', 'gig'];
  const total = kinds.reduce((s, k) => s + mix[k], 0);
  let pick = rnd() * total;
  let kind: IncomeKind = 'gig';
  for (const k of kinds) {
    if (pick < mix[k]) {
      kind = k;
      break;
    }
    pick -= mix[k];
  }
  let st = rnd();
  let status: AccountStatus = 'open';
  for (const s of ['closed', 'stopped', 'deceased', 'noAuthority'] as const) {
    if (st < mix[s]) {
      status = s;
      break;
    }
    st -= mix[s];
  }
  const u = rnd();
  const spending = SPENDING[kind];
  const s2 = rnd();
  const payCents =
    kind === 'salary25' || kind === 'salaryLastDay'
      ? 350000 + Math.floor(s2 * s2 * 2150) * 1000 // R3 500–R25 000, most salaries low
      : kind === 'grant'
        ? GRANTS[Math.floor(s2 * GRANTS.length)]!
        : kind === 'weekly'
          ? 70000 + Math.floor(s2 * 181) * 1000 // R700–R2 500 a week
          : 150000 + Math.floor(s2 * 351) * 1000; // fortnightly R1 500–R5 000 (unused for gig)
  return {
    kind,
    status,
    premiumCents: 5000 + int(rnd, 0, 90) * 500,
    baseCents: Math.floor(u * u * u * 50000),
    commitPermille: int(rnd, spending.commit[0], spending.commit[1]),
    spendDays: int(rnd, spending.days[0], spending.days[1]),
    keepPermille: int(rnd, 0, 20),
    payCents,
    grantBusinessDay: int(rnd, 2, 4),
    fortnightParity: rnd() < 0.5 ? 0 : 1,
  };
}

/** A reference Friday: fortnightly pay alternates from it. */
const EPOCH_FRIDAY = '2000-01-07';

/** Pay dates of a period that every account shares, computed once per calendar and period. */
interface PeriodPay {
  readonly salary25: IsoDate;
  readonly lastPd: IsoDate;
  readonly processingDays: readonly IsoDate[];
  /** Each Friday of the period: the day wages are paid (moved back before a holiday) and its week number. */
  readonly fridays: readonly { readonly paid: IsoDate; readonly week: number }[];
}

const payDates = new WeakMap<BankCalendar, Map<Period, PeriodPay>>();

function periodPay(period: Period, cal: BankCalendar): PeriodPay {
  let byPeriod = payDates.get(cal);
  if (!byPeriod) {
    byPeriod = new Map();
    payDates.set(cal, byPeriod);
  }
  let pay = byPeriod.get(period);
  if (!pay) {
    const fridays: { paid: IsoDate; week: number }[] = [];
    const first = firstDayOf(period);
    for (let d = plusDays(first, (5 - weekday(first) + 7) % 7); d <= monthEnd(period); d = plusDays(d, 7)) {
      fridays.push({ paid: cal.onOrBefore(d), week: Math.floor(daysFrom(EPOCH_FRIDAY, d) / 7) });
    }
    pay = {
      salary25: cal.onOrBefore(`${period}-25`),
      lastPd: cal.lastProcessingDay(period),
      processingDays: cal.processingDaysIn(period),
      fridays,
    };
    byPeriod.set(period, pay);
  }
  return pay;
}

/**
 * The deposits whose nominal pay date is in `period` (the actual date can be a day or two earlier,
 * e.g. wages paid on the Thursday before Good Friday). Closed and deceased accounts receive nothing.
 */
export function monthDeposits(seed: number, customerId: string, p: AccountProfile, period: Period, cal: BankCalendar): IncomeEvent[] {
  if (p.status === 'closed' || p.status === 'deceased') return [];
  const pay = periodPay(period, cal);
  switch (p.kind) {
    case 'salary25':
      return [{ date: pay.salary25, amountCents: p.payCents }];
    case 'salaryLastDay':
      return [{ date: pay.lastPd, amountCents: p.payCents }];
    case 'grant':
      return [{ date: pay.processingDays[p.grantBusinessDay - 1]!, amountCents: p.payCents }];
    case 'weekly':
    case 'fortnightly': {
      const rnd = mulberry32(hash32(seed, `deposits:${customerId}:${period}`));
      const out: IncomeEvent[] = [];
      for (const friday of pay.fridays) {
        const variation = int(rnd, 90, 110); // overtime and short weeks: ±10%
        if (p.kind === 'fortnightly' && friday.week % 2 !== p.fortnightParity) continue;
        out.push({ date: friday.paid, amountCents: Math.floor((p.payCents * variation) / 100) });
      }
      return out;
    }
    case 'gig': {
      const rnd = mulberry32(hash32(seed, `deposits:${customerId}:${period}`));
      const days = pay.processingDays;
      const byDate = new Map<IsoDate, Cents>();
      const count = int(rnd, 4, 10);
      for (let i = 0; i < count; i++) {
        const date = days[Math.floor(rnd() * days.length)]!;
        byDate.set(date, (byDate.get(date) ?? 0) + int(rnd, 50, 400) * 100);
      }
      return [...byDate].map(([date, amountCents]) => ({ date, amountCents })).sort((a, b) => (a.date < b.date ? -1 : 1));
    }
  }
}
