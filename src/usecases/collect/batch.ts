import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { BankGateway, DebitInstruction, DebitResult } from '../../bank/gateway.js';
import { debitFileName } from '../../bank/file-gateway.js';
import { addMonths } from '../../domain/calendar.js';
import { firstDayOf, periodOf, sastDate, type IsoDate, type Period } from '../../domain/dates.js';
import { buildIncomeModel, LOOKBACK_MONTHS } from '../../domain/engine/income-model.js';
import type { Attempt, IncomeEvent, PastAttempt } from '../../domain/engine/types.js';
import type { ChunkCounts } from '../../store/batch-chunk.repository.js';
import * as debitFiles from '../../store/debit-file.repository.js';
import * as repo from '../../store/engine.repository.js';
import { reading, transaction, type Sql } from '../../store/unit-of-work.js';
import { recordCollectionEvents } from '../webhooks/collection-events.js';
import { applyResults, type FigureAttempt, type KnownAttempt, type PriorAttempts } from './apply-results.js';
import { claimedTenant, type ChunkClaims, type ChunkWork } from './batch-chunks.js';
import { crashPoint } from '../../faults/crash-point.js';
import type { EngineSetup } from './engine-setup.js';
import type { Ports } from '../ports.js';

/**
 * The daily batch (SPEC 4.2–4.4): for every tenant with an open period, ask the strategy about
 * each open collection, store the day's presentments as SUBMITTED (with their instruction ids)
 * before the gateway sees them, present, and apply what the bank answers. Work goes in keyset
 * chunks, each its own transaction, so memory stays flat and a crash loses at most one chunk of
 * planning (nothing presented: SUBMITTED rows are reconciled on the next run).
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

/** What one tenant's batch did: the counts a claimed chunk records too (batch-chunk.repository.ts). */
export interface TenantBatch extends ChunkCounts {
  tenant: string;
  period: Period;
}

export type BatchSummary =
  | { status: 'skipped'; date: IsoDate; reason: string }
  | { status: 'done'; date: IsoDate; reconciled: number; batchFile: string | null; tenants: TenantBatch[] };

type FileGatewayLike = BankGateway & { present(d: IsoDate, i: readonly DebitInstruction[], batchFile?: string): Promise<DebitResult[]> };

export async function runBatch(ports: Ports, opts: BatchOptions): Promise<BatchSummary> {
  const { date, setup } = opts;
  const cal = setup.calendar;
  if (!cal.isProcessingDay(date)) {
    const why = cal.holidayName(date) ?? (cal.isProcessingDay(date) ? '' : [0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay()) ? 'a weekend' : 'a non-processing day');
    return { status: 'skipped', date, reason: `${date} is not a bank processing day (${why}); nothing presented` };
  }
  // this day's debit file that a killed run allocated but never wrote: go on filling it, so a
  // restarted batch still gives the day the one file an undisturbed run gives
  const resume = opts.gateway.name === 'file' ? await unwrittenFileOf(ports, date) : null;
  const reconciled = await reconcile(ports, opts.gateway, resume);
  const period = periodOf(date);
  const tenants = opts.tenants ?? Object.keys(ports.config.tenants);
  const out: TenantBatch[] = [];
  const batch: { file: string | null } = { file: resume };
  for (const tenant of tenants) {
    const state = await reading(ports.db, (sql) => repo.periodState(sql, tenant, period));
    if (!state || state.closed_at) continue;
    out.push(opts.claims ? await claimedTenant(ports, opts, opts.claims, tenant, period, batch, CHUNK_WORK) : await batchTenant(ports, opts, tenant, period, batch));
  }
  if (batch.file) await releaseFile(ports, opts.gateway as FileGatewayLike, batch.file);
  ports.log.info({ date, tenants: out, reconciled, batchFile: batch.file }, 'batch done');
  return { status: 'done', date, reconciled, batchFile: batch.file, tenants: out };
}

async function batchTenant(ports: Ports, opts: BatchOptions, tenant: string, period: Period, batch: { file: string | null }): Promise<TenantBatch> {
  const ctx = await tenantContext(ports, tenant, period);
  const sum = emptyBatch(tenant, period);
  for (let after: number | null = 0; (after = await runChunk(ports, opts, ctx, after, Number.MAX_SAFE_INTEGER, batch, sum)) !== null; ) {
    opts.onChunk?.(tenant, sum.planned);
    // SQLite work is synchronous: let signals, health checks and intake in between chunks
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return sum;
}

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
  const [withIncome, withHistory] = await reading(ports.db, async (sql) => [
    await repo.hasIncome(sql, tenant),
    await repo.hasHistory(sql, tenant, addMonths(period, -LOOKBACK_MONTHS), period),
  ]);
  return { tenant, period, now: ports.clock.now().toISOString(), withIncome, withHistory, windowStart: firstDayOf(addMonths(period, -LOOKBACK_MONTHS)) };
}

