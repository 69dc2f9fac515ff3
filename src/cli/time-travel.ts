import type { Clock } from '../usecases/ports.js';
import { CliError, parseNow } from './context.js';

/**
 * The daemon's clock, for tests and demos: `KASI_NOW` is the instant the daemon starts at (an ISO
 * date or date-time, SAST when no offset) and `KASI_SPEED` how many simulated seconds pass per
 * real second (e.g. 3600: an hour a second, a month in about 12 minutes; 86400: a day a second).
 * now() = KASI_NOW + real time elapsed since start × KASI_SPEED. Unset KASI_NOW: the real clock
 * (KASI_SPEED then is refused: it would mean nothing). `KASI_NOW_AT` (Unix ms, default: the process start)
 * is the real instant the clock reads KASI_NOW: replicas given the same three values share one clock. The scheduler divides its sleeps by
 * `speed`, so steps run on their simulated times; leases and HTTP stay on real time.
 */
export interface TravelClock extends Clock {
  /** simulated ms per real ms; 1 for the real clock */
  readonly speed: number;
  /** true when KASI_NOW set the start */
  readonly travelling: boolean;
}

export function travelClock(env: NodeJS.ProcessEnv = process.env, realNow: () => number = Date.now): TravelClock {
  const speed = parseSpeed(env.KASI_SPEED);
  if (!env.KASI_NOW) {
    if (env.KASI_SPEED) throw new CliError('KASI_SPEED needs KASI_NOW, the simulated start instant (e.g. KASI_NOW=2025-11-28T05:00:00+02:00)', 2);
    return { now: () => new Date(realNow()), speed: 1, travelling: false };
  }
  const start = parseNow(env.KASI_NOW).getTime();
  const realStart = env.KASI_NOW_AT ? parseAnchor(env.KASI_NOW_AT) : realNow();
  // wall time, not a monotonic timer: a machine that sleeps wakes up later in simulated time too
  return { now: () => new Date(start + (realNow() - realStart) * speed), speed, travelling: true };
}

/** KASI_NOW_AT: the real instant (Unix ms) at which the clock reads KASI_NOW, so that replicas started apart share one clock. */
function parseAnchor(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CliError(`KASI_NOW_AT="${raw}" must be a Unix time in milliseconds (e.g. $(date +%s%3N))`, 2);
  return n;
}

export function parseSpeed(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`KASI_SPEED="${raw}" must be a positive number (simulated seconds per real second, e.g. 3600)`, 2);
  return n;
}
