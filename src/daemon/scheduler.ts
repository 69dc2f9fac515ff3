import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { keyDate, keyInstant, nextOccurrence, occurrenceKey, occurrencesBetween, payScheduleWarning } from '../domain/cron.js';
import type { ScheduleRuns } from '../store/schedule-runs.repository.js';
import { metrics } from './metrics.js';
import type { Log, Ports } from '../usecases/ports.js';
import { recordEvent, type EventOccurrence } from '../usecases/webhooks/record-event.js';
import type { KasiConfig } from '../config.js';
import { scheduledSteps, StepInterrupted, type Occurrence, type ScheduledStep, type StepOutcome } from './steps.js';

/**
 * The scheduler loop with catch-up (SPEC 6; STYLE habits 5–7). Each tick plans, for every step,
 * the occurrences since the last one recorded in `schedule_runs` (a fresh database: since the
 * horizon) plus the unsettled ones (a dead owner's, a failed one with attempts left), and runs
 * them one at a time in time order. That one path serves the normal tick, the start after an
 * outage and the wake-up after the machine slept.
 *
 * Each occurrence is claimed in the store before it runs (unique key + a renewed lease), so with
 * several replicas exactly one runs it. Order holds across replicas too: a tick stops at the
 * first occurrence someone else is running (or that waits for a retry), so a close never starts
 * while an earlier batch is still going elsewhere.
 *
 * States: idle → running → stopping → stopped. `stop()` is idempotent: it aborts the sleep, asks
 * the unit in hand to stop at its next safe point, and waits for it within the bound.
 */
export interface SchedulerOptions {
  steps: readonly ScheduledStep[];
  /** simulated seconds per real second (KASI_SPEED); sleeps are divided by it */
  speed?: number;
  /** wall clock (ms) for leases and retry times: real time, whatever the scheduler's clock says */
  wallNow?: () => number;
  owner?: string;
  leaseMs: number;
  horizonMs: number;
  maxAttempts: number;
  retryMs: number;
  maxSleepMs: number;
  /** after each settled or released unit (tests, logs) */
  onUnit?: (u: UnitReport) => void;
}

/** The options from `daemon:` (see config/default.yaml). */
export function schedulerOptionsFrom(config: Pick<KasiConfig, 'daemon' | 'schedules'>, speed = 1): SchedulerOptions {
  const d = config.daemon;
  return {
    steps: scheduledSteps(config),
    speed,
    leaseMs: d.lease_seconds * 1000,
    horizonMs: d.catch_up_days * 86_400_000,
    maxAttempts: d.step_attempts,
    retryMs: d.retry_seconds * 1000,
    maxSleepMs: d.tick_seconds * 1000,
  };
}

export type SchedulerState = 'idle' | 'running' | 'stopping' | 'stopped';

export interface UnitReport {
  step: string;
  occurrence: string;
  status: 'done' | 'skipped' | 'failed' | 'released';
  attempt: number;
  detail: unknown;
}

export interface TickResult {
  ran: UnitReport[];
  /** the occurrence another owner holds (or that waits for its retry), where the tick stopped */
  blockedAt: string | null;
}

const JUMP_MS = 60_000;
const MAX_PLANNED = 1000;
const ERROR_BACKOFF_CAP_MS = 60_000;

export class Scheduler {
  readonly owner: string;
  private stateNow: SchedulerState = 'idle';
  private readonly stopper = new AbortController();
  private loopDone: Promise<void> | null = null;
  private stopping: Promise<'drained' | 'timeout'> | null = null;
  private current: { step: string; occurrence: string } | null = null;
  private watchingFrom: number | null = null;
  /** the clock reading the last plan() took occurrences up to */
  private plannedUpTo: Date | null = null;
  private readonly log: Log;
  private readonly wallNow: () => number;

  constructor(
    private readonly ports: Ports,
    private readonly opts: SchedulerOptions,
  ) {
    this.owner = opts.owner ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.log = ports.log.child({ component: 'scheduler' });
    this.wallNow = opts.wallNow ?? Date.now;
  }

  /** the schedule_runs ledger on the store the ports hold now */
  private get runs(): ScheduleRuns {
    return this.ports.store.scheduleRuns.scheduleRuns();
  }

  get state(): SchedulerState {
    return this.stateNow;
  }

  /** For /readyz: the loop is up and not stopping. */
  get running(): boolean {
    return this.stateNow === 'running';
  }

