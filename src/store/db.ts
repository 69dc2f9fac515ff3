import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * The store: knex over better-sqlite3 (default, one file under data/) or PostgreSQL.
 * SQLite gets one connection (pool size 1) with WAL, busy_timeout and foreign keys set on every
 * new connection; PostgreSQL BIGINTs come back as numbers (cents fit easily in 2^53).
 */
pg.types.setTypeParser(20, (v: string) => Number(v));
pg.types.setTypeParser(1700, (v: string) => Number(v));

export type DbTarget = { client: 'sqlite'; file: string } | { client: 'pg'; url: string };

/**
 * The database handle the rest of the code holds: opaque, with no query builder in its type, so a use
 * case can only hand it to repository functions (src/store/). Those reach knex through `knexOf`.
 */
export interface Db {
  dialect: 'sqlite' | 'pg';
  target: DbTarget;
  close(): Promise<void>;
}

/** Module-private, so that no field of `Db` (and no copy of one) carries the query builder. */
const knexes = new WeakMap<Db, Knex>();

/** The knex instance behind `db`: for src/store/ (and tests asserting table contents) only; lint keeps it out of the rest of src/. */
export function knexOf(db: Db): Knex {
  const knex = knexes.get(db);
  if (!knex) throw new Error('knexOf: not a handle returned by openDb');
  return knex;
}

export function openDb(target: DbTarget, opts: { poolMax?: number } = {}): Db {
  let knex: Knex;
  if (target.client === 'sqlite') {
    if (target.file !== ':memory:') mkdirSync(dirname(target.file), { recursive: true });
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: target.file },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: BetterSqlite3.Database, done: (err: Error | null, conn: unknown) => void) {
          try {
            conn.pragma('busy_timeout = 10000');
            conn.pragma('journal_mode = WAL');
            conn.pragma('synchronous = NORMAL');
            conn.pragma('foreign_keys = ON');
            done(null, conn);
          } catch (err) {
            done(err as Error, conn);
          }
        },
      },
    });
  } else {
    knex = knexFactory({
      client: 'pg',
      connection: { connectionString: target.url },
      pool: { min: 0, max: opts.poolMax ?? 6 },
      acquireConnectionTimeout: 30_000,
    });
  }
  let closed = false;
  const db: Db = {
    dialect: target.client,
    target,
    async close() {
      if (closed) return;
      closed = true;
      await knex.destroy();
    },
  };
  knexes.set(db, knex);
  return db;
}

/** Run `fn` with the raw better-sqlite3 connection (for bulk work on the hot path). */
export async function withSqliteConnection<T>(db: Db, fn: (conn: BetterSqlite3.Database) => Promise<T> | T): Promise<T> {
  if (db.dialect !== 'sqlite') throw new Error('withSqliteConnection on a non-SQLite store');
  const client = knexOf(db).client as { acquireConnection(): Promise<BetterSqlite3.Database>; releaseConnection(c: unknown): Promise<void> };
  const conn = await client.acquireConnection();
  try {
    return await fn(conn);
  } finally {
    await client.releaseConnection(conn);
  }
}

/** Run `fn` with a raw pg client (for COPY), outside knex's query builder. */
export async function withPgConnection<T>(db: Db, fn: (conn: pg.PoolClient) => Promise<T>): Promise<T> {
  if (db.dialect !== 'pg') throw new Error('withPgConnection on a non-PostgreSQL store');
  const client = knexOf(db).client as { acquireConnection(): Promise<pg.PoolClient>; releaseConnection(c: unknown): Promise<void> };
  const conn = await client.acquireConnection();
  try {
    return await fn(conn);
  } finally {
    await client.releaseConnection(conn);
  }
}

/** `SELECT 1`: the database answers (readiness). */
export async function ping(db: Db): Promise<void> {
  await knexOf(db).raw('SELECT 1');
}

/** Now as an ISO instant, from the injected clock. */
export function isoNow(now: Date): string {
  return now.toISOString();
}
