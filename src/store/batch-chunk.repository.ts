import type { Period } from '../domain/dates.js';
import type { Sql } from './sql.js';

/**
 * `batch_chunks` (migration 007): a batch run's keyset chunks, claimed one at a time so that
 * replicas share the run and take over a dead claimant's chunk. Every call runs inside the caller's
 * transaction; lease times are wall-clock ISO instants.
 */
export interface ChunkRow {
  run_key: string;
  tenant_id: string;
  seq: number;
  period: Period;
  batch_date: string;
  from_id: number;
  to_id: number;
  status: 'open' | 'running' | 'done';
  owner: string | null;
}

const COLUMNS = 'run_key, tenant_id, seq, period, batch_date, from_id, to_id, status, owner';

/**
 * The chunk bounds of a tenant's collections plannable today: every `size`-th id. The predicate is
 * that of engine.repository's plannableChunk (keep the two in step); a chunk then plans what is
 * plannable in its range when it runs.
 */
export async function chunkBounds(sql: Sql, tenant: string, period: Period, today: string, size: number): Promise<[number, number][]> {
  const ids = (
    await sql.all<{ id: number }>(
      `SELECT id FROM collections
       WHERE tenant_id = ? AND period = ? AND status = 'OPEN' AND halted_reason IS NULL AND pending = 0 AND (next_check IS NULL OR next_check <= ?)
       ORDER BY id`,
      [tenant, period, today],
    )
  ).map((r) => Number(r.id));
  const out: [number, number][] = [];
  for (let i = 0; i < ids.length; i += size) out.push([i === 0 ? 0 : ids[i - 1]!, ids[Math.min(i + size, ids.length) - 1]!]);
  return out;
}

/** The run's chunks for a tenant, made once (by whoever holds the batch occurrence); false when they existed. */
export async function createChunks(sql: Sql, runKey: string, tenant: string, period: Period, date: string, bounds: readonly [number, number][]): Promise<boolean> {
  const [have] = await sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM batch_chunks WHERE run_key = ? AND tenant_id = ?', [runKey, tenant]);
  if (Number(have?.n ?? 0) > 0) return false;
  for (let i = 0; i < bounds.length; i++) {
    await sql.run(
      `INSERT INTO batch_chunks (run_key, tenant_id, seq, period, batch_date, from_id, to_id, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'open')
       ON CONFLICT (run_key, tenant_id, seq) DO NOTHING`,
      [runKey, tenant, i + 1, period, date, bounds[i]![0], bounds[i]![1]],
    );
  }
  return true;
}

export interface ClaimChunk {
  runKey: string;
  /** only this tenant's chunks of the run (the holder works tenant by tenant); any tenant when absent */
  tenant?: string;
  owner: string;
  wallNow: string;
  leaseUntil: string;
  /** a claimant known dead (a process on this host that no longer runs): its chunk is taken over before its lease ends */
  isDead: (owner: string) => boolean;
}

/**
 * Claim one chunk: an open chunk of this run, or a running one whose claimant's lease expired (or
 * who is known dead) from any run, so that nothing a dead replica started is left behind. On
 * PostgreSQL `FOR UPDATE SKIP LOCKED` lets replicas claim side by side without waiting on each
 * other; SQLite's writer lock serialises the claim anyway.
 */
