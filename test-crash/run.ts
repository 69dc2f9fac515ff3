import { parseArgs } from 'node:util';
import { runCrashLoop, summarize } from './harness.js';

/**
 * `npm run test:crash [-- --seed N --kills N --from D --to D --policies N --keep]` (or
 * KASI_CRASH_SEED / KASI_CRASH_KILLS): the crash loop of test-crash/harness.ts in full, a whole
 * month with 200+ kills by default. Prints the seed first, so a failure replays with --seed.
 */
const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    kills: { type: 'string' },
    from: { type: 'string', default: '2025-11-01' },
    to: { type: 'string', default: '2025-12-03' },
    policies: { type: 'string', default: '1000' },
    keep: { type: 'boolean', default: false },
  },
});
const seed = Number(values.seed ?? process.env.KASI_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const kills = Number(values.kills ?? process.env.KASI_CRASH_KILLS ?? 220);
const policies = Number(values.policies);
if (![seed, kills, policies].every((n) => Number.isInteger(n) && n >= 0)) {
  process.stderr.write('--seed, --kills and --policies must be whole numbers\n');
  process.exit(2);
}
process.stdout.write(`crash loop: seed ${seed}, ${kills} kills, ${values.from} to ${values.to}, ${policies} policies per tenant (2 tenants)\n`);
process.stdout.write(`replay: npm run test:crash -- --seed ${seed} --kills ${kills} --from ${values.from} --to ${values.to} --policies ${policies}\n`);
const r = await runCrashLoop({ seed, kills, from: values.from!, to: values.to!, policiesPerTenant: policies, keep: values.keep, out: (l) => process.stdout.write(`${l}\n`) });
process.stdout.write(`${summarize(r)}\n`);
process.exit(r.problems.length === 0 && r.kills >= kills ? 0 : 1);
