import type { HoldRecord } from '../../store/policy-hold.repository.js';
import type { DebitResult } from '../../bank/gateway.js';
import { lastFailureReason } from '../../domain/engine/collection-state.js';
import { classifyReturn } from '../../domain/engine/reason-codes.js';
import type * as attemptResults from '../../store/attempt-results.repository.js';
import type { Tx } from '../../store/store.js';
import { holdsPolicy } from '../../domain/engine/holds.js';
import { holdPolicies, type HardFailure } from './policy-holds.js';

/**
 * Applies bank results (from the simulator at once, or from result files) inside the caller's
 * transaction. A result for an unknown instruction, or a second result for one instruction, is
 * recorded and reported, never applied; a result for a closed period is recorded as late and
 * carried as an adjustment into the next settlement, never changing the closed collection.
 * A PAID result for more than the debit presented is recorded as `excessive` and never applied:
 * a collection never collects more than was asked for.
 */
export type ResultOutcome = 'applied' | 'late' | 'unknown' | 'repeated' | 'excessive';

export interface ResultsSummary {
  outcomes: ResultOutcome[];
  applied: number;
  late: number;
  unknown: number;
  repeated: number;
  excessive: number;
  paidCents: number;
  /** holds placed by these results (a holding return code): policy.held events, in the same transaction */
  holds: HoldRecord[];
}

type Classified = attemptResults.ClassifiedResult;

export async function applyResults(
  tx: Tx,
  results: readonly DebitResult[],
  now: string,
  intakeFileId: number | null = null,
  prior?: PriorAttempts,
  known?: KnownAttempts,
): Promise<ResultsSummary> {
  const summary: ResultsSummary = { outcomes: [], applied: 0, late: 0, unknown: 0, repeated: 0, excessive: 0, paidCents: 0, holds: [] };
  if (results.length === 0) return summary;
  const rows = (known && (await classifyKnown(tx, results, known))) || (await classifyStored(tx, results));
  const seen = new Set<string>();
  const updates: attemptResults.AttemptResultRow[] = [];
  const late: { r: DebitResult; c: Classified; ledgerRow: number }[] = [];
  const ledger: attemptResults.LedgerRow[] = [];
  for (const c of rows) {
    const r = results[c.seq]!;
    let outcome: ResultOutcome;
    if (c.attempt_id === null) outcome = 'unknown';
    else if (seen.has(r.instructionId) || c.status === 'PAID' || c.status === 'UNPAID') outcome = 'repeated';
    else if (r.result === 'PAID' && c.amount_requested !== null && r.amountCollectedCents > Number(c.amount_requested)) outcome = 'excessive';
    else if (c.closed_at) outcome = 'late';
    else outcome = 'applied';
    if (outcome !== 'excessive') seen.add(r.instructionId); // a corrected result may follow it
    summary.outcomes[c.seq] = outcome;
    summary[outcome]++;
    const amount = r.result === 'PAID' ? r.amountCollectedCents : 0;
    ledger.push([r.instructionId, r.result, amount, r.reasonCode, r.processedDate, intakeFileId, outcome, now]);
    if (outcome === 'applied' || outcome === 'late') {
      const reason = r.result === 'UNPAID' ? classifyReturn(r.reasonCode ?? '').reason : null;
      updates.push([c.attempt_id!, r.result, amount, r.result === 'UNPAID' ? r.reasonCode : null, reason, r.processedDate]);
      if (r.result === 'PAID') summary.paidCents += amount;
    }
    if (outcome === 'late') late.push({ r, c, ledgerRow: ledger.length - 1 });
  }
  const ledgerIds = await tx.attemptResults.insertBankResults(ledger);
  if (updates.length === 0) return summary;
  await tx.attemptResults.writeAttemptResults(updates, now);
  await refreshApplied(tx, rows.filter((c, i) => summary.outcomes[i] === 'applied'), results, now, prior);
  if (late.length) await recordLate(tx, late, now, ledgerIds);
  // a holding code (no authority, account closed, deceased …) holds the policy for later periods
  // too, also when it comes late (after the close): see policy-holds.ts
  const failures: HardFailure[] = [];
  for (const c of rows) {
    const r = results[c.seq]!;
    const outcome = summary.outcomes[c.seq];
    if (r.result === 'UNPAID' && (outcome === 'applied' || outcome === 'late') && holdsPolicy(r.reasonCode)) failures.push({ collectionId: c.collection_id!, reasonCode: r.reasonCode, on: r.processedDate });
  }
  if (failures.length) summary.holds = await holdPolicies(tx, failures, now);
  return summary;
}

