import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdsPolicy } from '../../src/domain/engine/holds.js';
import { closeReport } from '../../src/usecases/close/close-report.js';
import { EngineWorld } from '../integration/engine-harness.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * Issue 12, rule 3 as a property, through the real intake, batch and results on SQLite: whatever
 * code each policy's first debit comes back with, a policy is held exactly when the code holds,
 * and a held policy is never opened in the next period nor presented after its hold.
 */
const CODES = ['PAID', '02', '22', '03', '04', '06', '08', '10', '12', '18', '26', '30', '32', '34', '36', '99'];

describe('holds, for any return codes', () => {
  it('held exactly on a holding code; never presented or opened while held', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...CODES), { minLength: 4, maxLength: 4 }), async (codes) => {
        const w = await EngineWorld.create('sqlite', { tenants: { acme: { name: 'Acme Funeral Insurance Ltd', vat_number: '4100000000' } } });
        try {
          w.at('2025-11-01');
          await w.policies(codes.map((_, i) => [`C${i}`, `P${i}`, '100.00']));
          await w.execute('2025-11');
          codes.forEach((c, i) => {
            w.deposit(`C${i}`, '2025-11-03', 1_000_00);
            w.deposit(`C${i}`, '2025-12-02', 1_000_00);
            w.script(`P${i}`, 1, c);
          });
          await w.run('2025-11-03', '2025-11-05');
          w.at('2025-12-01', '02:00:00');
          await closeReport(w.ports, 'acme', '2025-11');
          await w.execute('2025-12');
          await w.run('2025-12-02', '2025-12-04');
          const held = await knexOf(dbOf(w.ports.store))('policy_holds').orderBy('policy_number').select('policy_number', 'held_on');
          expect(held.map((h: { policy_number: string }) => h.policy_number)).toEqual(codes.flatMap((c, i) => (c !== 'PAID' && holdsPolicy(c) ? [`P${i}`] : [])));
          const dec = await knexOf(dbOf(w.ports.store))('collections').where({ period: '2025-12' }).pluck('policy_number');
          const attempts = await w.attempts();
          for (const h of held as { policy_number: string; held_on: string }[]) {
            expect(dec).not.toContain(h.policy_number);
            expect(attempts.filter((a) => a.policy_number === h.policy_number && a.action_date > h.held_on)).toEqual([]);
          }
        } finally {
          await w.cleanup();
        }
      }),
      { seed: 1212, numRuns: 8 },
    );
  }, 180_000);
});
