import { benchIntake } from './intake.bench.js';
import { benchEngine } from './engine.bench.js';
import { benchClose } from './close.bench.js';
import { benchSftp } from './sftp.bench.js';
import { benchApi } from './api.bench.js';
import { benchConsole } from './console.bench.js';

/**
 * `npm run bench [-- --only intake,...] [--rows N]`: every section prints a table and merges its figures
 * into bench/results.json.
 */
const rowsArg = process.argv.indexOf('--rows');
/** `--rows N` (else KASI_BENCH_ROWS, else a million): the rows of the intake, close and engine batch sections. */
const ROWS = Number(rowsArg > 0 ? process.argv[rowsArg + 1] : (process.env.KASI_BENCH_ROWS ?? 1_000_000));
if (!Number.isSafeInteger(ROWS) || ROWS < 1) {
  console.error('--rows (or KASI_BENCH_ROWS) must be a whole number ≥ 1');
  process.exit(2);
}

const sections: Record<string, () => Promise<void>> = {
  intake: () => benchIntake(ROWS),
  sftp: () => benchSftp(),
  close: () => benchClose(ROWS),
  api: () => benchApi(Number(process.env.KASI_BENCH_API_ROWS ?? 100_000)),
  console: () => benchConsole(ROWS),
  engine: () => benchEngine({ batchRows: ROWS, simPolicies: Number(process.env.KASI_BENCH_SIM ?? 100_000) }),
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
