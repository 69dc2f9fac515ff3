import { withPgConnection, type Db } from './db.js';

/**
 * A session advisory lock on PostgreSQL (issue 13: moved here from the SFTP service): held on one
 * connection while `fn` runs and released with the connection if the process dies. Another
 * holder of (`lockClass`, `key`) makes this resolve to undefined without running `fn`. On SQLite
 * (a single daemon is assumed) `fn` just runs.
 */
export async function withSessionLock<T>(db: Db, lockClass: number, key: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (db.dialect !== 'pg') return fn();
  return withPgConnection(db, async (conn) => {
    const got = await conn.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [lockClass, key]);
    if (!got.rows[0]?.ok) return undefined;
    try {
      return await fn();
    } finally {
      await conn.query('SELECT pg_advisory_unlock($1, hashtext($2))', [lockClass, key]);
    }
  });
}
