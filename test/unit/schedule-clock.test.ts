import { describe, expect, it } from 'vitest';
import { travelClock } from '../../src/cli/time-travel.js';

/** KASI_NOW + KASI_SPEED: the daemon's simulated clock (src/cli/time-travel.ts). */
describe('the time-travel clock', () => {
  it('starts at KASI_NOW (SAST when no offset) and runs KASI_SPEED times faster than real time', () => {
    let real = 1_000_000;
    const clock = travelClock({ KASI_NOW: '2025-11-28T05:00:00', KASI_SPEED: '3600' }, () => real);
    expect([clock.speed, clock.travelling]).toEqual([3600, true]);
    expect(clock.now().toISOString()).toBe('2025-11-28T03:00:00.000Z');
    real += 1000; // one real second: one simulated hour
    expect(clock.now().toISOString()).toBe('2025-11-28T04:00:00.000Z');
    real += 68 * 1000; // Monday 1 December 02:00 SAST
    expect(clock.now().toISOString()).toBe('2025-12-01T00:00:00.000Z');
  });

  it('KASI_NOW alone: starts there and runs at real speed (a daemon with a stopped clock would never reach a schedule)', () => {
    let real = 0;
    const clock = travelClock({ KASI_NOW: '2025-12-02' }, () => real);
    expect(clock.now().toISOString()).toBe('2025-12-02T06:00:00.000Z'); // a date alone is 08:00 SAST
    real += 1500;
    expect(clock.now().toISOString()).toBe('2025-12-02T06:00:01.500Z');
  });

  it('no KASI_NOW: the real clock', () => {
    const clock = travelClock({}, () => Date.parse('2030-01-01T00:00:00Z'));
    expect([clock.now().toISOString(), clock.speed, clock.travelling]).toEqual(['2030-01-01T00:00:00.000Z', 1, false]);
  });

  it('refuses a speed that is not a positive number, and a speed without a start', () => {
    expect(() => travelClock({ KASI_NOW: '2025-11-28', KASI_SPEED: 'fast' })).toThrow('KASI_SPEED="fast" must be a positive number (simulated seconds per real second, e.g. 3600)');
    expect(() => travelClock({ KASI_NOW: '2025-11-28', KASI_SPEED: '0' })).toThrow('must be a positive number');
    expect(() => travelClock({ KASI_SPEED: '3600' })).toThrow('KASI_SPEED needs KASI_NOW');
  });
});
