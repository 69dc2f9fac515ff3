import { benchIntake } from './intake.bench.js';
import { benchEngine } from './engine.bench.js';
import { benchClose } from './close.bench.js';
import { benchSftp } from './sftp.bench.js';
import { benchApi } from './api.bench.js';

/**
 * `npm run bench [-- --only intake,...]`: every section prints a table and merges its figures
 * into bench/results.json.
 */
const sections: Record<string, () => Promise<void>> = {
  intake: () => benchIntake(Number(process.env.KASI_BENCH_ROWS ?? 1_000_000)),
  sftp: () => benchSftp(),
  close: () => benchClose(Number(process.env.KASI_BENCH_ROWS ?? 1_000_000)),
  api: () => benchApi(Number(process.env.KASI_BENCH_API_ROWS ?? 100_000)),
  engine: () => benchEngine({ batchRows: Number(process.env.KASI_BENCH_ROWS ?? 1_000_000), simPolicies: Number(process.env.KASI_BENCH_SIM ?? 100_000) }),
};

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? (process.argv[onlyArg + 1] ?? '').split(',') : Object.keys(sections);
for (const name of only) {
  const fn = sections[name];
  if (!fn) {
    console.error(`unknown bench section "${name}"; known: ${Object.keys(sections).join(', ')}`);
    process.exit(2);
  }
  await fn();
}
