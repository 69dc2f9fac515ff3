/**
 * Test hook, for test/e2e/batch-crash.test.ts only: `KASI_CRASH_AT=<name>` kills the process at
 * the named point of a batch, as a power cut would (no cleanup, no flush). Unset in production.
 */
export function crashPoint(name: 'after-submit' | 'after-present'): void {
  if (process.env.KASI_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
