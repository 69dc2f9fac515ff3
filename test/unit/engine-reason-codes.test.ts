import { describe, expect, it } from 'vitest';
import { classifyReturn, isInsufficientFunds, normaliseReasonCode } from '../../src/domain/engine/reason-codes.js';

describe('return codes (SPEC 4.3)', () => {
  it.each([
    ['02', 'INSUFFICIENT_FUNDS', 'soft', null],
    ['22', 'EFFECTS_NOT_CLEARED', 'soft', null],
    ['03', 'DEBITS_NOT_ALLOWED', 'hard', null],
    ['04', 'PAYMENT_STOPPED', 'hard', null],
    ['06', 'ACCOUNT_FROZEN', 'hard', null],
    ['08', 'ACCOUNT_IN_SEQUESTRATION', 'hard', null],
    ['10', 'ACCOUNT_IN_LIQUIDATION', 'hard', null],
    ['12', 'ACCOUNT_CLOSED', 'hard', null],
    ['18', 'ACCOUNT_HOLDER_DECEASED', 'hard', 'DECEASED'],
    ['26', 'NO_SUCH_ACCOUNT', 'hard', null],
    ['30', 'NO_AUTHORITY', 'hard', null],
    ['32', 'DEBIT_CONTRAVENES_AUTHORITY', 'hard', null],
    ['34', 'AUTHORITY_CANCELLED', 'hard', null],
    ['36', 'PREVIOUSLY_STOPPED', 'hard', null],
  ])('%s → %s (%s)', (code, reason, kind, flag) => {
    expect(classifyReturn(code)).toEqual({ reason, kind, flag });
  });

  it('unknown codes are hard, named after the code', () => {
    expect(classifyReturn('99')).toEqual({ reason: 'UNKNOWN_99', kind: 'hard', flag: null });
    expect(classifyReturn('7')).toEqual({ reason: 'UNKNOWN_07', kind: 'hard', flag: null });
    expect(classifyReturn('ab')).toEqual({ reason: 'UNKNOWN_AB', kind: 'hard', flag: null });
    expect(classifyReturn('  ')).toEqual({ reason: 'UNKNOWN', kind: 'hard', flag: null });
  });

  it('normalises codes to two digits', () => {
    expect(normaliseReasonCode('2')).toBe('02');
    expect(normaliseReasonCode(' 02 ')).toBe('02');
    expect(normaliseReasonCode('002')).toBe('02');
    expect(normaliseReasonCode('0')).toBe('00');
    expect(normaliseReasonCode('123')).toBe('123');
    expect(classifyReturn('2').reason).toBe('INSUFFICIENT_FUNDS');
    expect(classifyReturn('4').reason).toBe('PAYMENT_STOPPED');
  });

  it('isInsufficientFunds', () => {
    expect(isInsufficientFunds('2')).toBe(true);
    expect(isInsufficientFunds('22')).toBe(false);
    expect(isInsufficientFunds(null)).toBe(false);
  });
});
