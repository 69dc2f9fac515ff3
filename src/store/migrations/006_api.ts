import type { Knex } from 'knex';

/**
 * The HTTP API (issue 8): `POST /v1/collections/execute` answers 202 at once and opens the
 * collections in the background; `executions` records each request and its outcome, so a client
 * can poll it and a restart finishes the ones still `processing` (execute is idempotent).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('executions', (t) => {
    t.string('id', 36).primary();
    t.string('tenant_id', 32).notNullable();
    t.string('period', 7).notNullable();
    t.text('policy_ids').nullable(); // JSON array of policy ids, or null: every active policy
    t.string('status', 12).notNullable(); // processing | completed | failed
    t.integer('policies_queued').notNullable();
    t.integer('collections_opened').nullable();
    t.text('error').nullable();
    t.string('created_at', 30).notNullable();
    t.string('finished_at', 30).nullable();
    t.index(['status']);
    t.index(['tenant_id', 'created_at']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