/** Each result matched to its attempt in the store (by instruction id), with the attempt's state and its period's. */
async function classifyStored(tx: Tx, results: readonly DebitResult[]): Promise<Classified[]> {
  return tx.attemptResults.classifyByInstruction(results.map((r) => r.instructionId));
}

/**
 * The attempts the caller has just stored (the batch: it presents what it stored, and knows each
 * attempt's id), by instruction id. Results are then matched in memory instead of looked up one by
 * one by instruction id; their status and period are still read from the store, so a result that
 * another replica applied meanwhile is `repeated` and one for a closed period `late`, as always.
 */
export interface KnownAttempt {
  attemptId: number;
  collectionId: number;
  tenant: string;
  period: string;
  amountRequested: number;
  actionDate: string;
}
export type KnownAttempts = ReadonlyMap<string, KnownAttempt>;

/** Classify against `known`; null (the caller then reads the store) unless it covers every result once. */
async function classifyKnown(tx: Tx, results: readonly DebitResult[], known: KnownAttempts): Promise<Classified[] | null> {
  const mine: KnownAttempt[] = [];
  const ids = new Set<string>();
  let lo = Number.MAX_SAFE_INTEGER;
  let hi = 0;
  for (const r of results) {
    const k = known.get(r.instructionId);
    if (!k || ids.has(r.instructionId)) return null;
    ids.add(r.instructionId);
    mine.push(k);
    lo = Math.min(lo, k.attemptId);
    hi = Math.max(hi, k.attemptId);
  }
  const periods = new Map<string, string | null>();
  for (const k of mine) {
    const key = `${k.tenant}\u0000${k.period}`;
    if (periods.has(key)) continue;
    periods.set(key, await tx.periods.closedAtOf(k.tenant, k.period));
  }
  // those with a result already (their ids lie in the range of the ones just stored): one range read
  const resulted = new Map<number, string>();
  for (const a of await tx.attemptResults.resultedAttemptsBetween(lo, hi)) {
    resulted.set(Number(a.id), a.status);
  }
  return results.map((r, seq) => {
    const k = mine[seq]!;
    return {
      seq,
      instruction_id: r.instructionId,
      attempt_id: k.attemptId,
      status: resulted.get(k.attemptId) ?? 'SUBMITTED',
      collection_id: k.collectionId,
      period: k.period,
      tenant_id: k.tenant,
      closed_at: periods.get(`${k.tenant}\u0000${k.period}`) ?? null,
      amount_requested: k.amountRequested,
      action_date: k.actionDate,
    };
  });
}

export type FigureAttempt = attemptResults.FigureAttempt;

/**
 * What the caller knows of the collections of the instructions it presents: by instruction id, the
 * collection's earlier attempts in presentment order. The batch read them when it planned the
 * collection with nothing pending, so they all have their results and cannot change before this one
 * arrives; the figures then come from them and the result, without reading the attempts again.
 */
export type PriorAttempts = ReadonlyMap<string, readonly FigureAttempt[]>;

