import type { Knex } from 'knex';

/**
 * Indexes for the daily batch over a million collections (issue 3's benchmark).
 * - attempts (tenant_id, period, collection_id) replaces (tenant_id, period): a keyset chunk reads
 *   the attempts of its own id range instead of walking every attempt of the period (quadratic over
 *   a day that presents a whole book).
 * - the index on attempts.status becomes a partial index of the SUBMITTED attempts (reconcile, the
 *   file gateway's release): it stays as small as the presentments in flight, so storing a result
 *   no longer moves an entry in an index of every attempt ever made.
 * - PostgreSQL: collections keep half of each page free (fillfactor 50), so that the batch's
 *   updates of a collection's plan and counters (no indexed column) are HOT updates on the same
 *   page instead of a new entry in each of the table's indexes: the 1M-row plan update runs about
 *   2.5× faster. Applies to pages written from now on (VACUUM FULL rewrites an existing table).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX attempts_tenant_period_collection_index ON attempts (tenant_id, period, collection_id)');
  await knex.raw('DROP INDEX IF EXISTS attempts_tenant_id_period_index');
  await knex.raw(`CREATE INDEX attempts_submitted_index ON attempts (batch_file) WHERE status = 'SUBMITTED'`);
  await knex.raw('DROP INDEX IF EXISTS attempts_status_index');
  if (knex.client.config.client !== 'better-sqlite3') await knex.raw('ALTER TABLE collections SET (fillfactor = 50)');
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
