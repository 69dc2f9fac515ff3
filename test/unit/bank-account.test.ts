import { describe, expect, it } from 'vitest';
import { maskAccountNumber, validateBankAccount, type BankAccount } from '../../src/domain/bank-account.js';

const good: BankAccount = { holder: 'Acme Funeral Insurance', bank: 'Absa', branch_code: '632005', number: '4000000000', type: 'current' };

describe('validateBankAccount', () => {
  it.each<[string, Partial<BankAccount>, string[]]>([
    ['a valid current account', {}, []],
    ['savings', { type: 'savings' }, []],
    ['transmission', { type: 'transmission' }, []],
    ['bond', { type: 'bond' }, []],
    ['7 digits (shortest)', { number: '1234567' }, []],
    ['11 digits (FNB)', { number: '62000000000' }, []],
    ['empty holder', { holder: '  ' }, ['holder is empty']],
    ['holder with a control character', { holder: 'Acme\u0007' }, ['holder contains a control or invisible character']],
    ['holder over 70 characters', { holder: 'A'.repeat(71) }, ['holder is longer than 70 characters']],
    ['holder of exactly 70 characters', { holder: 'A'.repeat(70) }, []],
    ['empty bank', { bank: '' }, ['bank is empty']],
    ['5-digit branch', { branch_code: '63200' }, ['branch_code "63200" is not a 6-digit universal branch code']],
    ['7-digit branch', { branch_code: '6320050' }, ['branch_code "6320050" is not a 6-digit universal branch code']],
    ['branch with a letter', { branch_code: '63200A' }, ['branch_code "63200A" is not a 6-digit universal branch code']],
    ['6 digits account', { number: '123456' }, ['number "123456" has 6 digits; a South African account number has 7 to 11']],
    ['12 digits account', { number: '123456789012' }, ['number "123456789012" has 12 digits; a South African account number has 7 to 11']],
    ['account with spaces', { number: '4000 000 000' }, ['number "4000 000 000" must be digits only (no spaces or dashes)']],
    ['account with a dash', { number: '4000-000000' }, ['number "4000-000000" must be digits only (no spaces or dashes)']],
    ['empty account', { number: '' }, ['number "" must be digits only (no spaces or dashes)']],
    ['unknown type', { type: 'cheque' }, ['type "cheque" must be one of current, savings, transmission, bond']],
    ['type is case-sensitive', { type: 'Current' }, ['type "Current" must be one of current, savings, transmission, bond']],
  ])('%s', (_name, change, problems) => {
    expect(validateBankAccount({ ...good, ...change })).toEqual(problems);
  });

  it('lists every problem at once', () => {
    expect(validateBankAccount({ holder: '', bank: '', branch_code: '1', number: 'x', type: '' })).toEqual([
      'holder is empty',
      'bank is empty',
      'branch_code "1" is not a 6-digit universal branch code',
      'number "x" must be digits only (no spaces or dashes)',
      'type "" must be one of current, savings, transmission, bond',
    ]);
  });

  it('reports a missing account', () => {
    expect(validateBankAccount(undefined)).toEqual(['no bank account is configured']);
    expect(validateBankAccount(null)).toEqual(['no bank account is configured']);
    expect(validateBankAccount({ holder: 'X', bank: 'Y', type: 'current' })).toEqual([
      'branch_code "" is not a 6-digit universal branch code',
      'number "" must be digits only (no spaces or dashes)',
    ]);
  });
});

describe('maskAccountNumber', () => {
  it.each([
    ['62000001234', '*******1234'],
    ['1234567', '***4567'],
    ['1234', '1234'],
  ])('%s → %s', (n, masked) => expect(maskAccountNumber(n)).toBe(masked));
});
