import type { Knex } from 'knex';

/**
 * Where an SFTP tenant's file was moved on its server once taken (`processed_dir/<name>`): a file
 * found in the inbound folder again under the name of one that was never moved is the same file,
 * taken again after a restart, not a new upload (sftp-service.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('intake_files', (t) => {
    t.string('remote_moved_to', 512).nullable();
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
