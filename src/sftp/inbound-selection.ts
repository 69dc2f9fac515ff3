import { validateRemoteName, type RemoteNameCode } from './remote-name.js';
import type { RemoteEntry } from './sftp-session.js';

/**
 * Which entries of a remote inbound listing are ready to take (SPEC 3.1 completeness rules applied
 * to a listing). Pure: the poller supplies the listing, the tracker and the monotonic time.
 */
export const POLICY_PATTERN = /^policies.*\.csv$/i;
export const INCOME_PATTERN = /^income.*\.csv$/i;
/** For the bank's file gateway account, when it comes over SFTP. */
export const RESULTS_PATTERN = /^results.*\.csv$/i;
export const DEFAULT_INBOUND_PATTERNS: readonly RegExp[] = [POLICY_PATTERN, INCOME_PATTERN];

const TEMP = [/\.tmp$/i, /\.part$/i, /\.filepart$/i, /\.crdownload$/i, /~$/];

export function isTempName(name: string): boolean {
  return name.startsWith('.') || TEMP.some((re) => re.test(name));
}

interface Seen {
  size: number;
  mtimeMs: number;
  since: number;
}

/** Remembers size+mtime per name across polls; a change restarts the settle clock. */
export class RemoteSettleTracker {
  private seen = new Map<string, Seen>();

  constructor(private readonly settleMs: number) {}

  /** True when `entry` has been unchanged for the settle time (at once when settle is 0). */
  observe(entry: RemoteEntry, nowMs: number): boolean {
    const prev = this.seen.get(entry.name);
    if (!prev || prev.size !== entry.size || prev.mtimeMs !== entry.mtimeMs) {
      this.seen.set(entry.name, { size: entry.size, mtimeMs: entry.mtimeMs, since: nowMs });
      return this.settleMs === 0;
    }
    return nowMs - prev.since >= this.settleMs;
  }

  forget(name: string): void {
    this.seen.delete(name);
  }

  /** Drop names no longer listed so the map does not grow forever. */
  retain(names: ReadonlySet<string>): void {
    for (const k of this.seen.keys()) if (!names.has(k)) this.seen.delete(k);
  }
}

export interface RefusedName {
  name: string;
  code: RemoteNameCode;
  message: string;
}

export interface InboundSelection {
  ready: RemoteEntry[];
  /** Wanted names still settling (or waiting for their done marker). */
  waiting: string[];
  refused: RefusedName[];
}

export interface SelectOptions {
  patterns: readonly RegExp[];
  doneMarkers: boolean;
  tracker: RemoteSettleTracker;
  nowMs: number;
}

export function selectInbound(entries: readonly RemoteEntry[], opts: SelectOptions): InboundSelection {
  const out: InboundSelection = { ready: [], waiting: [], refused: [] };
  const files = new Set(entries.filter((e) => e.type === '-').map((e) => e.name));
  const tracked = new Set<string>();
  for (const e of entries) {
    if (e.type === 'd') continue; // '.', '..' and sub-folders such as processed/
    // Validate before anything else looks at the name: it is never joined to a path unless valid.
    const verdict = validateRemoteName(e.name);
    if (!verdict.ok) {
      out.refused.push({ name: e.name, code: verdict.code, message: verdict.message });
      continue;
    }
    if (e.type !== '-' || isTempName(e.name) || !opts.patterns.some((re) => re.test(e.name))) continue;
    if (opts.doneMarkers && !files.has(`${e.name}.done`)) {
      out.waiting.push(e.name);
      continue;
    }
    tracked.add(e.name);
    if (opts.tracker.observe(e, opts.nowMs)) out.ready.push(e);
    else out.waiting.push(e.name);
  }
  opts.tracker.retain(tracked);
  return out;
}
