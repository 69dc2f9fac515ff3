import type { Knex } from 'knex';

/**
 * Month close (SPEC 5): adjustments (late results of closed periods), settlements, tax invoices
 * and EFT payment files. Numbers (settlement, invoice, payment reference, file sequence) are
 * allocated inside a transaction under unique constraints, so two runs can never hand out one
 * number twice. What a document shows that comes from configuration (parties, bank account,
 * rates, the EFT XML itself) is stored with it, so a re-render is byte-identical even after the
 * configuration changed.
 */
export async function up(knex: Knex): Promise<void> {
  const sqlite = knex.client.config.client === 'better-sqlite3';
  const pk = (t: Knex.CreateTableBuilder) => (sqlite ? t.specificType('id', 'integer primary key') : t.increments('id').primary());
  // Keys compared and ordered in byte order on both databases (PostgreSQL: collate "C").
  const key = (t: Knex.CreateTableBuilder, name: string, len: number) =>
    sqlite ? t.string(name, len).notNullable() : t.specificType(name, `varchar(${len}) collate "C"`).notNullable();

  await knex.schema.createTable('adjustments', (t) => {
    pk(t);
    key(t, 'tenant_id', 32);
    // the closed period the late result belongs to
    t.string('origin_period', 7).notNullable();
    key(t, 'policy_number', 64);
    t.string('customer_id', 64).notNullable();
    t.string('external_customer_ref', 64).notNullable();
    t.string('product_code', 32).notNullable();
    t.bigInteger('amount').notNullable(); // cents; negative for a reversal
    t.bigInteger('bank_result_id').nullable();
    t.text('reason').notNullable();
    // the settlement period that included it; null until then
    t.string('carried_into_period', 7).nullable();
    t.string('created_at', 30).notNullable();
    t.index(['tenant_id', 'carried_into_period', 'origin_period']);
  });

  await knex.schema.createTable('settlements', (t) => {
    t.string('id', 36).primary(); // a UUID: the id the public API shows
    key(t, 'settlement_number', 32);
    key(t, 'tenant_id', 32);
    t.string('period', 7).notNullable();
    t.integer('seq').notNullable(); // NNN of SETTLE-<period>-<NNN>, across tenants
    t.bigInteger('collected_in_period').notNullable();
    t.bigInteger('adjustments_total').notNullable();
    t.bigInteger('total_collections').notNullable();
    t.bigInteger('distribution_fee').notNullable();
    t.bigInteger('collections_fee').notNullable();
    t.bigInteger('total_fees').notNullable();
    t.bigInteger('vat').notNullable();
    t.bigInteger('net_amount').notNullable();
    // the fee row that applied, as configured text (exact rates)
    t.string('rates_from', 10).notNullable();
    t.string('distribution_rate', 32).notNullable();
    t.string('collections_rate', 32).notNullable();
    t.string('vat_rate', 32).notNullable();
    t.string('status', 10).notNullable(); // pending | paid | disputed
    t.string('payment_date', 10).notNullable();
    t.integer('payment_seq').notNullable();
    t.string('payment_reference', 32).notNullable();
    t.text('parties').notNullable(); // JSON: provider, tenant, payee as on the statement
    t.string('created_at', 30).notNullable();
    t.integer('payment_file_id').nullable();
    t.string('paid_at', 30).nullable();
    t.string('disputed_at', 30).nullable();
    t.text('dispute_reason').nullable();
    t.unique(['settlement_number']);
    t.unique(['tenant_id', 'period']);
    t.unique(['period', 'seq']);
    t.unique(['payment_reference']);
    t.unique(['payment_date', 'payment_seq']);
    t.index(['payment_date', 'status']);
  });

  await knex.schema.createTable('invoices', (t) => {
    pk(t);
    key(t, 'invoice_number', 32);
    t.string('settlement_id', 36).notNullable();
    key(t, 'tenant_id', 32);
    t.string('period', 7).notNullable();
    t.integer('seq').notNullable(); // NNN of INV-<period>-<NNN>, across tenants
    t.string('invoice_date', 10).notNullable();
    t.text('parties').notNullable(); // JSON: supplier, recipient as issued
    t.string('created_at', 30).notNullable();
    t.unique(['invoice_number']);
    t.unique(['settlement_id']);
    t.unique(['period', 'seq']);
  });

  await knex.schema.createTable('payment_files', (t) => {
    pk(t);
    t.string('payment_date', 10).notNullable();
    t.integer('seq').notNullable();
    t.string('name', 64).notNullable();
    t.integer('payments').notNullable();
    t.bigInteger('total').notNullable();
    // the pain.001 document, fixed when planned: a crash before release re-writes these bytes
    t.text('content').notNullable();
    t.string('created_at', 30).notNullable();
    t.string('released_at', 30).nullable(); // file in place, its settlements marked paid
    t.unique(['payment_date', 'seq']);
  });

  // The report and the settlement stream a period's collections in policy-number order; with
  // amount_collected in the index, the settlement's first pass (amounts only) reads no table row.
  await knex.schema.alterTable('collections', (t) => {
    t.index(['tenant_id', 'period', 'policy_number', 'amount_collected'], 'collections_period_policy');
  });
  // Flagged collections (DECEASED) are few: found without reading the period.
  await knex.raw('CREATE INDEX collections_flagged ON collections (tenant_id, period, policy_number) WHERE flag IS NOT NULL');
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
