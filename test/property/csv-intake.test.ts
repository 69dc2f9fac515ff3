import fc from 'fast-check';
import iconv from 'iconv-lite';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PolicyRow } from '../../src/domain/policy-row.js';
import { CsvParser, MAX_RECORD_CHARS, type CsvItem } from '../../src/intake/csv-parser.js';
import { scanFile } from '../../src/intake/file-scan.js';
import { openPolicyFile } from '../../src/intake/policy-file.reader.js';
import type { RowError } from '../../src/domain/row-error.js';
import { importFile } from '../../src/usecases/intake/import-file.js';
import { dropInInbox, makeEnv } from '../helpers/env.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * SPEC 3.2: any sequence of valid policy rows, written in any supported dialect — `,` with decimal
 * points or `;` with decimal commas; UTF-8 with or without BOM, or Windows-1252; CRLF or LF; every
 * value quoted or only those that must be; columns in any order and case, status present or not,
 * an extra column, blank lines, amounts with `R`, spaces or no-break spaces — reads back as exactly
 * the same policies: first through the parser and row rules, then through the real import into
 * SQLite (fewer runs).
 *
 * Windows-1252 text is drawn from ASCII and the accented letters (0xC0–0xFF). The symbols in
 * 0x80–0xBF (€ ’ “ …) are left out: right after a capital accented letter they form valid UTF-8
 * pairs (É€ is C9 80), which intake takes as a file mixing two encodings (FILE_MIXED_ENCODING).
 */
const CEILING = 10_000_000;
const ASCII = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
const LATIN = [...'àáâãäåæçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝß'];
const WIDE = [...'€’“”–—ŠŽœΩλ中文😀ğşŁ№'];

type Encoding = 'utf-8' | 'utf-8-bom' | 'windows-1252';
type Expected = Omit<PolicyRow, 'status' | 'hold'>;

const textArb = (pool: string[], max: number) =>
  fc
    .array(fc.constantFrom(...pool), { minLength: 1, maxLength: max })
    .map((cs) => cs.join(''))
    .filter((s) => s.trim() === s && s !== '');

const rowsArb = (pool: string[]) =>
  fc.uniqueArray(
    fc.record({
      customerId: textArb(pool, 64),
      externalCustomerRef: textArb(pool, 64),
      policyNumber: textArb(pool, 64),
      productCode: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
      amountCents: fc.oneof(fc.integer({ min: 1, max: CEILING }), fc.constantFrom(1, 100, 99_999, CEILING)),
      status: fc.constantFrom('active', '', 'Active', ' ACTIVE '),
    }),
    { minLength: 1, maxLength: 25, selector: (r) => r.policyNumber },
  );

const dialectArb = fc.record({
  delimiter: fc.constantFrom(',' as const, ';' as const),
  eol: fc.constantFrom('\n', '\r\n'),
  quoteAll: fc.boolean(),
  amountStyle: fc.constantFrom('plain', 'R', 'R-nospace', 'grouped-space', 'grouped-nbsp', 'short'),
  withStatus: fc.boolean(),
  extraColumn: fc.boolean(),
  order: fc.array(fc.integer(), { minLength: 7, maxLength: 7 }),
  upperHeader: fc.boolean(),
  blankLines: fc.boolean(),
  finalEol: fc.boolean(),
});
type Dialect = typeof dialectArb extends fc.Arbitrary<infer D> ? D : never;
interface WrittenRow {
  customerId: string;
  externalCustomerRef: string;
  policyNumber: string;
  productCode: string;
  amountCents: number;
  status: string;
}

const caseArb = fc.constantFrom<Encoding>('utf-8', 'utf-8-bom', 'windows-1252').chain((encoding) =>
  fc.record({ encoding: fc.constant(encoding), rows: rowsArb(encoding === 'windows-1252' ? [...ASCII, ...LATIN] : [...ASCII, ...LATIN, ...WIDE]), dialect: dialectArb }),
);

function amountText(cents: number, style: string, decimal: '.' | ','): string {
  const whole = String(Math.floor(cents / 100));
  const frac = String(cents % 100).padStart(2, '0');
  const group = (sep: string) => whole.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  switch (style) {
    case 'R':
      return `R ${whole}${decimal}${frac}`;
    case 'R-nospace':
      return `R${whole}${decimal}${frac}`;
    case 'grouped-space':
      return `${group(' ')}${decimal}${frac}`;
    case 'grouped-nbsp':
      return `R\u00a0${group('\u00a0')}${decimal}${frac}`;
    case 'short': // 150 for 150.00, 150.5 for 150.50
      return frac === '00' ? whole : `${whole}${decimal}${frac.replace(/0$/, '')}`;
    default:
      return `${whole}${decimal}${frac}`;
  }
}

