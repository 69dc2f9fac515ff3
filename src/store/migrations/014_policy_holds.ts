import type { Knex } from 'knex';

/**
 * Policy holds (issue 12): a debit that came back with a hard code meaning the bank will not (or
 * must not) be asked again on the current mandate — no authority, account closed, deceased, … —
 * holds the policy. A held policy is not opened in later periods and never presented until the
 * insurer lifts the hold (policy CSV `hold: release`, the API or the CLI). A policy is held while
 * one of its rows has `released_on` NULL; released rows stay as the history. Shared contract with
 * the webhooks (policy.held / policy.released) and the console, which read this table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('policy_holds', (t) => {
    t.increments('id').primary();
    t.string('tenant_id', 32).notNullable();
    t.string('policy_number', 64).notNullable();
    t.string('reason_code', 2).notNullable();
    t.string('held_on', 10).notNullable();
    t.integer('collection_id').nullable();
    t.string('released_on', 10).nullable();
    t.string('released_by', 128).nullable();
    t.text('release_note').nullable();
    t.string('created_at', 30).notNullable();
    t.index(['tenant_id', 'policy_number'], 'policy_holds_policy_index');
  });
  // at most one open hold per policy: a second hard failure while held adds nothing
  await knex.raw('CREATE UNIQUE INDEX policy_holds_open_index ON policy_holds (tenant_id, policy_number) WHERE released_on IS NULL');
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
