import type { BankGateway } from '../bank/gateway.js';
import type { KasiConfig } from '../config.js';
import { periodOf, sastDate, type IsoDate, type Period } from '../domain/dates.js';
import { batchVerdict, closedPeriodFor, parseCron, type CronSpec } from '../domain/cron.js';
import { runBatch } from '../usecases/collect/batch.js';
import { helpBatch } from '../usecases/collect/batch-chunks.js';
import type { ChunkClaims } from '../usecases/collect/chunk-work.js';
import { REPLICA_ID } from '../usecases/replica.js';
import { payDue, runCloseStep, type CloseOutcome, type CloseStep } from '../usecases/close/close.js';
import { closeSchedule } from '../domain/close-calendar.js';
import { queueForSftp } from '../usecases/deliver/deliveries.js';
import { engineSetup } from '../usecases/collect/engine-setup.js';
import { executeCollections } from '../usecases/collect/execute.js';
import { makeGateway } from '../usecases/collect/gateway-factory.js';
import { metrics } from './metrics.js';
import type { Ports } from '../usecases/ports.js';

/**
 * The daemon's scheduled steps (SPEC 6): a registry of `{name, cron, run}`. Each run is one
 * occurrence, idempotent (running it again does nothing twice), and returns its outcome as a
 * value; it throws only for faults (the scheduler records `failed` and retries).
 */
export interface Occurrence {
  step: string;
  /** the schedule_runs key: SAST wall-clock ISO, e.g. 2025-12-01T02:00:00+02:00 */
  key: string;
  instant: Date;
  /** its SAST date */
  date: IsoDate;
}

export interface StepOutcome {
  status: 'done' | 'skipped';
  /** what the log line and schedule_runs.detail say */
  detail: Record<string, unknown>;
  files?: string[];
  problems?: string[];
}

export interface StepContext {
  /** aborted at shutdown: a long step stops at its next safe point by throwing StepInterrupted */
  signal: AbortSignal;
  /** who runs it (the scheduler's owner name in schedule_runs): the claimant's name in batch_chunks */
  owner?: string;
}

export interface ScheduledStep {
  name: string;
  cron: CronSpec;
  run(ports: Ports, occ: Occurrence, ctx: StepContext): Promise<StepOutcome>;
  /** another replica runs this occurrence: join in where the step can be shared (the batch's chunks); returns units done */
  help?(ports: Ports, occ: Occurrence, ctx: StepContext): Promise<number>;
}

/** A step stopped at a safe point (shutdown): the occurrence is released, not failed, and runs again. */
export class StepInterrupted extends Error {}

export const STEP_NAMES = ['batch', 'close_report', 'close_invoice', 'close_pay'] as const;
export type StepName = (typeof STEP_NAMES)[number];

const skippedWith = (reason: string): StepOutcome => ({ status: 'skipped', detail: { reason } });

/** The daily batch of `occ.date`: open the running period for new policies, then plan and present. */
async function batchStep(ports: Ports, occ: Occurrence, ctx: StepContext): Promise<StepOutcome> {
  const today = sastDate(ports.clock.now());
  const verdict = batchVerdict(occ.date, today, ports.config.daemon.late_batches);
  if (!verdict.run) return skippedWith(verdict.reason);
  const setup = engineSetup(ports.config);
  if (!setup.calendar.isProcessingDay(occ.date)) return skippedWith(`${occ.date} is not a bank processing day`);
  const period = periodOf(occ.date);
  if (ports.config.daemon.auto_execute) {
    const tenants = await ports.store.daemonReads.tenantsWithActivePolicies(Object.keys(ports.config.tenants));
    // executing again opens only the policies imported since (SPEC 4.1: "automatically if configured")
    for (const t of tenants) await executeCollections(ports, t, period);
  }
  const gateway = yieldingEachChunk(await makeGateway(ports, setup, occ.date));
  const lastBefore = await ports.store.daemonReads.lastAttemptId();
  const summary = await runBatch(ports, {
    date: occ.date,
    gateway,
    setup,
    chunkSize: ports.config.daemon.batch_chunk_size,
    claims: chunkClaims(ports, occ, ctx),
    onChunk: () => {
      if (ctx.signal.aborted) throw new StepInterrupted('the batch stopped between chunks for shutdown');
    },
  });
  await countPresentments(ports, occ.date, lastBefore);
  if (summary.status === 'skipped') return skippedWith(summary.reason);
  return {
    status: 'done',
    detail: {
      date: occ.date,
      reconciled: summary.reconciled,
      batchFile: summary.batchFile,
      tenants: summary.tenants.map((t) => ({ tenant: t.tenant, period: t.period, presented: t.presented, paid: t.paid, unpaid: t.unpaid, collectedCents: t.collectedCents })),
    },
  };
}

const chunkClaims = (ports: Ports, occ: Occurrence, ctx: StepContext): ChunkClaims => ({
  runKey: occ.key,
  owner: ctx.owner ?? REPLICA_ID,
  leaseMs: ports.config.daemon.lease_seconds * 1000,
});

/** A replica joining the batch another one runs: it works open chunks of the run (batch-chunks.ts). */
async function batchHelp(ports: Ports, occ: Occurrence, ctx: StepContext): Promise<number> {
  if (ports.config.gateway !== 'simulator') return 0;
  if ((await ports.store.daemonReads.chunksLeft(occ.key)) === 0) return 0;
  const setup = engineSetup(ports.config);
  const gateway = yieldingEachChunk(await makeGateway(ports, setup, occ.date));
  const n = await helpBatch(ports, { date: occ.date, gateway, setup, chunkSize: ports.config.daemon.batch_chunk_size }, chunkClaims(ports, occ, ctx), () => ctx.signal.aborted);
  if (n > 0) ports.log.info({ step: 'batch', occurrence: occ.key, chunks: n }, 'helped with the batch another replica runs');
  return n;
}

