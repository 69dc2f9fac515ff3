import { describe, expect, it } from 'vitest';
import { requireBuilt } from '../helpers/cli.js';
import { runCrashLoop, summarize } from '../../test-crash/harness.js';

/**
 * The crash loop of test-crash/harness.ts (issue 7, SPEC 9) in its bounded form: the last week of
 * November 2025 and the December close (28 November – 3 December), 2 tenants × 100 policies, the
 * daemon on the file gateway SIGKILLed 40 times at seeded moments (timed, and at crash points in
 * intake, the batch, result application and every close step), restarted each time; then compared
 * with an undisturbed run: same store, same files byte for byte, each intake file archived once,
 * no instruction presented twice, no temp file. KASI_CRASH_SEED / KASI_CRASH_KILLS change it;
 * `npm run test:crash` runs the whole month with 220 kills.
 */
const SEED = Number(process.env.KASI_CRASH_SEED ?? 20251126);
const KILLS = Number(process.env.KASI_CRASH_KILLS ?? 40);

describe('crash loop (bounded)', () => {
  it(`${KILLS} kills, seed ${SEED}: the month ends exactly as without kills`, { timeout: 600_000 }, async () => {
    requireBuilt();
    const r = await runCrashLoop({ seed: SEED, kills: KILLS, from: '2025-11-28', to: '2025-12-03', policiesPerTenant: 100 });
    const report = summarize(r);
    process.stdout.write(`${report}\n`);
    expect(r.problems, report).toEqual([]);
    expect(r.kills, report).toBe(KILLS);
  });
});
