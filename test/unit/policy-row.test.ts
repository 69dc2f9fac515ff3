import { describe, expect, it } from 'vitest';
import { mapHeader, type CellError, type HeaderMap } from '../../src/domain/csv-rules.js';
import { POLICY_OPTIONAL, POLICY_REQUIRED, readPolicyRow, type PolicyRow } from '../../src/domain/policy-row.js';

/** SPEC 3.2, row by row: every column rule, with exact codes. */
const COLUMNS = ['customer_id', 'external_customer_ref', 'policy_number', 'product_code', 'collection_amount', 'status'];

function header(cols = COLUMNS): HeaderMap {
  const m = mapHeader(cols, POLICY_REQUIRED, POLICY_OPTIONAL);
  if (!m.ok) throw new Error('bad test header');
  return m.header;
}

type Cells = Partial<Record<(typeof COLUMNS)[number], string>>;
const GOOD: Cells = {
  customer_id: 'C001',
  external_customer_ref: 'EXT-001',
  policy_number: 'POL-001',
  product_code: 'FUNERAL_BASIC',
  collection_amount: '150.00',
  status: '',
};

function read(over: Cells, decimal: '.' | ',' = '.') {
  const cells = COLUMNS.map((c) => over[c] ?? GOOD[c] ?? '');
  return readPolicyRow(cells, header(), { decimal, ceilingCents: 10_000_000 });
}

function codes(over: Cells): [string, string][] {
  const r = read(over);
  return r.ok ? [] : r.errors.map((e: CellError) => [e.column, e.code]);
}

const x = (n: number) => 'x'.repeat(n);

describe('readPolicyRow: a good row', () => {
  it('reads every field, trimmed, status defaulting to active', () => {
    const r = read({ customer_id: '  C001 ', external_customer_ref: '\tEXT-001 ', policy_number: ' POL-001', product_code: ' FUNERAL_BASIC ' });
    const row: PolicyRow = {
      customerId: 'C001',
      externalCustomerRef: 'EXT-001',
      policyNumber: 'POL-001',
      productCode: 'FUNERAL_BASIC',
      amountCents: 15_000,
      status: 'active',
      hold: null,
    };
    expect(r).toEqual({ ok: true, row });
  });

  it('reads a ;-file amount with decimal comma', () => {
    const r = read({ collection_amount: 'R 1 234,56' }, ',');
    expect(r.ok && r.row.amountCents).toBe(123_456);
  });

  it('keeps accented and other printable Unicode text', () => {
    const r = read({ customer_id: 'Thérèse Nkosi-Müller', external_customer_ref: 'Zoë €5 №7' });
    expect(r.ok && [r.row.customerId, r.row.externalCustomerRef]).toEqual(['Thérèse Nkosi-Müller', 'Zoë €5 №7']);
  });

  it('reads columns by name whatever their order', () => {
    const cols = ['status', 'collection_amount', 'policy_number', 'customer_id', 'product_code', 'external_customer_ref'];
    const r = readPolicyRow(['Cancelled', '99.99', 'P9', 'C9', 'LIFE-1', 'E9'], header(cols), { decimal: '.', ceilingCents: 10_000_000 });
    expect(r).toEqual({
      ok: true,
      row: { customerId: 'C9', externalCustomerRef: 'E9', policyNumber: 'P9', productCode: 'LIFE-1', amountCents: 9_999, status: 'cancelled', hold: null },
    });
  });

  it('works without the optional status column', () => {
    const cols = COLUMNS.slice(0, 5);
    const r = readPolicyRow(['C1', 'E1', 'P1', 'FUN', '10'], header(cols), { decimal: '.', ceilingCents: 10_000_000 });
    expect(r.ok && r.row.status).toBe('active');
  });
});

describe('readPolicyRow: text columns (1-64 printable characters)', () => {
  const textCols = ['customer_id', 'external_customer_ref', 'policy_number'] as const;
  const cases: [string, string, [string, string][]][] = [];
  for (const col of textCols) {
    cases.push(
      [col, '', [[col, 'REQUIRED']]],
      [col, '   ', [[col, 'REQUIRED']]],
      [col, x(64), []],
      [col, ` ${x(64)} `, []], // trimmed before the length check
      [col, x(65), [[col, 'TOO_LONG']]],
      [col, 'é'.repeat(64), []], // characters, not bytes
      [col, 'é'.repeat(65), [[col, 'TOO_LONG']]],
      [col, 'A\u0000B', [[col, 'NOT_PRINTABLE']]],
      [col, 'A\tB', [[col, 'NOT_PRINTABLE']]],
      [col, 'A\nB', [[col, 'NOT_PRINTABLE']]],
      [col, 'A\u007fB', [[col, 'NOT_PRINTABLE']]],
      [col, 'A\u0085B', [[col, 'NOT_PRINTABLE']]],
      [col, 'A\ufffdB', [[col, 'NOT_PRINTABLE']]], // a decoding accident, not a name
      [col, 'A\ufeffB', [[col, 'NOT_PRINTABLE']]],
      [col, 'A B', []],
    );
  }
  it.each(cases)('%s = %j → %j', (col, value, expected) => {
    expect(codes({ [col]: value })).toEqual(expected);
  });

  it('the message names the invisible character', () => {
    const r = read({ customer_id: 'C\u00010' });
    expect(r).toEqual({
      ok: false,
      errors: [{ column: 'customer_id', code: 'NOT_PRINTABLE', message: 'customer_id contains a control or invisible character (U+0001); remove it' }],
    });
  });

  it('a missing cell (short row) is REQUIRED, not a crash', () => {
    const r = readPolicyRow(['C1'], header(), { decimal: '.', ceilingCents: 10_000_000 });
    expect(r.ok ? [] : r.errors.map((e) => `${e.column}:${e.code}`)).toEqual([
      'external_customer_ref:REQUIRED',
      'policy_number:REQUIRED',
      'product_code:REQUIRED',
      'collection_amount:AMOUNT_REQUIRED',
    ]);
  });
});

