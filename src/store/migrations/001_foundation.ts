import type { Knex } from 'knex';

/**
 * Tenants, policies and intake files. Cents are BIGINT; dates are 'YYYY-MM-DD' text and instants
 * ISO-8601 UTC text, identical on SQLite and PostgreSQL.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tenants', (t) => {
    t.string('id', 32).primary();
    t.string('name', 200).notNullable();
    t.string('created_at', 30).notNullable();
  });
  await knex.schema.createTable('intake_files', (t) => {
    t.increments('id').primary();
    t.string('tenant_id', 32).notNullable();
    t.string('kind', 16).notNullable(); // policies | income | results
    t.string('name', 512).notNullable();
    t.string('sha256', 64).notNullable();
    t.bigInteger('size').notNullable();
    t.string('status', 16).notNullable(); // applied | rejected | duplicate
    t.integer('duplicate_of').nullable().references('id').inTable('intake_files');
    t.integer('imported').notNullable().defaultTo(0);
    t.integer('failed').notNullable().defaultTo(0);
    t.integer('warnings').notNullable().defaultTo(0);
    t.string('encoding', 16).nullable();
    t.string('delimiter', 1).nullable();
    t.string('received_at', 30).notNullable();
    t.string('processed_at', 30).notNullable();
    t.string('archive_path', 1024).nullable();
    t.string('finished_at', 30).nullable(); // file moved and result written
    t.index(['tenant_id', 'sha256']);
  });
  // Only an applied file claims its bytes: a rejected file may be corrected in config and re-sent.
  await knex.raw("CREATE UNIQUE INDEX intake_files_applied_sha ON intake_files (tenant_id, sha256) WHERE status = 'applied'");
  await knex.schema.createTable('intake_errors', (t) => {
    t.bigIncrements('id').primary();
    t.integer('intake_file_id').notNullable().references('id').inTable('intake_files').onDelete('CASCADE');
    t.integer('line').notNullable();
    t.string('column', 64).notNullable();
    t.string('code', 48).notNullable();
    t.text('message').notNullable();
    t.string('severity', 8).notNullable().defaultTo('error'); // error | warning
    t.index(['intake_file_id']);
  });
  const sqlite = knex.client.config.client === 'better-sqlite3';
  await knex.schema.createTable('policies', (t) => {
    // On SQLite a plain INTEGER PRIMARY KEY (rowid alias): AUTOINCREMENT would update
    // sqlite_sequence on every insert and cost a third of the import time. Policies are never
    // deleted, so ids are never reused.
    if (sqlite) t.specificType('id', 'integer primary key');
    else t.increments('id').primary();
    // No foreign key to tenants: the import upserts the tenant row in the same transaction, and
    // on PostgreSQL a per-row RI trigger would cost more than the insert itself. Keys collate as
    // "C" there: byte order is all a policy number needs, and it halves the index upkeep.
    if (sqlite) {
      t.string('tenant_id', 32).notNullable();
      t.string('policy_number', 64).notNullable();
    } else {
      t.specificType('tenant_id', 'varchar(32) collate "C"').notNullable();
      t.specificType('policy_number', 'varchar(64) collate "C"').notNullable();
    }
    t.string('customer_id', 64).notNullable();
    t.string('external_customer_ref', 64).notNullable();
    t.string('product_code', 32).notNullable();
    t.bigInteger('collection_amount').notNullable(); // cents
    t.string('status', 16).notNullable(); // active | cancelled
    t.string('cancelled_at', 30).nullable();
    t.string('created_at', 30).notNullable();
    t.string('updated_at', 30).notNullable();
    t.integer('intake_file_id').nullable();
    t.unique(['tenant_id', 'policy_number']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
