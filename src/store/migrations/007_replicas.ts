import type { Knex } from 'knex';

/**
 * Several daemons on one PostgreSQL (SPEC 6): what they claim in the store besides scheduled
 * occurrences (migration 005).
 *
 * - `intake_claims`: the one replica taking a file's bytes for a tenant right now. A replica inserts
 *   (tenant_id, sha256) before it applies, moves or archives the file (`ON CONFLICT DO NOTHING`: the
 *   key decides), renews `lease_until` while it works and deletes the row when the file is finished.
 *   A dead holder's lease expires and another replica takes the file over (the ledger says what is
 *   left to do).
 * - `batch_chunks`: a batch run's keyset chunks of one tenant's collections (`from_id` exclusive,
 *   `to_id` inclusive), claimed one at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL) by the
 *   replica running the batch and by the others that join it; a dead claimant's chunk is taken
 *   over when its lease expires, its stored but unconfirmed presentments presented first.
 *   `run_key` is the batch occurrence (schedule_runs.occurrence). Counts are the chunk's outcome.
 *
 * Lease times are wall-clock ISO instants, compared as text.
 */
export async function up(knex: Knex): Promise<void> {
  const sqlite = knex.client.config.client === 'better-sqlite3';
  const key = (t: Knex.CreateTableBuilder, name: string, len: number) =>
    sqlite ? t.string(name, len).notNullable() : t.specificType(name, `varchar(${len}) collate "C"`).notNullable();

  await knex.schema.createTable('intake_claims', (t) => {
    key(t, 'tenant_id', 64);
    key(t, 'sha256', 64);
    t.string('name', 255).notNullable();
    t.string('owner', 128).notNullable();
    t.string('claimed_at', 30).notNullable();
    t.string('lease_until', 30).notNullable();
    t.primary(['tenant_id', 'sha256']);
  });

  await knex.schema.createTable('batch_chunks', (t) => {
    key(t, 'run_key', 64);
    key(t, 'tenant_id', 64);
    t.integer('seq').notNullable();
    t.string('period', 7).notNullable();
    t.string('batch_date', 10).notNullable();
    t.bigInteger('from_id').notNullable();
    t.bigInteger('to_id').notNullable();
    t.string('status', 10).notNullable(); // open | running | done
    t.string('owner', 128).nullable();
    t.string('lease_until', 30).nullable();
    t.integer('takeovers').notNullable().defaultTo(0);
    t.integer('planned').notNullable().defaultTo(0);
    t.integer('presented').notNullable().defaultTo(0);
    t.bigInteger('presented_cents').notNullable().defaultTo(0);
    t.integer('paid').notNullable().defaultTo(0);
    t.integer('unpaid').notNullable().defaultTo(0);
    t.bigInteger('collected_cents').notNullable().defaultTo(0);
    t.primary(['run_key', 'tenant_id', 'seq']);
    t.index(['status', 'lease_until']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
