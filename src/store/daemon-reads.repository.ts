import type { IsoDate } from '../domain/dates.js';
import type { Db } from './db.js';
import { reading } from './sql.js';

/**
 * What the daemon's steps read around the use cases they run (issue 13): who to open a period
 * for, the attempts a batch created (for the metrics), and whether a replica's batch still has
 * chunks to share. Each a read on its own connection.
 */

/** Of the `configured` tenants, those with active policies (in that order): the ones the daemon opens the period for. */
export async function tenantsWithActivePolicies(db: Db, configured: readonly string[]): Promise<string[]> {
  const rows = await reading(db, (sql) => sql.all<{ tenant_id: string }>(`SELECT DISTINCT tenant_id FROM policies WHERE status = 'active'`));
  const have = new Set(rows.map((r) => r.tenant_id));
  return configured.filter((t) => have.has(t));
}

/** The highest attempt id so far (0: none): the attempts a batch creates come after it. */
export function lastAttemptId(db: Db): Promise<number> {
  return reading(db, async (sql) => Number((await sql.all<{ id: number | null }>('SELECT MAX(id) AS id FROM attempts'))[0]?.id ?? 0));
}

/** Attempts with ids after `afterId` presented on `date`, counted by tenant, result and reason. */
export function presentmentsSince(db: Db, afterId: number, date: IsoDate): Promise<{ tenant_id: string; status: string; reason: string | null; n: number }[]> {
  return reading(db, (sql) =>
    sql.all<{ tenant_id: string; status: string; reason: string | null; n: number }>(
      `SELECT tenant_id, status, reason, COUNT(*) AS n FROM attempts WHERE id > ? AND action_date = ? GROUP BY tenant_id, status, reason`,
      [afterId, date],
    ),
  );
}

/** Chunks of the batch run `runKey` not done yet (a replica joins in while there are some). */
export async function chunksLeft(db: Db, runKey: string): Promise<number> {
  const [left] = await reading(db, (sql) => sql.all<{ n: number }>(`SELECT COUNT(*) AS n FROM batch_chunks WHERE run_key = ? AND status <> 'done'`, [runKey]));
  return Number(left?.n ?? 0);
}
