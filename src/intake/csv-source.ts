import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { parse } from 'csv-parse';
import { decodeCp1252, type Encoding } from './file-scan.js';
import type { Delimiter } from '../domain/csv-rules.js';

/**
 * Streams a CSV file as records with the physical line each starts on. A record the parser cannot
 * read (stray quote, unterminated quote) is yielded as a row error with its line, and parsing goes
 * on: one bad line must not lose the good ones.
 */
export type CsvItem =
  | { kind: 'record'; line: number; cells: string[] }
  | { kind: 'error'; line: number; code: string; message: string };

export interface CsvSourceOptions {
  encoding: Encoding;
  bom: boolean;
  delimiter: Delimiter;
  /** called with bytes read so far, for progress */
  onBytes?: (bytes: number) => void;
}

const PARSE_CODES: Record<string, { code: string; message: string }> = {
  INVALID_OPENING_QUOTE: { code: 'CSV_STRAY_QUOTE', message: 'a quote appears inside an unquoted value; quote the whole value and double the inner quote ("")' },
  CSV_INVALID_CLOSING_QUOTE: { code: 'CSV_STRAY_QUOTE', message: 'text follows a closing quote; quote the whole value and double the inner quote ("")' },
  CSV_QUOTE_NOT_CLOSED: { code: 'CSV_UNTERMINATED_QUOTE', message: 'a quoted value is never closed; the rest of the file could not be read' },
  CSV_MAX_RECORD_SIZE: { code: 'CSV_RECORD_TOO_LONG', message: 'the line is longer than 1 MiB; split it or check the file is a policy CSV' },
};

export async function* readCsv(path: string, opts: CsvSourceOptions): AsyncGenerator<CsvItem> {
  let bytes = 0;
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const decode = new Transform({
    readableObjectMode: false,
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      opts.onBytes?.(bytes);
      done(null, opts.encoding === 'utf-8' ? chunk : Buffer.from(decodeCp1252(chunk), 'utf8'));
    },
  });
  const parser = parse({
    delimiter: opts.delimiter,
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: 1 << 20,
  });
  const errors: CsvItem[] = [];
  parser.on('skip', (err: Error & { code?: string; lines?: number }) => {
    const known = PARSE_CODES[err.code ?? ''];
    errors.push({
      kind: 'error',
      line: err.lines ?? 0,
      code: known?.code ?? 'CSV_UNREADABLE',
      message: known?.message ?? err.message,
    });
  });
  file.on('error', (e) => parser.destroy(e));
  file.pipe(decode).pipe(parser);
  let prevEnd = 0;
  let prevEmpty = 0;
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number; empty_lines: number } }>) {
    while (errors.length) {
      const e = errors.shift()!;
      prevEnd = e.line;
      yield e;
    }
    const { lines, empty_lines } = item.info;
    const line = prevEnd + 1 + (empty_lines - prevEmpty);
    prevEnd = lines;
    prevEmpty = empty_lines;
    yield { kind: 'record', line, cells: item.record };
  }
  yield* errors;
}