/** The file's bytes as an insurer's software would write them. */
function writeFile(encoding: Encoding, rows: WrittenRow[], d: Dialect): Buffer {
  const columns = ['customer_id', 'external_customer_ref', 'policy_number', 'product_code', 'collection_amount', ...(d.withStatus ? ['status'] : []), ...(d.extraColumn ? ['notes'] : [])];
  // a permutation of the columns from the drawn keys
  const order = columns.map((c, i) => ({ c, k: d.order[i]! })).sort((a, b) => a.k - b.k || columns.indexOf(a.c) - columns.indexOf(b.c)).map((x) => x.c);
  const decimal = d.delimiter === ';' ? ',' : '.';
  const cell = (v: string) => (d.quoteAll || v.includes(d.delimiter) || /["\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const lines = [order.map((c) => cell(d.upperHeader ? c.toUpperCase() : c)).join(d.delimiter)];
  rows.forEach((r, i) => {
    const values: Record<string, string> = {
      customer_id: r.customerId,
      external_customer_ref: r.externalCustomerRef,
      policy_number: r.policyNumber,
      product_code: r.productCode,
      collection_amount: amountText(r.amountCents, d.amountStyle, decimal),
      status: r.status,
      notes: `note ${i}`,
    };
    if (d.blankLines && i % 3 === 1) lines.push(i % 2 ? '' : '   ');
    lines.push(order.map((c) => cell(values[c]!)).join(d.delimiter));
  });
  const text = lines.join(d.eol) + (d.finalEol ? d.eol : '');
  if (encoding === 'windows-1252') return iconv.encode(text, 'win1252');
  const utf8 = Buffer.from(text, 'utf8');
  return encoding === 'utf-8-bom' ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]) : utf8;
}

const expectedOf = (rows: Omit<WrittenRow, 'status'>[]): Expected[] =>
  rows
    .map(({ customerId, externalCustomerRef, policyNumber, productCode, amountCents }) => ({ customerId, externalCustomerRef, policyNumber, productCode, amountCents }))
    .sort((a, b) => (a.policyNumber < b.policyNumber ? -1 : a.policyNumber > b.policyNumber ? 1 : 0));

const work = mkdtempSync(join(tmpdir(), 'kasi-prop-csv-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Parser and row rules only: the rows and problems intake would apply and report. */
async function readPolicies(bytes: Buffer): Promise<{ rows: PolicyRow[]; problems: RowError[] }> {
  const path = join(work, 'policies-prop.csv');
  writeFileSync(path, bytes);
  const opened = await openPolicyFile(path, await scanFile(path), { ceilingCents: CEILING });
  if (!opened.ok) return { rows: [], problems: opened.errors };
  const rows: PolicyRow[] = [];
  const problems: RowError[] = opened.warnings.filter((w) => w.code !== 'EXTRA_COLUMN_IGNORED');
  for await (const batch of opened.items) {
    for (const item of batch) {
      if (item.kind === 'row') rows.push(item.row);
      else problems.push(item);
    }
  }
  return { rows, problems };
}

describe('CSV intake round trip', () => {
  it('parser + row rules: any valid rows in any supported dialect read back as the same policies', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ encoding, rows, dialect }) => {
        const got = await readPolicies(writeFile(encoding, rows, dialect));
        expect(got.problems).toEqual([]);
        expect(got.rows.every((r) => r.status === 'active')).toBe(true);
        expect(expectedOf(got.rows)).toEqual(expectedOf(rows));
      }),
      { seed: 3103, numRuns: 300 },
    );
  }, 60_000);

  it('through the real import into SQLite: the policies table holds exactly the rows written', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ encoding, rows, dialect }) => {
        const env = await makeEnv('sqlite');
        try {
          const path = dropInInbox(env, 'policies-prop.csv', writeFile(encoding, rows, dialect));
          const out = await importFile(env.ports, { tenantId: 'acme', path, mode: 'move' });
          expect(out).toMatchObject({ status: 'applied', imported: rows.length, failed: 0 });
          const stored = (await knexOf(dbOf(env.ports.store))('policies')
            .where({ tenant_id: 'acme' })
            .select('customer_id', 'external_customer_ref', 'policy_number', 'product_code', 'collection_amount', 'status')) as Record<string, string | number>[];
          expect(stored.every((s) => s.status === 'active')).toBe(true);
          const asRows = stored.map((s) => ({
            customerId: s.customer_id as string,
            externalCustomerRef: s.external_customer_ref as string,
            policyNumber: s.policy_number as string,
            productCode: s.product_code as string,
            amountCents: Number(s.collection_amount),
          }));
          expect(expectedOf(asRows)).toEqual(expectedOf(rows));
        } finally {
          await env.cleanup();
        }
      }),
      { seed: 3104, numRuns: 12 },
    );
  }, 60_000);
});

describe('CSV parser and read chunks', () => {
  const parse = (chunks: string[]): CsvItem[] => {
    const p = new CsvParser(',');
    return chunks.flatMap((c, i) => p.push(c, i === chunks.length - 1));
  };
  /** Lines of a file: good records, quoted values over lines, CR/LF/CRLF, and lines over the record limit. */
  const lineArb = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('a,b,c', '"x,y",2,3', '"two\nlines",5,6', '', 'p,"q""r",s') },
    { weight: 1, arbitrary: fc.constantFrom('run-on', 'quote-never-closed').map((k) => (k === 'run-on' ? `z,${'x'.repeat(MAX_RECORD_CHARS + 17)},z` : `"${'q'.repeat(MAX_RECORD_CHARS + 5)}`)) },
  );

  it('any split of the text into chunks gives the same records and errors, on the same lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(lineArb, fc.constantFrom('\n', '\r\n', '\r')), { minLength: 1, maxLength: 8 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (lines, cuts) => {
          const text = lines.map(([l, eol]) => l + eol).join('');
          const at = [...new Set(cuts.map((f) => Math.floor(f * text.length)))].sort((a, b) => a - b);
          const chunks = [0, ...at].map((from, i) => text.slice(from, i < at.length ? at[i] : undefined));
          expect(parse(chunks)).toEqual(parse([text]));
        },
      ),
      { seed: 1105, numRuns: 150 },
    );
  }, 60_000);
});
