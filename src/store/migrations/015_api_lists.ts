import type { Knex } from 'knex';

/**
 * The API's lists and Idempotency-Key (issue 14).
 * - `intake_files.source`: where a file came from (`inbox` | `sftp` | `api`; null for files taken
 *   before this migration and bank result files). Migration 016 adds the same column with the same
 *   definition: whichever runs first adds it, the other finds it (hasColumn).
 * - Indexes for the keyset lists: a page is `WHERE tenant_id = ? [AND filter] AND key > ? ORDER BY
 *   key LIMIT n`, read from an index in key order with no sort, however deep the page.
 * - `idempotency_keys`: one row per (tenant, key) for 24 h: the request's fingerprint and, once
 *   answered, the response replayed to a retry.
 */
export async function up(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasColumn('intake_files', 'source'))) {
    await knex.schema.alterTable('intake_files', (t) => {
      t.string('source', 16).nullable();
    });
  }
  await knex.schema.alterTable('intake_files', (t) => {
    t.index(['tenant_id', 'id'], 'intake_files_list_idx');
    t.index(['tenant_id', 'status', 'id'], 'intake_files_list_status_idx');
  });
  await knex.schema.alterTable('collections', (t) => {
    t.index(['tenant_id', 'status', 'id'], 'collections_list_status_idx');
  });
  await knex.schema.alterTable('settlements', (t) => {
    t.index(['tenant_id', 'settlement_number'], 'settlements_list_idx');
  });
  await knex.schema.createTable('idempotency_keys', (t) => {
    t.string('tenant_id', 32).notNullable();
    t.string('idem_key', 255).notNullable();
    t.string('method', 8).notNullable();
    t.string('path', 512).notNullable();
    t.string('fingerprint', 64).notNullable(); // sha256 of method, path and body
    t.string('status', 12).notNullable(); // in_flight | done
    t.string('locked_until', 30).nullable(); // in_flight: a request killed mid-way frees the key after this
    t.integer('response_status').nullable();
    t.text('response_headers').nullable(); // JSON: content-type, location
    t.text('response_body').nullable();
    t.string('created_at', 30).notNullable();
    t.string('expires_at', 30).notNullable();
    t.primary(['tenant_id', 'idem_key']);
    t.index(['expires_at']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
