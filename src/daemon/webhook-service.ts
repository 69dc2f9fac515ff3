import { readFile } from 'node:fs/promises';
import { attemptVerdict } from '../domain/webhook-events.js';
import { abortableSleep, backoffDelay, type Sleep } from '../sftp/backoff.js';
import { metrics } from './metrics.js';
import type { Log, Ports } from '../usecases/ports.js';
import { deadHere, REPLICA_ID } from '../usecases/replica.js';
import type { AttemptRecord, DeliveryHead } from '../store/webhook.repository.js';
import { receiverFor } from '../usecases/webhooks/record-event.js';
import { postWebhook, type PostResult } from './webhook-sender.js';

/**
 * Sends the recorded webhook events (docs/webhooks.md). A small loop: read the head of every lane
 * (a receiver × tenant), claim the due ones in the store (one replica sends each event), POST them
 * side by side (a slow receiver holds only its own lane), record each outcome, and go round again
 * at once while anything was sent, else sleep `poll_seconds`. Each lane is strictly in order: its
 * next event waits until the one before is delivered or has failed for good.
 */
export interface WebhookServiceOptions {
  env: NodeJS.ProcessEnv;
  sleep?: Sleep;
  random?: () => number;
}

const BACKLOG_EVERY_MS = 15_000;

export interface WebhookTick {
  sent: number;
  delivered: number;
  retried: number;
  failed: number;
}

export class WebhookService {
  private readonly stopper = new AbortController();
  private readonly log: Log;
  private done: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private backlogAt = 0;

  constructor(
    private readonly ports: Ports,
    private readonly opts: WebhookServiceOptions,
  ) {
    this.log = ports.log.child({ component: 'webhooks' });
  }

  /** Any receiver configured at all: without one nothing is ever recorded, so no loop is needed. */
  get enabled(): boolean {
    const c = this.ports.config;
    return c.webhooks.length > 0 || Object.values(c.tenants).some((t) => t.webhooks.length > 0);
  }

  start(): void {
    if (this.stopper.signal.aborted) throw new Error('WebhookService was stopped; make a new one');
    if (!this.enabled) return;
    this.done ??= this.loop();
    this.log.info({ replica: REPLICA_ID }, 'webhook sender started');
  }

  /** Cut the sleep short: something was recorded in this process. */
  nudge(): void {
    this.wake?.();
  }

  /** Idempotent: requests in flight are cut off (their claims released, not counted as attempts). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopper.abort();
      this.wake?.();
      await this.done;
    })();
    return this.stopping;
  }

  private async loop(): Promise<void> {
    const cfg = this.ports.config.webhook_delivery;
    let failures = 0;
    while (!this.stopper.signal.aborted) {
      let delay = cfg.poll_seconds * 1000;
      try {
        const t = await this.tick();
        failures = 0;
        if (t.sent > 0) delay = 0;
      } catch (err) {
        // the store going away, or a bug: logged and backed off, never an unhandled rejection
        failures++;
        delay = backoffDelay(failures, { baseMs: 1000, capMs: 60_000 });
        this.log.error({ err: (err as Error).message, retry_in_ms: delay }, 'webhook sender tick failed');
      }
      if (delay > 0) await this.nap(delay);
    }
  }

  private nap(ms: number): Promise<void> {
    const wake = new AbortController();
    const onStop = () => wake.abort();
    this.stopper.signal.addEventListener('abort', onStop, { once: true });
    this.wake = () => wake.abort();
    return (this.opts.sleep ?? abortableSleep)(ms, wake.signal).finally(() => {
      this.wake = null;
      this.stopper.signal.removeEventListener('abort', onStop);
    });
  }

  /** One round: every lane whose head is due and free gets one attempt. Exposed for tests. */
  async tick(): Promise<WebhookTick> {
    const cfg = this.ports.config.webhook_delivery;
    const heads = await this.ports.store.reading((tx) => tx.webhooks.laneHeads(1000));
    // the backlog counts every delivery ever made: read it every 15 s, not on every round
    if (performance.now() - this.backlogAt >= BACKLOG_EVERY_MS || this.backlogAt === 0) {
      await this.updateBacklog();
      this.backlogAt = performance.now();
    }
    const wallNow = new Date().toISOString();
    const due = heads.filter((h) => h.next_attempt_at <= wallNow && (h.claimed_by === null || (h.lease_until ?? '') < wallNow || deadHere(h.claimed_by)));
    const out: WebhookTick = { sent: 0, delivered: 0, retried: 0, failed: 0 };
    for (let i = 0; i < due.length && !this.stopper.signal.aborted; i += cfg.lanes_at_once) {
      const verdicts = await Promise.all(due.slice(i, i + cfg.lanes_at_once).map((h) => this.attempt(h)));
      for (const v of verdicts) {
        if (!v) continue;
        out.sent++;
        out[v]++;
      }
    }
    return out;
  }

