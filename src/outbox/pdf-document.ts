import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import type { Cents, Rate } from '../domain/money.js';
import { formatCents } from '../domain/money.js';

/**
 * Shared layout for kasi's A4 documents (statement, tax invoice), drawn in DejaVu Sans Condensed,
 * embedded (subset) in every PDF. pdfkit's built-in Helvetica only covers Windows-1252: it drops
 * or garbles `ḓ`, `ṱ` (Tshivenda), `Ł`, `ś` (Polish) and a tax invoice must carry the recipient's
 * legal name exactly. DejaVu covers the Latin script of all eleven official languages and more;
 * its TTFs come from the npm package dejavu-fonts-ttf (Bitstream Vera licence with public-domain
 * DejaVu changes: free to embed and redistribute; see node_modules/dejavu-fonts-ttf/LICENSE).
 * The text stays extractable for search and pdftotext (the font carries a ToUnicode map).
 *
 * Deterministic bytes: pdfkit derives the trailer /ID from the info dictionary, so fixing
 * CreationDate (the document's own created_at), Producer and Creator makes a re-run of the same
 * document byte-identical. Nothing else in the output depends on the clock or randomness
 * (randomness is only used for encryption, which we never enable).
 */
export interface Party {
  name: string;
  vatNumber: string | null;
  address?: string | null;
  /** false: the party says it is not registered for VAT; otherwise a missing number is "not supplied" */
  vatRegistered?: boolean;
}

const FONT_DIR = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
/** Read once per process: the two faces every document uses. */
let fonts: { regular: Buffer; bold: Buffer } | null = null;
function fontFiles(): { regular: Buffer; bold: Buffer } {
  fonts ??= { regular: readFileSync(join(FONT_DIR, 'DejaVuSansCondensed.ttf')), bold: readFileSync(join(FONT_DIR, 'DejaVuSansCondensed-Bold.ttf')) };
  return fonts;
}
/** The registered names of the faces (pdfkit's registerFont). */
const REGULAR = 'kasi-regular';
const BOLD = 'kasi-bold';

export type Doc = PDFKit.PDFDocument;

export const PAGE = { width: 595.28, height: 841.89, margin: 50 } as const;
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const BOTTOM = PAGE.height - PAGE.margin;

export interface PdfMeta {
  title: string;
  author: string;
  subject: string;
  createdAt: Date;
}

