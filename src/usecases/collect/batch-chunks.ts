import type { Period } from '../../domain/dates.js';
import type { ChunkCounts, ChunkRow } from '../../store/batch-chunk.repository.js';
import { countResults, emptyBatch, presentInFlight, runRange, tenantContext, type BatchFile, type BatchOptions, type ChunkClaims, type TenantBatch } from './chunk-work.js';
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
 * (schedule_runs lease) and finds the chunks where they were. A chunk is worked with chunk-work.ts,
 * as the batch of one process works its own (batch.ts).
 */

/**
 * The holder: make the tenant's chunks (once per run), work them with the others, wait for all.
 * On PostgreSQL with the simulator the holder works two chunks at a time (two claimants in one
 * process, as two replicas would): one chunk is planned and stored while another is with the bank
 * and its results are written (see runRange in chunk-work.ts for why that is safe and what it buys).
 */
export async function claimedTenant(ports: Ports, opts: BatchOptions, claims: ChunkClaims, tenant: string, period: Period, batch: BatchFile): Promise<TenantBatch> {
  await ports.store.transaction(async (tx) => {
    const bounds = await tx.batchChunks.chunkBounds(tenant, period, opts.date, opts.chunkSize ?? 5000);
    await tx.batchChunks.createChunks(claims.runKey, tenant, period, opts.date, bounds);
  });
  const claimants = ports.store.dialect === 'pg' && opts.gateway.name === 'simulator' ? 2 : 1;
  let stopped = false;
  const claimant = async () => {
    while (!stopped) {
      if (await workOneChunk(ports, opts, claims, batch, tenant)) {
        const t = await runTotals(ports, claims.runKey, tenant);
        opts.onChunk?.(tenant, t.planned);
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if ((await ports.store.reading((tx) => tx.batchChunks.chunksLeft(claims.runKey, tenant))) === 0) return;
      // others hold the rest: wait for them (or for their leases to lapse), stopping for shutdown between looks
      opts.onChunk?.(tenant, (await runTotals(ports, claims.runKey, tenant)).planned);
      await new Promise<void>((resolve) => setTimeout(resolve, claims.waitMs ?? 100));
    }
  };
  // one claimant stopping (shutdown, an error) stops the other after its chunk; both settle first
  const settled = await Promise.allSettled(
    Array.from({ length: claimants }, () =>
      claimant().catch((err: unknown) => {
        stopped = true;
        throw err;
      }),
    ),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const t = await runTotals(ports, claims.runKey, tenant);
  return { ...emptyBatch(tenant, period), ...t };
}

function runTotals(ports: Ports, runKey: string, tenant: string): Promise<ChunkCounts> {
  return ports.store.reading((tx) => tx.batchChunks.runTotals(runKey, tenant));
}

/**
 * Another replica joining a running batch: claim open chunks of the run until none is left (the
 * simulator only: the file gateway writes one file per batch, from the holder). `stop()` is asked
 * between chunks (shutdown). Returns how many chunks it worked.
 */
export async function helpBatch(ports: Ports, opts: BatchOptions, claims: ChunkClaims, stop: () => boolean): Promise<number> {
  if (opts.gateway.name !== 'simulator') return 0;
  let n = 0;
  const batch: BatchFile = { file: null };
  while (!stop() && (await workOneChunk(ports, opts, claims, batch))) {
    n++;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return n;
}

/** Claim one chunk and work it to the end; false when there was none to claim. */
async function workOneChunk(ports: Ports, opts: BatchOptions, claims: ChunkClaims, batch: BatchFile, tenant?: string): Promise<boolean> {
  const lease = () => new Date(Date.now() + claims.leaseMs).toISOString();
  const chunk = await ports.store.transaction((tx) =>
    tx.batchChunks.claimChunk({ runKey: claims.runKey, ...(tenant === undefined ? {} : { tenant }), owner: claims.owner, wallNow: new Date().toISOString(), leaseUntil: lease(), isDead: deadHere }),
  );
  if (!chunk) return false;
  const log = ports.log.child({ component: 'batch', tenant: chunk.tenant_id, run: chunk.run_key, chunk: chunk.seq });
  if (chunk.owner) log.warn({ from: chunk.owner }, 'taking over a batch chunk whose claimant died');
  const renew = setInterval(() => {
    ports.store.transaction((tx) => tx.batchChunks.renewChunk(chunk, claims.owner, lease())).catch((err: unknown) => log.warn({ err }, 'chunk lease renewal failed; trying again'));
  }, Math.max(100, Math.floor(claims.leaseMs / 3)));
  renew.unref();
  try {
    const sum = emptyBatch(chunk.tenant_id, chunk.period);
    await presentLeftovers(ports, opts, chunk, sum);
    if (chunk.run_key === claims.runKey) {
      const ctx = await tenantContext(ports, chunk.tenant_id, chunk.period);
      if (chunk.from_id < chunk.to_id) await runRange(ports, opts, ctx, chunk.from_id, chunk.to_id, batch, sum);
    }
    const n = await ports.store.transaction((tx) => tx.batchChunks.finishChunk(chunk, claims.owner, sum));
    if (n === 0) log.error({}, 'lost the batch chunk lease while working it (another replica took it over)');
    return true;
  } finally {
    clearInterval(renew);
  }
}

/** A dead claimant's presentments stored in this chunk but not confirmed: presented now, once, with their own ids. */
async function presentLeftovers(ports: Ports, opts: BatchOptions, chunk: ChunkRow, sum: TenantBatch): Promise<void> {
  if (opts.gateway.name !== 'simulator') return; // file gateway: the rows carry their batch file; reconcile releases it
  const rows = await ports.store.reading((tx) => tx.engine.inFlightInChunk(chunk.tenant_id, chunk.period, chunk.from_id, chunk.to_id));
  if (rows.length === 0) return;
  ports.log.warn({ tenant: chunk.tenant_id, chunk: chunk.seq, count: rows.length }, 'presenting what a dead replica stored but did not confirm');
  const results = await presentInFlight(ports, opts.gateway, rows);
  sum.presented += rows.length;
  for (const r of rows) sum.presentedCents += r.amount_requested;
  countResults(results, sum);
}
