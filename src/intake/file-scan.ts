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
  | { ok: false; code: 'FILE_EMPTY' | 'FILE_UTF16' | 'FILE_BINARY'; message: string };

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

export async function scanFile(path: string): Promise<FileScan> {
  const hash = createHash('sha256');
  let size = 0;
  let utf8 = true;
  let nul = false;
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
    if (!nul && chunk.includes(0)) nul = true;
    if (utf8) {
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const tail = incompleteTail(buf);
      if (!isUtf8(buf.subarray(0, buf.length - tail))) utf8 = false;
      carry = Buffer.from(buf.subarray(buf.length - tail));
    }
  }
  if (carry.length) utf8 = false;
  const sha256 = hash.digest('hex');
  const headBuf = Buffer.concat(head);
  const verdict = judge(headBuf, size, utf8, nul);
  let headerLine = '';
  if (verdict.ok) {
    const text = verdict.encoding === 'utf-8' ? headBuf.toString('utf8') : decodeCp1252(headBuf);
    headerLine = (verdict.bom ? text.slice(1) : text).split(/\r?\n|\r/, 1)[0] ?? '';
  }
  return { sha256, size, verdict, headerLine };
}

function judge(head: Buffer, size: number, utf8: boolean, nul: boolean): ScanVerdict {
  if (size === 0) return { ok: false, code: 'FILE_EMPTY', message: 'the file is empty; send a CSV file with a header row and data rows' };
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    return { ok: false, code: 'FILE_UTF16', message: 'the file is UTF-16; save it as "CSV UTF-8" (or Windows-1252 CSV) and send it again' };
  }
  if (nul) {
    return { ok: false, code: 'FILE_BINARY', message: 'the file contains NUL bytes and is not a text CSV file (a spreadsheet or UTF-16 file?); export it as CSV and send it again' };
  }
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  return { ok: true, encoding: utf8 ? 'utf-8' : 'windows-1252', bom };
}
