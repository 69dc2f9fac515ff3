import type { Knex } from 'knex';

/**
 * The engine's tables: executed periods, collections (one per policy and period, amount due
 * frozen at execute), attempts (each presentment, SUBMITTED before the gateway sees it), income
 * events, debit batch files and bank results.
 */
export async function up(knex: Knex): Promise<void> {
  const sqlite = knex.client.config.client === 'better-sqlite3';
  const pk = (t: Knex.CreateTableBuilder) => (sqlite ? t.specificType('id', 'integer primary key') : t.increments('id').primary());
  const key = (t: Knex.CreateTableBuilder, name: string, len: number) =>
    sqlite ? t.string(name, len).notNullable() : t.specificType(name, `varchar(${len}) collate "C"`).notNullable();

  await knex.schema.createTable('periods', (t) => {
    t.string('tenant_id', 32).notNullable();
    t.string('period', 7).notNullable();
    t.string('executed_at', 30).notNullable();
    t.string('closed_at', 30).nullable();
    t.primary(['tenant_id', 'period']);
  });
  await knex.schema.createTable('collections', (t) => {
    pk(t);
    key(t, 'tenant_id', 32);
    t.string('period', 7).notNullable();
    t.integer('policy_id').notNullable();
    key(t, 'policy_number', 64);
    key(t, 'customer_id', 64);
    t.string('external_customer_ref', 64).notNullable();
    t.string('product_code', 32).notNullable();
    t.bigInteger('amount_due').notNullable();
    t.bigInteger('amount_collected').notNullable().defaultTo(0);
    // OPEN while the period runs; at close PAID_FULL | PAID_PARTIAL | UNPAID | CANCELLED
    t.string('status', 16).notNullable();
    // why the engine stopped for this period (hard failure, limits), null while it may go on
    t.string('halted_reason', 48).nullable();
    t.integer('presentments').notNullable().defaultTo(0);
    t.integer('pending').notNullable().defaultTo(0);
    t.string('first_attempt_date', 10).nullable();
    t.string('last_attempt_date', 10).nullable();
    t.string('last_failure_reason', 48).nullable();
    t.string('flag', 16).nullable(); // DECEASED: likely claim, reported to the insurer
    // the next day the strategy could act (a hint that lets the batch skip rows; null = ask)
    t.string('next_check', 10).nullable();
    t.string('created_at', 30).notNullable();
    t.string('updated_at', 30).notNullable();
    t.unique(['tenant_id', 'period', 'policy_id']);
    // the batch walks a period in id order (keyset chunks): this index lets each chunk start
    // where the last one ended instead of filtering the whole period again
    t.index(['tenant_id', 'period', 'id']);
    t.index(['tenant_id', 'customer_id']);
  });
  await knex.schema.createTable('attempts', (t) => {
    pk(t);
    key(t, 'instruction_id', 64);
    t.integer('collection_id').notNullable();
    t.string('tenant_id', 32).notNullable();
    t.string('period', 7).notNullable();
    t.integer('presentment').notNullable();
    t.string('action_date', 10).notNullable();
    t.bigInteger('amount_requested').notNullable();
    t.bigInteger('amount_collected').nullable();
    // SUBMITTED (stored, not yet handed over) → PRESENTED → PAID | UNPAID
    t.string('status', 12).notNullable();
    t.string('reason_code', 8).nullable();
    t.string('reason', 48).nullable();
    t.string('processed_date', 10).nullable();
    t.string('batch_file', 64).nullable();
    t.string('created_at', 30).notNullable();
    t.string('presented_at', 30).nullable();
    t.string('resulted_at', 30).nullable();
    t.unique(['instruction_id']);
    t.unique(['collection_id', 'presentment']);
    t.index(['status']);
    t.index(['tenant_id', 'period']);
  });
  await knex.schema.createTable('income_events', (t) => {
    t.bigIncrements('id').primary();
    key(t, 'tenant_id', 32);
    key(t, 'customer_id', 64);
    t.string('date', 10).notNullable();
    t.bigInteger('amount').notNullable();
    t.integer('intake_file_id').notNullable();
    // the same deposit listed by two overlapping feeds counts once
    t.unique(['tenant_id', 'customer_id', 'date', 'amount']);
  });
  await knex.schema.createTable('debit_files', (t) => {
    pk(t);
    t.string('batch_date', 10).notNullable();
    t.integer('seq').notNullable();
    t.string('name', 64).notNullable();
    t.integer('instructions').notNullable();
    t.string('created_at', 30).notNullable();
    t.string('written_at', 30).nullable();
    t.unique(['batch_date', 'seq']);
  });
  await knex.schema.createTable('bank_results', (t) => {
    t.bigIncrements('id').primary();
    t.string('instruction_id', 64).notNullable();
    t.string('result', 8).notNullable();
    t.bigInteger('amount_collected').notNullable();
    t.string('reason_code', 8).nullable();
    t.string('processed_date', 10).notNullable();
    t.integer('intake_file_id').nullable();
    // applied | late (period already closed: carried as an adjustment) | unknown | repeated
    t.string('outcome', 12).notNullable();
    t.string('received_at', 30).notNullable();
    t.index(['instruction_id']);
  });
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