  start(): void {
    if (this.stateNow !== 'idle') throw new Error(`the scheduler cannot start from ${this.stateNow}`);
    this.stateNow = 'running';
    this.loopDone = this.loop();
    this.log.info({ owner: this.owner, steps: this.opts.steps.map((s) => `${s.name} "${s.cron.source}"`) }, 'scheduler started');
    const pay = this.opts.steps.find((s) => s.name === 'close_pay');
    const warning = pay ? payScheduleWarning(pay.cron) : null;
    if (warning) this.log.warn({ step: 'close_pay' }, warning);
  }

  /**
   * Stop taking new work; let the unit in hand finish (a batch stops between chunks) within
   * `boundMs`. On timeout the unit's lease is released so the next start takes it over at once.
   */
  stop(boundMs: number): Promise<'drained' | 'timeout'> {
    this.stopping ??= (async () => {
      if (this.stateNow === 'idle') {
        this.stateNow = 'stopped';
        return 'drained';
      }
      this.stateNow = 'stopping';
      this.stopper.abort();
      const bound = new AbortController();
      const outcome = await Promise.race([
        this.loopDone!.then(() => 'drained' as const),
        sleep(boundMs, 'timeout' as const, { signal: bound.signal }).catch(() => 'drained' as const),
      ]);
      bound.abort();
      if (outcome === 'timeout' && this.current) {
        const c = this.current;
        this.log.warn({ step: c.step, occurrence: c.occurrence, bound_ms: boundMs }, 'the step did not finish in time; releasing it for the next start');
        await Promise.race([this.runs.release(c.step, c.occurrence, this.owner).catch(() => 0), sleep(2000, undefined, { ref: false })]);
      }
      this.stateNow = 'stopped';
      this.log.info({ outcome }, 'scheduler stopped');
      return outcome;
    })();
    return this.stopping;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    let caughtUp = false;
    while (!this.stopper.signal.aborted) {
      let delay: number;
      try {
        const r = await this.tick();
        if (!caughtUp) {
          caughtUp = true;
          this.log.info({ ran: r.ran.length, blocked_at: r.blockedAt }, 'catch-up done');
        }
        failures = 0;
        delay = r.blockedAt ? this.opts.maxSleepMs : this.untilNext();
      } catch (err) {
        // the store went away or a bug: logged and backed off, never an unhandled rejection
        failures++;
        delay = Math.min(ERROR_BACKOFF_CAP_MS, 500 * 2 ** failures);
        this.log.error({ err, attempt: failures, retry_in_ms: delay }, 'scheduler tick failed');
      }
      const before = this.wallNow();
      try {
        await sleep(delay, undefined, { signal: this.stopper.signal });
      } catch {
        break; // aborted: stopping
      }
      const late = this.wallNow() - before - delay;
      if (late > JUMP_MS) {
        metrics.clockJumps.inc();
        this.log.warn({ late_ms: late }, 'the wall clock jumped (the machine slept?); catching up missed steps');
      }
    }
  }

  /**
   * Real ms until the next occurrence of any step, within [20 ms, maxSleepMs]. "Next" is after the
   * instant the last plan looked up to, not after now: an occurrence that fell due between that
   * plan and now (a timer that fired a hair early; a fast simulated clock) is still ahead of it,
   * and the loop wakes for it at once instead of sleeping past it.
   */
  private untilNext(): number {
    const now = this.ports.clock.now();
    const from = this.plannedUpTo ?? now;
    let best = Infinity;
    for (const s of this.opts.steps) {
      const next = nextOccurrence(s.cron, from);
      if (next) best = Math.min(best, next.getTime() - now.getTime());
    }
    const real = best / (this.opts.speed ?? 1);
    return Math.max(20, Math.min(this.opts.maxSleepMs, Math.ceil(real)));
  }

