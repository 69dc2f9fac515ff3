import { describe, expect, it } from 'vitest';
import { amountCell, chunkLines, csvLine, headerLine, integerCell, textCell } from '../../src/files/csv.js';

describe('textCell', () => {
  it.each([
    ['plain', 'POL-001', 'POL-001'],
    ['empty', '', ''],
    ['formula =', '=1+2', "'=1+2"],
    ['formula +', '+27821234567', "'+27821234567"],
    ['formula -', '-123', "'-123"],
    ['formula @', '@SUM(A1)', "'@SUM(A1)"],
    ['leading tab', '\tx', "'\tx"],
    ['leading CR is neutralised and quoted', '\rx', `"'\rx"`],
    ['HYPERLINK with a comma: neutralised then quoted', '=HYPERLINK("http://x",1)', `"'=HYPERLINK(""http://x"",1)"`],
    ['= not at the start is fine', 'a=b', 'a=b'],
    ['leading space then = is left alone (not a formula start)', ' =1', ' =1'],
    ['comma', 'Smith, J', '"Smith, J"'],
    ['quote', 'say "hi"', '"say ""hi"""'],
    ['newline', 'a\nb', '"a\nb"'],
    ['apostrophe alone', "O'Brien", "O'Brien"],
    ['unicode', 'Ñandú', 'Ñandú'],
  ])('%s', (_name, input, expected) => {
    expect(textCell(input)).toBe(expected);
  });

  it('null and undefined are empty cells', () => {
    expect(textCell(null)).toBe('');
    expect(textCell(undefined)).toBe('');
  });
});

describe('number cells are never neutralised', () => {
  it.each([
    [15_000, '150.00'],
    [5, '0.05'],
    [0, '0.00'],
    [-1_250, '-12.50'],
    [-5, '-0.05'],
  ])('amount %i → %s', (cents, text) => expect(amountCell(cents)).toBe(text));

  it('null amounts and counts are empty', () => {
    expect(amountCell(null)).toBe('');
    expect(integerCell(null)).toBe('');
  });

  it('counts are integers', () => {
    expect(integerCell(0)).toBe('0');
    expect(integerCell(4)).toBe('4');
    expect(() => integerCell(1.5)).toThrow(/not an integer/);
  });

  it('fractional cents are a bug', () => {
    expect(() => amountCell(1.5)).toThrow(/integer cents/);
  });
});

describe('lines', () => {
  it('joins with commas and ends with LF', () => {
    expect(csvLine([textCell('-x'), amountCell(-100), integerCell(2), textCell(null)])).toBe("'-x,-1.00,2,\n");
    expect(headerLine(['a', 'b'])).toBe('a,b\n');
  });

  it('chunks rows, pulling no more than one chunk ahead', async () => {
    let pulled = 0;
    function* source(): Generator<number> {
      for (let i = 0; i < 25; i++) {
        pulled++;
        yield i;
      }
    }
    const seen: [string, number][] = [];
    for await (const chunk of chunkLines(source(), (n) => `${n}\n`, 10)) seen.push([chunk, pulled]);
    expect(seen.map(([c]) => c.split('\n').length - 1)).toEqual([10, 10, 5]);
    expect(seen.map(([, p]) => p)).toEqual([10, 20, 25]);
    expect(seen.map(([c]) => c).join('')).toBe(Array.from({ length: 25 }, (_, i) => `${i}\n`).join(''));
  });
});
