/**
 * Requests per minute per API key, reads and writes counted apart (issue 8: 100 reads, 10
 * writes). A fixed one-minute window per (key, class) starting at its first request: simple,
 * exact to explain ("10 writes per minute, the minute starting with your first"), and a refused
 * request says in Retry-After when the window ends. Refused requests do not count.
 */
export type RequestClass = 'read' | 'write';

export interface Limits {
  reads_per_minute: number;
  writes_per_minute: number;
}

export type Verdict = { ok: true; limit: number; remaining: number; resetSeconds: number } | { ok: false; limit: number; retryAfterSeconds: number };

const WINDOW_MS = 60_000;

export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  private sweptAt = 0;

  constructor(
    private readonly limits: Limits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(key: string, cls: RequestClass): Verdict {
    const t = this.now();
    this.sweep(t);
    const limit = cls === 'read' ? this.limits.reads_per_minute : this.limits.writes_per_minute;
    const id = `${cls}:${key}`;
    let w = this.windows.get(id);
    if (!w || t - w.start >= WINDOW_MS) {
      w = { start: t, count: 0 };
      this.windows.set(id, w);
    }
    const left = Math.max(1, Math.ceil((w.start + WINDOW_MS - t) / 1000));
    if (w.count >= limit) return { ok: false, limit, retryAfterSeconds: left };
    w.count++;
    return { ok: true, limit, remaining: limit - w.count, resetSeconds: left };
  }

  /** Forget windows that ended, at most once a minute: the map holds only recent keys. */
  private sweep(t: number): void {
    if (t - this.sweptAt < WINDOW_MS) return;
    this.sweptAt = t;
    for (const [id, w] of this.windows) if (t - w.start >= WINDOW_MS) this.windows.delete(id);
  }
}