/** The figures of the collections just applied: from `prior` when it covers them all, else from the store. */
async function refreshApplied(tx: Tx, applied: Classified[], results: readonly DebitResult[], now: string, prior?: PriorAttempts): Promise<void> {
  const known = new Map<number, FigureAttempt[]>();
  for (const c of prior ? applied : []) {
    const before = prior!.get(c.instruction_id);
    if (!before || known.has(c.collection_id!) || before.some((a) => a.status !== 'PAID' && a.status !== 'UNPAID')) break;
    const r = results[c.seq]!;
    known.set(c.collection_id!, [...before, { action_date: c.action_date!, status: r.result, amount_collected: r.result === 'PAID' ? r.amountCollectedCents : 0, reason_code: r.result === 'UNPAID' ? r.reasonCode : null }]);
  }
  if (applied.length > 0 && known.size === applied.length) await writeFigures(tx, known, now);
  else await refreshCollections(tx, [...new Set(applied.map((c) => c.collection_id!))], now);
}

/** Recompute the collections' running figures from their attempts (the attempts are the truth). */
export async function refreshCollections(tx: Tx, ids: number[], now: string): Promise<void> {
  for (let i = 0; i < ids.length; i += 5000) {
    const chunk = ids.slice(i, i + 5000);
    if (!chunk.length) continue;
    const attempts = await tx.attemptResults.attemptsOfCollections(chunk);
    const byCollection = new Map<number, FigureAttempt[]>();
    for (const a of attempts) {
      const list = byCollection.get(a.collection_id);
      if (list) list.push(a);
      else byCollection.set(a.collection_id, [a]);
    }
    await writeFigures(tx, byCollection, now);
  }
}

/**
 * Store each collection's figures computed from its attempts (in presentment order): collected,
 * pending, last failure, halt and flag, and the counters (presentments, first and last attempt
 * date), which the batch leaves to this write when the simulator answers at once.
 */
async function writeFigures(tx: Tx, byCollection: ReadonlyMap<number, readonly FigureAttempt[]>, now: string): Promise<void> {
  const rows: attemptResults.FiguresRow[] = [];
  for (const [id, list] of byCollection) {
    const mine: { result: 'PAID' | 'UNPAID' | 'PENDING'; reasonCode: string | null }[] = [];
    let collected = 0;
    let pending = 0;
    let halted: string | null = null;
    let flag: string | null = null;
    for (const a of list) {
      if (a.status === 'PAID') collected += a.amount_collected ?? 0;
      if (a.status === 'SUBMITTED' || a.status === 'PRESENTED') pending++;
      const result = a.status === 'PAID' || a.status === 'UNPAID' ? a.status : 'PENDING';
      mine.push({ result, reasonCode: a.reason_code });
      if (a.status === 'UNPAID') {
        const cls = classifyReturn(a.reason_code ?? '');
        if (cls.kind === 'hard') halted ??= cls.reason;
        if (cls.flag === 'DECEASED') flag = 'DECEASED';
      }
    }
    rows.push([id, collected, pending, lastFailureReason(mine), halted, flag, list.length, list[0]!.action_date, list[list.length - 1]!.action_date]);
  }
  await tx.attemptResults.writeCollectionFigures(rows, now);
}

/**
 * A paid result for a closed period: an adjustment for the tenant's next settlement, pointing at its
 * ledger row (by the id the insert gave where the store tells it, SQLite; else looked up by
 * instruction id, PostgreSQL, where bank_results keeps that index).
 */
async function recordLate(tx: Tx, late: { r: DebitResult; c: Classified; ledgerRow: number }[], now: string, ledgerIds: number[] | null): Promise<void> {
  for (const { r, c, ledgerRow } of late) {
    if (r.result !== 'PAID' || r.amountCollectedCents === 0) continue;
    const reason = `late result for ${r.instructionId} processed ${r.processedDate}`;
    await tx.attemptResults.insertLateAdjustment({ collectionId: c.collection_id!, amountCents: r.amountCollectedCents, instructionId: r.instructionId, ledgerId: ledgerIds?.[ledgerRow], reason }, now);
  }
}
