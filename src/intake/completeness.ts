/**
 * When is a dropped file complete? Its size and mtime unchanged for the settle time, and not a
 * temp name (SPEC 3.1); in done-marker mode only once `<name>.done` exists. Pure: the caller
 * supplies observations and the monotonic time.
 */
export interface Observation {
  size: number;
  mtimeMs: number;
}

const TEMP = [/\.tmp$/i, /\.part$/i, /\.filepart$/i, /\.crdownload$/i, /~$/];

export function isTempName(name: string): boolean {
  return name.startsWith('.') || TEMP.some((re) => re.test(name));
}

export class SettleTracker {
  private seen = new Map<string, Observation & { since: number }>();

  constructor(private readonly settleMs: number) {}

  /** Record an observation; true when the file has been stable for the settle time. */
  observe(key: string, obs: Observation, nowMs: number): boolean {
    const prev = this.seen.get(key);
    if (!prev || prev.size !== obs.size || prev.mtimeMs !== obs.mtimeMs) {
      this.seen.set(key, { ...obs, since: nowMs });
      return false;
    }
    return nowMs - prev.since >= this.settleMs;
  }

  forget(key: string): void {
    this.seen.delete(key);
  }

  /** Drop keys no longer listed, so the map does not grow forever. */
  retain(keys: Set<string>): void {
    for (const k of this.seen.keys()) if (!keys.has(k)) this.seen.delete(k);
  }
}
