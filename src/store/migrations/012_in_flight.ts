import type { Knex } from 'knex';

/**
 * Presentments in flight, recorded per batch chunk instead of per attempt (issue 3's benchmark on
 * PostgreSQL). The partial index of SUBMITTED attempts made every result update of an attempt a
 * non-HOT update there (its predicate reads `status`, which the result changes): a new row version
 * on another page and a new entry in each index of attempts. Now:
 * - `attempts_in_flight`: one row per chunk whose attempts were stored SUBMITTED (tenant, period,
 *   the chunk's collection-id range, action date, batch file), written in the same transaction as
 *   the attempts and removed in the one that records their results (simulator) or marks their
 *   debit file presented (file gateway). A restart finds what it must reconcile through it.
 * - the debit file's attempts are found by an index of `batch_file` over the attempts that have one
 *   (a column no result changes).
 * - PostgreSQL keeps half of each attempts page free (fillfactor 50; pages written from now on), so
 *   a result's new row version stays on its page: with no indexed column changed it is a HOT update
 *   with no index entry at all. A million-presentment day: 35.3 s → 29.7 s. The cost: the attempts
 *   table takes about twice the disk space on PostgreSQL.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('attempts_in_flight', (t) => {
    t.increments('id').primary();
    t.string('tenant_id', 32).notNullable();
    t.string('period', 7).notNullable();
    t.bigInteger('from_collection_id').notNullable();
    t.bigInteger('to_collection_id').notNullable();
    t.string('action_date', 10).notNullable();
    t.string('batch_file', 64).nullable();
    t.string('created_at', 30).notNullable();
  });
  // attempts a stopped kasi left SUBMITTED (the restart reconciles them): in flight from now on
  await knex.raw(
    `INSERT INTO attempts_in_flight (tenant_id, period, from_collection_id, to_collection_id, action_date, batch_file, created_at)
     SELECT tenant_id, period, MIN(collection_id), MAX(collection_id), action_date, batch_file, MIN(created_at)
     FROM attempts WHERE status = 'SUBMITTED' GROUP BY tenant_id, period, action_date, batch_file`,
  );
  await knex.raw('DROP INDEX IF EXISTS attempts_submitted_index');
  await knex.raw('CREATE INDEX attempts_batch_file_index ON attempts (batch_file) WHERE batch_file IS NOT NULL');
  if (knex.client.config.client !== 'better-sqlite3') await knex.raw('ALTER TABLE attempts SET (fillfactor = 50)');
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
