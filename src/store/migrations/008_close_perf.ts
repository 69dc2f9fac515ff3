import type { Knex } from 'knex';

/**
 * The month close of a million collections (issue 4's benchmark): the close gives CANCELLED to
 * the open collections of policies cancelled before the period ended and a status by amounts to
 * all others. This partial index holds only the cancelled policies, so finding them reads a few
 * entries instead of every policy of the tenant (and a join over the whole period is not needed).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX policies_cancelled ON policies (tenant_id, cancelled_at) WHERE status = 'cancelled'`);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
