import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invoicePdf } from '../../src/outbox/invoice-pdf.renderer.js';
import { statementPdf } from '../../src/outbox/statement-pdf.renderer.js';
import type { Party } from '../../src/outbox/pdf-document.js';
import { INVOICE, PROVIDER, STATEMENT, TENANT_ACCOUNT } from '../fixtures/golden/small-month.js';

/**
 * Names outside Windows-1252 survive into the PDFs exactly (issue 14): Tshivenda (ḓ ḽ ṅ ṱ ṋ),
 * Sepedi/Setswana (š), Afrikaans (ê ô), Polish (Ł ś). pdftotext reads the text back through the
 * embedded font's ToUnicode map, so a dropped or substituted letter shows as a difference.
 */
const RECIPIENT: Party = {
  name: 'Tshiṱuhu Nemaḓivhani ḽa Maṅwe ṋ Mošate Ltd',
  vatNumber: '4100000000',
  address: 'Attention: Łukasz Wiśniewski\n12 Kêrel Rôssouwstraat, Thohoyandou 0950',
};
const PAYEE = { ...TENANT_ACCOUNT, holder: 'Tshiṱuhu Nemaḓivhani ḽa Maṅwe' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kasi-pdf-unicode-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pdfText(pdf: Buffer, name: string, ...args: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, pdf);
  return execFileSync('pdftotext', [...args, path, '-'], { encoding: 'utf8' });
}
/** The lines from the first that starts with `from` up to the next that is exactly `to`, trailing spaces dropped. */
function between(text: string, from: string, to: string): string[] {
  const lines = text.split('\n').map((l) => l.trimEnd());
  const start = lines.findIndex((l) => l.startsWith(from));
  return lines.slice(start, lines.findIndex((l, i) => i > start && l.trim() === to));
}

describe('PDFs carry every name exactly', () => {
  it('the tax invoice: recipient name and address as configured', async () => {
    const text = pdfText(await invoicePdf({ ...INVOICE, recipient: RECIPIENT }), 'invoice.pdf');
    expect(between(text, 'SUPPLIER', 'Services')).toEqual([
      'SUPPLIER',
      '',
      'RECIPIENT',
      '',
      'Example Collections (Pty) Ltd',
      '1 Example Street, Johannesburg, 2001',
      'VAT number: 4000000000',
      '',
      'Tshiṱuhu Nemaḓivhani ḽa Maṅwe ṋ Mošate Ltd',
      'Attention: Łukasz Wiśniewski',
      '12 Kêrel Rôssouwstraat, Thohoyandou 0950',
      'VAT number: 4100000000',
      '',
    ]);
  });

  it('the settlement statement: the insurer and the payee', async () => {
    const pdf = await statementPdf({ statement: STATEMENT, provider: PROVIDER, tenant: RECIPIENT, payee: PAYEE });
    const layout = pdfText(pdf, 'statement.pdf', '-layout');
    expect(between(layout, 'FROM (COLLECTIONS PROVIDER)', 'Settlement').map((l) => l.split(/ {2,}/))).toEqual([
      ['FROM (COLLECTIONS PROVIDER)', 'TO (INSURER)'],
      ['Example Collections (Pty) Ltd', 'Tshiṱuhu Nemaḓivhani ḽa Maṅwe ṋ Mošate Ltd'],
      ['1 Example Street, Johannesburg, 2001', 'Attention: Łukasz Wiśniewski'],
      ['VAT number: 4000000000', '12 Kêrel Rôssouwstraat, Thohoyandou 0950'],
      ['', 'VAT number: 4100000000'],
      [''],
    ]);
    expect(between(layout, 'Paid to', 'Adjustments from earlier periods').map((l) => l.trim())).toEqual([
      'Paid to                            Tshiṱuhu Nemaḓivhani ḽa Maṅwe, Absa, branch 632005, current account',
      '******0000',
      '',
    ]);
  });

  it('embeds the one font, subset, with a Unicode map', async () => {
    const path = join(dir, 'fonts.pdf');
    writeFileSync(path, await invoicePdf({ ...INVOICE, recipient: RECIPIENT }));
    const rows = execFileSync('pdffonts', [path], { encoding: 'utf8' }).split('\n').slice(2).filter(Boolean);
    expect(rows.map((r) => r.split(/\s+/).filter((c, i) => i === 0 || c === 'yes' || c === 'no').map((c, i) => (i === 0 ? c.replace(/^[A-Z]{6}\+/, '') : c)))).toEqual([
      ['DejaVuSansCondensed-Bold', 'yes', 'yes', 'yes'],
      ['DejaVuSansCondensed', 'yes', 'yes', 'yes'],
    ]);
  });
});
