import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statementPdf, type StatementPdfInput } from '../../src/outbox/statement-pdf.renderer.js';
import { invoicePdf } from '../../src/outbox/invoice-pdf.renderer.js';
import { percent, rand } from '../../src/outbox/pdf-document.js';
import { parseRate } from '../../src/domain/money.js';
import { INVOICE, PROVIDER, STATEMENT, TENANT, TENANT_ACCOUNT } from '../fixtures/golden/small-month.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kasi-pdf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The PDF's text as poppler extracts it, layout kept so a label and its value share a line. */
function pdfText(pdf: Buffer, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, pdf);
  return execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
}
function pdfInfo(pdf: Buffer, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, pdf);
  return execFileSync('pdfinfo', ['-isodates', path], { encoding: 'utf8' });
}
/** The first line starting with `start`, runs of spaces collapsed. */
const lineOf = (text: string, start: string): string =>
  text
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .find((l) => l.startsWith(start)) ?? '';

const INPUT: StatementPdfInput = { statement: STATEMENT, provider: PROVIDER, tenant: TENANT, payee: TENANT_ACCOUNT };

describe('statement PDF', () => {
  it('shows parties, VAT numbers, period, the fee table, totals, payment date and reference', async () => {
    const text = pdfText(await statementPdf(INPUT), 'statement.pdf');
    expect(text).toContain('SETTLEMENT STATEMENT');
    expect(lineOf(text, 'Settlement number')).toBe('Settlement number SETTLE-2025-11-001');
    expect(lineOf(text, 'Period')).toBe('Period 2025-11');
    expect(lineOf(text, 'Example Collections (Pty) Ltd')).toBe('Example Collections (Pty) Ltd Acme Funeral Insurance Ltd');
    expect(lineOf(text, 'VAT number')).toBe('VAT number: 4000000000 VAT number: 4100000000');
    expect(lineOf(text, 'Collected in 2025-11')).toBe('Collected in 2025-11 R 1 594.56');
    expect(lineOf(text, 'Adjustments from earlier periods (2)')).toBe('Adjustments from earlier periods (2) R 62.50');
    expect(lineOf(text, 'Total collections')).toBe('Total collections R 1 657.06');
    expect(lineOf(text, 'Distribution fee')).toBe('Distribution fee 25% -R 414.27');
    expect(lineOf(text, 'Collections fee')).toBe('Collections fee 3.5% -R 58.00');
    expect(lineOf(text, 'Total fees')).toBe('Total fees -R 472.27');
    expect(lineOf(text, 'VAT on fees')).toBe('VAT on fees 15% -R 70.84');
    expect(lineOf(text, 'Net amount payable')).toBe('Net amount payable R 1 113.95');
    expect(lineOf(text, 'Payment date')).toBe('Payment date 2025-12-03');
    expect(lineOf(text, 'Payment reference')).toBe('Payment reference EFT-20251203-001');
    expect(lineOf(text, 'Paid to')).toBe('Paid to Acme Funeral Insurance, Absa, branch 632005, current account ******0000');
    expect(lineOf(text, 'P-0998')).toBe('P-0998 2025-09 -R 12.50');
  });

  it('dates the statement in Johannesburg time', async () => {
    const late = { ...STATEMENT, createdAt: new Date('2025-11-30T22:30:00Z') }; // 00:30 SAST on the 1st
    const text = pdfText(await statementPdf({ ...INPUT, statement: late }), 'sast.pdf');
    expect(lineOf(text, 'Statement date')).toBe('Statement date 2025-12-01');
  });

  it('says so when there is no valid account to pay', async () => {
    const text = pdfText(await statementPdf({ ...INPUT, payee: { ...TENANT_ACCOUNT, branch_code: '12' } }), 'no-account.pdf');
    expect(lineOf(text, 'Paid to')).toBe('Paid to no valid bank account on file: payment withheld until corrected');
  });

  it('without adjustments shows no adjustment lines', async () => {
    const text = pdfText(await statementPdf({ ...INPUT, statement: { ...STATEMENT, adjustments: [] } }), 'plain.pdf');
    expect(text).not.toContain('Adjustments');
    expect(text).not.toContain('Collected in');
  });

  it('lists many adjustments over pages, the rest pointed to the CSV', async () => {
    const many = Array.from({ length: 45 }, (_, i) => ({ period: '2025-10', policyNumber: `L-${i}`, amountCents: 100 }));
    const pdf = await statementPdf({ ...INPUT, statement: { ...STATEMENT, adjustments: many } });
    const text = pdfText(pdf, 'many.pdf');
    expect(lineOf(text, 'L-39')).toBe('L-39 2025-10 R 1.00');
    expect(text).not.toContain('L-40');
    expect(text).toContain('and 5 more adjustments, listed in the settlement CSV');
    expect(pdfInfo(pdf, 'many.pdf')).toMatch(/^Pages:\s+2$/m);
  });

  it('is byte-identical on a re-run and carries created_at as its CreationDate', async () => {
    const a = await statementPdf(INPUT);
    const b = await statementPdf(INPUT);
    expect(a.equals(b)).toBe(true);
    expect(pdfInfo(a, 'info.pdf')).toMatch(/^CreationDate:\s+2025-12-01T00:00:00Z$/m);
    const later = await statementPdf({ ...INPUT, statement: { ...STATEMENT, createdAt: new Date('2025-12-01T00:00:01Z') } });
    expect(later.equals(a)).toBe(false);
  });
});

