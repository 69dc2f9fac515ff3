import type { Knex } from 'knex';

/**
 * The operator console (issue 15):
 * - console_sessions: one row per signed-in browser; the cookie carries a random token, the row
 *   only its SHA-256 (a copied database opens no session). `csrf` is the per-session form token.
 * - console_login_failures: wrong passwords in a row per user name, for the lock-out.
 * - console_audit: every console action (who, what, when, on what, from where), append-only.
 * - console_summaries: the overview's figures precomputed per tenant, period and day, refreshed by
 *   the daemon every `console.summary_refresh_seconds`, so the overview of a 1M-collection period
 *   reads a few hundred rows instead of the period.
 * - sftp_contacts: per SFTP tenant, the last exchange and the last error (operations page).
 * - intake_files.source (inbox | sftp | api): the shared contract with 015, guarded by hasColumn.
 */
export async function up(knex: Knex): Promise<void> {
  const sqlite = knex.client.config.client === 'better-sqlite3';
  const key = (t: Knex.CreateTableBuilder, name: string, len: number) =>
    sqlite ? t.string(name, len).notNullable() : t.specificType(name, `varchar(${len}) collate "C"`).notNullable();

  await knex.schema.createTable('console_sessions', (t) => {
    t.string('token_sha256', 64).primary();
    t.string('user_name', 64).notNullable();
    t.string('csrf', 64).notNullable();
    t.string('created_at', 30).notNullable();
    t.string('last_seen_at', 30).notNullable();
    t.string('expires_at', 30).notNullable();
    t.index(['user_name']);
  });
  await knex.schema.createTable('console_login_failures', (t) => {
    t.string('user_name', 64).primary();
    t.integer('failures').notNullable();
    t.string('last_failure_at', 30).notNullable();
    t.string('locked_until', 30).nullable();
  });
  await knex.schema.createTable('console_audit', (t) => {
    t.bigIncrements('id').primary();
    t.string('at', 30).notNullable();
    t.string('user_name', 64).notNullable();
    t.string('role', 16).nullable();
    t.string('action', 48).notNullable(); // login, login_failed, locked_out, logout, view, download, dispute, csrf_refused
    t.string('tenant_id', 32).nullable();
    t.string('target', 512).nullable();
    t.string('outcome', 16).notNullable(); // ok | refused | failed
    t.text('detail').nullable();
    t.string('remote', 64).nullable();
    t.index(['at']);
  });
  await knex.schema.createTable('console_summaries', (t) => {
    key(t, 'tenant_id', 32);
    t.string('period', 7).notNullable();
    t.string('day', 10).notNullable(); // YYYY-MM-DD, or '-' for figures of the whole period
    t.string('kind', 24).notNullable(); // collected | presented | status | progress | due | failures | claims | next_check
    t.string('key', 128).notNullable().defaultTo(''); // held: '<reason> <policy_number>'
    t.bigInteger('value').notNullable();
    t.string('refreshed_at', 30).notNullable();
    t.primary(['tenant_id', 'period', 'day', 'kind', 'key']);
  });
  await knex.schema.createTable('sftp_contacts', (t) => {
    key(t, 'tenant_id', 32);
    t.string('last_contact_at', 30).nullable(); // the last exchange that reached the server
    t.string('last_error_at', 30).nullable();
    t.text('last_error').nullable();
    t.integer('files_taken').notNullable().defaultTo(0);
    t.primary(['tenant_id']);
  });
  if (!(await knex.schema.hasColumn('intake_files', 'source'))) {
    await knex.schema.alterTable('intake_files', (t) => {
      t.string('source', 16).nullable(); // inbox | sftp | api
    });
  }
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
