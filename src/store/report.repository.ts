import type BetterSqlite3 from 'better-sqlite3';
import { withPgConnection, withSqliteConnection, type Db } from './db.js';
import type { Param, Sql } from './sql.js';
import type { IsoDate, Period } from '../domain/dates.js';
import type { ReportRow } from '../domain/collection-report.js';

/**
 * SQL of the period close and the collection report (SPEC 5.1). The report is read in
 * policy-number order (byte order on both databases; index collections_period_policy), the same
 * order as the settlement CSV, and streamed: a million rows never sit in memory.
 */
export interface StreamQuery {
  sql: string;
  params: Param[];
}

/** A row as an array, in the order of the query's SELECT list (cheaper than an object per row). */
export type RawRow = unknown[];

function pgText(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * Rows per page: big enough that per-page costs (an await, a chunk write) vanish, small enough
 * that the pages in flight die young: with 1,000-row pages a million-row report spent a third of
 * its time copying live rows between V8's young-generation spaces; with 250 it does not.
 * PostgreSQL fetches FETCH rows per round trip and hands them on in pages of PAGE.
 */
const PAGE = 250;
const FETCH = 2000;

/**
 * Run `fn` with the rows of `queries` (one after the other) in pages, read from one consistent
 * snapshot and pulled as `fn` consumes them. Pages, not rows, cross the async boundary: a million
 * rows cost a thousand awaits here. SQLite: better-sqlite3 `.iterate()` on the one connection,
 * held until `fn` ends (so `fn` must not query the store itself). PostgreSQL: server-side cursors
 * in a read-only REPEATABLE READ transaction.
 */
export async function withPageStream<R, T>(
  db: Db,
  queries: readonly StreamQuery[],
  map: (row: RawRow) => R,
  fn: (pages: AsyncIterable<R[]>) => Promise<T>,
): Promise<T> {
  if (db.dialect === 'sqlite') {
    return withSqliteConnection(db, async (conn: BetterSqlite3.Database) => {
      let open: IterableIterator<unknown> | null = null;
      async function* pages(): AsyncGenerator<R[]> {
        for (const q of queries) {
          open = conn.prepare(q.sql).raw(true).iterate(...q.params);
          let page: R[] = [];
          for (const row of open) {
            page.push(map(row as RawRow));
            if (page.length === PAGE) {
              yield page;
              page = [];
            }
          }
          open = null;
          if (page.length > 0) yield page;
        }
      }
      const gen = pages();
      try {
        return await fn(gen);
      } finally {
        // a consumer that stopped early (an error) must not leave the connection busy
        await gen.return(undefined);
        (open as IterableIterator<unknown> | null)?.return?.();
      }
    });
  }
  return withPgConnection(db, async (conn) => {
    await conn.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      async function* pages(): AsyncGenerator<R[]> {
        for (const [i, q] of queries.entries()) {
          await conn.query(`DECLARE kasi_stream_${i} NO SCROLL CURSOR FOR ${pgText(q.sql)}`, q.params);
          for (;;) {
            const fetched = await conn.query<RawRow>({ text: `FETCH FORWARD ${FETCH} FROM kasi_stream_${i}`, rowMode: 'array' });
            const rows = fetched.rows;
            if (rows.length === 0) break;
            for (let at = 0; at < rows.length; at += PAGE) yield rows.slice(at, at + PAGE).map(map);
          }
          await conn.query(`CLOSE kasi_stream_${i}`);
        }
      }
      const out = await fn(pages());
      await conn.query('COMMIT');
      return out;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

/** The pages as single rows, for a consumer that takes rows (the renderers). */
export async function* flatten<R>(pages: AsyncIterable<R[]>): AsyncGenerator<R> {
  for await (const page of pages) yield* page;
}

/** withPageStream for a consumer of rows. */
export function withRowStream<R, T>(db: Db, queries: readonly StreamQuery[], map: (row: RawRow) => R, fn: (rows: AsyncIterable<R>) => Promise<T>): Promise<T> {
  return withPageStream(db, queries, map, (pages) => fn(flatten(pages)));
}

/** The first column of every row of `queries`, as numbers (e.g. the amounts of a settlement's lines). */
export async function readNumbers(db: Db, queries: readonly StreamQuery[]): Promise<number[]> {
  const out: number[] = [];
  if (db.dialect === 'sqlite') {
    // the whole column in one native call (`pluck().all()`): a third of the time of iterating rows
    await withSqliteConnection(db, (conn: BetterSqlite3.Database) => {
      for (const q of queries) for (const v of conn.prepare(q.sql).pluck(true).all(...q.params)) out.push(Number(v));
    });
    return out;
  }
  await withPageStream(
    db,
    queries,
    (r) => Number(r[0]),
    async (pages) => {
      for await (const page of pages) for (const v of page) out.push(v);
    },
  );
  return out;
}

/**
 * Close the period in the caller's transaction: every OPEN collection gets its final status
 * (the SQL form of domain/engine/collection-state.finalStatus, kept in step with it: cancelled
 * policy → CANCELLED; collected ≥ due → PAID_FULL; collected > 0 → PAID_PARTIAL; else UNPAID),
 * then periods.closed_at is set (the row inserted if the period was never executed). A policy
 * counts as cancelled when it was cancelled before `periodEnd` (the instant the period ended).
 * Returns false when the period was already closed (nothing changed).
 */
export async function closePeriod(sql: Sql, tenant: string, period: Period, periodEnd: string, now: string): Promise<boolean> {
  // never executed (no collections): executed_at is required, so it records the close too
  await sql.run('INSERT INTO periods (tenant_id, period, executed_at) VALUES (?, ?, ?) ON CONFLICT (tenant_id, period) DO NOTHING', [tenant, period, now]);
  // PostgreSQL: lock the period row, so a concurrent close waits and then finds it closed, and a
  // result applier deciding "late or not" waits for us
  const lock = sql.dialect === 'pg' ? ' FOR UPDATE' : '';
  const [row] = await sql.all<{ closed_at: string | null }>(`SELECT closed_at FROM periods WHERE tenant_id = ? AND period = ?${lock}`, [tenant, period]);
  if (row?.closed_at) return false;
  // Two set-based statements rather than one UPDATE … FROM policies: the cancelled policies are
  // few and found through the partial index policies_cancelled (migration 008), so the join over
  // every row of the period (a policy looked up per collection) is not needed; a million-row close
  // then costs one pass that only rewrites the status.
  await sql.run(
    `UPDATE collections SET status = 'CANCELLED', updated_at = ?
     WHERE tenant_id = ? AND period = ? AND status = 'OPEN'
       AND policy_id IN (SELECT id FROM policies WHERE tenant_id = ? AND status = 'cancelled' AND cancelled_at < ?)`,
    [now, tenant, period, tenant, periodEnd],
  );
  // every other open collection (a collection whose policy row is gone, never expected, too)
  await sql.run(
    `UPDATE collections SET
       status = CASE WHEN amount_collected >= amount_due THEN 'PAID_FULL' WHEN amount_collected > 0 THEN 'PAID_PARTIAL' ELSE 'UNPAID' END,
       updated_at = ?
     WHERE tenant_id = ? AND period = ? AND status = 'OPEN'`,
    [now, tenant, period],
  );
  await sql.run('UPDATE periods SET closed_at = ? WHERE tenant_id = ? AND period = ?', [now, tenant, period]);
  return true;
}

export async function closedAt(sql: Sql, tenant: string, period: Period): Promise<string | null> {
  const [row] = await sql.all<{ closed_at: string | null }>('SELECT closed_at FROM periods WHERE tenant_id = ? AND period = ?', [tenant, period]);
  return row?.closed_at ?? null;
}

const REPORT_SELECT = `SELECT policy_number, customer_id, external_customer_ref, product_code, amount_due, amount_collected,
  status, first_attempt_date, last_attempt_date, presentments, last_failure_reason, flag
  FROM collections WHERE tenant_id = ? AND period = ?`;

export function reportQuery(tenant: string, period: Period): StreamQuery {
  return { sql: `${REPORT_SELECT} ORDER BY policy_number`, params: [tenant, period] };
}

export function flaggedQuery(tenant: string, period: Period): StreamQuery {
  return { sql: `${REPORT_SELECT} AND flag IS NOT NULL ORDER BY policy_number`, params: [tenant, period] };
}

export interface FlaggedRow extends ReportRow {
  flag: string;
}

/** A collections row (REPORT_SELECT order) as a report row; number_of_attempts is the presentments made. */
export function reportRowOf(period: Period): (r: RawRow) => FlaggedRow {
  return (r) => {
    const due = Number(r[4]);
    const collected = Number(r[5]);
    return {
      period_month: period,
      customer_id: r[1] as string,
      external_customer_ref: r[2] as string,
      policy_number: r[0] as string,
      product_code: r[3] as string,
      collection_amount_due: due,
      collection_amount_collected: collected,
      shortfall: Math.max(0, due - collected),
      collection_status: r[6] as string,
      first_attempt_date: (r[7] as IsoDate | null) ?? null,
      last_attempt_date: (r[8] as IsoDate | null) ?? null,
      number_of_attempts: Number(r[9]),
      last_failure_reason: (r[10] as string | null) || null,
      flag: (r[11] as string | null) ?? '',
    };
  };
}

/** Uses the partial index collections_flagged: no pass over the period. */
export async function countFlagged(sql: Sql, tenant: string, period: Period): Promise<number> {
  const [row] = await sql.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM collections WHERE tenant_id = ? AND period = ? AND flag IS NOT NULL', [tenant, period]);
  return Number(row?.n ?? 0);
}

/** Run `fn` with the period's collection report rows in pages (policy-number order), streamed from one snapshot. */
export function withReportPages<T>(db: Db, tenant: string, period: Period, fn: (pages: AsyncIterable<FlaggedRow[]>) => Promise<T>): Promise<T> {
  return withPageStream(db, [reportQuery(tenant, period)], reportRowOf(period), fn);
}

/** Run `fn` with the period's flagged (DECEASED) rows, one by one, in policy-number order. */
export function withFlaggedRows<T>(db: Db, tenant: string, period: Period, fn: (rows: AsyncIterable<FlaggedRow>) => Promise<T>): Promise<T> {
  return withRowStream(db, [flaggedQuery(tenant, period)], reportRowOf(period), fn);
}
