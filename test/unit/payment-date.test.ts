import { describe, expect, it } from 'vitest';
import { createZaCalendar } from '../../src/domain/calendar.js';
import { dayOfWeek } from '../../src/domain/dates.js';
import { closeSchedule, paymentDateFor } from '../../src/domain/close-calendar.js';
import { paymentReference, settlementNumber } from '../../src/usecases/close/close-settle.js';

/** SPEC 5.2: the payment date is the 3rd of the next month, moved back to a processing day. */
const cal = createZaCalendar();

describe('paymentDateFor', () => {
  it.each([
    ['2025-11', '2025-12-03', 'the 3rd is a Wednesday: paid on the 3rd'],
    ['2025-12', '2026-01-02', '2026-01-03 is a Saturday: the Friday before'],
    ['2025-04', '2025-05-02', '2025-05-03 is a Saturday: the Friday before (1 May is a holiday, the 2nd is not)'],
    ['2025-02', '2025-03-03', 'the 3rd is a Monday'],
    ['2026-03', '2026-04-02', '2026-04-03 is Good Friday, a public holiday: the Thursday before'],
    ['2027-03', '2027-04-02', '2027-04-03 is a Saturday'],
  ])('%s → %s (%s)', (period, want) => {
    expect(paymentDateFor(period, cal)).toBe(want);
  });

  it('never moves back before the period has closed: 1 January a Friday holiday, 2nd and 3rd a weekend', () => {
    expect([dayOfWeek('2027-01-01'), dayOfWeek('2027-01-02'), dayOfWeek('2027-01-03')]).toEqual([5, 6, 0]);
    expect(cal.holidayName('2027-01-01')).toBe("New Year's Day");
    expect(paymentDateFor('2026-12', cal)).toBe('2027-01-04');
    expect(paymentDateFor('2020-12', cal)).toBe('2021-01-04');
  });

  it('a configured extra non-processing day (declared by the President) moves it back too', () => {
    const declared = createZaCalendar(['2025-12-03', '2025-12-02']);
    expect(paymentDateFor('2025-11', declared)).toBe('2025-12-01');
  });

  it('a settlement generated late (catch-up) is paid on its day of generation at the earliest', () => {
    expect(paymentDateFor('2025-11', cal, '2025-12-01')).toBe('2025-12-03');
    expect(paymentDateFor('2025-11', cal, '2025-12-03')).toBe('2025-12-03');
    expect(paymentDateFor('2025-11', cal, '2025-12-10')).toBe('2025-12-10');
    expect(paymentDateFor('2025-11', cal, '2025-12-13')).toBe('2025-12-15'); // a Saturday → Monday
    expect(paymentDateFor('2025-11', cal, '2025-12-16')).toBe('2025-12-17'); // Day of Reconciliation
  });
});

describe('closeSchedule and numbers', () => {
  it('report and settle on the 1st, the invoice on the 2nd (also across a year end)', () => {
    expect(closeSchedule('2025-11')).toEqual({ report: '2025-12-01', settle: '2025-12-01', invoice: '2025-12-02' });
    expect(closeSchedule('2025-12')).toEqual({ report: '2026-01-01', settle: '2026-01-01', invoice: '2026-01-02' });
  });

  it('settlement numbers and payment references count from 001, wider past 999', () => {
    expect(settlementNumber('2025-11', 1)).toBe('SETTLE-2025-11-001');
    expect(settlementNumber('2025-11', 1234)).toBe('SETTLE-2025-11-1234');
    expect(paymentReference('2026-01-02', 12)).toBe('EFT-20260102-012');
  });
});