/**
 * On SQLite the whole batch is synchronous work behind resolved promises: without a real pause
 * the event loop (signals, /healthz, intake, lease renewal) would wait for the end of the batch.
 * The simulator is presented once per chunk, so a macrotask pause there lets the rest of the
 * daemon breathe and a SIGTERM be seen between chunks. (The file gateway presents once at the
 * end; runBatch itself yielding between chunks would cover it too.)
 */
function yieldingEachChunk(gateway: BankGateway): BankGateway {
  const y = Object.create(gateway) as { present: BankGateway['present'] };
  // pass every argument on: the file gateway takes the batch file name as a third one
  y.present = async (...args: Parameters<BankGateway['present']>) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return (gateway.present as (...a: unknown[]) => ReturnType<BankGateway['present']>).apply(gateway, args);
  };
  return y as BankGateway;
}

/** The batch's presentments by result and reason: the attempts it created, with ids after `afterId` (a re-run creates none). */
async function countPresentments(ports: Ports, date: IsoDate, afterId: number): Promise<void> {
  const rows = await ports.store.daemonReads.presentmentsSince(afterId, date);
  for (const r of rows) metrics.presentments.inc({ tenant: r.tenant_id, result: r.status, reason: r.reason ?? '' }, Number(r.n));
}

/** Tenants whose period was opened (executed): the ones there is something to close. */
async function executedTenants(ports: Ports, period: Period): Promise<string[]> {
  const have = new Set(await ports.store.periods.tenantsThatExecuted(period));
  return Object.keys(ports.config.tenants).filter((t) => have.has(t));
}

/**
 * A close occurrence runs every close step of the period due by its date, like `kasi close`
 * (each is idempotent): day 1 report + settle, day 2 the invoice, and the payment on the
 * settlements' payment date (moved back from the 3rd when that is not a processing day, so it
 * may fall on day 1 or 2).
 *
 * The pay step (daily by default) then pays every pending settlement whose payment date has come,
 * whatever its period: a payment date after the 3rd (no processing day in the 1st–3rd, e.g.
 * 2026-05-04 for April 2026) or a settlement generated late (the daemon was down) is paid on its
 * day, and a payment missed while the daemon was down is caught up. Pay looks at the real date
 * too, so a catch-up occurrence pays what is due by now.
 */
function closeStep(last: CloseStep): ScheduledStep['run'] {
  return async (ports, occ) => {
    const period = closedPeriodFor(occ.date);
    const today = last === 'pay' ? maxDate(occ.date, sastDate(ports.clock.now())) : occ.date;
    const outcomes: CloseOutcome[] = [];
    // the period's own steps only in the close window (1st–3rd): a daily pay step does not
    // re-check a closed month every day
    const inWindow = last !== 'pay' || Number(occ.date.slice(8)) <= 3;
    const tenants = inWindow ? await executedTenants(ports, period) : [];
    // the period's steps go by the occurrence's date (a late day-1 pay occurrence does not write
    // the day-2 invoice); the payment goes by the real date
    if (tenants.length > 0) outcomes.push(...(await periodSteps(ports, period, tenants, occ.date)));
    if (last === 'pay') outcomes.push(...(await payDue(ports, today)));
    if (outcomes.length === 0) return skippedWith(last === 'pay' ? `no settlement is due for payment by ${today}` : `no tenant has collections in ${period}; nothing to close`);
    const files = outcomes.flatMap((o) => o.result.files);
    const problems = outcomes.flatMap((o) => o.result.problems);
    await queueForSftp(ports, Object.keys(ports.config.tenants), files);
    const count = (s: string) => outcomes.filter((o) => o.result.status === s).length;
    const detail = { period, through: today, written: count('done'), existing: count('exists'), skipped: count('skipped'), files: files.length, problems };
    // the daily pay step is `done` only on a day it wrote or paid something: its idle days (and the
    // close window's re-checks of files that exist) are `skipped`
    const idle = last === 'pay' ? count('done') === 0 : count('skipped') === outcomes.length;
    return { status: idle ? 'skipped' : 'done', detail, files, problems };
  };
}

/** The period's close steps due by `today` (report and settle on the 1st, the invoice on the 2nd). */
async function periodSteps(ports: Ports, period: Period, tenants: string[], today: IsoDate): Promise<CloseOutcome[]> {
  const when = closeSchedule(period);
  const outcomes: CloseOutcome[] = [];
  if (today >= when.report) outcomes.push(...(await runCloseStep(ports, 'report', period, tenants)));
  if (today >= when.settle) outcomes.push(...(await runCloseStep(ports, 'settle', period, tenants)));
  if (today >= when.invoice) outcomes.push(...(await runCloseStep(ports, 'invoice', period, tenants)));
  if (today >= when.report) outcomes.push(...(await runCloseStep(ports, 'pay', period, tenants, today)));
  return outcomes;
}

const maxDate = (a: IsoDate, b: IsoDate) => (a > b ? a : b);


const RUNS: Record<StepName, ScheduledStep['run']> = {
  batch: batchStep,
  close_report: closeStep('settle'),
  close_invoice: closeStep('invoice'),
  close_pay: closeStep('pay'),
};

/** The registry from `schedules:` (cron strings validated at config load). */
export function scheduledSteps(config: Pick<KasiConfig, 'schedules'>): ScheduledStep[] {
  return STEP_NAMES.map((name) => ({ name, cron: parseCron(config.schedules[name]), run: RUNS[name], ...(name === 'batch' ? { help: batchHelp } : {}) }));
}
