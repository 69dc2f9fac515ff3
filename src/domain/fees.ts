import { applyRate, parseRate, type Cents, type Rate } from './money.js';
import { isIsoDate, lastDayOf, type IsoDate, type Period } from './dates.js';

/**
 * Settlement arithmetic (SPEC 5.2). Every step rounds half-up to the cent with `applyRate`, the
 * one rounding function; nothing else rounds. Pure: rates and amounts are arguments.
 */
export interface FeeRates {
  /** First day the row applies; the row in force on a period's last day applies to the period. */
  from: IsoDate;
  distributionRate: Rate;
  collectionsRate: Rate;
  vatRate: Rate;
}

/** The config shape of one dated fee row (`fees:` in SPEC 2). */
export interface FeeRatesConfig {
  from: string;
  distribution_rate: string;
  collections_rate: string;
  vat_rate: string;
}

export interface SettlementAmounts {
  totalCollections: Cents;
  distributionFee: Cents;
  collectionsFee: Cents;
  totalFees: Cents;
  vat: Cents;
  netAmount: Cents;
}

/**
 * A late result carried into this statement from an earlier period: a payment that landed after
 * that period closed (positive) or a reversal of money already settled (negative).
 */
export interface Adjustment {
  period: Period;
  policyNumber: string;
  amountCents: Cents;
}

export interface StatementAmounts extends SettlementAmounts {
  /** Collected on this period's own collections. */
  collectedInPeriod: Cents;
  /** Sum of the adjustments; `totalCollections = collectedInPeriod + adjustmentsTotal`. */
  adjustmentsTotal: Cents;
}

/** Parse the configured rows once; throws on a malformed row (a config bug, listed by index). */
export function feeRatesFromConfig(rows: readonly FeeRatesConfig[]): FeeRates[] {
  const seen = new Set<string>();
  return rows.map((row, i) => {
    if (!isIsoDate(row.from)) throw new Error(`fees[${i}].from "${row.from}" is not a date YYYY-MM-DD`);
    if (seen.has(row.from)) throw new Error(`fees[${i}].from ${row.from} appears twice; one row per date`);
    seen.add(row.from);
    return {
      from: row.from,
      distributionRate: parseRate(row.distribution_rate),
      collectionsRate: parseRate(row.collections_rate),
      vatRate: parseRate(row.vat_rate),
    };
  });
}

/** The row in force on the period's last day (the latest `from` on or before it). */
export function ratesFor(rates: readonly FeeRates[], period: Period): FeeRates {
  const last = lastDayOf(period);
  let best: FeeRates | undefined;
  for (const row of rates) {
    if (row.from > last) continue;
    if (best !== undefined && row.from === best.from) {
      throw new Error(`two fee rows start on ${row.from}; the rates for ${period} are ambiguous`);
    }
    if (best === undefined || row.from > best.from) best = row;
  }
  if (best === undefined) throw new Error(`no fee rates in force on ${last} (period ${period}); add a fees row from on or before it`);
  return best;
}

function assertCents(name: string, v: Cents): void {
  if (!Number.isSafeInteger(v)) throw new Error(`${name} must be integer cents, got ${v}`);
}

/**
 * SPEC 5.2, step by step:
 *   distribution_fee = round(total × distribution_rate)
 *   collections_fee  = round(total × collections_rate)
 *   total_fees       = distribution_fee + collections_fee
 *   vat              = round(total_fees × vat_rate)
 *   net_amount       = total − total_fees − vat
 * VAT is on the rounded fees (as invoiced), never on the unrounded product.
 * A negative total (reversals larger than the month's collections) gives negative fees, rounded
 * half away from zero; such a statement has a negative net and is not payable by EFT.
 */
export function computeSettlement(totalCollectionsCents: Cents, rates: FeeRates): SettlementAmounts {
  assertCents('total collections', totalCollectionsCents);
  const distributionFee = applyRate(totalCollectionsCents, rates.distributionRate);
  const collectionsFee = applyRate(totalCollectionsCents, rates.collectionsRate);
  const totalFees = distributionFee + collectionsFee;
  const vat = applyRate(totalFees, rates.vatRate);
  return {
    totalCollections: totalCollectionsCents,
    distributionFee,
    collectionsFee,
    totalFees,
    vat,
    netAmount: totalCollectionsCents - totalFees - vat,
  };
}

/**
 * A statement's amounts: adjustments are added to the period's own collections and the fees are
 * computed once on that total (not per line), so the statement rounds exactly as SPEC 5.2 says.
 * The adjustments appear as their own lines in the statement JSON and the settlement CSV.
 */
export function computeStatement(collectedInPeriod: Cents, adjustments: readonly Adjustment[], rates: FeeRates): StatementAmounts {
  assertCents('collected in period', collectedInPeriod);
  let adjustmentsTotal = 0;
  for (const a of adjustments) {
    assertCents(`adjustment for ${a.policyNumber} (${a.period})`, a.amountCents);
    adjustmentsTotal += a.amountCents;
  }
  return {
    collectedInPeriod,
    adjustmentsTotal,
    ...computeSettlement(collectedInPeriod + adjustmentsTotal, rates),
  };
}
