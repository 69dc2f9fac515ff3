import { reading, type Sql } from './sql.js';
import type { Db } from './db.js';
import { policyById } from './api.repository.js';

import type { IsoDate } from '../domain/dates.js';
import { POLICY_HELD, RELEASE, RESUME, type Release } from './policy-hold-release.js';

export { POLICY_HELD, type Release } from './policy-hold-release.js';

/**
 * Policy holds (migration 014): a policy whose debit came back with a holding code is held — not
 * opened in later periods, never presented — until the insurer releases it. A policy is held
 * while one of its rows has `released_on` NULL (a partial unique index keeps that row single).
 * Placing a hold also stops the policy's open collections (`halted_reason` POLICY_HELD, unless
 * they already stopped for a reason of their own); releasing it lets an open collection of a
 * period not yet closed go on.
 */
export interface HoldRecord {
  id: number;
  tenant_id: string;
  policy_number: string;
  reason_code: string;
  held_on: IsoDate;
  collection_id: number | null;
  released_on: IsoDate | null;
  released_by: string | null;
  release_note: string | null;
  created_at: string;
}


export interface NewHold {
  collectionId: number;
  reasonCode: string;
  heldOn: IsoDate;
}

function record(r: HoldRecord): HoldRecord {
  return { ...r, id: Number(r.id), collection_id: r.collection_id === null ? null : Number(r.collection_id) };
}

/**
 * The policy's open collections, found by id through the (tenant, period, policy number) index,
 * one period at a time. Asked directly (`tenant_id = ? AND policy_number = ? AND status = 'OPEN'`)
 * SQLite walks the (tenant, status) index of the API's lists instead — every open collection of
 * the tenant, once per hold: a present-all day placing 1,765 holds in a book of 40,000 spent 27 of
 * its 37 s there, and grew with the square of the book.
 */
export const HALT_OPEN = `UPDATE collections SET halted_reason = COALESCE(halted_reason, ?), next_check = NULL, updated_at = ?
  WHERE id IN (SELECT id FROM collections WHERE tenant_id = ? AND period IN (SELECT period FROM periods WHERE tenant_id = ?) AND policy_number = ?)
    AND status = 'OPEN'`;

/**
 * Hold the policy of each collection (in the caller's transaction); a policy already held keeps
 * its first hold. Returns the holds placed now.
 */
export async function insertHolds(sql: Sql, holds: readonly NewHold[], now: string): Promise<HoldRecord[]> {
  if (holds.length === 0) return [];
  if (sql.dialect === 'pg') return insertHoldsPg(sql, holds, now);
  // SQLite: prepared statements in-process cost no round trip; one per hold is as fast as a set
  const placed: HoldRecord[] = [];
  for (const h of holds) {
    const rows = await sql.all<HoldRecord>(
      `INSERT INTO policy_holds (tenant_id, policy_number, reason_code, held_on, collection_id, created_at)
       SELECT tenant_id, policy_number, ?, ?, id, ? FROM collections WHERE id = ?
       ON CONFLICT (tenant_id, policy_number) WHERE released_on IS NULL DO NOTHING
       RETURNING *`,
      [h.reasonCode, h.heldOn, now, h.collectionId],
    );
    for (const r of rows) {
      placed.push(record(r));
      await sql.run(HALT_OPEN, [POLICY_HELD, now, r.tenant_id, r.tenant_id, r.policy_number]);
    }
  }
  return placed;
}


const NEW_HOLD_COLUMNS = [
  ['ord', 'int'],
  ['collection_id', 'int'],
  ['reason_code', 'text'],
  ['held_on', 'text'],
] as const;

/**
 * PostgreSQL: the same holds in one statement over the staged list. One round trip per hold (two
 * statements, each parsed anew) cost a present-all day of 250,000 collections with 11,141 holds
 * 7.6 of its 29.8 s of server time. Placed in list order (a policy already held, or held by an
 * earlier row of the list, keeps its first hold: ON CONFLICT DO NOTHING skips rows conflicting with
 * rows of the same statement); the policy's open collections stop in the same statement.
 */
async function insertHoldsPg(sql: Sql, holds: readonly NewHold[], now: string): Promise<HoldRecord[]> {
  await sql.stage('kasi_new_holds', NEW_HOLD_COLUMNS, holds.map((h, i) => [i, h.collectionId, h.reasonCode, h.heldOn]));
  const rows = await sql.all<HoldRecord>(
    `WITH placed AS (
       INSERT INTO policy_holds (tenant_id, policy_number, reason_code, held_on, collection_id, created_at)
       SELECT c.tenant_id, c.policy_number, s.reason_code, s.held_on, c.id, ? FROM kasi_new_holds s JOIN collections c ON c.id = s.collection_id ORDER BY s.ord
       ON CONFLICT (tenant_id, policy_number) WHERE released_on IS NULL DO NOTHING
       RETURNING *),
     halted AS (
       UPDATE collections SET halted_reason = COALESCE(halted_reason, ?), next_check = NULL, updated_at = ?
       WHERE id IN (SELECT c.id FROM placed p JOIN periods pe ON pe.tenant_id = p.tenant_id
                    JOIN collections c ON c.tenant_id = p.tenant_id AND c.period = pe.period AND c.policy_number = p.policy_number)
         AND status = 'OPEN')
     SELECT * FROM placed ORDER BY id`,
    [now, POLICY_HELD, now],
  );
  return rows.map(record);
}