  /** The occurrences due now, in time order (then registry order). */
  async plan(): Promise<Occurrence[]> {
    const now = this.ports.clock.now();
    this.plannedUpTo = now;
    const out: Occurrence[] = [];
    let cutoff = Infinity;
    // A step with nothing recorded yet (e.g. a monthly close after a first start mid-month) is
    // caught up from when the scheduler started watching, or the horizon on a fresh database.
    // The horizon is taken once, at the first plan: it must not move with the clock, or an
    // occurrence falling between two ticks of a step with no rows yet would be lost.
    this.watchingFrom ??= now.getTime() - this.opts.horizonMs;
    const first = await this.runs.first();
    const watching = new Date(first ? Math.min(this.watchingFrom, keyInstant(first).getTime()) : this.watchingFrom);
    for (const step of this.opts.steps) {
      const [last, unsettled] = await this.runs.lastAndUnsettled(step.name, this.opts.maxAttempts);
      const from = last ? keyInstant(last) : watching;
      const due = occurrencesBetween(step.cron, from, now, MAX_PLANNED);
      // a list cut at MAX_PLANNED: nothing of another step after its end may run before the rest of it
      if (due.length === MAX_PLANNED) cutoff = Math.min(cutoff, due[due.length - 1]!.getTime());
      for (const r of unsettled) out.push(occurrence(step.name, keyInstant(r.occurrence)));
      for (const t of due) out.push(occurrence(step.name, t));
    }
    const order = new Map(this.opts.steps.map((s, i) => [s.name, i]));
    for (const step of this.opts.steps) {
      const oldest = out.filter((o) => o.step === step.name).reduce((m, o) => Math.min(m, o.instant.getTime()), Infinity);
      metrics.stepOldestDue.set({ step: step.name }, Number.isFinite(oldest) ? oldest / 1000 : 0);
    }
    return out.filter((o) => o.instant.getTime() <= cutoff).sort((a, b) => a.instant.getTime() - b.instant.getTime() || order.get(a.step)! - order.get(b.step)!);
  }

  /** One pass: run what is due until done, blocked, or stopping. Public for tests. */
  async tick(): Promise<TickResult> {
    const ran: UnitReport[] = [];
    const due = await this.plan();
    if (due.length > 0) this.log.debug({ due: due.map((o) => `${o.step} ${o.key}`) }, 'scheduler tick: steps due');
    for (const occ of due) {
      if (this.stopper.signal.aborted) break;
      const wall = this.wallNow();
      const claim = await this.runs.claim({
          step: occ.step,
          occurrence: occ.key,
          owner: this.owner,
          startedAt: this.ports.clock.now().toISOString(),
          wallNow: new Date(wall).toISOString(),
          leaseUntil: new Date(wall + this.opts.leaseMs).toISOString(),
          maxAttempts: this.opts.maxAttempts,
      });
      if (!claim.claimed) {
        const r = claim.row;
        this.log.debug({ step: occ.step, occurrence: occ.key, status: r.status, owner: r.owner }, 'step occurrence held or settled by another run');
        if (r.status === 'running') await this.help(occ);
        if (r.status === 'running' || (r.status === 'failed' && r.attempts < this.opts.maxAttempts)) return { ran, blockedAt: occ.key };
        continue; // settled meanwhile (another replica ran it)
      }
      const report = await this.runUnit(occ, claim.attempts);
      ran.push(report);
      this.opts.onUnit?.(report);
      if (report.status === 'released' || (report.status === 'failed' && claim.attempts < this.opts.maxAttempts)) {
        return { ran, blockedAt: report.status === 'failed' ? occ.key : null };
      }
    }
    return { ran, blockedAt: null };
  }

  private async runUnit(occ: Occurrence, attempt: number): Promise<UnitReport> {
    const step = this.opts.steps.find((s) => s.name === occ.step)!;
    const base = { step: occ.step, occurrence: occ.key, attempt };
    this.current = { step: occ.step, occurrence: occ.key };
    const renew = setInterval(() => void this.renew(occ), Math.max(100, Math.floor(this.opts.leaseMs / 3)));
    renew.unref();
    const t0 = performance.now();
    try {
      let out: StepOutcome;
      try {
        out = await step.run(this.ports, occ, { signal: this.stopper.signal, owner: this.owner });
      } catch (err) {
        clearInterval(renew);
        return await this.unitFailed(occ, attempt, err, base);
      }
      clearInterval(renew);
      metrics.stepDuration.observe({ step: occ.step }, (performance.now() - t0) / 1000);
      await this.finish(occ, out.status, out.detail, this.wallNow());
      metrics.stepRuns.inc({ step: occ.step, status: out.status });
      metrics.stepLastSuccess.set({ step: occ.step }, this.wallNow() / 1000);
      const line = { ...base, ...out.detail };
      if (out.problems?.length) this.log.warn(line, `step ${occ.step} ${out.status} with problems`);
      else this.log.info(line, `step ${occ.step} ${out.status}`);
      return { ...base, status: out.status, detail: out.detail };
    } finally {
      clearInterval(renew);
      this.current = null;
    }
  }

