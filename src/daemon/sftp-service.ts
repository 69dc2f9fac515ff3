import { abortableSleep, backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy, type Sleep } from '../sftp/backoff.js';
import { SftpPoller, type PollReport } from '../sftp/poller.js';
import { errText } from '../sftp/sftp-session.js';
import type { Env } from '../sftp/tenant-sftp.config.js';
import { deliverQueued, exclusiveSftp, queueIntakeResult, sftpTenantSettings, sftpTenants, type DeliveryRun } from '../usecases/deliver/deliveries.js';
import { importFile, type IntakeOutcome } from '../usecases/intake/import-file.js';
import { metrics } from './metrics.js';
import type { Log, Ports } from '../usecases/ports.js';
import { scanFile } from '../intake/file-scan.js';
import { stat } from 'node:fs/promises';

/**
 * SFTP exchange for every `intake: sftp` tenant (SPEC 7): one loop per tenant that polls the
 * remote inbound folder (files go through the same `importFile` as the folder inbox) and then
 * delivers that tenant's queued outbox files. Loops are independent: a dead or slow server only
 * backs off its own tenant, never another tenant, the folder inbox or the batch.
 *
 * The loop is ours rather than SftpPoller.run(): deliveries must be retried on each poll, and
 * polling and delivering for one tenant must not hold two connections at once.
 */
export interface SftpServiceOptions {
  /** Where `password_env` is looked up: the composition root passes process.env. */
  env: Env;
  /** Only these tenants (default: every `intake: sftp` tenant). */
  tenants?: readonly string[];
  backoff?: Partial<BackoffPolicy>;
  sleep?: Sleep;
  onOutcome?: (o: IntakeOutcome) => void;
}

export interface TickReport {
  tenant: string;
  /** null when the poll failed (its error is in `pollError`) */
  poll: PollReport | null;
  pollError: string | null;
  delivery: DeliveryRun | null;
  deliveryError: string | null;
  /** another replica held the tenant's SFTP turn: nothing was done this time */
  elsewhere?: true;
}

/**
 * Replicas on one PostgreSQL: one SFTP exchange per tenant at a time across all of them, by a
 * session advisory lock held on one connection for the tick (released with the connection if the
 * process dies). A replica that does not get it skips its tick: the holder is polling. On SQLite a
 * single daemon is assumed and `fn` just runs. Resolves to undefined when skipped.
 */
function withTenantLock<T>(ports: Ports, tenant: string, fn: () => Promise<T>): Promise<T | undefined> {
  // the bound store function loses withSessionLock's type parameter (store.ts's Bound): its result is fn's
  return ports.store.locks.withSessionLock(SFTP_LOCK_CLASS, tenant, fn) as Promise<T | undefined>;
}

/** The advisory lock class (first key) of the per-tenant SFTP lock. */
const SFTP_LOCK_CLASS = 4731;

interface TenantLoop {
  tenant: string;
  poller: SftpPoller;
  done: Promise<void> | null;
}

