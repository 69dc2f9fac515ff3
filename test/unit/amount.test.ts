import { describe, expect, it } from 'vitest';
import { parseAmount, type AmountErrorCode } from '../../src/domain/money.js';

/** SPEC 3.2: premiums as insurers write them, in both file dialects; the default ceiling R100 000.00. */
const CEILING = 10_000_000;

describe('parseAmount: accepted amounts (exact cents)', () => {
  const cases: [raw: string, decimal: '.' | ',', cents: number][] = [
    ['150.00', '.', 15_000],
    ['150', '.', 15_000],
    ['150.5', '.', 15_050],
    ['0.01', '.', 1],
    ['R150.00', '.', 15_000],
    ['r150.00', '.', 15_000],
    ['R 150.00', '.', 15_000],
    ['  150.00  ', '.', 15_000],
    ['1 500.00', '.', 150_000],
    ['1\u00a0500.00', '.', 150_000], // no-break space (Excel's thousands grouping)
    ['1\u202f500.00', '.', 150_000], // narrow no-break space
    ['R\u00a01\u00a0500.00', '.', 150_000],
    ['100000.00', '.', CEILING], // exactly the ceiling is allowed
    ['150,00', ',', 15_000],
    ['150', ',', 15_000],
    ['150,5', ',', 15_050],
    ['R 1 500,00', ',', 150_000],
    ['R1\u00a0500,00', ',', 150_000],
    ['R 99,99', ',', 9_999],
    ['007.50', '.', 750],
  ];
  it.each(cases)('%j in a "%s"-decimal file is %i cents', (raw, decimal, cents) => {
    expect(parseAmount(raw, decimal, CEILING)).toEqual({ ok: true, cents });
  });
});

describe('parseAmount: refused amounts (exact codes)', () => {
  const cases: [raw: string, decimal: '.' | ',', code: AmountErrorCode][] = [
    ['', '.', 'AMOUNT_REQUIRED'],
    ['   ', '.', 'AMOUNT_REQUIRED'],
    ['1,500.00', '.', 'AMOUNT_AMBIGUOUS'], // a thousands comma in a dot-decimal file
    ['1,5', '.', 'AMOUNT_AMBIGUOUS'],
    ['1.500,00', ',', 'AMOUNT_AMBIGUOUS'], // a thousands dot in a comma-decimal file
    ['150.00', ',', 'AMOUNT_AMBIGUOUS'], // a dot in a ;-file could be 150 or 15000
    ['150.001', '.', 'AMOUNT_TOO_MANY_DECIMALS'],
    ['150,001', ',', 'AMOUNT_TOO_MANY_DECIMALS'],
    ['0.005', '.', 'AMOUNT_TOO_MANY_DECIMALS'],
    ['-150.00', '.', 'AMOUNT_NOT_POSITIVE'],
    ['R-150.00', '.', 'AMOUNT_NOT_POSITIVE'],
    ['R -150,00', ',', 'AMOUNT_NOT_POSITIVE'],
    ['0', '.', 'AMOUNT_NOT_POSITIVE'],
    ['0.00', '.', 'AMOUNT_NOT_POSITIVE'],
    ['R 0,00', ',', 'AMOUNT_NOT_POSITIVE'],
    ['100000.01', '.', 'AMOUNT_OVER_CEILING'],
    ['100 000,01', ',', 'AMOUNT_OVER_CEILING'],
    ['9999999999999.00', '.', 'AMOUNT_OVER_CEILING'],
    ['abc', '.', 'AMOUNT_NOT_A_NUMBER'],
    ['R', '.', 'AMOUNT_NOT_A_NUMBER'],
    ['1e3', '.', 'AMOUNT_NOT_A_NUMBER'],
    ['+150.00', '.', 'AMOUNT_NOT_A_NUMBER'],
    ['.50', '.', 'AMOUNT_NOT_A_NUMBER'],
    ['150.', '.', 'AMOUNT_NOT_A_NUMBER'],
    ['ZAR 150.00', '.', 'AMOUNT_NOT_A_NUMBER'],
    ['$150.00', '.', 'AMOUNT_NOT_A_NUMBER'],
  ];
  it.each(cases)('%j in a "%s"-decimal file is %s', (raw, decimal, code) => {
    const r = parseAmount(raw, decimal, CEILING);
    expect(r.ok).toBe(false);
    expect(r.ok ? null : r.code).toBe(code);
  });
});

describe('parseAmount: messages say what to do', () => {
  it('an ambiguous amount names the separator and the fix', () => {
    expect(parseAmount('1,500.00', '.', CEILING)).toEqual({
      ok: false,
      code: 'AMOUNT_AMBIGUOUS',
      message: 'collection_amount "1,500.00" uses ",", which is ambiguous in a file with "." decimals; write it as 1500.00',
    });
    expect(parseAmount('1.500,00', ',', CEILING)).toEqual({
      ok: false,
      code: 'AMOUNT_AMBIGUOUS',
      message: 'collection_amount "1.500,00" uses ".", which is ambiguous in a file with "," decimals; write it as 1500,00',
    });
  });

  it('the ceiling message shows the configured ceiling', () => {
    expect(parseAmount('2500.00', '.', 200_000)).toEqual({
      ok: false,
      code: 'AMOUNT_OVER_CEILING',
      message: 'collection_amount "2500.00" is above the ceiling of 2000.00; check the amount (the ceiling is intake.amount_ceiling)',
    });
    expect(parseAmount('2000.00', '.', 200_000)).toEqual({ ok: true, cents: 200_000 });
  });
});
