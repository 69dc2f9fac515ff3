/**
 * Test hook, for the kill tests (test/e2e/batch-crash.test.ts, the crash loop in test-crash/):
 * `KASI_CRASH_AT=<name>` kills the process at the named point, as a power cut would (no cleanup,
 * no flush); `KASI_CRASH_SKIP=<n>` lets the point pass n times first (the n+1-th hit kills).
 * Unset in production.
 */
export type CrashPointName =
  | 'after-submit'
  | 'after-present'
  | 'intake-after-commit'
  | 'intake-after-results'
  | 'intake-after-move'
  | 'close-after-commit';

const hits = new Map<string, number>();

export function crashPoint(name: CrashPointName): void {
  if (process.env.KASI_CRASH_AT !== name) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (n > Number(process.env.KASI_CRASH_SKIP ?? 0)) process.kill(process.pid, 'SIGKILL');
}