export class SftpService {
  private readonly loops: TenantLoop[];
  private readonly stopper = new AbortController();
  private readonly log: Log;
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly ports: Ports,
    private readonly opts: SftpServiceOptions,
  ) {
    this.log = ports.log.child({ component: 'sftp' });
    const ids = opts.tenants ?? sftpTenants(ports.config);
    this.loops = ids.map((tenant) => {
      const settings = sftpTenantSettings(ports.config, tenant);
      if (!settings) throw new Error(`tenant ${tenant} does not exchange files over SFTP`);
      const poller = new SftpPoller({
        tenant,
        settings,
        stagingDir: ports.paths.staging(),
        intake: (t, stagedPath, name) => this.intake(t, stagedPath, name),
        onMoved: (name, target) => ports.store.intakeFiles.markRemoteMoved(tenant, name, target),
        log: this.log,
        now: () => performance.now(),
        env: opts.env,
        ...(opts.backoff ? { backoff: opts.backoff } : {}),
      });
      return { tenant, poller, done: null };
    });
  }

  get tenants(): string[] {
    return this.loops.map((l) => l.tenant);
  }

  start(): void {
    if (this.stopper.signal.aborted) throw new Error('SftpService was stopped; make a new one');
    for (const l of this.loops) l.done ??= this.loop(l);
    if (this.loops.length) this.log.info({ tenants: this.tenants }, 'SFTP exchange started');
  }

  /** One poll and one delivery run for `tenant` now (tests, and the loop's own tick). Never throws for I/O. */
  async tick(tenant: string): Promise<TickReport> {
    const l = this.loops.find((x) => x.tenant === tenant);
    if (!l) throw new Error(`no SFTP loop for tenant ${tenant}`);
    return exclusiveSftp(this.ports, tenant, () =>
      withTenantLock(this.ports, tenant, async () => {
        const r: TickReport = { tenant, poll: null, pollError: null, delivery: null, deliveryError: null };
        try {
          r.poll = await l.poller.pollOnce();
        } catch (err) {
          r.pollError = errText(err);
          metrics.sftpErrors.inc({ tenant, operation: 'poll' });
        }
        if (this.stopper.signal.aborted) return r;
        // Delivery is tried even when the poll failed: an unreadable inbound folder must not hold
        // back the month's statements. With nothing queued it does not connect at all.
        try {
          r.delivery = await deliverQueued(this.ports, tenant, { env: this.opts.env });
          if (r.delivery.failed > 0) metrics.sftpErrors.inc({ tenant, operation: 'deliver' }, r.delivery.failed);
        } catch (err) {
          r.deliveryError = errText(err);
          metrics.sftpErrors.inc({ tenant, operation: 'deliver' });
        }
        return r;
      }),
    ).then((r) => r ?? { tenant, poll: null, pollError: null, delivery: null, deliveryError: null, elsewhere: true });
  }

  /** Idempotent: stops taking files, cuts connections, resolves when every loop has ended. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopper.abort();
      await Promise.all(this.loops.map((l) => l.poller.stop()));
      await Promise.all(this.loops.map((l) => l.done));
      if (this.loops.length) this.log.info({}, 'SFTP exchange stopped');
    })();
    return this.stopping;
  }

  private async loop(l: TenantLoop): Promise<void> {
    const s = sftpTenantSettings(this.ports.config, l.tenant)!;
    const policy = { ...DEFAULT_BACKOFF, ...this.opts.backoff };
    const sleep = this.opts.sleep ?? abortableSleep;
    let failures = 0;
    while (!this.stopper.signal.aborted) {
      let delay = s.poll_seconds * 1000;
      try {
        const r = await this.tick(l.tenant);
        if (this.stopper.signal.aborted) break;
        this.report(r);
        await this.recordContact(r);
        if (r.pollError !== null) {
          failures++;
          delay = backoffDelay(failures, policy);
          this.log.error({ tenant: l.tenant, err: r.pollError, attempt: failures, retry_in_ms: delay }, 'SFTP poll failed; will reconnect');
        } else failures = 0;
      } catch (err) {
        // a bug or the store going away: logged and backed off, never an unhandled rejection
        failures++;
        delay = backoffDelay(failures, policy);
        this.log.error({ tenant: l.tenant, err: errText(err), retry_in_ms: delay }, 'SFTP loop error');
      }
      await sleep(delay, this.stopper.signal);
    }
  }

  /** The console's operations page shows each SFTP tenant's last contact and last error. */
  private async recordContact(r: TickReport): Promise<void> {
    if (r.elsewhere) return;
    try {
      await this.ports.store.consoleOps.recordSftpContact(r.tenant, this.ports.clock.now().toISOString(), r.pollError, r.poll?.taken.length ?? 0);
    } catch (err) {
      this.log.warn({ tenant: r.tenant, err: errText(err) }, 'could not record the SFTP contact');
    }
  }

  private report(r: TickReport): void {
    if (r.deliveryError !== null) this.log.error({ tenant: r.tenant, err: r.deliveryError }, 'SFTP delivery run failed; the files stay queued');
    else if (r.delivery && r.delivery.delivered + r.delivery.failed > 0) {
      this.log.info({ tenant: r.tenant, delivered: r.delivery.delivered, failed: r.delivery.failed }, 'SFTP delivery run');
    }
  }

  private async intake(tenant: string, stagedPath: string, name: string): Promise<IntakeOutcome['status']> {
    const before = await this.processedBefore(tenant, stagedPath, name);
    if (before) {
      this.log.warn(
        { tenant, file: name, status: before.status },
        'SFTP file already processed before a restart (the move to processed was not done): moved now, not imported again',
      );
      // its result was queued then, unless the restart came first: queued now in that case only
      await queueIntakeResult(this.ports, { tenant, resultPath: this.ports.paths.intakeResultCsv(tenant, name) }, { again: false });
      return before.status;
    }
    const out = await importFile(this.ports, { tenantId: tenant, path: stagedPath, name, mode: 'move', source: 'sftp' });
    this.log.info(
      { tenant: out.tenant, file: out.file, status: out.status, imported: out.imported, failed: out.failed, movedTo: out.movedTo },
      `sftp intake ${out.status}: ${out.file}`,
    );
    // Its result CSV goes back to the insurer's outbound folder, delivered later in this same tick.
    // Queued before the poller moves the remote file: if this fails the file stays in inbound and
    // the next poll takes it again, finds it processed (processedBefore) and queues the result then.
    await queueIntakeResult(this.ports, out);
    this.opts.onOutcome?.(out);
    return out.status;
  }

  /**
   * The same remote file — name, bytes and remote modification time (the poller gives the staged
   * copy the remote mtime, which intake records as received_at) — processed to the end before and
   * never moved to processed: the daemon stopped (or the move failed) after its intake. Its outcome
   * stands and its local result is still the latest under that name; the insurer is not sent a
   * "duplicate" for it. Once a file was moved, whatever arrives under its name is a new upload and
   * goes through intake (the same bytes again: a duplicate, reported).
   */
  private async processedBefore(tenant: string, stagedPath: string, name: string): Promise<{ status: IntakeOutcome['status'] } | null> {
    const last = await this.ports.store.intakeFiles.latestOfName(tenant, name);
    if (!last?.finished_at || last.remote_moved_to !== null) return null;
    const [scan, st] = await Promise.all([scanFile(stagedPath), stat(stagedPath)]);
    return last.sha256 === scan.sha256 && last.received_at === st.mtime.toISOString() ? { status: last.status } : null;
  }
}