/** Draw with `draw`, return the finished PDF bytes. */
export function renderPdf(meta: PdfMeta, draw: (doc: Doc) => void): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    compress: true,
    info: {
      Title: meta.title,
      Author: meta.author,
      Subject: meta.subject,
      Creator: 'kasi',
      Producer: 'kasi',
      CreationDate: meta.createdAt,
    },
  });
  return new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    doc.on('data', (b: Buffer) => parts.push(b));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
    try {
      const f = fontFiles();
      doc.registerFont(REGULAR, f.regular);
      doc.registerFont(BOLD, f.bold);
      doc.font(REGULAR);
      draw(doc);
      doc.end();
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** "R 42 500.00", "-R 12.50": spaces group thousands, as in SPEC 5.2's worked example. */
export function rand(cents: Cents): string {
  const s = formatCents(Math.abs(cents));
  const [whole, frac] = s.split('.') as [string, string];
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${cents < 0 ? '-' : ''}R ${grouped}.${frac}`;
}

/** An exact rate as a percentage: "0.035" → "3.5%", "0.15" → "15%". */
export function percent(rate: Rate): string {
  const digits = rate.den.toString().length - 1; // den is 10^digits
  const shift = digits - 2;
  const n = rate.num.toString();
  if (shift <= 0) return `${n}${'0'.repeat(-shift)}%`.replace(/^0+(?=\d)/, '');
  const padded = n.padStart(shift + 1, '0');
  const int = padded.slice(0, padded.length - shift).replace(/^0+(?=\d)/, '');
  const frac = padded.slice(padded.length - shift).replace(/0+$/, '');
  return frac === '' ? `${int}%` : `${int}.${frac}%`;
}

/** Start a new page when fewer than `needed` points remain. */
export function ensureRoom(doc: Doc, needed: number): void {
  if (doc.y + needed > BOTTOM) doc.addPage();
}

export function title(doc: Doc, text: string, right: string): void {
  const y = doc.y;
  doc.font(BOLD).fontSize(18).text(text, PAGE.margin, y, { width: CONTENT_WIDTH / 2 });
  doc.font(REGULAR).fontSize(10).text(right, PAGE.margin + CONTENT_WIDTH / 2, y + 4, { width: CONTENT_WIDTH / 2, align: 'right' });
  doc.x = PAGE.margin;
  doc.y = Math.max(doc.y, y + 28);
  doc.moveDown(0.5);
}

/** Label/value pairs, one per line. */
export function keyValues(doc: Doc, pairs: readonly (readonly [string, string])[], labelWidth = 130): void {
  for (const [label, value] of pairs) {
    ensureRoom(doc, 14);
    const y = doc.y;
    doc.font(BOLD).fontSize(10).text(label, PAGE.margin, y, { width: labelWidth });
    doc.font(REGULAR).fontSize(10).text(value, PAGE.margin + labelWidth, y, { width: CONTENT_WIDTH - labelWidth });
    doc.x = PAGE.margin;
  }
  doc.moveDown(0.8);
}

/** A missing VAT number is "not supplied" unless the party said it is not registered. */
export function vatLine(p: Party): string {
  return `VAT number: ${p.vatNumber ?? (p.vatRegistered === false ? 'not registered for VAT' : 'not supplied')}`;
}

function partyLines(p: Party): string[] {
  const address = (p.address ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return [p.name, ...address, vatLine(p)];
}

/** Two parties side by side, each under its heading. */
export function parties(doc: Doc, left: readonly [string, Party], right: readonly [string, Party]): void {
  ensureRoom(doc, 80);
  const y = doc.y;
  const w = CONTENT_WIDTH / 2 - 10;
  let bottom = y;
  for (const [i, [heading, party]] of [left, right].entries()) {
    const x = PAGE.margin + i * (CONTENT_WIDTH / 2 + 10);
    doc.font(BOLD).fontSize(9).fillColor('#555555').text(heading.toUpperCase(), x, y, { width: w });
    doc.fillColor('#000000').font(REGULAR).fontSize(10);
    for (const line of partyLines(party)) doc.text(line, x, doc.y, { width: w });
    bottom = Math.max(bottom, doc.y);
  }
  doc.x = PAGE.margin;
  doc.y = bottom;
  doc.moveDown(1);
}

export interface TableRow {
  label: string;
  rate?: string;
  amount: string;
  /** bold with a rule above: totals */
  total?: boolean;
}

/** A three-column table: description, rate, amount (right-aligned). */
export function amountTable(doc: Doc, heading: readonly [string, string, string], rows: readonly TableRow[]): void {
  const cols = { label: PAGE.margin, rate: PAGE.margin + 300, amount: PAGE.margin + 370 };
  const widths = { label: 290, rate: 60, amount: CONTENT_WIDTH - 370 };
  const line = (r: TableRow, font: typeof REGULAR | typeof BOLD): void => {
    ensureRoom(doc, 18);
    const y = doc.y;
    if (r.total) doc.moveTo(PAGE.margin, y - 2).lineTo(PAGE.margin + CONTENT_WIDTH, y - 2).lineWidth(0.5).stroke();
    doc.font(font).fontSize(10);
    doc.text(r.label, cols.label, y, { width: widths.label, lineBreak: false });
    if (r.rate) doc.text(r.rate, cols.rate, y, { width: widths.rate, align: 'right', lineBreak: false });
    doc.text(r.amount, cols.amount, y, { width: widths.amount, align: 'right', lineBreak: false });
    doc.x = PAGE.margin;
    doc.y = y + 16;
  };
  line({ label: heading[0], rate: heading[1], amount: heading[2] }, BOLD);
  for (const r of rows) line(r, r.total ? BOLD : REGULAR);
  doc.moveDown(1);
}

export function section(doc: Doc, heading: string): void {
  ensureRoom(doc, 40);
  doc.x = PAGE.margin;
  doc.font(BOLD).fontSize(12).text(heading, PAGE.margin, doc.y, { width: CONTENT_WIDTH });
  doc.moveDown(0.3);
}

export function note(doc: Doc, text: string): void {
  ensureRoom(doc, 30);
  doc.font(REGULAR).fontSize(8).fillColor('#555555').text(text, PAGE.margin, doc.y, { width: CONTENT_WIDTH });
  doc.fillColor('#000000');
  doc.moveDown(0.5);
}
