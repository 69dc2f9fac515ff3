import type { Period } from '../../domain/dates.js';
import * as chunks from '../../store/batch-chunk.repository.js';
import { inFlightInChunk } from '../../store/engine.repository.js';
import { reading, transaction } from '../../store/unit-of-work.js';
import type { BatchOptions, countResults, emptyBatch, presentInFlight, runChunk, TenantBatch, tenantContext } from './batch.js';
import type { Ports } from '../ports.js';
import { deadHere } from '../replica.js';

/**
 * The daily batch shared by replicas (SPEC 6): the replica holding the batch occurrence cuts each
 * tenant's plannable collections into keyset chunks recorded in `batch_chunks`, then it and any
 * other replica claim them one at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL), each under a
 * lease renewed while it works. A claimant that dies leaves its chunk `running`; when the lease
 * expires (at once when it was a process on this host) the next claimant first presents what the
 * dead one stored as SUBMITTED but never confirmed (the same instruction ids: presented once), then
 * plans the rest of the range. The holder finishes a tenant only when all its chunks are done, so a
 * close never overtakes its batch; if the holder dies, another replica takes the occurrence over
 * (schedule_runs lease) and finds the chunks where they were.
 */
export interface ChunkClaims {
  /** the batch run: the occurrence key */
  runKey: string;
  owner: string;
  leaseMs: number;
  /** how long the holder waits between looks at chunks other replicas hold (default 100 ms) */
  waitMs?: number;
}

/**
 * The batch's own steps a chunk is worked with. batch.ts hands them in (its CHUNK_WORK) rather
 * than this file importing them, so batch.ts and this file do not import each other (only types
 * go this way, and they are erased at build).
 */
export interface ChunkWork {
  emptyBatch: typeof emptyBatch;
  tenantContext: typeof tenantContext;
  runChunk: typeof runChunk;
  countResults: typeof countResults;
  presentInFlight: typeof presentInFlight;
}

type BatchFile = { file: string | null };

/** The holder: make the tenant's chunks (once per run), work them with the others, wait for all. */
export async function claimedTenant(ports: Ports, opts: BatchOptions, claims: ChunkClaims, tenant: string, period: Period, batch: BatchFile, work: ChunkWork): Promise<TenantBatch> {
  await transaction(ports.db, async (sql) => {
    const bounds = await chunks.chunkBounds(sql, tenant, period, opts.date, opts.chunkSize ?? 5000);
    await chunks.createChunks(sql, claims.runKey, tenant, period, opts.date, bounds);
  });
  for (;;) {
    if (await workOneChunk(ports, opts, claims, batch, work, tenant)) {
      const t = await reading(ports.db, (sql) => chunks.runTotals(sql, claims.runKey, tenant));
      opts.onChunk?.(tenant, t.planned);
      await new Promise<void>((resolve) => setImmediate(resolve));
      continue;
    }
    if ((await reading(ports.db, (sql) => chunks.chunksLeft(sql, claims.runKey, tenant))) === 0) break;
    // others hold the rest: wait for them (or for their leases to lapse), stopping for shutdown between looks
    opts.onChunk?.(tenant, (await reading(ports.db, (sql) => chunks.runTotals(sql, claims.runKey, tenant))).planned);
    await new Promise<void>((resolve) => setTimeout(resolve, claims.waitMs ?? 100));
  }
  const t = await reading(ports.db, (sql) => chunks.runTotals(sql, claims.runKey, tenant));
  return { ...work.emptyBatch(tenant, period), ...t };
}

/**
 * Another replica joining a running batch: claim open chunks of the run until none is left (the
 * simulator only: the file gateway writes one file per batch, from the holder). `stop()` is asked
 * between chunks (shutdown). Returns how many chunks it worked.
 */
export async function helpBatch(ports: Ports, opts: BatchOptions, claims: ChunkClaims, stop: () => boolean, work: ChunkWork): Promise<number> {
  if (opts.gateway.name !== 'simulator') return 0;
  let n = 0;
  const batch: BatchFile = { file: null };
  while (!stop() && (await workOneChunk(ports, opts, claims, batch, work))) {
    n++;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return n;
}

/** Claim one chunk and work it to the end; false when there was none to claim. */
async function workOneChunk(ports: Ports, opts: BatchOptions, claims: ChunkClaims, batch: BatchFile, work: ChunkWork, tenant?: string): Promise<boolean> {
  const lease = () => new Date(Date.now() + claims.leaseMs).toISOString();
  const chunk = await transaction(ports.db, (sql) =>
    chunks.claimChunk(sql, { runKey: claims.runKey, ...(tenant === undefined ? {} : { tenant }), owner: claims.owner, wallNow: new Date().toISOString(), leaseUntil: lease(), isDead: deadHere }),
  );
  if (!chunk) return false;
  const log = ports.log.child({ component: 'batch', tenant: chunk.tenant_id, run: chunk.run_key, chunk: chunk.seq });
  if (chunk.owner) log.warn({ from: chunk.owner }, 'taking over a batch chunk whose claimant died');
  const renew = setInterval(() => {
    transaction(ports.db, (sql) => chunks.renewChunk(sql, chunk, claims.owner, lease())).catch((err: unknown) => log.warn({ err }, 'chunk lease renewal failed; trying again'));
  }, Math.max(100, Math.floor(claims.leaseMs / 3)));
  renew.unref();
  try {
    const sum = work.emptyBatch(chunk.tenant_id, chunk.period);
    await presentLeftovers(ports, opts, chunk, sum, work);
    if (chunk.run_key === claims.runKey) {
      const ctx = await work.tenantContext(ports, chunk.tenant_id, chunk.period);
      let after: number | null = chunk.from_id;
      while (after !== null && after < chunk.to_id) after = await work.runChunk(ports, opts, ctx, after, chunk.to_id, batch, sum);
    }
    const n = await transaction(ports.db, (sql) => chunks.finishChunk(sql, chunk, claims.owner, sum));
    if (n === 0) log.error({}, 'lost the batch chunk lease while working it (another replica took it over)');
    return true;
  } finally {
    clearInterval(renew);
  }
}

/** A dead claimant's presentments stored in this chunk but not confirmed: presented now, once, with their own ids. */
async function presentLeftovers(ports: Ports, opts: BatchOptions, chunk: chunks.ChunkRow, sum: TenantBatch, work: ChunkWork): Promise<void> {
  if (opts.gateway.name !== 'simulator') return; // file gateway: the rows carry their batch file; reconcile releases it
  const rows = await reading(ports.db, (sql) => inFlightInChunk(sql, chunk.tenant_id, chunk.period, chunk.from_id, chunk.to_id));
  if (rows.length === 0) return;
  ports.log.warn({ tenant: chunk.tenant_id, chunk: chunk.seq, count: rows.length }, 'presenting what a dead replica stored but did not confirm');
  const results = await work.presentInFlight(ports, opts.gateway, rows);
  sum.presented += rows.length;
  for (const r of rows) sum.presentedCents += r.amount_requested;
  work.countResults(results, sum);
}
