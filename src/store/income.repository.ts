import type { IncomeRow } from '../domain/income-row.js';
import type { Sql } from './sql.js';

/**
 * An income file's deposits (SPEC 4.2), inside the transaction that applies the file: a deposit
 * already known (same customer, date and amount) is kept once.
 */
export async function recordIncome(sql: Sql, tenantId: string, fileId: number, rows: readonly IncomeRow[]): Promise<void> {
  await sql.stage(
    'kasi_income',
    [['customer_id', 'text'], ['date', 'text'], ['amount', 'int']],
    rows.map((row) => [row.customerId, row.date, row.amountCents]),
  );
  await sql.run(
    `INSERT INTO income_events (tenant_id, customer_id, date, amount, intake_file_id)
     SELECT ?, customer_id, date, amount, ? FROM kasi_income WHERE true ON CONFLICT (tenant_id, customer_id, date, amount) DO NOTHING`,
    [tenantId, fileId],
  );
  // next_check is the strategy's "nothing to do before" for the deposits it knew; a deposit
  // just learnt of may call for a debit sooner (SPEC 4.2: 1–2 business days after it).
  await sql.run(
    `UPDATE collections SET next_check = NULL
     WHERE tenant_id = ? AND status = 'OPEN' AND next_check IS NOT NULL AND customer_id IN (SELECT customer_id FROM kasi_income)`,
    [tenantId],
  );
}
