import { parentPort, workerData } from 'node:worker_threads';
import type { Cents } from '../domain/money.js';
import type { FileScan } from './file-scan.js';
import { packPolicyBatch, type BatchFormat } from './policy-batch.js';
import { openPolicyFile } from './policy-file.reader.js';

/**
 * The parse side of the intake pipeline, in a worker thread: read, decode, parse and validate a
 * policy file, and post its batches to the writer on the main thread. At most `window` batches are
 * in flight: the writer acknowledges each one it takes, so a slow database holds the reader back
 * and memory stays flat whatever the file's size.
 */
export interface ParseJob {
  path: string;
  scan: FileScan;
  ceilingCents: Cents;
  findRepeats: boolean;
  format: BatchFormat;
  window: number;
}

export type WorkerMessage =
  | { type: 'opened'; ok: false; errors: import('./row-error.js').RowError[] }
  | { type: 'opened'; ok: true; delimiter: import('../domain/csv-rules.js').Delimiter; warnings: import('./row-error.js').RowError[] }
  | { type: 'batch'; batch: import('./policy-batch.js').PolicyBatch }
  | { type: 'end' }
  | { type: 'fail'; message: string; code?: string };

const port = parentPort!;
const job = workerData as ParseJob;
let inFlight = 0;
let wake: (() => void) | null = null;
port.on('message', (m: { type: 'ack' }) => {
  if (m.type !== 'ack') return;
  inFlight--;
  wake?.();
  wake = null;
});

async function run(): Promise<void> {
  let bytes = 0;
  const opened = await openPolicyFile(job.path, job.scan, { ceilingCents: job.ceilingCents, findRepeats: job.findRepeats }, (n) => (bytes = n));
  if (!opened.ok) return post({ type: 'opened', ok: false, errors: opened.errors });
  post({ type: 'opened', ok: true, delimiter: opened.delimiter, warnings: opened.warnings });
  for await (const items of opened.items) {
    while (inFlight >= job.window) await new Promise<void>((r) => (wake = r));
    inFlight++;
    post({ type: 'batch', batch: packPolicyBatch(items, job.format, bytes) });
  }
  post({ type: 'end' });
}

function post(m: WorkerMessage): void {
  port.postMessage(m);
}

run().catch((err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  post({ type: 'fail', message: e?.message ?? String(err), code: e?.code });
});
