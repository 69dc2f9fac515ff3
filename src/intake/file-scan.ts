import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';

/**
 * First pass over an intake file: its SHA-256 (the idempotency key), its size, and what the
 * decoder needs to know before parsing — the encoding and the header line. Reading 50 MB twice
 * costs far less than guessing an encoding wrong.
 */
export type Encoding = 'utf-8' | 'windows-1252';

export type ScanVerdict =
  | { ok: true; encoding: Encoding; bom: boolean }
  | { ok: false; code: 'FILE_EMPTY' | 'FILE_UTF16' | 'FILE_BINARY' | 'FILE_MIXED_ENCODING'; message: string; line?: number };

export interface FileScan {
  sha256: string;
  size: number;
  verdict: ScanVerdict;
  /** The first line (decoded), for delimiter sniffing; at most 64 KiB. */
  headerLine: string;
}

const HEAD_LIMIT = 64 * 1024;

/** Windows-1252 differs from Latin-1 only in 0x80–0x9f; decode those by table. */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
export function decodeCp1252(buf: Buffer): string {
  let s = buf.toString('latin1');
  if (/[\x80-\x9f]/.test(s)) s = s.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
  return s;
}

/** Bytes at the end of `buf` that start an incomplete UTF-8 sequence (0–3). */
function incompleteTail(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const b = buf[buf.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Offset of the first byte of `buf` that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0 || i + need >= buf.length) return i;
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    const second = buf[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) if ((buf[i + k]! & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return buf.length;
}

function countLf(buf: Buffer, end = buf.length): number {
  let n = 0;
  for (let k = buf.indexOf(10); k >= 0 && k < end; k = buf.indexOf(10, k + 1)) n++;
  return n;
}

function hasHighByte(buf: Buffer, end = buf.length): boolean {
  for (let k = 0; k < end; k++) if (buf[k]! >= 0x80) return true;
  return false;
}

export async function scanFile(path: string): Promise<FileScan> {
  const hash = createHash('sha256');
  let size = 0;
  let utf8 = true;
  /** line (1-based) of the first NUL byte, and of the first byte that is not UTF-8 */
  let nulLine = 0;
  let invalidLine = 0;
  /** UTF-8 text beyond ASCII seen before the first byte that is not UTF-8 */
  let multibyteBefore = false;
  let linesBefore = 0;
  let carry = Buffer.alloc(0);
  const head: Buffer[] = [];
  let headBytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    if (headBytes < HEAD_LIMIT) {
      head.push(chunk.subarray(0, HEAD_LIMIT - headBytes));
      headBytes += Math.min(chunk.length, HEAD_LIMIT - headBytes);
    }
    if (!nulLine) {
      const at = chunk.indexOf(0);
      if (at >= 0) nulLine = linesBefore + countLf(chunk, at) + 1;
    }
    if (utf8) {
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const tail = incompleteTail(buf);
      if (!isUtf8(buf.subarray(0, buf.length - tail))) {
        utf8 = false;
        const at = firstInvalidUtf8(buf);
        invalidLine = linesBefore + countLf(buf, at) + 1; // carry holds no line break
        multibyteBefore ||= hasHighByte(buf, at);
      } else multibyteBefore ||= hasHighByte(buf, buf.length - tail);
      carry = Buffer.from(buf.subarray(buf.length - tail));
    }
    linesBefore += countLf(chunk);
  }
  if (carry.length && utf8) {
    utf8 = false;
    invalidLine = linesBefore + 1;
  }
  const sha256 = hash.digest('hex');
  const headBuf = Buffer.concat(head);
  const verdict = judge(headBuf, size, utf8, nulLine, utf8 ? 0 : multibyteBefore ? invalidLine : 0);
  let headerLine = '';
  if (verdict.ok) {
    const text = verdict.encoding === 'utf-8' ? headBuf.toString('utf8') : decodeCp1252(headBuf);
    headerLine = (verdict.bom ? text.slice(1) : text).split(/\r?\n|\r/, 1)[0] ?? '';
  }
  return { sha256, size, verdict, headerLine };
}

/** `mixedLine`: the line of the first non-UTF-8 byte in a file that is UTF-8 before it (else 0). */
function judge(head: Buffer, size: number, utf8: boolean, nulLine: number, mixedLine: number): ScanVerdict {
  if (size === 0) return { ok: false, code: 'FILE_EMPTY', message: 'the file is empty; send a CSV file with a header row and data rows' };
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    return { ok: false, code: 'FILE_UTF16', message: 'the file is UTF-16; save it as "CSV UTF-8" (or Windows-1252 CSV) and send it again' };
  }
  if (nulLine) {
    return {
      ok: false,
      code: 'FILE_BINARY',
      line: nulLine,
      message: `the file contains NUL bytes (the first on line ${nulLine}) and is not a text CSV file (a spreadsheet or UTF-16 file?); export it as CSV UTF-8 and send it again`,
    };
  }
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  if (mixedLine) {
    return {
      ok: false,
      code: 'FILE_MIXED_ENCODING',
      line: mixedLine,
      message: `the file mixes two encodings: it is UTF-8 up to line ${mixedLine}, which has a byte that is not UTF-8 (Windows-1252 text pasted in?); read as either, some names would be garbled: save the whole file again as "CSV UTF-8" and send it again`,
    };
  }
  return { ok: true, encoding: utf8 ? 'utf-8' : 'windows-1252', bom };
}