/** Release the policy's open hold; returns the released hold, or null when it was not held. */
export async function releaseHoldRow(sql: Sql, tenant: string, policyNumber: string, r: Release, now: string): Promise<HoldRecord | null> {
  const [open] = await sql.all<HoldRecord>('SELECT * FROM policy_holds WHERE tenant_id = ? AND policy_number = ? AND released_on IS NULL', [tenant, policyNumber]);
  if (!open) return null;
  await sql.run(RELEASE, [r.releasedOn, r.releasedBy, r.note, tenant, policyNumber]);
  await sql.run(RESUME, [now, tenant, policyNumber, tenant]);
  return record({ ...open, released_on: r.releasedOn, released_by: r.releasedBy, release_note: r.note });
}

export type HoldState = 'open' | 'released';

/** Holds of one or all tenants, open or released, oldest first. */
export async function listHolds(sql: Sql, opts: { tenant?: string; state?: HoldState } = {}): Promise<HoldRecord[]> {
  const where: string[] = [];
  const params: string[] = [];
  if (opts.tenant) {
    where.push('tenant_id = ?');
    params.push(opts.tenant);
  }
  if (opts.state === 'open') where.push('released_on IS NULL');
  if (opts.state === 'released') where.push('released_on IS NOT NULL');
  const rows = await sql.all<HoldRecord>(`SELECT * FROM policy_holds${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`, params);
  return rows.map(record);
}

export async function policyExists(sql: Sql, tenant: string, policyNumber: string): Promise<boolean> {
  const rows = await sql.all('SELECT 1 AS x FROM policies WHERE tenant_id = ? AND policy_number = ?', [tenant, policyNumber]);
  return rows.length > 0;
}

export async function openHold(sql: Sql, tenant: string, policyNumber: string): Promise<HoldRecord | undefined> {
  const [row] = await sql.all<HoldRecord>('SELECT * FROM policy_holds WHERE tenant_id = ? AND policy_number = ? AND released_on IS NULL', [tenant, policyNumber]);
  return row ? record(row) : undefined;
}

export interface HeldRow {
  policy_number: string;
  customer_id: string | null;
  external_customer_ref: string | null;
  product_code: string | null;
  reason_code: string;
  held_on: IsoDate;
  released_on: IsoDate | null;
  released_by: string | null;
}

/**
 * The rows of a period's `held-<YYYY-MM>.csv`: every hold in force at some time in the period
 * (placed on or before its last day, not released before its first), with the policy's customer.
 * Holds are few (hard failures), so they are read whole.
 */
export function heldInPeriod(sql: Sql, tenant: string, first: IsoDate, last: IsoDate): Promise<HeldRow[]> {
  return sql.all<HeldRow>(
    `SELECT h.policy_number, p.customer_id, p.external_customer_ref, p.product_code, h.reason_code, h.held_on, h.released_on, h.released_by
     FROM policy_holds h LEFT JOIN policies p ON p.tenant_id = h.tenant_id AND p.policy_number = h.policy_number
     WHERE h.tenant_id = ? AND h.held_on <= ? AND (h.released_on IS NULL OR h.released_on >= ?)
     ORDER BY h.policy_number, h.id`,
    [tenant, last, first],
  );
}

/** The same reads and the release, each in its own transaction, for use cases and routes. */
export function holdsIn(db: Db, opts: { tenant?: string; state?: HoldState } = {}): Promise<HoldRecord[]> {
  return reading(db, (sql) => listHolds(sql, opts));
}

export function heldInPeriodOf(db: Db, tenant: string, first: IsoDate, last: IsoDate): Promise<HeldRow[]> {
  return reading(db, (sql) => heldInPeriod(sql, tenant, first, last));
}

/** A tenant's policy number by its API id, or null. */
export async function policyNumberOf(db: Db, tenant: string, id: number): Promise<string | null> {
  const p = await reading(db, (sql) => policyById(sql, tenant, id));
  return p ? p.policy_number : null;
}

/** Holds a policy file released (its `hold` column, released_by `file:<name>`): their policy.released events. */
export function holdsReleasedByFile(db: Db, tenant: string, fileName: string): Promise<HoldRecord[]> {
  return reading(db, (sql) => sql.all<HoldRecord>('SELECT * FROM policy_holds WHERE tenant_id = ? AND released_by = ? ORDER BY id', [tenant, `file:${fileName}`]));
}
