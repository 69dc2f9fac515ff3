import { describe, expect, it } from 'vitest';
import { mapHeader, sniffDelimiter, type Delimiter } from '../../src/domain/csv-rules.js';
import { POLICY_OPTIONAL, POLICY_REQUIRED } from '../../src/domain/policy-row.js';
import { CsvParser, type CsvItem } from '../../src/intake/csv-parser.js';

describe('sniffDelimiter', () => {
  const cases: [string, Delimiter][] = [
    ['customer_id,external_customer_ref,policy_number,product_code,collection_amount', ','],
    ['customer_id;external_customer_ref;policy_number;product_code;collection_amount', ';'],
    ['customer_id;external_customer_ref;policy_number;product_code;collection_amount;', ';'], // Excel's trailing ;
    ['"a,b";c;d', ';'], // delimiters inside quotes do not count
    ['"a;b;c";d,e', ','],
    ['a;b,c,d', ','],
    ['a,b;c;d', ';'],
    ['a;b,c', ','], // a tie is the standard dialect
    ['customer_id', ','],
    ['', ','],
  ];
  it.each(cases)('%j → %j', (line, want) => {
    expect(sniffDelimiter(line)).toBe(want);
  });
});

const map = (cells: string[]) => mapHeader(cells, POLICY_REQUIRED, POLICY_OPTIONAL);
const ALL = ['customer_id', 'external_customer_ref', 'policy_number', 'product_code', 'collection_amount', 'status'];

describe('mapHeader', () => {
  it('maps the columns by name in the given order', () => {
    const r = map(ALL);
    expect(r).toEqual({
      ok: true,
      header: {
        index: new Map([
          ['customer_id', 0],
          ['external_customer_ref', 1],
          ['policy_number', 2],
          ['product_code', 3],
          ['collection_amount', 4],
          ['status', 5],
        ]),
        extra: [],
      },
    });
  });

  it('takes any order, any case, surrounding spaces', () => {
    const r = map([' STATUS', 'Collection_Amount ', 'Policy_Number', 'product_code', 'External_Customer_Ref', 'CUSTOMER_ID']);
    expect(r.ok && [...r.header.index.entries()]).toEqual([
      ['status', 0],
      ['collection_amount', 1],
      ['policy_number', 2],
      ['product_code', 3],
      ['external_customer_ref', 4],
      ['customer_id', 5],
    ]);
  });

  it('the optional status column may be absent', () => {
    const r = map(ALL.slice(0, 5));
    expect(r.ok && r.header.index.has('status')).toBe(false);
    expect(r.ok && r.header.index.size).toBe(5);
  });

  it('lists extra columns (as written) to be ignored with a warning', () => {
    const r = map(['Notes', ...ALL, ' Branch ']);
    expect(r.ok && r.header.extra).toEqual(['Notes', 'Branch']);
    expect(r.ok && r.header.index.get('customer_id')).toBe(1);
  });

  it('reports every missing required column', () => {
    const r = map(['customer_id', 'policy_number', 'status']);
    expect(r).toEqual({
      ok: false,
      problems: ['external_customer_ref', 'product_code', 'collection_amount'].map((column) => ({
        code: 'HEADER_MISSING_COLUMN',
        column,
        message: `required column "${column}" is missing from the header; the header must name customer_id, external_customer_ref, policy_number, product_code, collection_amount`,
      })),
    });
  });

  it('refuses a duplicated column, whatever its case', () => {
    const r = map([...ALL, 'Policy_Number']);
    expect(r).toEqual({
      ok: false,
      problems: [{ code: 'HEADER_DUPLICATE_COLUMN', column: 'policy_number', message: 'the header names column "policy_number" more than once; keep one' }],
    });
  });

  it('reports duplicates and missing columns together', () => {
    const r = map(['customer_id', 'customer_id', 'policy_number', 'product_code', 'collection_amount']);
    expect(r.ok ? [] : r.problems.map((p) => `${p.code}:${p.column}`)).toEqual([
      'HEADER_DUPLICATE_COLUMN:customer_id',
      'HEADER_MISSING_COLUMN:external_customer_ref',
    ]);
  });

  it('an empty header row is HEADER_EMPTY', () => {
    expect(map(['', ' ', ''])).toEqual({
      ok: false,
      problems: [{ code: 'HEADER_EMPTY', column: '', message: 'the first line must be a header row naming the columns' }],
    });
  });

  it('a data row taken as a header lists every required column missing', () => {
    const r = map(['C001', 'EXT-001', 'POL-001', 'FUN', '150.00']);
    expect(r.ok ? [] : r.problems.map((p) => p.column)).toEqual([...POLICY_REQUIRED]);
  });
});

/** The streaming parser: records with their first physical line, whatever the chunking. */
function parseChunks(chunks: string[], delimiter: Delimiter = ','): string[] {
  const p = new CsvParser(delimiter);
  const out: CsvItem[] = [];
  chunks.forEach((c, i) => out.push(...p.push(c, i === chunks.length - 1)));
  return out.map((o) => (o.kind === 'record' ? `${o.line}:${o.cells.join('|')}` : `${o.line}:${o.code}`));
}

/** Every way of cutting `text` into two chunks (plus a final empty one). */
function everySplit(text: string): string[][] {
  const out: string[][] = [];
  for (let k = 0; k <= text.length; k++) out.push([text.slice(0, k), text.slice(k), '']);
  return out;
}

describe('CsvParser', () => {
  const cases: [name: string, text: string, want: string[]][] = [
    ['LF', 'a,b\nc,d\n', ['1:a|b', '2:c|d']],
    ['CRLF', 'a,b\r\nc,d\r\n', ['1:a|b', '2:c|d']],
    ['CR only', 'a,b\rc,d', ['1:a|b', '2:c|d']],
    ['no final newline', 'a,b\nc,d', ['1:a|b', '2:c|d']],
    ['empty lines skipped, counted', 'a,b\r\n\r\n\nc,d\r\n', ['1:a|b', '4:c|d']],
    ['trailing delimiter is an empty cell', 'a,b,\n', ['1:a|b|']],
    ['quoted delimiter, doubled quote', '"x,y","say ""hi""",z\n', ['1:x,y|say "hi"|z']],
    ['quoted newline spans lines', '"a\r\nb",c\nd,e\n', ['1:a\r\nb|c', '3:d|e']],
    ['stray quote in a value', 'a,b\nc"d,e\nf,g\n', ['1:a|b', '2:CSV_STRAY_QUOTE', '3:f|g']],
    ['text after a closing quote', 'a,b\n"c"d,e\r\nf,g\r\n', ['1:a|b', '2:CSV_STRAY_QUOTE', '3:f|g']],
    ['unterminated quote at the end', 'a,b\n"c,d\n', ['1:a|b', '2:CSV_UNTERMINATED_QUOTE']],
  ];
  describe.each(cases)('%s', (_name, text, want) => {
    it('in one chunk', () => {
      expect(parseChunks([text, ''])).toEqual(want);
    });
    it('cut anywhere into two chunks', () => {
      for (const chunks of everySplit(text)) expect([chunks, parseChunks(chunks)]).toEqual([chunks, want]);
    });
  });

  it('reads ;-files', () => {
    expect(parseChunks(['a;"b;c";1,50\r\n', ''], ';')).toEqual(['1:a|b;c|1,50']);
  });
});
