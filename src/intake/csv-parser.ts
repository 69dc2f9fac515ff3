/**
 * A streaming RFC 4180 parser, fed decoded text in chunks, giving records with the line each
 * starts on. Written here rather than taken from a library because intake is the hot path: it
 * returns a batch per chunk (no promise per record), counts lines as it goes, and recovers from
 * a broken record by skipping to the next line, so one bad line never loses the good ones.
 */
export type CsvItem =
  | { kind: 'record'; line: number; cells: string[] }
  | { kind: 'error'; line: number; code: string; message: string };

/** A record longer than this is refused (a 10 MB "line" is not a policy). */
export const MAX_RECORD_CHARS = 1 << 20;

const QUOTE = 34;
const LF = 10;
const CR = 13;

export class CsvParser {
  private carry = '';
  private carryLine = 1;
  private afterCR = false;
  /** inside a line already reported too long: drop text up to its line break */
  private skipping = false;
  private readonly delim: number;

  constructor(delimiter: string) {
    this.delim = delimiter.charCodeAt(0);
  }

  /** Feed the next chunk; `final` on the last one. Returns the items completed by this chunk. */
  /** The record from `start` goes on in the next chunk: keep it for then. */
  private hold(text: string, start: number, line: number): void {
    this.carry = text.slice(start);
    this.carryLine = line;
  }

  /** The rest of an over-long physical line is in the chunks to come: skip it there; the line after it is `line`. */
  private skipLineFrom(line: number): void {
    this.skipping = true;
    this.carry = '';
    this.carryLine = line;
  }

