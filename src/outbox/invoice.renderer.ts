import { formatCents, type Cents } from '../domain/money.js';
import type { IsoDate } from '../domain/dates.js';
import type { Party } from './pdf-document.js';
import type { SettlementStatement } from './settlement.renderer.js';

/**
 * The tax invoice for a settlement's fees (SPEC 5, day 2). The provider supplies the services
 * (distribution and collection) and the insurer receives them; the fees and VAT are exactly the
 * statement's, so the invoice, the statement and the settlement CSV always agree.
 * It carries what a South African full tax invoice needs: the words "Tax Invoice", supplier and
 * recipient names, addresses and VAT numbers, a serial number, the date of issue, a description
 * of the services, the value, the VAT charged and the total.
 */
export type { Party } from './pdf-document.js';

export interface TaxInvoice {
  invoiceNumber: string;
  invoiceDate: IsoDate;
  /** the provider */
  supplier: Party;
  /** the insurer (tenant) */
  recipient: Party;
  statement: SettlementStatement;
  /** When the invoice was issued; fixes the PDF's CreationDate so re-runs are byte-identical. */
  createdAt: Date;
}

export interface InvoiceLine {
  code: 'distribution_fee' | 'collections_fee';
  description: string;
  rate: string;
  base: Cents;
  amount: Cents;
}

export interface InvoiceTotals {
  lines: InvoiceLine[];
  subtotal: Cents;
  vat: Cents;
  total: Cents;
}

export function invoiceFileName(invoiceNumber: string, ext: 'json' | 'pdf'): string {
  return `invoice-${invoiceNumber}.${ext}`;
}

/** The invoice's lines and totals, taken from the statement (never recomputed differently). */
export function invoiceTotals(inv: TaxInvoice): InvoiceTotals {
  const s = inv.statement;
  const a = s.amounts;
  const period = s.periodMonth;
  return {
    lines: [
      {
        code: 'distribution_fee',
        description: `Distribution fee on collections for ${period}`,
        rate: s.rates.distributionRate.text,
        base: a.totalCollections,
        amount: a.distributionFee,
      },
      {
        code: 'collections_fee',
        description: `Collections fee on collections for ${period}`,
        rate: s.rates.collectionsRate.text,
        base: a.totalCollections,
        amount: a.collectionsFee,
      },
    ],
    subtotal: a.totalFees,
    vat: a.vat,
    total: a.totalFees + a.vat,
  };
}

function partyJson(p: Party): Record<string, string | null> {
  return { name: p.name, vat_number: p.vatNumber, address: p.address ?? null };
}

export function invoiceJson(inv: TaxInvoice): string {
  const s = inv.statement;
  const t = invoiceTotals(inv);
  const doc = {
    document: 'TAX INVOICE',
    invoice_number: inv.invoiceNumber,
    invoice_date: inv.invoiceDate,
    currency: 'ZAR',
    supplier: partyJson(inv.supplier),
    recipient: partyJson(inv.recipient),
    settlement_reference: s.settlementNumber,
    period_month: s.periodMonth,
    lines: t.lines.map((l) => ({
      code: l.code,
      description: l.description,
      rate: l.rate,
      base: formatCents(l.base),
      amount: formatCents(l.amount),
    })),
    subtotal: formatCents(t.subtotal),
    vat_rate: s.rates.vatRate.text,
    vat: formatCents(t.vat),
    total: formatCents(t.total),
    // The fees are not paid separately: they are deducted from the settlement payout.
    settlement_net_amount: formatCents(s.amounts.netAmount),
    payment_date: s.paymentDate,
    payment_reference: s.paymentReference,
    created_at: inv.createdAt.toISOString(),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
