import type { BankGateway, DebitInstruction, DebitResult } from '../../bank/gateway.js';
import { debitFileName } from '../../bank/file-gateway.js';
import { addMonths } from '../../domain/calendar.js';
import { firstDayOf, sastDate, type IsoDate, type Period } from '../../domain/dates.js';
import { buildIncomeModel, LOOKBACK_MONTHS } from '../../domain/engine/income-model.js';
import type { Attempt, IncomeEvent, PastAttempt } from '../../domain/engine/types.js';
import type { ChunkCounts } from '../../store/batch-chunk.repository.js';
import type { AttemptRow, CollectionRow, InFlight, InFlightRow, InstructionRow } from '../../store/engine.repository.js';
import type { Tx } from '../../store/store.js';
import { recordCollectionEvents } from '../webhooks/collection-events.js';
import { applyResults, type FigureAttempt, type KnownAttempt, type PriorAttempts } from './apply-results.js';
import { crashPoint } from '../../faults/crash-point.js';
import type { EngineSetup } from './engine-setup.js';
import type { Ports } from '../ports.js';

/**
 * The work of one keyset chunk of the daily batch, shared by the batch of one process (batch.ts)
 * and the chunks replicas claim (batch-chunks.ts): both import it from here, neither imports the
 * other.
 */
export interface BatchOptions {
  date: IsoDate;
  gateway: BankGateway;
  setup: EngineSetup;
  tenants?: string[];
  chunkSize?: number;
  onChunk?: (tenant: string, done: number) => void;
  /** replicas: the chunks are claimed in the store under this run so that others join and take over (batch-chunks.ts) */
  claims?: ChunkClaims;
}

/** A batch whose chunks replicas claim (batch-chunks.ts). */
export interface ChunkClaims {
  /** the batch run: the occurrence key */
  runKey: string;
  owner: string;
  leaseMs: number;
  /** how long the holder waits between looks at chunks other replicas hold (default 100 ms) */
  waitMs?: number;
}

/** What one tenant's batch did: the counts a claimed chunk records too (batch-chunk.repository.ts). */
export interface TenantBatch extends ChunkCounts {
  tenant: string;
  period: Period;
}

/** The day's debit file (file gateway), allocated by the first chunk that presents anything. */
export type BatchFile = { file: string | null };

export const emptyBatch = (tenant: string, period: Period): TenantBatch => ({ tenant, period, planned: 0, presented: 0, presentedCents: 0, paid: 0, unpaid: 0, collectedCents: 0 });

export interface TenantContext {
  tenant: string;
  period: Period;
  now: string;
  withIncome: boolean;
  withHistory: boolean;
  windowStart: IsoDate;
}

export async function tenantContext(ports: Ports, tenant: string, period: Period): Promise<TenantContext> {
  const [withIncome, withHistory] = await ports.store.reading(async (tx) => [
    await tx.engine.hasIncome(tenant),
    await tx.engine.hasHistory(tenant, addMonths(period, -LOOKBACK_MONTHS), period),
  ]);
  return { tenant, period, now: ports.clock.now().toISOString(), withIncome, withHistory, windowStart: firstDayOf(addMonths(period, -LOOKBACK_MONTHS)) };
}

/**
 * The keyset chunks of one range: the plannable collections with `after` < id ≤ `upTo`, chunk by
 * chunk (at most chunkSize each), each planned and stored SUBMITTED in one transaction, then
 * presented (simulator) and its results applied; counted into `sum`. `between` runs after each
 * chunk is planned, before the next is (progress, and a shutdown that stops the range by
 * throwing).
 *
 * On PostgreSQL with the simulator the next chunk is planned while the current one is presented
 * and its results written: the two use two connections and touch different collections (a plan
 * reads its own collections' attempts, the income feed and earlier months' history, none of which
 * the current chunk's results change), so the server's writes of one chunk overlap kasi's planning
 * of the next (the 1M present-all day waited on the server for 34 of its 57 s). SQLite works in
 * kasi's own thread on one connection: there the chunks run one after the other, as the file
 * gateway's do (nothing to present until the day's file is written).
 */
export async function runRange(
  ports: Ports,
  opts: BatchOptions,
  ctx: TenantContext,
  after: number,
  upTo: number,
  batch: BatchFile,
  sum: TenantBatch,
  between?: () => Promise<void>,
): Promise<void> {
  const overlap = ports.store.dialect === 'pg' && opts.gateway.name === 'simulator';
  let current = await planStep(ports, opts, ctx, after, upTo, batch);
  while (current) {
    const chunk = current;
    const finishing = finishStep(ports, opts, ctx.now, chunk, sum);
    const next = async () => {
      if (chunk.last >= upTo) return null;
      await between?.();
      return planStep(ports, opts, ctx, chunk.last, upTo, batch);
    };
    const [finished, planned] = await Promise.allSettled([finishing, overlap ? next() : finishing.then(next)]);
    // both settle before either's error goes on: no transaction outlives the range. A next chunk
    // stored SUBMITTED beside a failed one is presented by the next run, as after a crash.
    if (finished.status === 'rejected') throw finished.reason;
    if (planned.status === 'rejected') throw planned.reason;
    current = planned.value;
  }
}

