import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { decodeCp1252, type Encoding } from './file-scan.js';
import { CsvParser, type CsvItem } from './csv-parser.js';
import type { Delimiter } from '../domain/csv-rules.js';

export type { CsvItem };

/**
 * Streams a CSV file as batches of records (one batch per 256 KiB read), decoded from UTF-8 (BOM
 * dropped) or Windows-1252. Batches keep the per-record cost free of promises. 256 KiB rather than
 * 1 MiB (measured on 1M rows): a batch in flight is ~4,000 rows, short-lived enough to die young,
 * so the heap stays small (peak RSS 265 MB instead of 420–510 MB) and the import is faster too.
 */
const READ_CHUNK_BYTES = 1 << 18;

export interface CsvSourceOptions {
  encoding: Encoding;
  bom: boolean;
  delimiter: Delimiter;
  /** called with bytes read so far, for progress */
  onBytes?: (bytes: number) => void;
}

export async function* readCsvBatches(path: string, opts: CsvSourceOptions): AsyncGenerator<CsvItem[]> {
  const parser = new CsvParser(opts.delimiter);
  const utf8 = new StringDecoder('utf8');
  let bytes = 0;
  let first = true;
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    opts.onBytes?.(bytes);
    let text = opts.encoding === 'utf-8' ? utf8.write(chunk) : decodeCp1252(chunk);
    if (first) {
      if (opts.bom && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const items = parser.push(text, false);
    if (items.length) yield items;
  }
  const last = parser.push(opts.encoding === 'utf-8' ? utf8.end() : '', true);
  if (last.length) yield last;
}

/** Record by record, for small files and tests. */
export async function* readCsv(path: string, opts: CsvSourceOptions): AsyncGenerator<CsvItem> {
  for await (const batch of readCsvBatches(path, opts)) yield* batch;
}
