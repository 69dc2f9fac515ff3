import type { Knex } from 'knex';

/**
 * SFTP deliveries (SPEC 7): which outbox files still have to reach a tenant's outbound folder.
 * One row per (tenant, local file), so a file is queued once however often a close step reports
 * it; a failed upload keeps its row (status failed, last_error) and is tried again on the next
 * poll until delivered. `local_path` is relative to the runtime root, so moving the root (a new
 * container mount) does not orphan the queue.
 */
export async function up(knex: Knex): Promise<void> {
  const sqlite = knex.client.config.client === 'better-sqlite3';
  const pk = (t: Knex.CreateTableBuilder) => (sqlite ? t.specificType('id', 'integer primary key') : t.increments('id').primary());
  // Keys compared in byte order on both databases (PostgreSQL: collate "C"), like 002/003.
  const key = (t: Knex.CreateTableBuilder, name: string, len: number) =>
    sqlite ? t.string(name, len).notNullable() : t.specificType(name, `varchar(${len}) collate "C"`).notNullable();

  await knex.schema.createTable('deliveries', (t) => {
    pk(t);
    key(t, 'tenant_id', 32);
    key(t, 'local_path', 1024);
    t.string('remote_name', 255).notNullable(); // a plain file name in the tenant's outbound_dir
    t.string('status', 10).notNullable(); // pending | delivered | failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error').nullable();
    t.string('created_at', 30).notNullable();
    t.string('delivered_at', 30).nullable();
    t.unique(['tenant_id', 'local_path']);
    t.index(['tenant_id', 'status']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
