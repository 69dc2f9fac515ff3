import { readdir, stat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { isTempName, SettleTracker } from './completeness.js';

/**
 * Watches inbox folders and rescans them on an interval: watcher events are hints that make a
 * rescan come sooner, the rescan is the truth (SPEC 3.1). Emits complete files, one at a time, to
 * `take`; a file is offered again on a later scan if `take` failed.
 */
export interface InboxFolder {
  tenant: string;
  dir: string;
}

export interface InboxWatcherOptions {
  folders: InboxFolder[];
  settleMs: number;
  rescanMs: number;
  doneMarkers: boolean;
  take: (folder: InboxFolder, path: string, name: string) => Promise<void>;
  onError: (err: unknown, folder: InboxFolder | null) => void;
  monotonicNow?: () => number;
}

export class InboxWatcher {
  private tracker: SettleTracker;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private dueAt = 0;
  private scanning: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly opts: InboxWatcherOptions) {
    this.tracker = new SettleTracker(opts.settleMs);
    this.now = opts.monotonicNow ?? (() => performance.now());
  }

  start(): void {
    this.watcher = watch(
      this.opts.folders.map((f) => f.dir),
      { depth: 0, ignoreInitial: true, awaitWriteFinish: false },
    );
    const hint = () => this.hint();
    this.watcher.on('add', hint).on('change', hint).on('error', (e) => this.opts.onError(e, null));
    this.schedule(0);
  }

  /** A watcher event: rescan soon (after the settle time the file needs anyway). */
  private hint(): void {
    if (this.stopped) return;
    this.schedule(Math.min(this.opts.rescanMs, Math.max(50, this.opts.settleMs)));
  }

  /**
   * Scan in `ms`, unless a scan is already due sooner: a hint never postpones one, or a file
   * written to without pause (an event every few ms) would starve the inbox of scans.
   */
  private schedule(ms: number): void {
    if (this.stopped) return;
    const due = performance.now() + ms;
    if (this.timer) {
      if (this.dueAt <= due) return;
      clearTimeout(this.timer);
    }
    this.dueAt = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.scan();
    }, ms);
  }

  /** One pass over every folder; never two at once. */
  scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      this.pendingSettle = false;
      try {
        // One tracker for every folder: forget only files no folder lists any more (retaining per
        // folder would drop the other folders' observations, and their files would never settle).
        const listed = new Set<string>();
        for (const folder of this.opts.folders) {
          if (this.stopped) break;
          await this.scanFolder(folder, listed).catch((err) => this.opts.onError(err, folder));
        }
        if (!this.stopped) this.tracker.retain(listed);
      } finally {
        this.scanning = null;
        const soon = this.again || this.pendingSettle;
        this.again = false;
        this.schedule(soon ? Math.max(50, Math.min(this.opts.settleMs, this.opts.rescanMs)) : this.opts.rescanMs);
      }
    })();
    return this.scanning;
  }

  private pendingSettle = false;

  private async scanFolder(folder: InboxFolder, listed: Set<string>): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(folder.dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      if (this.stopped) return;
      if (isTempName(name) || name.endsWith('.done')) continue;
      const path = join(folder.dir, name);
      listed.add(path);
      if (this.opts.doneMarkers && !names.includes(`${name}.done`)) continue;
      let st;
      try {
        st = await stat(path);
      } catch {
        continue; // gone between listing and stat
      }
      if (!this.tracker.observe(path, { size: st.size, mtimeMs: st.mtimeMs }, this.now())) {
        this.pendingSettle = true;
        continue;
      }
      this.tracker.forget(path);
      await this.opts.take(folder, path, name);
      if (this.opts.doneMarkers) await rm(`${path}.done`, { force: true });
    }
  }

  /** Idempotent: stop watching and wait for the file in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.watcher?.close();
    this.watcher = null;
    await this.scanning;
  }
}
