import { amountTable, keyValues, note, parties, percent, rand, renderPdf, section, title } from './pdf-document.js';
import { invoiceTotals, type TaxInvoice } from './invoice.renderer.js';

/** The tax invoice as an A4 PDF; byte-identical for the same invoice (see pdf-document.ts). */
export function invoicePdf(inv: TaxInvoice): Promise<Buffer> {
  const s = inv.statement;
  const t = invoiceTotals(inv);
  return renderPdf(
    {
      title: `Tax invoice ${inv.invoiceNumber}`,
      author: inv.supplier.name,
      subject: `Fees for ${s.periodMonth}, settlement ${s.settlementNumber}`,
      createdAt: inv.createdAt,
    },
    (doc) => {
      title(doc, 'TAX INVOICE', inv.supplier.name);
      keyValues(doc, [
        ['Invoice number', inv.invoiceNumber],
        ['Invoice date', inv.invoiceDate],
        ['Period', s.periodMonth],
        ['Settlement', s.settlementNumber],
      ]);
      parties(doc, ['Supplier', inv.supplier], ['Recipient', inv.recipient]);
      section(doc, 'Services');
      amountTable(doc, ['Description', 'Rate', 'Amount (ZAR)'], [
        ...t.lines.map((l) => ({
          label: `${l.description} (on ${rand(l.base)})`,
          rate: percent(l.code === 'distribution_fee' ? s.rates.distributionRate : s.rates.collectionsRate),
          amount: rand(l.amount),
        })),
        { label: 'Subtotal (excluding VAT)', amount: rand(t.subtotal), total: true },
        { label: 'VAT', rate: percent(s.rates.vatRate), amount: rand(t.vat) },
        { label: 'Total (including VAT)', amount: rand(t.total), total: true },
      ]);
      section(doc, 'Payment');
      keyValues(doc, [
        ['Settled by', `deduction from settlement ${s.settlementNumber}`],
        ['Net paid to recipient', rand(s.amounts.netAmount)],
        ['Payment date', s.paymentDate],
        ['Payment reference', s.paymentReference],
      ]);
      note(doc, 'The fees on this invoice are deducted from the settlement payout; no separate payment is due. All amounts in South African rand (ZAR).');
    },
  );
}
