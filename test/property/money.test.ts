import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateLargestRemainder, allocateSettlementColumns } from '../../src/domain/allocation.js';
import { computeSettlement, computeStatement, feeRatesFromConfig, type FeeRates } from '../../src/domain/fees.js';
import { applyRate, formatCents, parseAmount, parseRate } from '../../src/domain/money.js';

/**
 * SPEC 5.2 money rules for any amounts and any configured rates (test/unit/allocation.test.ts
 * covers the default rates and the allocation's tie-breaking): one rounding rule, half-up to the
 * cent at each step, VAT on the rounded fees; every settlement CSV column sums exactly to the
 * statement, each row within one cent of its exact share; amounts survive format → parse.
 */
const abs = (x: bigint) => (x < 0n ? -x : x);

/** A rate as configured: 0 to 1 with up to 4 decimals, as text. */
const rateText = fc.integer({ min: 0, max: 10_000 }).map((n) => `${Math.floor(n / 10_000)}.${String(n % 10_000).padStart(4, '0')}`.replace(/\.?0+$/, '') || '0');
const ratesArb: fc.Arbitrary<FeeRates> = fc
  .record({ d: rateText, c: rateText, v: rateText })
  .map(({ d, c, v }) => feeRatesFromConfig([{ from: '2025-01-01', distribution_rate: d, collections_rate: c, vat_rate: v }])[0]!);
const cents = fc.integer({ min: -1_000_000_000_00, max: 1_000_000_000_00 });

/** Reference rounding: exact decimal digits of cents × rate, then half-up on the first dropped digit. */
function roundHalfUpByDigits(c: number, rateText: string): number {
  const [w, f = ''] = rateText.split('.');
  const scaled = BigInt(c) * BigInt(w! + f); // = c × rate × 10^len(f)
  const s = abs(scaled).toString().padStart(f.length + 1, '0');
  const whole = BigInt(s.slice(0, s.length - f.length || undefined) || '0');
  const firstDropped = f.length ? Number(s[s.length - f.length]) : 0;
  const r = whole + (firstDropped >= 5 ? 1n : 0n);
  return Number(scaled < 0n ? -r : r);
}

