import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { allocateSettlementColumns } from '../../src/domain/allocation.js';
import { centsFromDecimal } from '../../src/domain/money.js';
import { SETTLEMENT_CSV_COLUMNS, settlementCsv, settlementFileName, settlementJson, withFees } from '../../src/outbox/settlement.renderer.js';
import { collect, expectGolden } from '../fixtures/golden/golden.js';
import { AMOUNTS, SETTLEMENT_LINES, STATEMENT } from '../fixtures/golden/small-month.js';

async function renderCsv(): Promise<string> {
  const columns = allocateSettlementColumns(
    SETTLEMENT_LINES.map((l) => l.collection_amount_collected),
    AMOUNTS,
  );
  return collect(settlementCsv(STATEMENT.settlementNumber, withFees(SETTLEMENT_LINES, columns)));
}

describe('settlement statement', () => {
  it('computes the small month: collected 1 594.56 + adjustments 62.50', () => {
    expect(AMOUNTS).toEqual({
      collectedInPeriod: 159_456,
      adjustmentsTotal: 6_250,
      totalCollections: 165_706,
      distributionFee: 41_427, // 41 426.5 → up
      collectionsFee: 5_800, // 5 799.71
      totalFees: 47_227,
      vat: 7_084, // 7 084.05
      netAmount: 111_395,
    });
  });

  it('JSON matches the golden file with the SPEC fields in order, then adjustments and rates', () => {
    const text = settlementJson(STATEMENT);
    expectGolden('settlement-SETTLE-2025-11-001.json', text);
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'id',
      'settlement_number',
      'tenant',
      'period_month',
      'total_collections',
      'distribution_fee',
      'collections_fee',
      'total_fees',
      'vat',
      'net_amount',
      'status',
      'payment_date',
      'payment_reference',
      'created_at',
      'adjustments',
      'rates',
    ]);
  });

  it('names the files as SPEC 5 says', () => {
    expect(settlementFileName('SETTLE-2025-11-001', 'json')).toBe('settlement-SETTLE-2025-11-001.json');
    expect(settlementFileName('SETTLE-2025-11-001', 'csv')).toBe('settlement-SETTLE-2025-11-001.csv');
  });
});

describe('settlement CSV', () => {
  it('matches the golden file', async () => {
    expectGolden('settlement-SETTLE-2025-11-001.csv', await renderCsv());
  });

  it('every amount column sums exactly to the statement', async () => {
    const rows = parse(await renderCsv(), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([...SETTLEMENT_CSV_COLUMNS]);
    const total = (col: string): number => rows.reduce((s, r) => s + centsFromDecimal(r[col]!), 0);
    expect(total('collection_amount_collected')).toBe(AMOUNTS.totalCollections);
    expect(total('distribution_fee')).toBe(AMOUNTS.distributionFee);
    expect(total('collections_fee')).toBe(AMOUNTS.collectionsFee);
    expect(total('vat')).toBe(AMOUNTS.vat);
    expect(total('net_amount')).toBe(AMOUNTS.netAmount);
  });

  it('adjustment lines carry their own period and keep their minus sign', async () => {
    const rows = parse(await renderCsv(), { columns: true }) as Record<string, string>[];
    const adj = rows.filter((r) => r.period_month !== '2025-11');
    expect(adj.map((r) => [r.period_month, r.policy_number, r.collection_amount_collected])).toEqual([
      ['2025-09', 'P-0998', '-12.50'],
      ['2025-10', 'P-0999', '75.00'],
    ]);
    expect(adj.map((r) => r.net_amount)).toEqual(['-8.40', '50.41']);
  });

  it('refuses lines that do not match the allocation', async () => {
    const columns = allocateSettlementColumns(
      SETTLEMENT_LINES.map((l) => l.collection_amount_collected),
      AMOUNTS,
    );
    await expect(collect(settlementCsv('S', withFees(SETTLEMENT_LINES.slice(1), columns)))).rejects.toThrow(/4 settlement lines for 5 allocated rows/);
    await expect(collect(settlementCsv('S', withFees([...SETTLEMENT_LINES, SETTLEMENT_LINES[0]!], columns)))).rejects.toThrow(/more settlement lines/);
  });
});