export async function claimChunk(sql: Sql, c: ClaimChunk): Promise<ChunkRow | null> {
  const lock = sql.dialect === 'pg' ? ' FOR UPDATE SKIP LOCKED' : '';
  const tenant = c.tenant === undefined ? '' : ' AND tenant_id = ?';
  const tp = c.tenant === undefined ? [] : [c.tenant];
  let [row] = await sql.all<ChunkRow>(
    `SELECT ${COLUMNS} FROM batch_chunks
     WHERE ((run_key = ? AND status = 'open') OR (status = 'running' AND lease_until < ?))${tenant}
     ORDER BY run_key, tenant_id, seq LIMIT 1${lock}`,
    [c.runKey, c.wallNow, ...tp],
  );
  if (!row) {
    const running = await sql.all<ChunkRow>(`SELECT ${COLUMNS} FROM batch_chunks WHERE run_key = ? AND status = 'running'${tenant} ORDER BY tenant_id, seq${lock}`, [c.runKey, ...tp]);
    row = running.find((r) => r.owner !== null && c.isDead(r.owner));
  }
  if (!row) return null;
  const n = await sql.run(
    `UPDATE batch_chunks SET status = 'running', owner = ?, lease_until = ?, takeovers = takeovers + CASE WHEN status = 'running' THEN 1 ELSE 0 END
     WHERE run_key = ? AND tenant_id = ? AND seq = ? AND status = ? AND (owner IS NULL OR owner = ?)`,
    [c.owner, c.leaseUntil, row.run_key, row.tenant_id, row.seq, row.status, row.owner ?? ''],
  );
  return n === 1 ? { ...row, from_id: Number(row.from_id), to_id: Number(row.to_id), seq: Number(row.seq) } : null;
}

export function renewChunk(sql: Sql, k: Pick<ChunkRow, 'run_key' | 'tenant_id' | 'seq'>, owner: string, leaseUntil: string): Promise<number> {
  return sql.run(`UPDATE batch_chunks SET lease_until = ? WHERE run_key = ? AND tenant_id = ? AND seq = ? AND owner = ? AND status = 'running'`, [
    leaseUntil,
    k.run_key,
    k.tenant_id,
    k.seq,
    owner,
  ]);
}

export interface ChunkCounts {
  planned: number;
  presented: number;
  presentedCents: number;
  paid: number;
  unpaid: number;
  collectedCents: number;
}

/** Settle the chunk with what it did; 0 when this owner lost it meanwhile. */
export function finishChunk(sql: Sql, k: Pick<ChunkRow, 'run_key' | 'tenant_id' | 'seq'>, owner: string, s: ChunkCounts): Promise<number> {
  return sql.run(
    `UPDATE batch_chunks SET status = 'done', lease_until = NULL, planned = ?, presented = ?, presented_cents = ?, paid = ?, unpaid = ?, collected_cents = ?
     WHERE run_key = ? AND tenant_id = ? AND seq = ? AND owner = ? AND status = 'running'`,
    [s.planned, s.presented, s.presentedCents, s.paid, s.unpaid, s.collectedCents, k.run_key, k.tenant_id, k.seq, owner],
  );
}

/** How many of the run's chunks for `tenant` are not done yet. */
export async function chunksLeft(sql: Sql, runKey: string, tenant: string): Promise<number> {
  const [row] = await sql.all<{ n: number }>(`SELECT COUNT(*) AS n FROM batch_chunks WHERE run_key = ? AND tenant_id = ? AND status <> 'done'`, [runKey, tenant]);
  return Number(row?.n ?? 0);
}

/** What the run's chunks did for `tenant`, whoever did them. */
export async function runTotals(sql: Sql, runKey: string, tenant: string): Promise<ChunkCounts> {
  const [r] = await sql.all<Record<string, number | null>>(
    `SELECT SUM(planned) AS planned, SUM(presented) AS presented, SUM(presented_cents) AS presented_cents, SUM(paid) AS paid, SUM(unpaid) AS unpaid,
            SUM(collected_cents) AS collected_cents
     FROM batch_chunks WHERE run_key = ? AND tenant_id = ?`,
    [runKey, tenant],
  );
  const n = (k: string) => Number(r?.[k] ?? 0);
  return { planned: n('planned'), presented: n('presented'), presentedCents: n('presented_cents'), paid: n('paid'), unpaid: n('unpaid'), collectedCents: n('collected_cents') };
}

/** For reconcile: an attempt inside a chunk someone claimed (`a` = attempts). */
export const IN_CLAIMED_CHUNK = `EXISTS (SELECT 1 FROM batch_chunks k WHERE k.status = 'running' AND k.tenant_id = a.tenant_id AND k.period = a.period
  AND a.collection_id > k.from_id AND a.collection_id <= k.to_id)`;
