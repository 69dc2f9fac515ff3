import type Holidays from 'date-holidays';
import { describe, expect, it } from 'vitest';
import {
  EXTRA_DAY_NAME,
  addMonths,
  createZaCalendar,
  dateOfDayNumber,
  dayNumber,
  monthEnd,
  weekday,
  zaPublicHolidays,
} from '../../src/domain/calendar.js';

const cal = createZaCalendar([]);

describe('ZA public holidays (Public Holidays Act 36 of 1994, via date-holidays)', () => {
  it('2025: the twelve days of the Act, Freedom Day on a Sunday moved to Monday 28 April', () => {
    expect(zaPublicHolidays(2025)).toEqual([
      { date: '2025-01-01', name: "New Year's Day" },
      { date: '2025-03-21', name: 'Human Rights Day' },
      { date: '2025-04-18', name: 'Good Friday' },
      { date: '2025-04-21', name: 'Family Day' },
      { date: '2025-04-27', name: 'Freedom Day' }, // a Sunday
      { date: '2025-04-28', name: 'Public Holiday' }, // s2(1): the Monday following
      { date: '2025-05-01', name: "Workers' Day" },
      { date: '2025-06-16', name: 'Youth Day' },
      { date: '2025-08-09', name: "National Women's Day" }, // a Saturday: no substitute
      { date: '2025-09-24', name: 'Heritage Day' },
      { date: '2025-12-16', name: 'Day of Reconciliation' },
      { date: '2025-12-25', name: 'Christmas Day' },
      { date: '2025-12-26', name: 'Day of Goodwill' },
    ]);
  });

  it('2026: Women\'s Day on a Sunday moved to Monday 10 August; Saturdays not moved', () => {
    expect(zaPublicHolidays(2026)).toEqual([
      { date: '2026-01-01', name: "New Year's Day" },
      { date: '2026-03-21', name: 'Human Rights Day' }, // a Saturday
      { date: '2026-04-03', name: 'Good Friday' },
      { date: '2026-04-06', name: 'Family Day' },
      { date: '2026-04-27', name: 'Freedom Day' },
      { date: '2026-05-01', name: "Workers' Day" },
      { date: '2026-06-16', name: 'Youth Day' },
      { date: '2026-08-09', name: "National Women's Day" }, // a Sunday
      { date: '2026-08-10', name: 'Public Holiday' },
      { date: '2026-09-24', name: 'Heritage Day' },
      { date: '2026-12-16', name: 'Day of Reconciliation' },
      { date: '2026-12-25', name: 'Christmas Day' },
      { date: '2026-12-26', name: 'Day of Goodwill' }, // a Saturday
    ]);
  });

  it('keeps only public holidays (observances such as Mother\'s Day and Mandela Day are working days)', () => {
    expect(cal.isProcessingDay('2025-07-18')).toBe(true); // Nelson Mandela Day, a Friday
    expect(cal.holidayName('2025-07-18')).toBeNull();
  });

  it('adds the Monday after a Sunday holiday if the data ever lacks it', () => {
    const fake = {
      getHolidays: () => [
        { date: '2025-04-27 00:00:00', type: 'public', name: 'Freedom Day' },
        { date: '2025-04-20 00:00:00', type: 'observance', name: 'Easter Sunday' },
        { date: '2025-12-31 00:00:00', type: 'public', name: 'Made-up Wednesday' },
      ],
    } as unknown as Holidays;
    expect(zaPublicHolidays(2025, fake)).toEqual([
      { date: '2025-04-27', name: 'Freedom Day' },
      { date: '2025-04-28', name: 'Freedom Day (observed)' },
      { date: '2025-12-31', name: 'Made-up Wednesday' },
    ]);
  });

  it('weekday processing days: 2025 and 2026 holidays that fall Monday–Friday', () => {
    const weekdayHolidays = (year: number) =>
      zaPublicHolidays(year)
        .map((h) => h.date)
        .filter((d) => weekday(d) >= 1 && weekday(d) <= 5);
    expect(weekdayHolidays(2025)).toEqual([
      '2025-01-01', '2025-03-21', '2025-04-18', '2025-04-21', '2025-04-28', '2025-05-01',
      '2025-06-16', '2025-09-24', '2025-12-16', '2025-12-25', '2025-12-26',
    ]);
    expect(weekdayHolidays(2026)).toEqual([
      '2026-01-01', '2026-04-03', '2026-04-06', '2026-04-27', '2026-05-01', '2026-06-16',
      '2026-08-10', '2026-09-24', '2026-12-16', '2026-12-25',
    ]);
    for (const d of [...weekdayHolidays(2025), ...weekdayHolidays(2026)]) expect(cal.isProcessingDay(d), d).toBe(false);
  });
});

