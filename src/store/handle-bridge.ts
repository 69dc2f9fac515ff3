import type { Db } from './db.js';
import type { Sql } from './sql.js';

/**
 * TEMPORARY, for the merge of issue 13's last step only: the handle behind a bound store
 * (`store.bridge.db()`) or transaction (`tx.bridge.sql()`), for the few calls from intake into
 * use-case helpers of other rooms that still take a `Db` or an `Sql` on this branch
 * (`applyResults`, `recordCollectionEvents`, `recordIntakeEvent`). Once those take the `Tx` or the
 * `Store`, the calls pass `tx` / `ports.store` and this module leaves REPOSITORIES and the tree.
 */
export function db(db: Db): Db {
  return db;
}

export function sql(sql: Sql): Sql {
  return sql;
}
