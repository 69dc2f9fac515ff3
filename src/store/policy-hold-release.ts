import type { Database as SqliteConnection } from 'better-sqlite3';
import type pg from 'pg';
import type { IsoDate } from '../domain/dates.js';

/**
 * Releasing holds from a policy file's own transaction (a row with `hold` = release), on the raw
 * connection the import holds: apart from policy-hold.repository.ts, which works through store/sql
 * (which itself imports the policy import: no circle this way).
 */
export const POLICY_HELD = 'POLICY_HELD';

export interface Release {
  releasedOn: IsoDate;
  releasedBy: string;
  note: string | null;
}

export const RELEASE = `UPDATE policy_holds SET released_on = ?, released_by = ?, release_note = ?
  WHERE tenant_id = ? AND policy_number = ? AND released_on IS NULL`;
/** By id through the (tenant, period, policy number) index: see HALT_OPEN in policy-hold.repository.ts. */
export const RESUME = `UPDATE collections SET halted_reason = NULL, next_check = NULL, updated_at = ?
  WHERE id IN (SELECT id FROM collections WHERE tenant_id = ? AND policy_number = ?
      AND period IN (SELECT period FROM periods WHERE tenant_id = ? AND closed_at IS NULL))
    AND status = 'OPEN' AND halted_reason = '${POLICY_HELD}'`;

/** Release from a policy file's transaction on SQLite (`hold` = release); returns the numbers released. */
export function releaseHoldsSqlite(conn: SqliteConnection, tenant: string, numbers: readonly string[], r: Release, now: string): string[] {
  const release = conn.prepare(RELEASE);
  const resume = conn.prepare(RESUME);
  const released: string[] = [];
  for (const n of numbers) {
    if (release.run(r.releasedOn, r.releasedBy, r.note, tenant, n).changes === 0) continue;
    resume.run(now, tenant, n, tenant);
    released.push(n);
  }
  return released;
}

/** ? placeholders → $1, $2 … for a pg client. */
const numbered = (text: string) => {
  let i = 0;
  return text.replace(/\?/g, () => `$${++i}`);
};

/** The same on PostgreSQL, in a policy file's transaction. */
export async function releaseHoldsPg(conn: pg.PoolClient, tenant: string, numbers: readonly string[], r: Release, now: string): Promise<string[]> {
  const released: string[] = [];
  for (const n of numbers) {
    const res = await conn.query(numbered(RELEASE), [r.releasedOn, r.releasedBy, r.note, tenant, n]);
    if (!res.rowCount) continue;
    await conn.query(numbered(RESUME), [now, tenant, n, tenant]);
    released.push(n);
  }
  return released;
}