/**
 * One keyset chunk: the plannable collections with `after` < id ≤ `upTo` (at most chunkSize),
 * planned and stored SUBMITTED in one transaction, then presented (simulator) and their results
 * applied; counted into `sum`. Returns the id the next chunk starts after (`upTo` when the range is
 * exhausted), or null when there was nothing to take.
 */
export async function runChunk(
  ports: Ports,
  opts: BatchOptions,
  ctx: TenantContext,
  after: number,
  upTo: number,
  batch: { file: string | null },
  sum: TenantBatch,
): Promise<number | null> {
  let prior: PriorAttempts = new Map(); // the planned collections' attempts, for their figures after the results
  const known = new Map<string, KnownAttempt>(); // the attempts stored, for matching their results without a lookup
  const { date, setup, gateway } = opts;
  const { tenant, period, now, withIncome, withHistory, windowStart } = ctx;
  const planned = await transaction(ports.db, async (sql) => {
    const fetched = await repo.plannableChunk(sql, tenant, period, date, after, opts.chunkSize ?? 5000);
    const rows = fetched.filter((r) => r.id <= upTo);
    if (rows.length === 0) return null;
    // a late batch (its date before the real today) did not see the deposits dated after it, which
    // may be known already: its "nothing before" date is capped at today so none is skipped past
    const realToday = sastDate(new Date(now));
    const checkBy = realToday > date ? realToday : null;
    const plans = await planChunk(sql, rows, { tenant, period, date, windowStart, withIncome, withHistory, setup, checkBy });
    prior = new Map(plans.instructions.map((p) => [p.i.instructionId, p.prior]));
    if (plans.instructions.length && gateway.name === 'file' && !batch.file) batch.file = await allocateFile(sql, date, now);
    const ids = await repo.insertSubmitted(
      sql,
      plans.instructions.map(({ i, collectionId }) => [i.instructionId, collectionId, tenant, period, i.presentment, i.actionDate, i.amountCents, batch.file]),
      now,
      // the simulator answers at once: the counters are written with the results' figures
      { counters: gateway.name !== 'simulator' },
    );
    await repo.updatePlans(sql, plans.updates, now);
    const flight: repo.InFlight | null = plans.instructions.length
      ? { tenant, period, from: plans.instructions[0]!.collectionId, to: plans.instructions[plans.instructions.length - 1]!.collectionId, date }
      : null;
    if (flight) await repo.recordInFlight(sql, flight, batch.file, now);
    if (gateway.name === 'simulator' && ids && ids.length === plans.instructions.length) {
      plans.instructions.forEach((p, k) => known.set(p.i.instructionId, { attemptId: ids[k]!, collectionId: p.collectionId, tenant, period, amountRequested: p.i.amountCents, actionDate: p.i.actionDate }));
    } else if (gateway.name === 'simulator' && plans.instructions.length) {
      const byInstruction = new Map(plans.instructions.map((p) => [p.i.instructionId, p]));
      const first = plans.instructions[0]!.collectionId;
      const last = plans.instructions[plans.instructions.length - 1]!.collectionId;
      for (const a of await repo.attemptIdsOn(sql, tenant, period, first, last, date)) {
        const p = byInstruction.get(a.instruction_id);
        if (p) known.set(a.instruction_id, { attemptId: Number(a.id), collectionId: p.collectionId, tenant, period, amountRequested: p.i.amountCents, actionDate: p.i.actionDate });
      }
    }
    // a row past `upTo` was seen: nothing plannable is left in the range, say so without another query
    return { n: rows.length, last: rows.length < fetched.length ? upTo : rows[rows.length - 1]!.id, instructions: plans.instructions.map((p) => p.i), flight };
  });
  if (!planned) return null;
  if (planned.instructions.length) crashPoint('after-submit');
  sum.planned += planned.n;
  sum.presented += planned.instructions.length;
  for (const i of planned.instructions) sum.presentedCents += i.amountCents;
  if (gateway.name === 'simulator' && planned.flight) {
    const results = await gateway.present(date, planned.instructions);
    crashPoint('after-present');
    const flight = planned.flight;
    await transaction(ports.db, async (sql) => {
      const applied = await applyResults(sql, results, now, null, prior, known);
      await recordCollectionEvents(sql, ports.config, new Date(now), results, applied);
      await repo.clearInFlight(sql, flight);
    });
    countResults(results, sum);
  }
  return planned.last;
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
async function planChunk(sql: Sql, rows: repo.CollectionRow[], ctx: ChunkContext) {
  const { tenant, period, date, setup } = ctx;
  const attempts = await repo.attemptsBetween(sql, tenant, period, rows[0]!.id, rows[rows.length - 1]!.id);
  const byCollection = groupBy(attempts, (a) => a.collection_id);
  const customers = [...new Set(rows.map((r) => r.customer_id))];
  const income = ctx.withIncome ? groupBy(await repo.incomeFor(sql, tenant, customers, ctx.windowStart, date), (e) => e.customer_id) : new Map();
  const noIncome = customers.filter((c) => !income.has(c));
  const past = ctx.withHistory ? await repo.historyFor(sql, tenant, noIncome, addMonths(period, -LOOKBACK_MONTHS), period) : [];
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

function toAttempt(a: repo.AttemptRow): Attempt {
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

async function allocateFile(sql: Sql, date: IsoDate, now: string): Promise<string> {
  const seq = (await debitFiles.lastDebitFileSeq(sql, date)) + 1;
  const name = debitFileName(date, seq);
  await debitFiles.insertDebitFile(sql, date, seq, name, now);
  return name;
}

export function toInstruction(r: repo.InstructionRow): DebitInstruction {
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

async function unwrittenFileOf(ports: Ports, date: IsoDate): Promise<string | null> {
  const name = await reading(ports.db, (sql) => debitFiles.unwrittenDebitFile(sql, date));
  // once its name exists the bank may have taken it: then it is only ever rewritten with the same rows
  if (!name || existsSync(join(ports.paths.bankOutbox(), name))) return null;
  return name;
}

/** Write the batch file from the store (the same bytes however often) and mark it presented. */
async function releaseFile(ports: Ports, gateway: FileGatewayLike, file: string): Promise<void> {
  const rows = await reading(ports.db, (sql) => repo.instructionsOfFile(sql, file));
  if (rows.length === 0) return;
  await gateway.present(rows[0]!.action_date, rows.map(toInstruction), file);
  crashPoint('after-present');
  const now = ports.clock.now().toISOString();
  await transaction(ports.db, async (sql) => {
    await repo.markFilePresented(sql, file, now);
    await repo.clearInFlightOfFile(sql, file);
    await debitFiles.markDebitFileWritten(sql, file, rows.length, now);
  });
}

/**
 * Present in-flight attempts without a debit file to the simulator (the same instruction ids: it
 * answers each once) and record their results, clearing their in-flight records in that transaction.
 */
export async function presentInFlight(ports: Ports, gateway: BankGateway, rows: readonly repo.InFlightRow[]): Promise<DebitResult[]> {
  const results = await gateway.present(rows[0]!.action_date, rows.map(toInstruction));
  const now = ports.clock.now().toISOString();
  await transaction(ports.db, async (sql) => {
    const applied = await applyResults(sql, results, now);
    await recordCollectionEvents(sql, ports.config, new Date(now), results, applied);
    await repo.clearInFlightIds(sql, [...new Set(rows.map((r) => Number(r.flight_id)))]);
  });
  return results;
}

/**
 * After a crash: attempts stored as SUBMITTED whose presentation did not complete. The file
 * gateway rewrites (or finds) their batch file; the simulator is asked again with the same
 * instruction ids (it answers each instruction once). Nothing is presented twice.
 */
export async function reconcile(ports: Ports, gateway: BankGateway, resumed: string | null = null): Promise<number> {
  // a claimed chunk's presentments are its claimant's to finish (batch-chunks.ts), never presented from here too
  const found = await reading(ports.db, (sql) => repo.inFlightToReconcile(sql));
  // ranges of one tenant's chunks never overlap; this only guards against reading an attempt twice
  const rows = found.filter((r, i) => i === 0 || r.instruction_id !== found[i - 1]!.instruction_id);
  if (rows.length === 0) return 0;
  ports.log.warn({ count: rows.length }, 'reconciling presentments stored but not confirmed before a restart');
  const files = new Set(rows.filter((r) => r.batch_file).map((r) => r.batch_file!));
  for (const f of files) if (f !== resumed) await releaseFile(ports, gateway as FileGatewayLike, f);
  const direct = rows.filter((r) => !r.batch_file);
  if (direct.length && gateway.name === 'simulator') await presentInFlight(ports, gateway, direct);
  return rows.length;
}

/** What batch-chunks.ts works a claimed chunk with (handed in: the two files do not import each other). */
export const CHUNK_WORK: ChunkWork = { emptyBatch, tenantContext, runChunk, countResults, presentInFlight };
