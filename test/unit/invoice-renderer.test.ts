import { describe, expect, it } from 'vitest';
import { invoiceFileName, invoiceJson, invoiceTotals, type TaxInvoice } from '../../src/outbox/invoice.renderer.js';
import { computeSettlement } from '../../src/domain/fees.js';
import { expectGolden } from '../fixtures/golden/golden.js';
import { INVOICE, RATES, STATEMENT } from '../fixtures/golden/small-month.js';

describe('tax invoice JSON', () => {
  it('matches the golden file', () => {
    expectGolden('invoice-INV-2025-11-001.json', invoiceJson(INVOICE));
  });

  it('uses the statement amounts: the worked example invoices 12 112.50 + 1 816.88 = 13 929.38', () => {
    const inv: TaxInvoice = { ...INVOICE, statement: { ...STATEMENT, adjustments: [], amounts: computeSettlement(4_250_000, RATES) } };
    const t = invoiceTotals(inv);
    expect(t.lines.map((l) => [l.code, l.amount])).toEqual([
      ['distribution_fee', 1_062_500],
      ['collections_fee', 148_750],
    ]);
    expect([t.subtotal, t.vat, t.total]).toEqual([1_211_250, 181_688, 1_392_938]);
    const doc = JSON.parse(invoiceJson(inv)) as Record<string, unknown>;
    expect(doc).toMatchObject({
      document: 'TAX INVOICE',
      subtotal: '12112.50',
      vat_rate: '0.15',
      vat: '1816.88',
      total: '13929.38',
      settlement_reference: 'SETTLE-2025-11-001',
      supplier: { name: 'Example Collections (Pty) Ltd', vat_number: '4000000000' },
      recipient: { name: 'Acme Funeral Insurance Ltd', vat_number: '4100000000' },
    });
  });

  it('a recipient not registered for VAT has a null VAT number', () => {
    const doc = JSON.parse(invoiceJson({ ...INVOICE, recipient: { name: 'Small Insurer', vatNumber: null } })) as { recipient: unknown };
    expect(doc.recipient).toEqual({ name: 'Small Insurer', vat_number: null, address: null });
  });

  it('names the files as SPEC 5 says', () => {
    expect(invoiceFileName('INV-2025-11-001', 'pdf')).toBe('invoice-INV-2025-11-001.pdf');
  });
});
