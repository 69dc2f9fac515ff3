import type { Knex } from 'knex';

/**
 * Scheduled steps (SPEC 6): one row per (step, occurrence), so each occurrence runs once across
 * restarts and replicas. A replica claims an occurrence by inserting its row (`ON CONFLICT DO
 * NOTHING`: the unique key decides), then holds a lease (`owner`, `lease_until`, wall-clock ISO
 * instants) that it renews while running; a dead owner's lease expires and another replica takes
 * the occurrence over. `occurrence` is the SAST wall-clock key `YYYY-MM-DDTHH:MM:SS+02:00`, which
 * sorts in time order as text.
 */
export async function up(knex: Knex): Promise<void> {
  const sqlite = knex.client.config.client === 'better-sqlite3';
  const pk = (t: Knex.CreateTableBuilder) => (sqlite ? t.specificType('id', 'integer primary key') : t.increments('id').primary());
  const key = (t: Knex.CreateTableBuilder, name: string, len: number) =>
    sqlite ? t.string(name, len).notNullable() : t.specificType(name, `varchar(${len}) collate "C"`).notNullable();

  await knex.schema.createTable('schedule_runs', (t) => {
    pk(t);
    key(t, 'step', 32);
    key(t, 'occurrence', 32);
    t.string('status', 10).notNullable(); // running | done | skipped | failed
    t.integer('attempts').notNullable().defaultTo(1);
    t.string('started_at', 30).notNullable(); // the scheduler's clock (simulated under KASI_SPEED)
    t.string('finished_at', 30).nullable();
    t.string('owner', 128).notNullable();
    // wall clock: when a running lease expires, or when a failed occurrence may be retried
    t.string('lease_until', 30).notNullable();
    t.text('detail').nullable(); // JSON: the step's outcome or error
    t.unique(['step', 'occurrence']);
    t.index(['status']);
  });
  // The batch step counts the presentments it made by result and reason (metrics) among the
  // attempts of its action date; without this index that count scans a whole period.
  await knex.schema.alterTable('attempts', (t) => {
    t.index(['action_date', 'created_at'], 'attempts_action_date_created_index');
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