describe('invoice PDF', () => {
  it('is a tax invoice with both parties, VAT numbers, the fees, VAT and total', async () => {
    const text = pdfText(await invoicePdf(INVOICE), 'invoice.pdf');
    expect(text).toContain('TAX INVOICE');
    expect(lineOf(text, 'Invoice number')).toBe('Invoice number INV-2025-11-001');
    expect(lineOf(text, 'Invoice date')).toBe('Invoice date 2025-12-02');
    expect(lineOf(text, 'SUPPLIER')).toBe('SUPPLIER RECIPIENT');
    expect(lineOf(text, 'VAT number')).toBe('VAT number: 4000000000 VAT number: 4100000000');
    expect(lineOf(text, '1 Example Street')).toBe('1 Example Street, Johannesburg, 2001 5 Main Road, Durban, 4001');
    expect(lineOf(text, 'Distribution fee')).toBe('Distribution fee on collections for 2025-11 (on R 1 657.06) 25% R 414.27');
    expect(lineOf(text, 'Collections fee')).toBe('Collections fee on collections for 2025-11 (on R 1 657.06) 3.5% R 58.00');
    expect(lineOf(text, 'Subtotal')).toBe('Subtotal (excluding VAT) R 472.27');
    expect(lineOf(text, 'VAT 15%')).toBe('VAT 15% R 70.84');
    expect(lineOf(text, 'Total (including VAT)')).toBe('Total (including VAT) R 543.11');
    expect(lineOf(text, 'Payment date')).toBe('Payment date 2025-12-03');
    expect(lineOf(text, 'Payment reference')).toBe('Payment reference EFT-20251203-001');
    expect(lineOf(text, 'Settlement ')).toBe('Settlement SETTLE-2025-11-001');
  });

  it('a recipient with no VAT number configured: "not supplied"; one that says it is not registered: so', async () => {
    const text = pdfText(await invoicePdf({ ...INVOICE, recipient: { name: 'Small Insurer', vatNumber: null } }), 'novat.pdf');
    expect(lineOf(text, 'Example Collections (Pty) Ltd')).toBe('Example Collections (Pty) Ltd Small Insurer');
    expect(text).toMatch(/ VAT number: not supplied\n/);
    const unregistered = pdfText(await invoicePdf({ ...INVOICE, recipient: { name: 'Small Insurer', vatNumber: null, vatRegistered: false } }), 'unregistered.pdf');
    expect(unregistered).toMatch(/ VAT number: not registered for VAT\n/);
  });

  it('is byte-identical on a re-run', async () => {
    expect((await invoicePdf(INVOICE)).equals(await invoicePdf(INVOICE))).toBe(true);
  });
});

describe('amount and rate text', () => {
  it.each([
    [0, 'R 0.00'],
    [5, 'R 0.05'],
    [99_999, 'R 999.99'],
    [100_000, 'R 1 000.00'],
    [4_250_000, 'R 42 500.00'],
    [123_456_789_012, 'R 1 234 567 890.12'],
    [-1_250, '-R 12.50'],
  ])('rand(%i) = %s', (cents, text) => expect(rand(cents)).toBe(text));

  it.each([
    ['0.25', '25%'],
    ['0.035', '3.5%'],
    ['0.15', '15%'],
    ['0.150', '15%'],
    ['0.005', '0.5%'],
    ['0.1', '10%'],
    ['1', '100%'],
    ['0', '0%'],
    ['0.0', '0%'],
    ['0.12345', '12.345%'],
  ])('percent(%s) = %s', (rate, text) => expect(percent(parseRate(rate))).toBe(text));
});
