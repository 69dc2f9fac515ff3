import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The bad-input corpus (test/fixtures/bad/): files an insurer or a bank might send, each with the
 * exact outcome the user sees in outbox/<tenant>/intake/<name>.result.json and .result.csv.
 * `expected.json` lists every file; `results/<folder>/<name>.result.csv` is the golden result CSV.
 * Two 10 MB files are not committed: `generate` names the function below that makes their bytes.
 */
export const BAD_DIR = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/bad');
/** The moment every corpus file is taken (archive folders are named after its date). */
export const BAD_NOW = '2025-11-04T18:00:00+02:00';
export const BAD_DAY = '2025-11-04';

export interface ExpectedError {
  line: number;
  column: string;
  code: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface ExpectedOutcome {
  status: 'applied' | 'rejected' | 'duplicate';
  imported: number;
  failed: number;
  warnings: number;
  errors: ExpectedError[];
}

export interface CorpusEntry {
  /** `acme/<name>` (the tenant's inbox) or `bank/<name>` (inbox/bank, the bank's result files) */
  path: string;
  /** what the file is about */
  covers: string;
  /** made by the test instead of committed (see GENERATORS) */
  generate?: keyof typeof GENERATORS;
  expected: ExpectedOutcome;
}

export interface Corpus {
  about: string;
  files: CorpusEntry[];
}

export function loadCorpus(): Corpus {
  return JSON.parse(readFileSync(join(BAD_DIR, 'expected.json'), 'utf8')) as Corpus;
}

const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount,status\n';
const TEN_MB = 10 * 1024 * 1024;

export const GENERATORS = {
  /** a good row, then one 10 MB line (no quotes, no line break inside), then a good row */
  'ten-mb-row': (): Buffer =>
    Buffer.concat([
      Buffer.from(`${HEADER}C-LONG-1,REF-LONG-1,LONG-1,FUNERAL,150.00,active\nC-LONG-2,REF-LONG-2,`),
      Buffer.alloc(TEN_MB, 'x'),
      Buffer.from(',FUNERAL,150.00,active\nC-LONG-3,REF-LONG-3,LONG-3,FUNERAL,150.00,active\nC-LONG-4,REF-LONG-4,LONG-4,FUNERAL,150.00,active\n'),
    ]),
  /** the whole file is one 10 MB line: no line break at all */
  'ten-mb-single-line': (): Buffer => Buffer.alloc(TEN_MB, 'customer_id,'),
};

/** The bytes of a corpus file. */
export function corpusBytes(entry: CorpusEntry): Buffer {
  return entry.generate ? GENERATORS[entry.generate]() : readFileSync(join(BAD_DIR, entry.path));
}

export function corpusFolder(entry: CorpusEntry): 'acme' | 'bank' {
  return entry.path.startsWith('bank/') ? 'bank' : 'acme';
}

export function corpusName(entry: CorpusEntry): string {
  return entry.path.slice(entry.path.indexOf('/') + 1);
}

export function goldenCsvPath(entry: CorpusEntry): string {
  return join(BAD_DIR, 'results', `${entry.path}.result.csv`);
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The bank's side of the result files: three policies (C-BANK-1..3, R150.00, R200.00, R150.00),
 * a deposit for each on 2025-11-03, the November collections opened, and the batch of
 * 2025-11-04 presenting instructions acme-202511-1-1, acme-202511-2-1 and acme-202511-3-1 in
 * that order (file gateway, no result yet).
 */
export const SETUP_POLICIES =
  HEADER +
  'C-BANK-1,REF-BANK-1,BANK-1,FUNERAL,150.00,active\n' +
  'C-BANK-2,REF-BANK-2,BANK-2,FUNERAL,200.00,active\n' +
  'C-BANK-3,REF-BANK-3,BANK-3,FUNERAL,150.00,active\n';
export const SETUP_INCOME = 'customer_id,date,amount\nC-BANK-1,2025-11-03,5000.00\nC-BANK-2,2025-11-03,5000.00\nC-BANK-3,2025-11-03,5000.00\n';
