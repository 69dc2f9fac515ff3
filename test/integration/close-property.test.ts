import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnv, type TestEnv } from '../helpers/env.js';
import { centsFromDecimal } from '../../src/domain/money.js';
import { addMonths } from '../../src/domain/calendar.js';
import type { KasiConfig } from '../../src/config.js';
import { closeReport, closeSettle, closeSettlementCsv } from '../../src/usecases/close/close.js';
import { seedAdjustments, seedMonth, type AdjustmentSpec, type CollectionSpec } from './close-seed.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * SPEC 5.2, as a property over randomised months in the store: whatever the collections (full,
 * partial, nothing, cancelled), the late adjustments (either sign) and the fee rates, every
 * amount column of the settlement CSV sums exactly to the statement, each line's net is its
 * amount less its fees and VAT, and there is one line per collected policy and adjustment.
 */
const rate = (maxMilli: number) => fc.integer({ min: 0, max: maxMilli }).map((m) => (m / 10_000).toString());

const month = fc.record({
  collections: fc.array(
    fc.record({
      due: fc.integer({ min: 1, max: 500_000 }),
      share: fc.constantFrom(0, 0, 0.3, 0.5, 1, 1),
      cancelled: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    }),
    { maxLength: 40 },
  ),
  adjustments: fc.array(fc.integer({ min: -80_000, max: 120_000 }).filter((a) => a !== 0), { maxLength: 6 }),
  fees: fc.record({ distribution_rate: rate(4_000), collections_rate: rate(1_000), vat_rate: rate(2_000) }),
});

describe('settlement CSV columns sum to the statement (property, SQLite store)', () => {
  let env: TestEnv;
  let run = 0;
  beforeAll(async () => {
    env = await makeEnv('sqlite', {}, '2031-01-01T08:00:00+02:00');
  });
  afterAll(async () => env?.cleanup());

  it('for randomised months, rates and adjustments', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(month, async (m) => {
        const period = addMonths('2001-01', run++);
        const specs: CollectionSpec[] = m.collections.map((c, i) => {
          const paid = Math.floor(c.due * c.share);
          return {
            policy: `P${run}-${String(i).padStart(3, '0')}`,
            customer: `C${i}`,
            ref: `R${i}`,
            product: 'FUNERAL_A',
            due: c.due,
            attempts: paid > 0 ? [{ date: `${period}-15`, requested: c.due, paid }] : [],
            cancelledAt: c.cancelled ? `${period}-20T08:00:00.000Z` : undefined,
          };
        });
        await seedMonth(dbOf(env.ports.store), 'acme', period, specs);
        const adjustments: AdjustmentSpec[] = m.adjustments.map((amount, i) => ({
          tenant: 'acme',
          origin: addMonths(period, -1 - (i % 3)),
          policy: `L${run}-${i}`,
          customer: `LC${i}`,
          ref: `LR${i}`,
          product: 'FUNERAL_B',
          amount,
        }));
        await seedAdjustments(knexOf(dbOf(env.ports.store)), adjustments);
        const config = { ...env.ports.config, fees: [{ from: '2000-01-01', ...m.fees }] } as KasiConfig;
        const ports = { ...env.ports, config };

        expect((await closeReport(ports, 'acme', period)).status).toBe('done');
        const settled = await closeSettle(ports, 'acme', period);
        const csv = await closeSettlementCsv(ports, 'acme', period);
        const statement = JSON.parse(readFileSync(settled.files[0]!, 'utf8')) as Record<string, string>;
        const rows = parse(readFileSync(csv.files[0]!, 'utf8'), { columns: true }) as Record<string, string>[];

        const collected = specs.filter((s) => (s.attempts[0]?.paid ?? 0) > 0).length;
        expect(rows.length).toBe(collected + adjustments.length);
        const sum = (col: string) => rows.reduce((t, r) => t + centsFromDecimal(r[col]!), 0);
        expect(sum('collection_amount_collected')).toBe(centsFromDecimal(statement.total_collections!));
        expect(sum('distribution_fee')).toBe(centsFromDecimal(statement.distribution_fee!));
        expect(sum('collections_fee')).toBe(centsFromDecimal(statement.collections_fee!));
        expect(sum('vat')).toBe(centsFromDecimal(statement.vat!));
        expect(sum('net_amount')).toBe(centsFromDecimal(statement.net_amount!));
        for (const r of rows) {
          const c = (k: string) => centsFromDecimal(r[k]!);
          expect(c('net_amount')).toBe(c('collection_amount_collected') - c('distribution_fee') - c('collections_fee') - c('vat'));
        }
        const t = (k: string) => centsFromDecimal(statement[k]!);
        expect(t('total_fees')).toBe(t('distribution_fee') + t('collections_fee'));
        expect(t('net_amount')).toBe(t('total_collections') - t('total_fees') - t('vat'));
        expect(join(env.root, 'outbox/acme', period, `settlement-${statement.settlement_number}.csv`)).toBe(csv.files[0]);
      }),
      { numRuns: 40 },
    );
  });
});
