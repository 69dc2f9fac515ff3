import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allocateLargestRemainder, allocateSettlementColumns, allocateSettlementRows } from '../../src/domain/allocation.js';
import { computeSettlement, feeRatesFromConfig } from '../../src/domain/fees.js';

const rates = feeRatesFromConfig([{ from: '2025-01-01', distribution_rate: '0.25', collections_rate: '0.035', vat_rate: '0.15' }])[0]!;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('allocateLargestRemainder', () => {
  it.each<[string, number, number[], number[]]>([
    ['even split', 9, [1, 1, 1], [3, 3, 3]],
    ['tie on remainders goes to the lower index', 10, [1, 1, 1], [4, 3, 3]],
    ['two leftover cents, ties by index', 11, [1, 1, 1], [4, 4, 3]],
    ['largest remainder wins over a lower index', 11, [1, 2, 2], [2, 5, 4]],
    ['remainders 0.4, 0.8, 0.8 → the two 0.8s', 7, [2, 4, 4], [1, 3, 3]],
    ['negative total mirrors the positive one', -10, [1, 1, 1], [-4, -3, -3]],
    ['zero weights get zero', 5, [0, 3, 0, 2], [0, 3, 0, 2]],
    ['zero weights stay zero with leftovers', 1, [0, 1, 0, 1], [0, 1, 0, 0]],
    ['zero total', 0, [5, 7], [0, 0]],
    ['single row takes everything', 12_345, [999], [12_345]],
    ['one cent over many', 1, [100, 300, 200], [0, 1, 0]],
    ['mixed-sign weights (a reversal line)', 100, [300, -100], [150, -50]],
    ['mixed-sign weights with leftovers', 10, [3, -1, 1], [10, -3, 3]],
    ['all weights negative', 10, [-1, -3], [3, 7]],
    ['no rows, zero total', 0, [], []],
  ])('%s', (_name, total, weights, expected) => {
    const got = allocateLargestRemainder(total, weights);
    expect(got).toEqual(expected);
    expect(sum(got)).toBe(total);
  });

  it('is exact beyond 2^53 products (BigInt path)', () => {
    const big = 4_000_000_000_000; // R 40 000 000 000.00
    const got = allocateLargestRemainder(big + 1, [3_000_000_001, 3_000_000_001, 3_000_000_001]);
    expect(got).toEqual([1_333_333_333_334, 1_333_333_333_334, 1_333_333_333_333]);
  });

  it('refuses what cannot be allocated', () => {
    expect(() => allocateLargestRemainder(1, [0, 0])).toThrow(/sum to zero/);
    expect(() => allocateLargestRemainder(1, [])).toThrow(/sum to zero/);
    expect(() => allocateLargestRemainder(1, [2, -2])).toThrow(/sum to zero/);
    expect(() => allocateLargestRemainder(1.5, [1])).toThrow(/integer cents/);
    expect(() => allocateLargestRemainder(1, [0.5, 1])).toThrow(/weight 0/);
  });

  /** The textbook method in exact BigInt: floors, then leftovers by (remainder desc, index asc). */
  function reference(total: number, weights: number[]): number[] {
    const W = BigInt(sum(weights));
    const t = BigInt(Math.abs(total));
    const floors = weights.map((w) => (t * BigInt(w)) / W);
    const rems = weights.map((w, i) => t * BigInt(w) - floors[i]! * W);
    let left = Number(t - floors.reduce((a, b) => a + b, 0n));
    const order = weights.map((_, i) => i).sort((a, b) => (rems[b]! > rems[a]! ? 1 : rems[b]! < rems[a]! ? -1 : a - b));
    const out = floors.map(Number);
    for (const i of order) if (left-- > 0) out[i]! += 1;
    return out.map((x) => (total < 0 ? -x || 0 : x));
  }

  it('property: same result as the textbook sort-based method (ties by index)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000, max: 1_000 }),
        // few distinct small weights make many equal remainders, so ties are exercised
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 40 }).filter((ws) => sum(ws) > 0),
        (total, weights) => {
          expect(allocateLargestRemainder(total, weights)).toEqual(reference(total, weights));
        },
      ),
      { seed: 7, numRuns: 1000 },
    );
  });

  it('property: exact sum, each share within one cent of the exact share, deterministic', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10_000_000, max: 10_000_000 }),
        fc.array(fc.integer({ min: 0, max: 5_000_000 }), { minLength: 1, maxLength: 60 }).filter((ws) => sum(ws) > 0),
        (total, weights) => {
          const got = allocateLargestRemainder(total, weights);
          const W = sum(weights);
          expect(sum(got)).toBe(total);
          got.forEach((g, i) => {
            // |g − total·w/W| < 1  ⇔  |g·W − total·w| < W, in exact integers
            const diff = BigInt(g) * BigInt(W) - BigInt(total) * BigInt(weights[i]!);
            expect(diff < 0n ? -diff : diff).toBeLessThan(BigInt(W));
            if (weights[i] === 0) expect(g).toBe(0);
          });
          expect(allocateLargestRemainder(total, weights)).toEqual(got);
          expect(allocateLargestRemainder(-total, weights)).toEqual(got.map((g) => -g || 0));
        },
      ),
      { seed: 20251103, numRuns: 500 },
    );
  });
});

