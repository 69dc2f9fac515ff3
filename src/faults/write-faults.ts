/**
 * Test seam at the write boundary (read here only; never set in production):
 *
 * - `KASI_FAULT_WRITE=<CODE>[:<part>]` makes every atomic write whose path contains `<part>` (all
 *   writes without it) fail with that errno code — `ENOSPC` (disk full), `EACCES`, `EROFS` —
 *   after its first chunk reached the temporary file, as a disk filling up mid-write does. Used by
 *   test/integration/faults-*.test.ts where a real full or read-only filesystem is not available
 *   (a small tmpfs needs root).
 * - `KASI_CRASH_AT=write-before-rename|write-after-rename` (with `KASI_CRASH_SKIP=<n>`, as in
 *   src/faults/crash-point.ts) kills the process right before or right after a file's rename: the
 *   crash loop's moments inside every step that writes.
 */
/** Node's wording for these codes, so the seam's errors read as the real ones do. */
const DESCRIPTIONS: Record<string, string> = { ENOSPC: 'no space left on device', EACCES: 'permission denied', EROFS: 'read-only file system', EIO: 'i/o error' };

export function injectedWriteFault(path: string): NodeJS.ErrnoException | null {
  const spec = process.env.KASI_FAULT_WRITE;
  if (!spec) return null;
  const [code, part] = [spec.split(':')[0]!, spec.split(':').slice(1).join(':')];
  if (part && !path.includes(part)) return null;
  const err: NodeJS.ErrnoException = new Error(`${code}: ${DESCRIPTIONS[code] ?? 'injected write fault'}, write`);
  err.code = code;
  return err;
}

const hits = new Map<string, number>();

export function writeCrashPoint(name: 'write-before-rename' | 'write-after-rename'): void {
  if (process.env.KASI_CRASH_AT !== name) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (n > Number(process.env.KASI_CRASH_SKIP ?? 0)) process.kill(process.pid, 'SIGKILL');
}
