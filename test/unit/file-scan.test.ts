import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCp1252, scanFile } from '../../src/intake/file-scan.js';

/** SPEC 3.2 encodings: UTF-8 with or without BOM, Windows-1252 (Excel); refuse UTF-16 and binaries. */
const dir = mkdtempSync(join(tmpdir(), 'kasi-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(bytes: Buffer | string): string {
  const p = join(dir, `f${++n}.csv`);
  writeFileSync(p, bytes);
  return p;
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MiB = 1 << 20;

describe('scanFile: encodings', () => {
  it('plain UTF-8: encoding, no BOM, size, sha256, first line', async () => {
    const bytes = Buffer.from('customer_id,policy_number\r\nC1,P1\r\n', 'utf8');
    const s = await scanFile(file(bytes));
    expect(s).toEqual({ sha256: sha(bytes), size: bytes.length, verdict: { ok: true, encoding: 'utf-8', bom: false }, headerLine: 'customer_id,policy_number' });
  });

  it('UTF-8 with a BOM: the BOM is noted and not part of the header line', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('naam;bedrag\nThérèse;1,00\n', 'utf8')]);
    const s = await scanFile(file(bytes));
    expect(s.verdict).toEqual({ ok: true, encoding: 'utf-8', bom: true });
    expect(s.headerLine).toBe('naam;bedrag');
  });

  it('Windows-1252 bytes (0xE9, 0x80) are detected and decoded to é and €', async () => {
    const bytes = Buffer.from([...Buffer.from('caf'), 0xe9, 0x3b, 0x80, 0x35, 0x0d, 0x0a, ...Buffer.from('x;y\r\n')]);
    const s = await scanFile(file(bytes));
    expect(s.verdict).toEqual({ ok: true, encoding: 'windows-1252', bom: false });
    expect(s.headerLine).toBe('café;€5');
    expect(s.sha256).toBe(sha(bytes));
  });

  it('decides from the whole file: one Windows-1252 byte after the first MiB makes it Windows-1252', async () => {
    const ascii = Buffer.alloc(3 * MiB, 'a');
    ascii[0] = 0x68; // 'h'
    ascii[2 * MiB + 17] = 0xe9;
    const s = await scanFile(file(ascii));
    expect(s.verdict).toEqual({ ok: true, encoding: 'windows-1252', bom: false });
    expect(s.size).toBe(3 * MiB);
  });

  it('UTF-16 (either byte order mark) is FILE_UTF16', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')]);
    const be = Buffer.from([0xfe, 0xff, 0x00, 0x61, 0x00, 0x2c, 0x00, 0x62]);
    for (const b of [le, be]) {
      const s = await scanFile(file(b));
      expect(s.verdict).toEqual({
        ok: false,
        code: 'FILE_UTF16',
        message: 'the file is UTF-16; save it as "CSV UTF-8" (or Windows-1252 CSV) and send it again',
      });
      expect(s.headerLine).toBe('');
    }
  });

  it('NUL bytes are FILE_BINARY (also UTF-16 without a BOM)', async () => {
    for (const b of [Buffer.from('a,b\n1,\u00002\n', 'latin1'), Buffer.from('a,b\n', 'utf16le'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00])]) {
      const s = await scanFile(file(b));
      expect(s.verdict.ok ? null : s.verdict.code).toBe('FILE_BINARY');
    }
  });

  it('an empty file is FILE_EMPTY', async () => {
    const s = await scanFile(file(Buffer.alloc(0)));
    expect(s).toEqual({
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      size: 0,
      verdict: { ok: false, code: 'FILE_EMPTY', message: 'the file is empty; send a CSV file with a header row and data rows' },
      headerLine: '',
    });
  });
});

describe('scanFile: a UTF-8 character split across the 1 MiB read chunks stays UTF-8', () => {
  // Reads are 1 MiB; put the character so that `before` of its bytes end the first chunk.
  const cases: [string, number][] = [
    ['é', 1],
    ['€', 1],
    ['€', 2],
    ['😀', 1],
    ['😀', 2],
    ['😀', 3],
  ];
  it.each(cases)('%s with %i byte(s) before the boundary', async (ch, before) => {
    const c = Buffer.from(ch, 'utf8');
    const bytes = Buffer.alloc(2 * MiB, 'a');
    c.copy(bytes, MiB - before);
    const s = await scanFile(file(bytes));
    expect(s.verdict).toEqual({ ok: true, encoding: 'utf-8', bom: false });
  });

  it('a lone lead byte at the boundary followed by ASCII is Windows-1252', async () => {
    const bytes = Buffer.alloc(2 * MiB, 'a');
    bytes[MiB - 1] = 0xc3;
    const s = await scanFile(file(bytes));
    expect(s.verdict).toEqual({ ok: true, encoding: 'windows-1252', bom: false });
  });

  it('a UTF-8 sequence cut off at the end of the file is Windows-1252', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\nx,'), Buffer.from('€', 'utf8').subarray(0, 2)]);
    const s = await scanFile(file(bytes));
    expect(s.verdict).toEqual({ ok: true, encoding: 'windows-1252', bom: false });
  });
});

describe('decodeCp1252', () => {
  it('decodes the 0x80-0x9F block by the Windows table and the rest as Latin-1', () => {
    const bytes = Buffer.from([0x80, 0x85, 0x8a, 0x91, 0x92, 0x93, 0x94, 0x96, 0x99, 0x9f, 0xa0, 0xe9, 0xeb, 0xfc, 0x41]);
    expect(decodeCp1252(bytes)).toBe('€…Š‘’“”–™Ÿ\u00a0éëüA');
  });

  it('keeps the five undefined bytes as their C1 code points (so they are refused as not printable)', () => {
    expect(decodeCp1252(Buffer.from([0x81, 0x8d, 0x8f, 0x90, 0x9d]))).toBe('\u0081\u008d\u008f\u0090\u009d');
  });
});
