import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { withPgConnection, withSqliteConnection, type Db } from './db.js';
import { copyInto } from './policy-import.pg.js';
import { copyLine } from '../files/copy-text.js';

/**
 * A thin SQL port over the raw driver, for set-based work on the hot paths: the same SQL text on
 * both databases (`?` placeholders; SQLite ≥ 3.33 and PostgreSQL share UPDATE … FROM), and
 * `stage()` to load many rows into a temporary table fast (prepared inserts on SQLite, COPY on
 * PostgreSQL) so that one statement can then apply them.
 */
export type Param = string | number | null;

export interface Sql {
  readonly dialect: 'sqlite' | 'pg';
  all<T>(sql: string, params?: Param[]): Promise<T[]>;
  run(sql: string, params?: Param[]): Promise<number>;
  /** Replace the contents of temp table `name` with `rows`. */
  stage(name: string, columns: readonly (readonly [string, 'text' | 'int'])[], rows: Param[][]): Promise<void>;
  /**
   * Write `rows` with each statement in turn. PostgreSQL stages them in temp table `name` (one COPY)
   * and runs each `set` statement once; SQLite runs each `perRow` statement once per row, prepared,
   * with the row's columns as ?1…?n and `params` after them: in-process, a prepared statement per
   * row is cheaper than filling a temp table and joining it. On SQLite it returns the rowid each row's
   * first statement inserted (in the order of `rows`: the caller needs no lookup to find them); null on
   * PostgreSQL.
   */
  applyRows(name: string, columns: readonly (readonly [string, 'text' | 'int'])[], rows: Param[][], statements: readonly RowStatement[]): Promise<number[] | null>;
}

export interface RowStatement {
  set: string;
  perRow: string;
  params?: Param[];
}

/**
 * The smallest and largest id in column `col` of `rows`: a set-based UPDATE … FROM a staged table
 * bounds the target by them (`AND t.id BETWEEN ? AND ?`), so PostgreSQL reads only that key range of
 * the table instead of joining against all of it (a batch's ids are clustered by its keyset chunk).
 */
