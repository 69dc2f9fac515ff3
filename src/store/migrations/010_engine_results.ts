import type { Knex } from 'knex';

/**
 * The daily batch's results on PostgreSQL (issue 3's benchmark, the day every collection is
 * presented): a paid result changes the collection's `amount_collected`. While that column is in
 * the close's index (tenant_id, period, policy_number, amount_collected), each such update cannot
 * stay on its page (no HOT update) and writes a new entry into every index of collections. The
 * index keeps its name and order without the amount: the close reads the amounts from the rows it
 * visits in policy-number order instead. SQLite keeps the covering index (its updates do not
 * rewrite the other indexes, and the close of a million collections reads no table row for them).
 */
export async function up(knex: Knex): Promise<void> {
  if (knex.client.config.client === 'better-sqlite3') return;
  await knex.raw('DROP INDEX IF EXISTS collections_period_policy');
  await knex.raw('CREATE INDEX collections_period_policy ON collections (tenant_id, period, policy_number)');
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