/** A chunk planned and stored SUBMITTED, to be presented and its results applied (finishStep). */
interface PlannedChunk {
  n: number;
  /** the id the next chunk starts after */
  last: number;
  instructions: DebitInstruction[];
  flight: InFlight | null;
  /** the planned collections' attempts, for their figures after the results */
  prior: PriorAttempts;
  /** the attempts stored, for matching their results without a lookup */
  known: Map<string, KnownAttempt>;
}

/**
 * Plan one keyset chunk after `after` (ids ≤ `upTo`) and store its presentments SUBMITTED, in one
 * transaction; null when there was nothing to take.
 */
async function planStep(ports: Ports, opts: BatchOptions, ctx: TenantContext, after: number, upTo: number, batch: BatchFile): Promise<PlannedChunk | null> {
  const known = new Map<string, KnownAttempt>();
  const { date, setup, gateway } = opts;
  const { tenant, period, now, withIncome, withHistory, windowStart } = ctx;
  const planned = await ports.store.transaction(async (tx) => {
    const engine = tx.engine;
    const fetched = await engine.plannableChunk(tenant, period, date, after, opts.chunkSize ?? 5000);
    const rows = fetched.filter((r) => r.id <= upTo);
    if (rows.length === 0) return null;
    // a late batch (its date before the real today) did not see the deposits dated after it, which
    // may be known already: its "nothing before" date is capped at today so none is skipped past
    const realToday = sastDate(new Date(now));
    const checkBy = realToday > date ? realToday : null;
    const plans = await planChunk(tx, rows, { tenant, period, date, windowStart, withIncome, withHistory, setup, checkBy });
    const prior: PriorAttempts = new Map(plans.instructions.map((p) => [p.i.instructionId, p.prior]));
    if (plans.instructions.length && gateway.name === 'file' && !batch.file) batch.file = await allocateFile(tx, date, now);
    const ids = await engine.insertSubmitted(
      plans.instructions.map(({ i, collectionId }) => [i.instructionId, collectionId, tenant, period, i.presentment, i.actionDate, i.amountCents, batch.file]),
      now,
      // the simulator answers at once: the counters are written with the results' figures
      { counters: gateway.name !== 'simulator' },
    );
    await engine.updatePlans(plans.updates, now);
    const flight: InFlight | null = plans.instructions.length
      ? { tenant, period, from: plans.instructions[0]!.collectionId, to: plans.instructions[plans.instructions.length - 1]!.collectionId, date }
      : null;
    if (flight) await engine.recordInFlight(flight, batch.file, now);
    if (gateway.name === 'simulator' && ids && ids.length === plans.instructions.length) {
      plans.instructions.forEach((p, k) => known.set(p.i.instructionId, { attemptId: ids[k]!, collectionId: p.collectionId, tenant, period, amountRequested: p.i.amountCents, actionDate: p.i.actionDate }));
    } else if (gateway.name === 'simulator' && plans.instructions.length) {
      const byInstruction = new Map(plans.instructions.map((p) => [p.i.instructionId, p]));
      const first = plans.instructions[0]!.collectionId;
      const last = plans.instructions[plans.instructions.length - 1]!.collectionId;
      for (const a of await engine.attemptIdsOn(tenant, period, first, last, date)) {
        const p = byInstruction.get(a.instruction_id);
        if (p) known.set(a.instruction_id, { attemptId: Number(a.id), collectionId: p.collectionId, tenant, period, amountRequested: p.i.amountCents, actionDate: p.i.actionDate });
      }
    }
    // a row past `upTo` was seen: nothing plannable is left in the range, say so without another query
    return { n: rows.length, last: rows.length < fetched.length ? upTo : rows[rows.length - 1]!.id, instructions: plans.instructions.map((p) => p.i), flight, prior, known };
  });
  if (planned?.instructions.length) crashPoint('after-submit');
  return planned;
}

/** Count a planned chunk into `sum`; with the simulator, present it and apply its results. */
async function finishStep(ports: Ports, opts: BatchOptions, now: string, planned: PlannedChunk, sum: TenantBatch): Promise<void> {
  sum.planned += planned.n;
  sum.presented += planned.instructions.length;
  for (const i of planned.instructions) sum.presentedCents += i.amountCents;
  const { gateway, date } = opts;
  const flight = planned.flight;
  if (gateway.name !== 'simulator' || !flight) return;
  const results = await gateway.present(date, planned.instructions);
  crashPoint('after-present');
  await ports.store.transaction(async (tx) => {
    const applied = await applyResults(tx, results, now, null, planned.prior, planned.known);
    await recordCollectionEvents(tx, ports.config, new Date(now), results, applied);
    await tx.engine.clearInFlight(flight);
  });
  countResults(results, sum);
}

export function countResults(results: readonly DebitResult[], sum: TenantBatch): void {
  for (const r of results) {
    if (r.result === 'PAID') {
      sum.paid++;
      sum.collectedCents += r.amountCollectedCents;
    } else sum.unpaid++;
  }
}