  private async attempt(h: DeliveryHead): Promise<'delivered' | 'retried' | 'failed' | null> {
    const cfg = this.ports.config.webhook_delivery;
    const wallNow = new Date();
    const leaseMs = Math.max(this.ports.config.daemon.lease_seconds, cfg.timeout_seconds + 5) * 1000;
    const takeFrom = h.claimed_by !== null && deadHere(h.claimed_by) ? h.claimed_by : null;
    const mine = await this.ports.store.reading((tx) => tx.webhooks.claimDelivery(h.id, REPLICA_ID, wallNow.toISOString(), new Date(wallNow.getTime() + leaseMs).toISOString(), takeFrom));
    if (!mine) return null;
    const res = await this.post(h);
    if (res.aborted) {
      await this.ports.store.reading((tx) => tx.webhooks.releaseDelivery(h.id, REPLICA_ID));
      return null;
    }
    const verdict = attemptVerdict(res.status);
    const attempts = h.attempts + 1;
    const giveUp = verdict === 'retry' && attempts >= cfg.max_attempts;
    const status = verdict === 'delivered' ? 'delivered' : verdict === 'failed' || giveUp ? 'failed' : 'pending';
    const at = new Date();
    const wait = backoffDelay(attempts, { baseMs: cfg.retry_base_seconds * 1000, capMs: cfg.retry_cap_seconds * 1000 }, this.opts.random);
    const error = giveUp ? `gave up after ${attempts} attempts; last: ${res.error}` : res.error;
    const attempt: AttemptRecord = {
      id: h.id,
      owner: REPLICA_ID,
      status,
      at: at.toISOString(),
      httpStatus: res.status,
      error,
      ...(status === 'pending' ? { nextAttemptAt: new Date(at.getTime() + wait).toISOString() } : {}),
    };
    await this.ports.store.reading((tx) => tx.webhooks.recordAttempt(attempt));
    const tenant = h.tenant_id ?? '';
    const outcome = status === 'delivered' ? 'delivered' : status === 'failed' ? 'failed' : 'retried';
    metrics.webhookAttempts.inc({ tenant, outcome });
    const fields = { tenant: h.tenant_id, event: h.event_id, type: h.type, url: h.url, attempt: attempts, http_status: res.status };
    if (status === 'delivered') this.log.info(fields, 'webhook delivered');
    else if (status === 'failed') this.log.error({ ...fields, err: error }, 'webhook failed for good: not retried');
    else this.log.warn({ ...fields, err: error, retry_in_ms: wait }, 'webhook not delivered; retried later');
    return outcome;
  }

  private async post(h: DeliveryHead): Promise<PostResult> {
    const cfg = this.ports.config.webhook_delivery;
    const receiver = receiverFor(this.ports.config, h.tenant_id, h.url);
    if (!receiver) return { status: 410, error: `${h.url} is no longer a configured receiver`, aborted: false };
    let secret: string | undefined;
    try {
      secret = receiver.secret_env !== undefined ? this.opts.env[receiver.secret_env] : (await readFile(receiver.secret_file!, 'utf8')).trim();
    } catch (err) {
      return { status: null, error: `cannot read secret_file ${receiver.secret_file}: ${(err as Error).message}`, aborted: false };
    }
    if (!secret) return { status: null, error: `the secret is not set (${receiver.secret_env ? `environment variable ${receiver.secret_env}` : receiver.secret_file})`, aborted: false };
    return postWebhook({
      url: h.url,
      body: h.body,
      eventId: h.event_id,
      eventType: h.type,
      secret,
      timestamp: Math.floor(Date.now() / 1000),
      timeoutMs: cfg.timeout_seconds * 1000,
      maxResponseBytes: cfg.max_response_kb * 1024,
      signal: this.stopper.signal,
    });
  }

  /** The backlog gauges, from the store: every replica reports the same cluster-wide figures. */
  private async updateBacklog(): Promise<void> {
    const now = this.ports.clock.now().getTime();
    for (const b of await this.ports.store.reading((tx) => tx.webhooks.webhookBacklog())) {
      const tenant = b.tenant ?? '';
      metrics.webhookPending.set({ tenant }, b.pending);
      metrics.webhookFailed.set({ tenant }, b.failed);
      metrics.webhookOldestPendingAge.set({ tenant }, b.oldestPendingAt ? Math.max(0, (now - Date.parse(b.oldestPendingAt)) / 1000) : 0);
    }
  }
}