  push(chunk: string, final: boolean): CsvItem[] {
    let text = this.carry + chunk;
    // The previous chunk ended in a CR already counted as a line break: its LF is not another one.
    if (this.afterCR && text.charCodeAt(0) === LF) text = text.slice(1);
    this.afterCR = false;
    if (this.skipping) {
      // the rest of an over-long line: its line break ends it (and its line number was counted)
      const end = lineEnd(text, 0);
      if (end < 0) return [];
      this.skipping = false;
      if (end === text.length && !final) {
        // the break is the chunk's last character: a CR's LF may open the next chunk
        this.afterCR = text.charCodeAt(end - 1) === CR;
        return [];
      }
      text = text.slice(end);
    }
    const out: CsvItem[] = [];
    let i = 0;
    let line = this.carryLine;
    const n = text.length;
    const delim = this.delim;
    while (i < n) {
      const c0 = text.charCodeAt(i);
      if (c0 === LF) {
        i++;
        line++;
        continue;
      }
      if (c0 === CR) {
        i += text.charCodeAt(i + 1) === LF ? 2 : 1;
        line++;
        continue;
      }
      // one record from i
      const start = i;
      const startLine = line;
      const cells: string[] = [];
      let err: { code: string; message: string } | null = null;
      let incomplete = false;
      for (;;) {
        if (i < n && text.charCodeAt(i) === QUOTE) {
          // quoted field
          let j = i + 1;
          let value = '';
          let from = j;
          for (;;) {
            const q = text.indexOf('"', j);
            if (q < 0) {
              incomplete = true;
              break;
            }
            if (text.charCodeAt(q + 1) === QUOTE) {
              value += text.slice(from, q + 1);
              j = from = q + 2;
              continue;
            }
            if (q + 1 >= n && !final) {
              incomplete = true; // the char after the quote is in the next chunk
              break;
            }
            value += text.slice(from, q);
            j = q + 1;
            break;
          }
          if (incomplete) break;
          // count newlines inside the quoted value
          for (let k = i; k < j; k++) {
            const ch = text.charCodeAt(k);
            if (ch === LF || (ch === CR && text.charCodeAt(k + 1) !== LF)) line++;
          }
          cells.push(value);
          i = j;
          const next = i < n ? text.charCodeAt(i) : -1;
          if (next === delim) {
            i++;
            continue;
          }
          if (next === LF || next === CR || next === -1) break;
          err = { code: 'CSV_STRAY_QUOTE', message: 'text follows a closing quote; quote the whole value and double any quote inside it ("")' };
          break;
        }
        // unquoted field: up to the delimiter or the end of the line
        let j = i;
        let quoteAt = -1;
        for (; j < n; j++) {
          const ch = text.charCodeAt(j);
          if (ch === delim || ch === LF || ch === CR) break;
          if (ch === QUOTE && quoteAt < 0) quoteAt = j;
        }
        if (j >= n && !final) {
          incomplete = true;
          break;
        }
        if (quoteAt >= 0) {
          err = { code: 'CSV_STRAY_QUOTE', message: 'a quote appears inside an unquoted value; quote the whole value and double the inner quote ("")' };
          i = j;
          break;
        }
        cells.push(text.slice(i, j));
        i = j;
        if (i < n && text.charCodeAt(i) === delim) {
          i++;
          continue;
        }
        break;
      }
      if (incomplete) {
        const tooLong = n - start > MAX_RECORD_CHARS;
        if (final || tooLong) {
          // never closed, or absurdly long: report it and resume on the line after its start
          out.push(
            tooLong
              ? tooLongError(startLine)
              : { kind: 'error', line: startLine, code: 'CSV_UNTERMINATED_QUOTE', message: 'a quoted value is never closed; close the quote (the line was skipped)' },
          );
          line = startLine + 1;
          const end = lineEnd(text, start);
          if (end < 0 && !final) {
            // a run-on line longer than a chunk: skip to its end in the chunks to come, so the
            // line after it keeps its number and no piece of it is read as a record
            this.skipLineFrom(line);
            return out;
          }
          i = end < 0 ? n : end;
          continue;
        }
        this.hold(text, start, startLine);
        return out;
      }
      if (err) {
        // resume after the end of the physical line where the error was seen; if that line ends in
        // the next chunk, wait for it (else its tail would be read as a record of its own)
        const end = lineEnd(text, i);
        if (end < 0 && !final && n - start <= MAX_RECORD_CHARS) {
          this.hold(text, start, startLine);
          return out;
        }
        out.push({ kind: 'error', line: startLine, ...err });
        line++;
        if (end < 0 && !final) {
          // the rest of this over-long line is in the chunks to come: skip it there
          this.skipLineFrom(line);
          return out;
        }
        i = end < 0 ? n : end;
        continue;
      }
      if (i - start > MAX_RECORD_CHARS) {
        // complete but over the limit: the same outcome as when it arrives split over read chunks
        out.push(tooLongError(startLine));
        line = startLine + 1;
        const end = lineEnd(text, start);
        i = end < 0 ? n : end;
        continue;
      }
      out.push({ kind: 'record', line: startLine, cells });
      // consume the line break
      if (i < n) {
        const ch = text.charCodeAt(i);
        if (ch === CR) i += text.charCodeAt(i + 1) === LF ? 2 : 1;
        else if (ch === LF) i++;
        line++;
      }
    }
    this.carry = '';
    this.carryLine = line;
    this.afterCR = !final && n > 0 && text.charCodeAt(n - 1) === CR;
    return out;
  }
}

function tooLongError(line: number): CsvItem {
  return {
    kind: 'error',
    line,
    code: 'CSV_RECORD_TOO_LONG',
    message: `the record is longer than ${MAX_RECORD_CHARS} characters (a lost line break or an unclosed quote); it was skipped: check the line`,
  };
}

/** Index just after the line break at or after `from`, or -1 when the text has none. */
function lineEnd(text: string, from: number): number {
  for (let k = from; k < text.length; k++) {
    const ch = text.charCodeAt(k);
    if (ch === LF) return k + 1;
    if (ch === CR) return text.charCodeAt(k + 1) === LF ? k + 2 : k + 1;
  }
  return -1;
}