interface ChunkContext {
  tenant: string;
  period: Period;
  date: IsoDate;
  windowStart: IsoDate;
  withIncome: boolean;
  withHistory: boolean;
  setup: EngineSetup;
  /** cap of next_check (a late batch: the real today), or null */
  checkBy: IsoDate | null;
}

/** Plan one chunk: pure strategy calls over data read in three set queries. */
async function planChunk(tx: Tx, rows: CollectionRow[], ctx: ChunkContext) {
  const { tenant, period, date, setup } = ctx;
  const engine = tx.engine;
  const attempts = await engine.attemptsBetween(tenant, period, rows[0]!.id, rows[rows.length - 1]!.id);
  const byCollection = groupBy(attempts, (a) => a.collection_id);
  const customers = [...new Set(rows.map((r) => r.customer_id))];
  const income = ctx.withIncome ? groupBy(await engine.incomeFor(tenant, customers, ctx.windowStart, date), (e) => e.customer_id) : new Map();
  const noIncome = customers.filter((c) => !income.has(c));
  const past = ctx.withHistory ? await engine.historyFor(tenant, noIncome, addMonths(period, -LOOKBACK_MONTHS), period) : [];
  const history = groupBy(past, (h) => h.customer_id);
  const instructions: { i: DebitInstruction; collectionId: number; prior: FigureAttempt[] }[] = [];
  const updates: [number, string | null, string | null][] = [];
  const start = firstDayOf(period);
  for (const row of rows) {
    const mine = byCollection.get(row.id) ?? [];
    const events: IncomeEvent[] = (income.get(row.customer_id) ?? []).map((e: { date: string; amount: number }) => ({ date: e.date, amountCents: e.amount }));
    const past: PastAttempt[] = (history.get(row.customer_id) ?? []).map((h) => ({ actionDate: h.action_date, result: h.status, reasonCode: h.reason_code }));
    const model = buildIncomeModel({ period, today: date, calendar: setup.calendar, incomeEvents: events, history: past, priors: setup.priors });
    const decision = setup.strategy.plan({
      today: date,
      period,
      calendar: setup.calendar,
      collection: { amountDueCents: row.amount_due, collectedCents: row.amount_collected, presentments: row.presentments, attempts: mine.map(toAttempt) },
      income: model,
      incomeEventsThisPeriod: events.filter((e) => e.date >= start && e.date <= date),
      limits: setup.limits,
    });
    if (decision.action === 'present') {
      const presentment = row.presentments + 1;
      instructions.push({
        collectionId: row.id,
        prior: mine,
        i: {
          instructionId: `${tenant}-${period.replace('-', '')}-${row.id}-${presentment}`,
          tenant,
          policyNumber: row.policy_number,
          customerId: row.customer_id,
          externalCustomerRef: row.external_customer_ref,
          amountCents: decision.amountCents,
          actionDate: date,
          presentment,
        },
      });
    } else if (decision.action === 'stop') updates.push([row.id, null, decision.reason]);
    else if (decision.nextDate) updates.push([row.id, ctx.checkBy !== null && decision.nextDate > ctx.checkBy ? ctx.checkBy : decision.nextDate, null]);
  }
  return { instructions, updates };
}

function toAttempt(a: AttemptRow): Attempt {
  return {
    actionDate: a.action_date,
    amountRequestedCents: a.amount_requested,
    amountCollectedCents: a.amount_collected ?? 0,
    result: a.status === 'PAID' || a.status === 'UNPAID' ? a.status : 'PENDING',
    reasonCode: a.reason_code,
  };
}

function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

async function allocateFile(tx: Tx, date: IsoDate, now: string): Promise<string> {
  const seq = (await tx.debitFiles.lastDebitFileSeq(date)) + 1;
  const name = debitFileName(date, seq);
  await tx.debitFiles.insertDebitFile(date, seq, name, now);
  return name;
}

export function toInstruction(r: InstructionRow): DebitInstruction {
  return {
    instructionId: r.instruction_id,
    tenant: r.tenant_id,
    policyNumber: r.policy_number,
    customerId: r.customer_id,
    externalCustomerRef: r.external_customer_ref,
    amountCents: r.amount_requested,
    actionDate: r.action_date,
    presentment: r.presentment,
  };
}

/**
 * Present in-flight attempts without a debit file to the simulator (the same instruction ids: it
 * answers each once) and record their results, clearing their in-flight records in that transaction.
 */
export async function presentInFlight(ports: Ports, gateway: BankGateway, rows: readonly InFlightRow[]): Promise<DebitResult[]> {
  const results = await gateway.present(rows[0]!.action_date, rows.map(toInstruction));
  const now = ports.clock.now().toISOString();
  await ports.store.transaction(async (tx) => {
    const applied = await applyResults(tx, results, now);
    await recordCollectionEvents(tx, ports.config, new Date(now), results, applied);
    await tx.engine.clearInFlightIds([...new Set(rows.map((r) => Number(r.flight_id)))]);
  });
  return results;
}
