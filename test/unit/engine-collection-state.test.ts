import { describe, expect, it } from 'vitest';
import { finalStatus, haltReason, isHalted, lastFailureReason } from '../../src/domain/engine/collection-state.js';
import type { Attempt } from '../../src/domain/engine/types.js';

const limits = { maxPresentments: 4, maxConsecutiveInsufficient: 2 };
const paid = (actionDate: string, cents = 15000): Attempt => ({
  actionDate,
  amountRequestedCents: cents,
  amountCollectedCents: cents,
  result: 'PAID',
  reasonCode: null,
});
const unpaid = (actionDate: string, reasonCode: string): Attempt => ({
  actionDate,
  amountRequestedCents: 15000,
  amountCollectedCents: 0,
  result: 'UNPAID',
  reasonCode,
});
const pending = (actionDate: string): Attempt => ({ ...unpaid(actionDate, ''), result: 'PENDING', reasonCode: null });

describe('finalStatus (SPEC 4.1)', () => {
  it.each([
    [15000, 15000, false, 'PAID_FULL'],
    [15000, 14999, false, 'PAID_PARTIAL'],
    [15000, 1, false, 'PAID_PARTIAL'],
    [15000, 0, false, 'UNPAID'],
    [15000, 15000, true, 'CANCELLED'],
    [15000, 0, true, 'CANCELLED'],
  ] as const)('due %i collected %i cancelled %s → %s', (due, collected, cancelled, status) => {
    expect(finalStatus(due, collected, cancelled)).toBe(status);
  });
});

describe('lastFailureReason (SPEC 4.3)', () => {
  it('is the reason of the last attempt when it failed, else null', () => {
    expect(lastFailureReason([])).toBeNull();
    expect(lastFailureReason([unpaid('2025-11-05', '2')])).toBe('INSUFFICIENT_FUNDS');
    expect(lastFailureReason([unpaid('2025-11-05', '02'), paid('2025-11-26')])).toBeNull();
    expect(lastFailureReason([paid('2025-11-05', 8000), unpaid('2025-11-12', '22')])).toBe('EFFECTS_NOT_CLEARED');
    expect(lastFailureReason([unpaid('2025-11-05', '02'), unpaid('2025-11-12', '77')])).toBe('UNKNOWN_77');
    expect(lastFailureReason([unpaid('2025-11-05', '02'), pending('2025-11-12')])).toBeNull();
  });
});

describe('haltReason / isHalted', () => {
  it('a hard failure halts with its reason', () => {
    expect(haltReason([unpaid('2025-11-05', '12')], limits)).toBe('ACCOUNT_CLOSED');
    expect(haltReason([unpaid('2025-11-05', '02'), unpaid('2025-11-26', '18')], limits, ['2025-11-25'])).toBe(
      'ACCOUNT_HOLDER_DECEASED',
    );
  });

  it('two consecutive INSUFFICIENT_FUNDS with no deposit in between halt', () => {
    const a = [unpaid('2025-11-05', '02'), unpaid('2025-11-12', '02')];
    expect(haltReason(a, limits)).toBe('CONSECUTIVE_INSUFFICIENT_FUNDS');
    expect(haltReason(a, limits, ['2025-11-04', '2025-11-12', '2025-11-13'])).toBe('CONSECUTIVE_INSUFFICIENT_FUNDS');
  });

  it('a deposit on or after the first failure and before the second keeps going', () => {
    const a = [unpaid('2025-11-05', '02'), unpaid('2025-11-12', '02')];
    expect(haltReason(a, limits, ['2025-11-05'])).toBeNull();
    expect(haltReason(a, limits, ['2025-11-11'])).toBeNull();
  });

  it('a success or an uncleared-effects return breaks the run', () => {
    expect(haltReason([unpaid('2025-11-05', '02'), paid('2025-11-12', 5000), unpaid('2025-11-19', '02')], limits)).toBeNull();
    expect(haltReason([unpaid('2025-11-05', '02'), unpaid('2025-11-12', '22'), unpaid('2025-11-19', '02')], limits)).toBeNull();
    expect(haltReason([unpaid('2025-11-05', '22'), unpaid('2025-11-12', '22')], limits)).toBeNull();
  });

  it('the presentment limit counts every attempt, pending ones too', () => {
    const three = [paid('2025-11-05', 100), paid('2025-11-12', 100), paid('2025-11-19', 100)];
    expect(haltReason(three, limits)).toBeNull();
    expect(haltReason([...three, pending('2025-11-26')], limits)).toBe('MAX_PRESENTMENTS');
    expect(isHalted([...three, paid('2025-11-26', 100)], limits)).toBe(true);
    expect(isHalted(three, limits)).toBe(false);
  });
});
