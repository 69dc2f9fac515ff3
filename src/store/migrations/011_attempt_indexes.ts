import type { Knex } from 'knex';

/**
 * Fewer indexes on attempts and, on SQLite, on bank_results and collections (issue 3's benchmark,
 * the day every collection is presented). Each presentment inserts an attempt and its result
 * updates it; on PostgreSQL that update changes the status, which the partial index of SUBMITTED
 * attempts depends on, so it is never a HOT update and writes a new entry into every index of the
 * table. Two of them were redundant:
 * - (tenant_id, period, collection_id): a batch chunk's attempts are found by the range of its
 *   collection ids in the unique (collection_id, presentment) index, then filtered by tenant and
 *   period; `kasi status` counts a period's attempts through its collections.
 * - (action_date, created_at): the batch step counts the attempts it created by id (those after the
 *   largest id before it ran), in the primary key.
 * On a million presentments: PostgreSQL's result update 14.4 s → 7.4 s, its insert 6.6 s → 4.2 s.
 * SQLite's results ledger loses its index of instruction ids (0.9 s of a million inserts): the one
 * lookup by it, a late result's adjustment, takes the id the insert returned (apply-results.ts);
 * PostgreSQL returns no ids from its set-based insert and keeps the index. And SQLite's close index
 * drops amount_collected, as PostgreSQL's did in 010: every paid result moved its entry (1.3 s of
 * the million-presentment day), while the close of a million collections takes as long without it
 * (9.4 s either way: it reads the rows for the report anyway).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS attempts_tenant_period_collection_index');
  await knex.raw('DROP INDEX IF EXISTS attempts_action_date_created_index');
  if (knex.client.config.client === 'better-sqlite3') {
    await knex.raw('DROP INDEX IF EXISTS bank_results_instruction_id_index');
    await knex.raw('DROP INDEX IF EXISTS collections_period_policy');
    await knex.raw('CREATE INDEX collections_period_policy ON collections (tenant_id, period, policy_number)');
  }
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
