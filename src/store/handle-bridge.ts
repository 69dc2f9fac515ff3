import type { Sql } from './sql.js';

/**
 * TEMPORARY, for the merge of issue 13's last step only: the `Sql` behind a bound transaction
 * (`tx.bridge.sql()`), for intake's bank-result kind, which calls `applyResults` and
 * `recordCollectionEvents` (collect and webhooks rooms) that still take an `Sql` on this branch.
 * Once those take the `Tx` (branch r13collect), the calls pass `tx` and this module leaves
 * REPOSITORIES and the tree.
 */
export function sql(sql: Sql): Sql {
  return sql;
}
