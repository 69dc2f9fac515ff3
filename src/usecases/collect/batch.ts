import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { BankGateway, DebitInstruction, DebitResult } from '../../bank/gateway.js';
import { periodOf, type IsoDate, type Period } from '../../domain/dates.js';
import { claimedTenant } from './batch-chunks.js';
import { emptyBatch, presentInFlight, runRange, tenantContext, toInstruction, type BatchFile, type BatchOptions, type TenantBatch } from './chunk-work.js';
import { crashPoint } from '../../faults/crash-point.js';
import type { Ports } from '../ports.js';

/**
 * The daily batch (SPEC 4.2–4.4): for every tenant with an open period, ask the strategy about
 * each open collection, store the day's presentments as SUBMITTED (with their instruction ids)
 * before the gateway sees them, present, and apply what the bank answers. Work goes in keyset
 * chunks, each its own transaction, so memory stays flat and a crash loses at most the chunks in
 * flight (one; two on PostgreSQL, which plans one while another is presented): nothing presented
 * twice, SUBMITTED rows are reconciled on the next run. A chunk's work is
 * chunk-work.ts's; with replicas (`claims`) the chunks are claimed in the store (batch-chunks.ts).
 */
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
  const batch: BatchFile = { file: resume };
  for (const tenant of tenants) {
    const state = await ports.store.reading((tx) => tx.engine.periodState(tenant, period));
    if (!state || state.closed_at) continue;
    out.push(opts.claims ? await claimedTenant(ports, opts, opts.claims, tenant, period, batch) : await batchTenant(ports, opts, tenant, period, batch));
  }
  if (batch.file) await releaseFile(ports, opts.gateway as FileGatewayLike, batch.file);
  ports.log.info({ date, tenants: out, reconciled, batchFile: batch.file }, 'batch done');
  return { status: 'done', date, reconciled, batchFile: batch.file, tenants: out };
}

async function batchTenant(ports: Ports, opts: BatchOptions, tenant: string, period: Period, batch: BatchFile): Promise<TenantBatch> {
  const ctx = await tenantContext(ports, tenant, period);
  const sum = emptyBatch(tenant, period);
  await runRange(ports, opts, ctx, 0, Number.MAX_SAFE_INTEGER, batch, sum, async () => {
    opts.onChunk?.(tenant, sum.planned);
    // SQLite work is synchronous: let signals, health checks and intake in between chunks
    await new Promise<void>((resolve) => setImmediate(resolve));
  });
  return sum;
}

async function unwrittenFileOf(ports: Ports, date: IsoDate): Promise<string | null> {
  const name = await ports.store.reading((tx) => tx.debitFiles.unwrittenDebitFile(date));
  // once its name exists the bank may have taken it: then it is only ever rewritten with the same rows
  if (!name || existsSync(join(ports.paths.bankOutbox(), name))) return null;
  return name;
}

/** Write the batch file from the store (the same bytes however often) and mark it presented. */
async function releaseFile(ports: Ports, gateway: FileGatewayLike, file: string): Promise<void> {
  const rows = await ports.store.reading((tx) => tx.engine.instructionsOfFile(file));
  if (rows.length === 0) return;
  await gateway.present(rows[0]!.action_date, rows.map(toInstruction), file);
  crashPoint('after-present');
  const now = ports.clock.now().toISOString();
  await ports.store.transaction(async (tx) => {
    await tx.engine.markFilePresented(file, now);
    await tx.engine.clearInFlightOfFile(file);
    await tx.debitFiles.markDebitFileWritten(file, rows.length, now);
  });
}

/**
 * After a crash: attempts stored as SUBMITTED whose presentation did not complete. The file
 * gateway rewrites (or finds) their batch file; the simulator is asked again with the same
 * instruction ids (it answers each instruction once). Nothing is presented twice.
 */
export async function reconcile(ports: Ports, gateway: BankGateway, resumed: string | null = null): Promise<number> {
  // a claimed chunk's presentments are its claimant's to finish (batch-chunks.ts), never presented from here too
  const found = await ports.store.reading((tx) => tx.engine.inFlightToReconcile());
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
