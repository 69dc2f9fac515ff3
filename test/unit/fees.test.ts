import { describe, expect, it } from 'vitest';
import { computeSettlement, computeStatement, feeRatesFromConfig, ratesFor, type FeeRates } from '../../src/domain/fees.js';

const DEFAULT = feeRatesFromConfig([{ from: '2025-01-01', distribution_rate: '0.25', collections_rate: '0.035', vat_rate: '0.15' }]);
const rates: FeeRates = DEFAULT[0]!;

describe('computeSettlement', () => {
  it('holds the SPEC 5.2 worked example to the cent', () => {
    expect(computeSettlement(4_250_000, rates)).toEqual({
      totalCollections: 4_250_000,
      distributionFee: 1_062_500,
      collectionsFee: 148_750,
      totalFees: 1_211_250,
      vat: 181_688,
      netAmount: 2_857_062,
    });
  });

  // [total, distribution 25%, collections 3.5%, vat 15% of the rounded fees, net]
  const cases: [string, number, number, number, number, number][] = [
    ['zero collections', 0, 0, 0, 0, 0],
    ['one cent: 0.25 rounds down, 0.035 rounds down', 1, 0, 0, 0, 1],
    ['two cents: 0.5 rounds up', 2, 1, 0, 0, 1],
    ['three cents', 3, 1, 0, 0, 2],
    ['ten cents: 0.35 rounds down, vat 0.45 rounds down', 10, 3, 0, 0, 7],
    ['20 cents: collections 0.7 rounds up; vat 6 × 15% = 0.9 → 1', 20, 5, 1, 1, 13],
    ['one rand: collections fee is exactly 3.5 cents and rounds up', 100, 25, 4, 4, 67],
    ['VAT lands on exactly half a cent: fees 1 211 250 × 15% = 181 687.5', 4_250_000, 1_062_500, 148_750, 181_688, 2_857_062],
    ['distribution on x.5 cents: 1 234 567 × 25% = 308 641.75', 1_234_567, 308_642, 43_210, 52_778, 829_937],
    ['large: R 1 000 000 000.00', 100_000_000_000, 25_000_000_000, 3_500_000_000, 4_275_000_000, 67_225_000_000],
    ['largest safe cents do not lose a cent', 9_007_199_254_740_991, 2_251_799_813_685_248, 315_251_973_915_935, 385_057_768_140_177, 6_055_089_698_999_631],
  ];
  it.each(cases)('%s', (_name, total, dist, coll, vat, net) => {
    const s = computeSettlement(total, rates);
    expect([s.distributionFee, s.collectionsFee, s.vat, s.netAmount]).toEqual([dist, coll, vat, net]);
    expect(s.totalFees).toBe(dist + coll);
    expect(s.totalCollections - s.totalFees - s.vat).toBe(s.netAmount);
  });

  it('rounds negative totals half away from zero (a month of reversals)', () => {
    expect(computeSettlement(-2, rates)).toEqual({
      totalCollections: -2,
      distributionFee: -1,
      collectionsFee: 0,
      totalFees: -1,
      vat: 0,
      netAmount: -1,
    });
  });

  it('refuses non-integer cents', () => {
    expect(() => computeSettlement(10.5, rates)).toThrow(/integer cents/);
  });
});

describe('computeStatement with adjustments', () => {
  it('adds adjustments to total_collections and computes fees once on the total', () => {
    const s = computeStatement(
      4_200_000,
      [
        { period: '2025-10', policyNumber: 'P-7', amountCents: 60_000 },
        { period: '2025-09', policyNumber: 'P-3', amountCents: -10_000 },
      ],
      rates,
    );
    expect(s).toEqual({
      collectedInPeriod: 4_200_000,
      adjustmentsTotal: 50_000,
      totalCollections: 4_250_000,
      distributionFee: 1_062_500,
      collectionsFee: 148_750,
      totalFees: 1_211_250,
      vat: 181_688,
      netAmount: 2_857_062,
    });
  });

  it('with no adjustments equals computeSettlement', () => {
    expect(computeStatement(123_457, [], rates)).toEqual({ collectedInPeriod: 123_457, adjustmentsTotal: 0, ...computeSettlement(123_457, rates) });
  });

  it('refuses an adjustment that is not integer cents', () => {
    expect(() => computeStatement(100, [{ period: '2025-10', policyNumber: 'X', amountCents: 0.5 }], rates)).toThrow(/X \(2025-10\)/);
  });
});

describe('ratesFor', () => {
  const table = feeRatesFromConfig([
    { from: '2025-06-01', distribution_rate: '0.25', collections_rate: '0.035', vat_rate: '0.16' },
    { from: '2025-01-01', distribution_rate: '0.25', collections_rate: '0.035', vat_rate: '0.15' },
    { from: '2025-05-31', distribution_rate: '0.20', collections_rate: '0.03', vat_rate: '0.15' },
  ]);
  it.each([
    ['2025-01', '2025-01-01'],
    ['2025-04', '2025-01-01'],
    ['2025-05', '2025-05-31'], // in force on the last day counts, even from that very day
    ['2025-06', '2025-06-01'],
    ['2026-12', '2025-06-01'],
  ])('period %s uses the row from %s', (period, from) => {
    expect(ratesFor(table, period).from).toBe(from);
  });

  it('applies a VAT change from the period whose last day it covers', () => {
    expect(computeSettlement(4_250_000, ratesFor(table, '2025-06')).vat).toBe(193_800); // 1 211 250 × 16%
  });

  it('throws when no row is in force', () => {
    expect(() => ratesFor(table, '2024-12')).toThrow(/no fee rates in force on 2024-12-31/);
    expect(() => ratesFor([], '2025-01')).toThrow(/no fee rates/);
  });

  it('throws on two rows of the same date', () => {
    const dup = [rates, { ...rates }];
    expect(() => ratesFor(dup, '2025-03')).toThrow(/ambiguous/);
    expect(() =>
      feeRatesFromConfig([
        { from: '2025-01-01', distribution_rate: '0.25', collections_rate: '0.035', vat_rate: '0.15' },
        { from: '2025-01-01', distribution_rate: '0.25', collections_rate: '0.035', vat_rate: '0.15' },
      ]),
    ).toThrow(/fees\[1\]\.from 2025-01-01 appears twice/);
  });

  it('rejects a malformed config row', () => {
    expect(() => feeRatesFromConfig([{ from: '2025-13-01', distribution_rate: '0.25', collections_rate: '0.035', vat_rate: '0.15' }])).toThrow(/fees\[0\]\.from/);
    expect(() => feeRatesFromConfig([{ from: '2025-01-01', distribution_rate: '25%', collections_rate: '0.035', vat_rate: '0.15' }])).toThrow(/not a rate/);
  });
});