export function idRange(rows: readonly (readonly Param[])[], col: number): [number, number] {
  let lo = Number.MAX_SAFE_INTEGER;
  let hi = Number.MIN_SAFE_INTEGER;
  for (const r of rows) {
    const v = Number(r[col]);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function pgText(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Rows a statement on SQLite writes (× columns stays far below its 32,766 variables). */
const ROW_BATCH = 200;

interface Batched {
  /** the statement for `m` rows, values bound row after row in the order of `picks` */
  text(m: number): string;
  picks: number[];
  /** an UPDATE's key (index into a row's values): the rows of one statement must differ in it */
  key: number | null;
}

/** A per-row statement as better-sqlite3 runs it (?N become ?, values picked in that order), and its many-row form. */
interface Compiled {
  text: string;
  picks: number[];
  many: Batched | null;
}

const compiledCache = new Map<string, Compiled>();

/** `make(m)` built once per m: the same string each call is also a cheap key for the statement cache. */
function textsOf(make: (m: number) => string): (m: number) => string {
  const texts: string[] = [];
  return (m) => (texts[m] ??= make(m));
}

/** `perRow` compiled once (the texts are built once, not once a call). */
function compiled(perRow: string): Compiled {
  let c = compiledCache.get(perRow);
  if (!c) {
    const picks: number[] = [];
    const text = perRow.replace(/\?(\d+)/g, (_, n: string) => (picks.push(Number(n) - 1), '?'));
    compiledCache.set(perRow, (c = { text, picks, many: batched(perRow) }));
  }
  return c;
}

/**
 * A per-row statement rewritten for many rows in one call into SQLite: `INSERT … VALUES (…)` gets
 * one tuple a row; `UPDATE t SET … WHERE id = ?N` becomes `UPDATE t SET … FROM (VALUES …) AS s
 * WHERE t.id = s.column1` (each row's id looked up by rowid). Anything else: null, a row a call.
 */
function batched(perRow: string): Batched | null {
  const ins = /^([\s\S]*\bVALUES\s*)(\([^()]*\))\s*$/.exec(perRow);
  const upd = /^\s*UPDATE\s+(\w+)\s+SET\s+([\s\S]*?)\s+WHERE\s+id\s*=\s*\?(\d+)\s*$/.exec(perRow);
  if (ins && /^\s*INSERT\b/.test(perRow)) {
    const picks: number[] = [];
    const tuple = ins[2]!.replace(/\?(\d+)/g, (_, n: string) => (picks.push(Number(n) - 1), '?'));
    return { picks, key: null, text: textsOf((m) => ins[1]!.replace(/\?(\d+)/g, '?') + Array<string>(m).fill(tuple).join(', ')) };
  }
  if (upd) {
    const picks = [Number(upd[3]) - 1];
    const col = (i: number) => {
      if (!picks.includes(i)) picks.push(i);
      return `s.column${picks.indexOf(i) + 1}`;
    };
    const sets = upd[2]!.replace(/\?(\d+)/g, (_, n: string) => col(Number(n) - 1));
    const tuple = `(${picks.map(() => '?').join(', ')})`;
    return { picks, key: picks[0]!, text: textsOf((m) => `UPDATE ${upd[1]} SET ${sets} FROM (VALUES ${Array<string>(m).fill(tuple).join(', ')}) AS s WHERE ${upd[1]}.id = s.column1`) };
  }
  return null;
}

function distinct(rows: Param[][], at: number, m: number, key: number, n: number, extra: Param[]): boolean {
  const seen = new Set<Param>();
  for (let r = at; r < at + m; r++) {
    const v = key < n ? rows[r]![key] : extra[key - n];
    if (seen.has(v ?? null)) return false;
    seen.add(v ?? null);
  }
  return true;
}

/**
 * Prepared statements by connection, kept across transactions (a batch prepares its 200-row
 * statements once, not once a chunk); the oldest go past STATEMENTS_KEPT (IN lists of every length).
 */
const statementCache = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();
const STATEMENTS_KEPT = 400;

class SqliteSql implements Sql {
  readonly dialect = 'sqlite' as const;
  private cache: Map<string, BetterSqlite3.Statement>;
  private staged = new Set<string>();
  constructor(private conn: BetterSqlite3.Database) {
    let cache = statementCache.get(conn);
    if (!cache) statementCache.set(conn, (cache = new Map()));
    this.cache = cache;
  }
  private prep(sql: string): BetterSqlite3.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.conn.prepare(sql);
      if (this.cache.size >= STATEMENTS_KEPT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(sql, s);
    }
    return s;
  }
  async all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return this.prep(sql).all(...params) as T[];
  }
  async run(sql: string, params: Param[] = []): Promise<number> {
    return this.prep(sql).run(...params).changes;
  }
  async stage(name: string, columns: readonly (readonly [string, 'text' | 'int'])[], rows: Param[][]): Promise<void> {
    if (!this.staged.has(name)) {
      this.conn.exec(`CREATE TEMP TABLE IF NOT EXISTS ${name} (${columns.map(([c, t]) => `${c} ${t === 'int' ? 'INTEGER' : 'TEXT'}`).join(', ')})`);
      this.staged.add(name);
    }
    this.conn.exec(`DELETE FROM ${name}`);
    const ins = this.prep(`INSERT INTO ${name} VALUES (${columns.map(() => '?').join(', ')})`);
    for (const r of rows) ins.run(...r);
  }
  async applyRows(_name: string, columns: readonly unknown[], rows: Param[][], statements: readonly RowStatement[]): Promise<number[]> {
    const n = columns.length;
    const ids: number[] = [];
    for (const st of statements) {
      const { text, picks, many } = compiled(st.perRow);
      const extra = st.params ?? [];
      let args: Param[] = [];
      for (let at = 0; at < rows.length; at += many ? ROW_BATCH : 1) {
        const m = many ? Math.min(ROW_BATCH, rows.length - at) : 1;
        // an UPDATE of the same row twice in one statement would apply once: those go a row at a time
        const one = m === 1 || (many!.key !== null && !distinct(rows, at, m, many!.key, n, extra));
        const use = one ? picks : many!.picks;
        const stmt = this.prep(one ? text : many!.text(m));
        const k = use.length;
        const rowsNow = one ? 1 : m;
        for (let r0 = 0; r0 < m; r0 += rowsNow) {
          if (args.length !== rowsNow * k) args = new Array<Param>(rowsNow * k).fill(null);
          for (let r = 0; r < rowsNow; r++) {
            const row = rows[at + r0 + r]!;
            for (let j = 0; j < k; j++) {
              const i = use[j]!;
              args[r * k + j] = (i < n ? row[i] : extra[i - n]) ?? null;
            }
          }
          const info = stmt.run(args);
          // one statement's rows get consecutive rowids (no triggers insert between them)
          if (st === statements[0]) for (let r = rowsNow - 1; r >= 0; r--) ids.push(Number(info.lastInsertRowid) - r);
        }
      }
    }
    return ids;
  }
}

/** Temp tables that exist on a connection (created by a committed transaction: a rollback drops them). */
const pgTempTables = new WeakMap<pg.PoolClient, Set<string>>();

class PgSql implements Sql {
  readonly dialect = 'pg' as const;
  /** staged in this transaction: to be emptied before staging again (ON COMMIT empties the rest) */
  private staged = new Set<string>();
  /** the temp tables this transaction created, kept for the connection once it commits */
  private mine = new Set<string>();
  constructor(private conn: pg.PoolClient) {}
  /** The transaction committed: its temp tables stay for the connection's next transactions. */
  committed(): void {
    let have = pgTempTables.get(this.conn);
    if (!have) pgTempTables.set(this.conn, (have = new Set()));
    for (const t of this.mine) have.add(t);
  }
  async all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return (await this.conn.query(pgText(sql), params)).rows as T[];
  }
  async run(sql: string, params: Param[] = []): Promise<number> {
    return (await this.conn.query(pgText(sql), params)).rowCount ?? 0;
  }
  async stage(name: string, columns: readonly (readonly [string, 'text' | 'int'])[], rows: Param[][]): Promise<void> {
    // one round trip less per staging on the hot path: no CREATE once the connection has the
    // table, no TRUNCATE unless this transaction staged it already (ON COMMIT DELETE ROWS)
    if (this.staged.has(name)) await this.conn.query(`TRUNCATE ${name}`);
    else if (!pgTempTables.get(this.conn)?.has(name) && !this.mine.has(name)) {
      await this.conn.query(
        `CREATE TEMP TABLE IF NOT EXISTS ${name} (${columns.map(([c, t]) => `${c} ${t === 'int' ? 'bigint' : 'text collate "C"'}`).join(', ')}) ON COMMIT DELETE ROWS`,
      );
      this.mine.add(name);
    }
    this.staged.add(name);
    if (rows.length === 0) return;
    await copyInto(
      this.conn,
      `COPY ${name} FROM STDIN`,
      (async function* () {
        let buf = '';
        for (let i = 0; i < rows.length; i++) {
          buf += copyLine(rows[i]!);
          if (buf.length > 1 << 16) {
            yield buf;
            buf = '';
          }
        }
        if (buf) yield buf;
      })(),
    );
    // the planner needs the staged rows' own statistics, every time: with none it hash-joins the
    // whole target; with an earlier chunk's, their row count scales with the table but their
    // histogram does not, and a merge join costed as "starting near the first ids" walks the
    // target's primary key from its first row up to this chunk's ids — at 4M collections that made
    // the holds statement 0.8 s a chunk (438 s of a 720 s day). ANALYZE of 5,000 staged rows: ~2.5 ms.
    await this.conn.query(`ANALYZE ${name}`);
  }
  async applyRows(name: string, columns: readonly (readonly [string, 'text' | 'int'])[], rows: Param[][], statements: readonly RowStatement[]): Promise<null> {
    if (rows.length === 0) return null;
    await this.stage(name, columns, rows);
    for (const st of statements) await this.run(st.set, st.params ?? []);
    return null;
  }
}

/** Run `fn` in one transaction on a raw connection; rolled back if it throws. */
export async function transaction<T>(db: Db, fn: (sql: Sql) => Promise<T>): Promise<T> {
  if (db.dialect === 'sqlite') {
    return withSqliteConnection(db, async (conn) => {
      conn.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(new SqliteSql(conn));
        conn.exec('COMMIT');
        return out;
      } catch (err) {
        if (conn.inTransaction) conn.exec('ROLLBACK');
        throw err;
      }
    });
  }
  return withPgConnection(db, async (conn) => {
    await conn.query('BEGIN');
    try {
      const sql = new PgSql(conn);
      const out = await fn(sql);
      await conn.query('COMMIT');
      sql.committed();
      return out;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

/** Read-only work on a raw connection without a transaction. */
export async function reading<T>(db: Db, fn: (sql: Sql) => Promise<T>): Promise<T> {
  if (db.dialect === 'sqlite') return withSqliteConnection(db, (conn) => fn(new SqliteSql(conn)));
  return withPgConnection(db, (conn) => fn(new PgSql(conn)));
}