describe('allocateSettlementRows', () => {
  it('splits the worked example over three policies, every column exact', () => {
    const collected = [1_500_000, 1_250_000, 1_500_000];
    const s = computeSettlement(sum(collected), rates);
    const rows = allocateSettlementRows(
      collected.map((c) => ({ collectedCents: c })),
      s,
    );
    expect(rows).toEqual([
      { distributionFee: 375_000, collectionsFee: 52_500, vat: 64_125, netAmount: 1_008_375 },
      { distributionFee: 312_500, collectionsFee: 43_750, vat: 53_438, netAmount: 840_312 },
      { distributionFee: 375_000, collectionsFee: 52_500, vat: 64_125, netAmount: 1_008_375 },
    ]);
    expect(sum(rows.map((r) => r.vat))).toBe(181_688);
    expect(sum(rows.map((r) => r.netAmount))).toBe(2_857_062);
  });

  it('places leftover cents by largest remainder', () => {
    // 3 × R 0.33 = 0.99: distribution 24.75 → 25 cents over weights 33/33/33 → 9, 8, 8
    const s = computeSettlement(99, rates);
    const rows = allocateSettlementRows([{ collectedCents: 33 }, { collectedCents: 33 }, { collectedCents: 33 }], s);
    expect(s).toMatchObject({ distributionFee: 25, collectionsFee: 3, vat: 4, netAmount: 67 });
    expect(rows).toEqual([
      { distributionFee: 9, collectionsFee: 1, vat: 2, netAmount: 21 },
      { distributionFee: 8, collectionsFee: 1, vat: 1, netAmount: 23 },
      { distributionFee: 8, collectionsFee: 1, vat: 1, netAmount: 23 },
    ]);
  });

  it('handles a negative adjustment line', () => {
    const collected = [30_000, 20_000, -5_000];
    const s = computeSettlement(sum(collected), rates);
    const rows = allocateSettlementRows(
      collected.map((c) => ({ collectedCents: c })),
      s,
    );
    expect(rows[2]).toEqual({ distributionFee: -1_250, collectionsFee: -175, vat: -214, netAmount: -3_361 });
    expect(sum(rows.map((r) => r.netAmount))).toBe(s.netAmount);
  });

  it('refuses rows that do not add up to the statement', () => {
    const s = computeSettlement(1_000, rates);
    expect(() => allocateSettlementRows([{ collectedCents: 999 }], s)).toThrow(/add up to 999 cents/);
    expect(() => allocateSettlementRows([{ collectedCents: 1_000 }], { ...s, netAmount: s.netAmount + 1 })).toThrow(/net_amount/);
  });

  it('an empty month allocates nothing', () => {
    expect(allocateSettlementRows([], computeSettlement(0, rates))).toEqual([]);
  });

  it('property: every column sums to the statement, net = collected − fees − vat per row', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 80 }), fc.array(fc.integer({ min: -50_000, max: 50_000 }), { maxLength: 3 }), (policies, adjustments) => {
        const collected = [...policies, ...adjustments];
        const total = sum(collected);
        fc.pre(total !== 0);
        const s = computeSettlement(total, rates);
        const c = allocateSettlementColumns(collected, s);
        expect(sum(c.distributionFee)).toBe(s.distributionFee);
        expect(sum(c.collectionsFee)).toBe(s.collectionsFee);
        expect(sum(c.vat)).toBe(s.vat);
        expect(sum(c.netAmount)).toBe(s.netAmount);
        collected.forEach((x, i) => expect(c.netAmount[i]).toBe(x - c.distributionFee[i]! - c.collectionsFee[i]! - c.vat[i]!));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