  /** Another replica runs `occ`: join in where its step can be shared; never fails the tick. */
  private async help(occ: Occurrence): Promise<void> {
    const step = this.opts.steps.find((s) => s.name === occ.step);
    if (!step?.help || this.stopper.signal.aborted) return;
    try {
      await step.help(this.ports, occ, { signal: this.stopper.signal, owner: this.owner });
    } catch (err) {
      this.log.warn({ err, step: occ.step, occurrence: occ.key }, 'helping with a step another replica runs failed; it finishes it');
    }
  }

  private async unitFailed(occ: Occurrence, attempt: number, err: unknown, base: Omit<UnitReport, 'status' | 'detail'>): Promise<UnitReport> {
    if (err instanceof StepInterrupted) {
      await this.runs.release(occ.step, occ.key, this.owner);
      this.log.info({ ...base }, `step ${occ.step} interrupted for shutdown; it runs again at the next start`);
      return { ...base, status: 'released', detail: { reason: err.message } };
    }
    const message = err instanceof Error ? err.message : String(err);
    const retryAt = this.wallNow() + this.opts.retryMs * 2 ** (attempt - 1);
    const last = attempt >= this.opts.maxAttempts;
    const data = { step: occ.step, occurrence: occ.key, attempt, max_attempts: this.opts.maxAttempts, error: message, retry_at: last ? null : new Date(retryAt).toISOString() };
    await this.finish(occ, 'failed', { error: message }, retryAt, { type: 'schedule.step_failed', tenant: null, key: `${occ.step}:${occ.key}:${attempt}`, data });
    metrics.stepRuns.inc({ step: occ.step, status: 'failed' });
    this.log.error(
      { ...base, err, retry_at: last ? null : new Date(retryAt).toISOString() },
      last ? `step ${occ.step} failed for good after ${attempt} attempts; run it by hand (kasi batch / kasi close)` : `step ${occ.step} failed; it is retried`,
    );
    return { ...base, status: 'failed', detail: { error: message } };
  }

  private async finish(occ: Occurrence, status: 'done' | 'skipped' | 'failed', detail: unknown, leaseUntilMs: number, event?: EventOccurrence): Promise<void> {
    const settled = () => ({
      step: occ.step,
      occurrence: occ.key,
      owner: this.owner,
      status,
      finishedAt: this.ports.clock.now().toISOString(),
      leaseUntil: new Date(leaseUntilMs).toISOString(),
      detail,
    });
    const record = () =>
      event
        ? // the webhook event commits with the failure it reports (the outbox pattern)
          this.ports.store.transaction(async (tx) => {
            const n = await tx.schedule.finishRun(settled());
            if (n > 0) await recordEvent(tx, this.ports.config, this.ports.clock.now(), event);
            return n;
          })
        : this.runs.finish(settled());
    // The store may be restarting (the step often failed because of it): recording the outcome is
    // tried again for a few seconds with fresh connections, or the occurrence would wait for its
    // lease to run out before its retry.
    let n = 0;
    for (let k = 0; ; k++) {
      try {
        n = await record();
        break;
      } catch (err) {
        if (k >= 5 || this.stopper.signal.aborted) throw err;
        this.log.warn({ err, step: occ.step, occurrence: occ.key, attempt: k + 1 }, 'could not record the outcome in the store; trying again');
        await sleep(Math.min(4000, 250 * 2 ** k));
      }
    }
    if (n === 0) this.log.error({ step: occ.step, occurrence: occ.key }, 'the lease was lost while the step ran (another owner took it over); its outcome is theirs');
  }

  private async renew(occ: Occurrence): Promise<void> {
    try {
      const n = await this.runs.renew(occ.step, occ.key, this.owner, new Date(this.wallNow() + this.opts.leaseMs).toISOString());
      if (n === 0) this.log.error({ step: occ.step, occurrence: occ.key }, 'lease lost: another owner took the step over');
    } catch (err) {
      this.log.warn({ err, step: occ.step, occurrence: occ.key }, 'lease renewal failed; trying again');
    }
  }
}

function occurrence(step: string, instant: Date): Occurrence {
  const key = occurrenceKey(instant);
  return { step, key, instant, date: keyDate(key) };
}