describe('readPolicyRow: product_code (1-32 of A-Z a-z 0-9 _ -)', () => {
  const cases: [string, [string, string][]][] = [
    ['FUNERAL_BASIC', []],
    ['life-plus-2', []],
    ['A', []],
    [x(32), []],
    [x(33), [['product_code', 'INVALID_PRODUCT_CODE']]],
    ['', [['product_code', 'REQUIRED']]],
    ['  ', [['product_code', 'REQUIRED']]],
    [' FUN ', []],
    ['FUN ERAL', [['product_code', 'INVALID_PRODUCT_CODE']]],
    ['FUN.1', [['product_code', 'INVALID_PRODUCT_CODE']]],
    ['FUNÉRAL', [['product_code', 'INVALID_PRODUCT_CODE']]],
    ['FUN/1', [['product_code', 'INVALID_PRODUCT_CODE']]],
  ];
  it.each(cases)('%j → %j', (value, expected) => {
    expect(codes({ product_code: value })).toEqual(expected);
  });

  it('says which characters are allowed', () => {
    const r = read({ product_code: 'FUN ERAL' });
    expect(r.ok ? null : r.errors[0]!.message).toBe('product_code "FUN ERAL" has " " (U+0020); it must be 1-32 of A-Z a-z 0-9 _ -');
  });
});

describe('readPolicyRow: status', () => {
  const cases: [string, 'active' | 'cancelled' | null][] = [
    ['', 'active'],
    ['active', 'active'],
    ['cancelled', 'cancelled'],
    [' Cancelled ', 'cancelled'],
    ['ACTIVE', 'active'],
    ['lapsed', null],
    ['canceled', null],
    ['inactive', null],
  ];
  it.each(cases)('%j → %s', (value, status) => {
    const r = read({ status: value });
    if (status) expect(r).toEqual({ ok: true, row: expect.objectContaining({ status }) as unknown });
    else {
      expect(r).toEqual({
        ok: false,
        errors: [{ column: 'status', code: 'INVALID_STATUS', message: `status "${value.trim()}" must be active or cancelled (empty means active)` }],
      });
    }
  });
});

describe('readPolicyRow: every bad cell is reported, in column order', () => {
  it('reports all problems of one row', () => {
    expect(codes({ customer_id: '', external_customer_ref: x(65), policy_number: 'P\u0007', product_code: 'a b', collection_amount: '-1', status: 'gone' })).toEqual([
      ['customer_id', 'REQUIRED'],
      ['external_customer_ref', 'TOO_LONG'],
      ['policy_number', 'NOT_PRINTABLE'],
      ['product_code', 'INVALID_PRODUCT_CODE'],
      ['collection_amount', 'AMOUNT_NOT_POSITIVE'],
      ['status', 'INVALID_STATUS'],
    ]);
  });

  it('an amount error alone fails the row', () => {
    expect(codes({ collection_amount: '12.345' })).toEqual([['collection_amount', 'AMOUNT_TOO_MANY_DECIMALS']]);
    expect(codes({ collection_amount: '100000.01' })).toEqual([['collection_amount', 'AMOUNT_OVER_CEILING']]);
  });
});

describe('readPolicyRow: the hold column (issue 12)', () => {
  it('release lifts the hold (any case, trimmed); empty or absent changes nothing; anything else is a row error', () => {
    const hold = (v: string | undefined) => {
      const cols = v === undefined ? COLUMNS : [...COLUMNS, 'hold'];
      const cells = [...COLUMNS.map((c) => GOOD[c] ?? ''), ...(v === undefined ? [] : [v])];
      const r = readPolicyRow(cells, header(cols), { decimal: '.', ceilingCents: 10_000_000 });
      return r.ok ? r.row.hold : r.errors.map((e: CellError) => [e.column, e.code, e.message]);
    };
    expect(hold(undefined)).toBeNull();
    expect(hold('')).toBeNull();
    expect(hold(' Release ')).toBe('release');
    expect(hold('hold')).toEqual([['hold', 'INVALID_HOLD', 'hold "hold" must be release (lift the policy\'s hold) or empty (no change)']]);
  });
});
