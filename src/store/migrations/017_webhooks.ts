import type { Knex } from 'knex';

/**
 * Webhooks (issue 16): an outbox of events and one delivery row per (event, receiver URL).
 *
 * `webhook_events` is written in the same transaction as what caused the event (or, for intake,
 * in the idempotent step redone after a crash) under a unique `dedupe_key`, so an occurrence is
 * recorded once however often its step runs. `body` holds the exact JSON sent: every retry sends
 * the same bytes and the same event id.
 *
 * `webhook_deliveries.lane` is `<url>` + ` ` + `<tenant or "-">`: deliveries of one lane go out in
 * id order, one at a time (a tenant's next event waits for the one before). A sender claims a row
 * with a lease (`claimed_by`, `lease_until`, wall-clock ISO) so one replica sends each event.
 */
export async function up(knex: Knex): Promise<void> {
  const sqlite = knex.client.config.client === 'better-sqlite3';
  const pk = (t: Knex.CreateTableBuilder) => (sqlite ? t.specificType('id', 'integer primary key') : t.increments('id').primary());
  const key = (t: Knex.CreateTableBuilder, name: string, len: number) =>
    sqlite ? t.string(name, len).notNullable() : t.specificType(name, `varchar(${len}) collate "C"`).notNullable();

  await knex.schema.createTable('webhook_events', (t) => {
    pk(t);
    t.string('event_id', 40).notNullable().unique(); // evt_<uuid>: what the receiver sees
    key(t, 'dedupe_key', 200);
    t.string('tenant_id', 32).nullable(); // null: an operator event (schedule.step_failed, the bank folder)
    t.string('type', 40).notNullable();
    t.text('body').notNullable();
    t.string('created_at', 30).notNullable();
    t.unique(['dedupe_key']);
    t.index(['tenant_id', 'id']);
  });
  await knex.schema.createTable('webhook_deliveries', (t) => {
    pk(t);
    t.integer('event_row').notNullable().references('id').inTable('webhook_events');
    key(t, 'url', 1024);
    key(t, 'lane', 1100);
    t.string('status', 10).notNullable(); // pending | delivered | failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('next_attempt_at', 30).notNullable();
    t.string('first_attempt_at', 30).nullable();
    t.string('last_attempt_at', 30).nullable();
    t.integer('last_status').nullable(); // the receiver's last HTTP status (null: no answer)
    t.text('last_error').nullable();
    t.string('claimed_by', 128).nullable();
    t.string('lease_until', 30).nullable();
    t.string('delivered_at', 30).nullable();
    t.unique(['event_row', 'url']);
    t.index(['status', 'lane', 'id']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