describe('processing-day arithmetic', () => {
  it('weekends and holidays are not processing days', () => {
    expect(cal.isProcessingDay('2025-04-28')).toBe(false);
    expect(cal.isProcessingDay('2025-04-29')).toBe(true);
    expect(cal.isProcessingDay('2025-11-01')).toBe(false); // Saturday
    expect(cal.isProcessingDay('2025-11-02')).toBe(false); // Sunday
    expect(cal.holidayName('2025-04-28')).toBe('Public Holiday');
    expect(cal.holidayName('2025-11-01')).toBeNull();
  });

  it('next / previous are strict and skip weekends and holidays, across years', () => {
    expect(cal.nextProcessingDay('2025-04-25')).toBe('2025-04-29');
    expect(cal.nextProcessingDay('2025-04-29')).toBe('2025-04-30');
    expect(cal.previousProcessingDay('2025-04-22')).toBe('2025-04-17');
    expect(cal.nextProcessingDay('2025-12-31')).toBe('2026-01-02');
    expect(cal.previousProcessingDay('2026-01-02')).toBe('2025-12-31');
    expect(cal.nextProcessingDay('2025-12-24')).toBe('2025-12-29');
  });

  it('on-or-before / on-or-after keep a processing day and move anything else', () => {
    expect(cal.onOrBefore('2025-10-25')).toBe('2025-10-24');
    expect(cal.onOrAfter('2025-10-25')).toBe('2025-10-27');
    expect(cal.onOrBefore('2025-10-24')).toBe('2025-10-24');
    expect(cal.onOrAfter('2025-10-24')).toBe('2025-10-24');
    expect(cal.onOrBefore('2026-01-01')).toBe('2025-12-31');
  });

  it('addProcessingDays counts processing days in both directions; 0 is the same day', () => {
    expect(cal.addProcessingDays('2025-12-24', 1)).toBe('2025-12-29');
    expect(cal.addProcessingDays('2025-12-24', 2)).toBe('2025-12-30');
    expect(cal.addProcessingDays('2025-12-27', 1)).toBe('2025-12-29'); // from a Saturday
    expect(cal.addProcessingDays('2026-01-02', -1)).toBe('2025-12-31');
    expect(cal.addProcessingDays('2025-04-17', 3)).toBe('2025-04-24');
    expect(cal.addProcessingDays('2025-11-01', 0)).toBe('2025-11-01');
  });

  it('processing days of a period, the last one and the n-th one', () => {
    expect(cal.processingDaysIn('2025-04')).toEqual([
      '2025-04-01', '2025-04-02', '2025-04-03', '2025-04-04', '2025-04-07', '2025-04-08', '2025-04-09',
      '2025-04-10', '2025-04-11', '2025-04-14', '2025-04-15', '2025-04-16', '2025-04-17', '2025-04-22',
      '2025-04-23', '2025-04-24', '2025-04-25', '2025-04-29', '2025-04-30',
    ]);
    expect(cal.processingDaysIn('2025-12')).toHaveLength(20);
    expect(cal.lastProcessingDay('2025-05')).toBe('2025-05-30');
    expect(cal.lastProcessingDay('2025-11')).toBe('2025-11-28');
    expect(cal.nthProcessingDay('2026-01', 1)).toBe('2026-01-02');
    expect(cal.nthProcessingDay('2025-11', 4)).toBe('2025-11-06');
    expect(() => cal.nthProcessingDay('2025-04', 20)).toThrow('2025-04 has no processing day number 20 (it has 19)');
  });

  it('extra configured days are not processing days and say why', () => {
    const c = createZaCalendar(['2025-11-03']);
    expect(c.isProcessingDay('2025-11-03')).toBe(false);
    expect(c.holidayName('2025-11-03')).toBe(EXTRA_DAY_NAME);
    expect(c.nextProcessingDay('2025-10-31')).toBe('2025-11-04');
    expect(c.nthProcessingDay('2025-11', 1)).toBe('2025-11-04');
    expect(cal.isProcessingDay('2025-11-03')).toBe(true); // other calendars unaffected
    expect(() => createZaCalendar(['2025-11-31'])).toThrow('extra non-processing day "2025-11-31" is not a date YYYY-MM-DD');
  });

  it('rejects strings that are not dates', () => {
    expect(() => cal.isProcessingDay('2025-02-30')).toThrow('not a date: "2025-02-30"');
    expect(() => cal.isProcessingDay('hello')).toThrow('not a date: "hello"');
    expect(() => cal.processingDaysIn('2025-13')).toThrow('not a period: "2025-13"');
  });
});

describe('day arithmetic helpers', () => {
  it('day numbers round-trip and match known dates', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('2000-03-01')).toBe(11017);
    expect(dateOfDayNumber(dayNumber('2024-02-29') + 1)).toBe('2024-03-01');
    expect(dateOfDayNumber(-1)).toBe('1969-12-31');
    expect(weekday('2025-11-01')).toBe(6);
    expect(monthEnd('2024-02')).toBe('2024-02-29');
    expect(monthEnd('2100-02')).toBe('2100-02-28');
    expect(addMonths('2025-01', -1)).toBe('2024-12');
    expect(addMonths('2025-11', 3)).toBe('2026-02');
  });
});