describe('money properties', () => {
  it('applyRate rounds half-up (half away from zero) like pencil and paper', () => {
    fc.assert(
      fc.property(cents, rateText, (c, r) => {
        const got = applyRate(c, parseRate(r));
        expect(got).toBe(roundHalfUpByDigits(c, r));
        // within half a cent of the exact product: |got·den − c·num| ≤ den/2
        const rate = parseRate(r);
        expect(abs(BigInt(got) * rate.den - BigInt(c) * rate.num) * 2n <= rate.den).toBe(true);
      }),
      { seed: 515, numRuns: 3000 },
    );
  });

  it('a settlement: fees and VAT rounded half-up step by step, VAT on the rounded fees, net the exact remainder', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000_00 }), ratesArb, (total, rates) => {
        const s = computeSettlement(total, rates);
        expect(s.distributionFee).toBe(applyRate(total, rates.distributionRate));
        expect(s.collectionsFee).toBe(applyRate(total, rates.collectionsRate));
        expect(s.totalFees).toBe(s.distributionFee + s.collectionsFee);
        expect(s.vat).toBe(applyRate(s.totalFees, rates.vatRate));
        expect(s.totalCollections - s.totalFees - s.vat).toBe(s.netAmount);
        // each rounded step is within half a cent of its exact value
        for (const [got, base, rate] of [
          [s.distributionFee, total, rates.distributionRate],
          [s.collectionsFee, total, rates.collectionsRate],
          [s.vat, s.totalFees, rates.vatRate],
        ] as const) {
          expect(abs(BigInt(got) * rate.den - BigInt(base) * rate.num) * 2n <= rate.den).toBe(true);
        }
      }),
      { seed: 52, numRuns: 2000 },
    );
  });

  it('adjustments are added before the fees are computed, never rounded on their own', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), fc.array(fc.integer({ min: -500_000, max: 500_000 }), { maxLength: 5 }), ratesArb, (own, adj, rates) => {
        const st = computeStatement(own, adj.map((a, i) => ({ period: '2025-10', policyNumber: `P${i}`, amountCents: a })), rates);
        const sum = adj.reduce((a, b) => a + b, 0);
        expect(st).toEqual({ collectedInPeriod: own, adjustmentsTotal: sum, ...computeSettlement(own + sum, rates) });
      }),
      { seed: 53, numRuns: 1000 },
    );
  });

  it('settlement CSV columns sum exactly to the statement and each row is within one cent of its exact share, for any rates', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 60 }), ratesArb, (collected, rates) => {
        const total = collected.reduce((a, b) => a + b, 0);
        const s = computeSettlement(total, rates);
        const c = allocateSettlementColumns(collected, s);
        const rowFees = collected.map((_, i) => c.distributionFee[i]! + c.collectionsFee[i]!);
        for (const [column, statementTotal, weights] of [
          [c.distributionFee, s.distributionFee, collected],
          [c.collectionsFee, s.collectionsFee, collected],
          [c.vat, s.vat, rowFees],
        ] as const) {
          expect(column.reduce((a, b) => a + b, 0)).toBe(statementTotal);
          const W = BigInt(weights.reduce((a, b) => a + b, 0));
          if (W === 0n) {
            expect(column.every((x) => x === 0)).toBe(true);
            continue;
          }
          column.forEach((part, i) => expect(abs(BigInt(part) * W - BigInt(statementTotal) * BigInt(weights[i]!)) < W).toBe(true));
        }
        expect(c.netAmount.reduce((a, b) => a + b, 0)).toBe(s.netAmount);
        collected.forEach((x, i) => expect(c.netAmount[i]).toBe(x - rowFees[i]! - c.vat[i]!));
      }),
      { seed: 54, numRuns: 500 },
    );
  });

  it('largest remainder never moves a share by more than one cent whatever the split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_000_000_000_000 }), fc.array(fc.integer({ min: 0, max: 1_000_000_000 }), { minLength: 1, maxLength: 30 }), (total, weights) => {
        fc.pre(weights.some((w) => w > 0));
        const got = allocateLargestRemainder(total, weights);
        const W = BigInt(weights.reduce((a, b) => a + b, 0));
        expect(got.reduce((a, b) => a + b, 0)).toBe(total);
        got.forEach((g, i) => {
          const exactFloor = (BigInt(total) * BigInt(weights[i]!)) / W;
          expect(BigInt(g) - exactFloor >= 0n && BigInt(g) - exactFloor <= 1n).toBe(true);
        });
      }),
      { seed: 55, numRuns: 1000 },
    );
  });

  it('an amount formatted by kasi reads back to the same cents in both dialects, with R and spaces', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.boolean(), fc.boolean(), (c, comma, rand) => {
        let text = formatCents(c);
        const [whole, frac] = text.split('.');
        const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0');
        text = `${rand ? 'R ' : ''}${grouped}${comma ? ',' : '.'}${frac}`;
        expect(parseAmount(text, comma ? ',' : '.', 10_000_000)).toEqual({ ok: true, cents: c });
      }),
      { seed: 56, numRuns: 2000 },
    );
  });

  it('holds the SPEC worked example: 42 500.00 → 10 625.00 + 1 487.50, VAT 1 816.88, net 28 570.62', () => {
    const rates = feeRatesFromConfig([{ from: '2025-01-01', distribution_rate: '0.25', collections_rate: '0.035', vat_rate: '0.15' }])[0]!;
    expect(computeSettlement(4_250_000, rates)).toEqual({
      totalCollections: 4_250_000,
      distributionFee: 1_062_500,
      collectionsFee: 148_750,
      totalFees: 1_211_250,
      vat: 181_688,
      netAmount: 2_857_062,
    });
  });
});
