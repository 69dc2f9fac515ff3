import type { Sql } from './sql.js';
import { lockNumbering } from './settlement.repository.js';
import type { IsoDate, Period } from '../domain/dates.js';

/**
 * Tax invoices (SPEC 5, day 2): one per settlement. The number `INV-<YYYY-MM>-<NNN>` is a serial
 * per settlement period across tenants (the settlement numbers' scheme), allocated in the
 * caller's transaction under unique (period, seq), so numbers are never reused or skipped.
 */
export interface InvoiceRecord {
  id: number;
  invoice_number: string;
  settlement_id: string;
  tenant_id: string;
  period: Period;
  seq: number;
  invoice_date: IsoDate;
  parties: string;
  created_at: string;
}

export function invoiceNumber(period: Period, seq: number): string {
  return `INV-${period}-${String(seq).padStart(3, '0')}`;
}

export async function findInvoiceForSettlement(sql: Sql, settlementId: string): Promise<InvoiceRecord | undefined> {
  const [row] = await sql.all<InvoiceRecord>('SELECT * FROM invoices WHERE settlement_id = ?', [settlementId]);
  return row ? { ...row, id: Number(row.id), seq: Number(row.seq) } : undefined;
}

/** Insert the settlement's invoice unless one exists; returns the invoice either way. */
export async function createInvoice(
  sql: Sql,
  inv: { settlementId: string; tenantId: string; period: Period; invoiceDate: IsoDate; parties: string; createdAt: string },
): Promise<{ invoice: InvoiceRecord; created: boolean }> {
  await lockNumbering(sql, 'invoices');
  const existing = await findInvoiceForSettlement(sql, inv.settlementId);
  if (existing) return { invoice: existing, created: false };
  const [row] = await sql.all<{ n: number | string }>('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM invoices WHERE period = ?', [inv.period]);
  const seq = Number(row!.n);
  await sql.run(
    `INSERT INTO invoices (invoice_number, settlement_id, tenant_id, period, seq, invoice_date, parties, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [invoiceNumber(inv.period, seq), inv.settlementId, inv.tenantId, inv.period, seq, inv.invoiceDate, inv.parties, inv.createdAt],
  );
  return { invoice: (await findInvoiceForSettlement(sql, inv.settlementId))!, created: true };
}
