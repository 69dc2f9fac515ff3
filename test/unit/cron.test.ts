import cron from 'node-cron';
import { afterEach, describe, expect, it } from 'vitest';
import {
  batchVerdict,
  closedPeriodFor,
  cronProblem,
  keyInstant,
  nextOccurrence,
  occurrenceKey,
  occurrencesBetween,
  parseCron,
} from '../../src/domain/cron.js';

const at = (iso: string) => new Date(iso);
const keys = (expr: string, from: string, to: string) => occurrencesBetween(parseCron(expr), at(from), at(to)).map(occurrenceKey);

describe('cron occurrences in Africa/Johannesburg', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    process.env.TZ = savedTz;
  });

  it('the default batch schedule: 06:00 SAST Monday to Friday, across a month boundary', () => {
    expect(keys('0 6 * * 1-5', '2025-11-27T00:00:00+02:00', '2025-12-03T00:00:00+02:00')).toEqual([
      '2025-11-27T06:00:00+02:00',
      '2025-11-28T06:00:00+02:00',
      '2025-12-01T06:00:00+02:00',
      '2025-12-02T06:00:00+02:00',
    ]);
  });

  it('is the same whatever the process TZ (New York, Kiritimati, UTC)', () => {
    const want = ['2025-12-01T02:00:00+02:00', '2026-01-01T02:00:00+02:00'];
    for (const tz of ['America/New_York', 'Pacific/Kiritimati', 'UTC']) {
      process.env.TZ = tz;
      expect(new Date(2025, 0, 1).getTimezoneOffset() === 0, 'the process TZ really changed').toBe(tz === 'UTC');
      expect(keys('0 2 1 * *', '2025-11-15T00:00:00Z', '2026-01-15T00:00:00Z'), tz).toEqual(want);
    }
  });

  it('02:00 SAST on the 1st is 00:00 UTC: the instant, not the local wall time', () => {
    const [t] = occurrencesBetween(parseCron('0 2 1 * *'), at('2025-11-30T00:00:00Z'), at('2025-12-02T00:00:00Z'));
    expect(t!.toISOString()).toBe('2025-12-01T00:00:00.000Z');
    expect(keyInstant(occurrenceKey(t!)).toISOString()).toBe('2025-12-01T00:00:00.000Z');
  });

  it('the interval is (after, upTo]: an occurrence exactly at `after` is not repeated, one at `upTo` is included', () => {
    expect(keys('0 2 2 * *', '2025-12-02T02:00:00+02:00', '2026-01-02T02:00:00+02:00')).toEqual(['2026-01-02T02:00:00+02:00']);
  });

  it('missed occurrences between two instants: daemon down from Friday 28 Nov 05:00 to Tuesday 2 Dec 05:00', () => {
    const from = '2025-11-28T05:00:00+02:00';
    const to = '2025-12-02T05:00:00+02:00';
    expect(keys('0 6 * * 1-5', from, to)).toEqual(['2025-11-28T06:00:00+02:00', '2025-12-01T06:00:00+02:00']);
    expect(keys('0 2 1 * *', from, to)).toEqual(['2025-12-01T02:00:00+02:00']);
    expect(keys('0 2 2 * *', from, to)).toEqual(['2025-12-02T02:00:00+02:00']);
    expect(keys('0 2 3 * *', from, to)).toEqual([]);
  });

  it('lists, ranges, steps, names, seconds and Sunday as 7', () => {
    expect(keys('*/20 9-10 * * sun', '2025-11-29T00:00:00+02:00', '2025-12-01T00:00:00+02:00')).toEqual([
      '2025-11-30T09:00:00+02:00',
      '2025-11-30T09:20:00+02:00',
      '2025-11-30T09:40:00+02:00',
      '2025-11-30T10:00:00+02:00',
      '2025-11-30T10:20:00+02:00',
      '2025-11-30T10:40:00+02:00',
    ]);
    expect(keys('30 15 12 1,15 dec 7', '2025-12-01T00:00:00+02:00', '2025-12-31T00:00:00+02:00')).toEqual([]);
    expect(keys('30 15 12 1,14 december 7', '2025-12-01T00:00:00+02:00', '2025-12-31T00:00:00+02:00')).toEqual(['2025-12-14T12:15:30+02:00']);
  });

  it('agrees with node-cron minute by minute over nineteen days across a month end (day-of-month AND day-of-week, as node-cron)', () => {
    for (const expr of ['0 6 * * 1-5', '0 2 1 * *', '15,45 */6 1-3 * *', '0 0 * * mon,fri', '5-10/5 22 12 * 5', '0 12 */10 nov-dec *']) {
      const task = cron.createTask(expr, () => undefined, { timezone: 'Africa/Johannesburg' });
      const want: string[] = [];
      for (let t = Date.parse('2025-11-24T00:00:00Z'); t < Date.parse('2025-12-13T00:00:00Z'); t += 60_000) {
        if (task.match(new Date(t))) want.push(occurrenceKey(new Date(t)));
      }
      void task.destroy();
      expect(keys(expr, '2025-11-23T23:59:59Z', '2025-12-12T23:59:59Z'), expr).toEqual(want);
      expect(want.length, expr).toBeGreaterThan(0);
    }
  });

  it('next occurrence, and none for a date that never comes', () => {
    expect(occurrenceKey(nextOccurrence(parseCron('0 6 * * 1-5'), at('2025-11-28T06:00:00+02:00'))!)).toBe('2025-12-01T06:00:00+02:00');
    expect(nextOccurrence(parseCron('0 0 31 2 *'), at('2025-01-01T00:00:00Z'))).toBeNull();
  });

  it('a bad cron string says which field is wrong', () => {
    expect(cronProblem('0 6 * * 1-5')).toBeNull();
    expect(cronProblem('0 6 * *')).toBe('"0 6 * *" has 4 fields; a cron string has 5 (minute hour day month weekday) or 6 (seconds first)');
    expect(cronProblem('0 25 * * *')).toBe('hour: 25 is outside 0-23');
    expect(cronProblem('0 6 * * 5-1')).toBe('day of week: the range "5-1" runs backwards');
    expect(cronProblem('0 6 * foo *')).toBe('month: "foo" is not a number or a name');
    expect(cronProblem('*/0 6 * * *')).toBe('minute: the step in "*/0" must be at least 1');
  });
});

describe('which missed batches still make sense', () => {
  it('a batch of a period that is over is skipped, whatever the mode', () => {
    expect(batchVerdict('2025-11-28', '2025-12-02', 'run')).toEqual({
      run: false,
      reason: 'the 2025-11 period is over (it is closed on the 1st); no batch runs in it any more',
    });
    expect(batchVerdict('2025-11-28', '2025-12-01', 'today').run).toBe(false);
  });

  it('a missed batch of the running period runs late (run), or only on its own day (today)', () => {
    expect(batchVerdict('2025-12-01', '2025-12-02', 'run')).toEqual({ run: true });
    expect(batchVerdict('2025-12-01', '2025-12-02', 'today')).toEqual({
      run: false,
      reason: 'missed on 2025-12-01; late batches are not run (daemon.late_batches: today)',
    });
    expect(batchVerdict('2025-12-02', '2025-12-02', 'today')).toEqual({ run: true });
    expect(batchVerdict('2025-11-28', '2025-11-30', 'run')).toEqual({ run: true });
  });

  it('a close occurrence closes the month before its date', () => {
    expect(closedPeriodFor('2025-12-01')).toBe('2025-11');
    expect(closedPeriodFor('2026-01-03')).toBe('2025-12');
  });
});
