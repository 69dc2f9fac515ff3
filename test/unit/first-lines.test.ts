import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FirstLines } from '../../src/intake/first-lines.js';

/** The compact record of first lines answers exactly as a Map would, through every growth. */
describe('FirstLines', () => {
  it('agrees with a Map on any sequence of numbers, repeats and near-misses included', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12, unit: 'binary' }), { maxLength: 3000 }), (keys) => {
        const map = new Map<string, number>();
        const fl = new FirstLines();
        keys.forEach((k, line) => {
          expect(fl.get(k)).toBe(map.get(k));
          if (!map.has(k)) {
            map.set(k, line);
            fl.set(k, line);
          }
        });
        for (const [k, line] of map) expect(fl.get(k)).toBe(line);
      }),
      { numRuns: 50 },
    );
  });

  it('holds 200,000 numbers and finds each first line', () => {
    const fl = new FirstLines();
    for (let i = 0; i < 200_000; i++) fl.set(`POL-${i}`, i + 2);
    expect([fl.get('POL-0'), fl.get('POL-199999'), fl.get('POL-200000'), fl.get('POL-1234'), fl.get('POL-01234')]).toEqual([2, 200_001, undefined, 1_236, undefined]);
  });
});
