import { mkdir, rename, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { abortableSleep, backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy, type Sleep } from './backoff.js';
import { DEFAULT_INBOUND_PATTERNS, RemoteSettleTracker, selectInbound, type RefusedName } from './inbound-selection.js';
import { printableName } from './remote-name.js';
import { freeRemoteName, remotePath } from './remote-paths.js';
import { errText, SftpSession, type RemoteEntry } from './sftp-session.js';
import type { Env, SftpLog, TenantSftpSettings } from './tenant-sftp.config.js';

/**
 * Pulls one tenant's files from its SFTP inbound folder (SPEC 7). The remote file is moved to
 * processed only after intake has committed it, so a crash anywhere leaves it in inbound; the
 * next poll downloads it again and intake knows it (kasi's SftpService: the same name, bytes and
 * remote mtime already processed; any intake: sha256 idempotency, a duplicate). Nothing is lost,
 * nothing is applied twice.
 */
/** What became of one pulled file (the import's `IntakeOutcome.status`, as the poller records it). */
export type IntakeVerdict = 'applied' | 'duplicate' | 'rejected';
export type IntakeFn = (tenant: string, stagedPath: string, originalName: string) => Promise<IntakeVerdict>;

export interface SftpPollerOptions {
  tenant: string;
  settings: TenantSftpSettings;
  /** The poller owns `<stagingDir>/<tenant>/` and clears it at the start of every poll. */
  stagingDir: string;
  intake: IntakeFn;
  log: SftpLog;
  /** Monotonic milliseconds, for settle times. */
  now: () => number;
  sleep?: Sleep;
  /** Where `password_env` is looked up; defaults to process.env. */
  env?: Env;
  /** Names to take; default policies*.csv and income*.csv. */
  patterns?: readonly RegExp[];
  backoff?: Partial<BackoffPolicy>;
  random?: () => number;
  /** Told of each file moved to processed, once the move is done (kasi records it with the file's intake). */
  onMoved?: (name: string, target: string) => Promise<void>;
}

export interface TakenFile {
  name: string;
  outcome: IntakeVerdict;
  /** Name under processed_dir, or null when the move failed (retried on a later poll). */
  movedTo: string | null;
}

export interface PollReport {
  taken: TakenFile[];
  waiting: string[];
  refused: RefusedName[];
  /** Files left in inbound this poll (short download, changed meanwhile, intake threw): retried. */
  failed: { name: string; error: string }[];
}

export class SftpPoller {
  private readonly tracker: RemoteSettleTracker;
  private readonly stopper = new AbortController();
  private readonly staging: string;
  private readonly where: { tenant: string };
  private session: SftpSession | null = null;
  private inFlight: Promise<PollReport> | null = null;
  private running: Promise<void> | null = null;
  private reported = new Set<string>();

  constructor(private readonly o: SftpPollerOptions) {
    this.tracker = new RemoteSettleTracker(o.settings.settle_seconds * 1000);
    this.staging = join(o.stagingDir, o.tenant);
    this.where = { tenant: o.tenant };
  }

  /** One poll. A call while one is in flight joins it: a tick never overlaps itself. */
  pollOnce(): Promise<PollReport> {
    if (this.stopper.signal.aborted) return Promise.reject(new Error(`SFTP poller for ${this.o.tenant} is stopped`));
    this.inFlight ??= this.poll().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /** Poll every poll_seconds until `signal` aborts or stop(); failures back off, never escape. */
  run(signal: AbortSignal): Promise<void> {
    this.running ??= this.loop(signal);
    return this.running;
  }

  /** Idempotent: cuts the sleep and the connection, resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopper.abort();
    this.session?.destroy();
    await this.running;
    await this.inFlight?.catch(() => undefined);
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const onAbort = (): void => void this.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) this.stopper.abort();
    const sleep = this.o.sleep ?? abortableSleep;
    const policy = { ...DEFAULT_BACKOFF, ...this.o.backoff };
    let failures = 0;
    try {
      while (!this.stopper.signal.aborted) {
        let delay = this.o.settings.poll_seconds * 1000;
        try {
          await this.pollOnce();
          failures = 0;
        } catch (err) {
          if (this.stopper.signal.aborted) break;
          failures++;
          delay = backoffDelay(failures, policy, this.o.random);
          this.o.log.error({ ...this.where, err: errText(err), attempt: failures, retry_in_ms: delay }, 'SFTP poll failed; will reconnect');
        }
        await sleep(delay, this.stopper.signal);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async poll(): Promise<PollReport> {
    const s = this.o.settings;
    await rm(this.staging, { recursive: true, force: true }); // leftovers of a crash: the remote still has them
    await mkdir(this.staging, { recursive: true });
    const session = await SftpSession.open(s, { log: this.o.log, where: this.where, ...(this.o.env ? { env: this.o.env } : {}) });
    this.session = session;
    if (this.stopper.signal.aborted) session.destroy();
    try {
      const listing = await session.list(s.inbound_dir);
      const sel = selectInbound(listing, {
        patterns: this.o.patterns ?? DEFAULT_INBOUND_PATTERNS,
        doneMarkers: s.done_markers,
        tracker: this.tracker,
        nowMs: this.o.now(),
      });
      this.reportRefused(sel.refused);
      const report: PollReport = { taken: [], waiting: sel.waiting, refused: sel.refused, failed: [] };
      const ready = [...sel.ready].sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : 1));
      for (const entry of ready) {
        if (this.stopper.signal.aborted) break;
        const r = await this.take(session, entry);
        if ('error' in r) report.failed.push(r);
        else report.taken.push(r);
      }
      return report;
    } finally {
      this.session = null;
      await session.end();
    }
  }

  /** Download, verify, hand to intake, then move remotely. Connection errors propagate (the poll fails). */
  private async take(session: SftpSession, entry: RemoteEntry): Promise<TakenFile | { name: string; error: string }> {
    const { tenant, settings: s, log } = this.o;
    const name = entry.name; // validated by selectInbound before it reaches any path
    const remote = remotePath(s.inbound_dir, name);
    const part = join(this.staging, `.${name}.part`);
    const staged = join(this.staging, name);
    const got = await session.download(remote, part);
    const after = await session.stat(remote);
    const problem =
      got !== entry.size
        ? `downloaded ${got} bytes, listed size ${entry.size}`
        : after.size !== entry.size || after.mtimeMs !== entry.mtimeMs
          ? 'remote file changed during download'
          : null;
    if (problem) {
      await rm(part, { force: true });
      this.tracker.forget(name); // settle again from scratch
      log.warn({ ...this.where, file: name, problem }, 'SFTP download discarded; will retry');
      return { name, error: problem };
    }
    await rename(part, staged);
    // the remote modification time goes with the bytes: intake records it as when the file was
    // received, and it tells the same remote file taken again after a restart from a re-upload
    await utimes(staged, entry.mtimeMs / 1000, entry.mtimeMs / 1000);
    let outcome: IntakeVerdict;
    try {
      outcome = await this.o.intake(tenant, staged, name);
    } catch (err) {
      log.error({ ...this.where, file: name, err: errText(err) }, 'intake failed; the remote file stays in inbound');
      return { name, error: `intake failed: ${errText(err)}` };
    } finally {
      await rm(staged, { force: true });
    }
    this.tracker.forget(name);
    const movedTo = await this.moveToProcessed(session, name);
    if (movedTo !== null) await this.o.onMoved?.(name, movedTo);
    log.info({ ...this.where, file: name, outcome, moved_to: movedTo }, 'SFTP file taken');
    return { name, outcome, movedTo };
  }

  /** After intake committed. A failure is only logged: the next poll re-downloads, intake says duplicate, the move is retried. */
  private async moveToProcessed(session: SftpSession, name: string): Promise<string | null> {
    const s = this.o.settings;
    try {
      const target = await freeRemoteName(session, s.processed_dir, name);
      await session.rename(remotePath(s.inbound_dir, name), remotePath(s.processed_dir, target));
      if (s.done_markers) {
        await session
          .rename(remotePath(s.inbound_dir, `${name}.done`), remotePath(s.processed_dir, `${target}.done`))
          .catch((err: unknown) => this.o.log.warn({ ...this.where, file: `${name}.done`, err: errText(err) }, 'could not move done marker'));
      }
      return target;
    } catch (err) {
      this.o.log.warn({ ...this.where, file: name, err: errText(err) }, 'SFTP move to processed failed; retried on a later poll');
      return null;
    }
  }

  /** Logged once per name while it stays listed, returned in every report. */
  private reportRefused(refused: RefusedName[]): void {
    const now = new Set(refused.map((r) => r.name));
    for (const r of refused) {
      if (this.reported.has(r.name)) continue;
      this.o.log.warn({ ...this.where, file: printableName(r.name), code: r.code }, `SFTP file refused: ${r.message}`);
    }
    this.reported = now;
  }
}
