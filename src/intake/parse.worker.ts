import { parentPort, workerData } from 'node:worker_threads';
import type { Cents } from '../domain/money.js';
import type { FileScan } from './file-scan.js';
import { packPolicyBatch, type BatchFormat, type CopyTarget } from '../files/policy-batch.js';
import { openPolicyFile } from './policy-file.reader.js';

/**
 * The parse side of the intake pipeline, in a worker thread: read, decode, parse and validate a
 * policy file, and post its batches to the writer on the main thread. At most `window` batches are
 * in flight: the writer acknowledges each one it takes, so a slow database holds the reader back
 * and memory stays flat whatever the file's size. In 'copy' format the writer first says where the
 * COPY lines go (`aim`): they are built here, ready to send, never rewritten on the writer's thread.
 */
export interface ParseJob {
  path: string;
  scan: FileScan;
  ceilingCents: Cents;
  format: BatchFormat;
  window: number;
}

export type WorkerMessage =
  | { type: 'opened'; ok: false; errors: import('../domain/row-error.js').RowError[] }
  | { type: 'opened'; ok: true; delimiter: import('../domain/csv-rules.js').Delimiter; warnings: import('../domain/row-error.js').RowError[] }
  | { type: 'batch'; batch: import('../files/policy-batch.js').PolicyBatch }
  | { type: 'end' }
  | { type: 'fail'; message: string; code?: string };

const port = parentPort!;
const job = workerData as ParseJob;
let inFlight = 0;
let wake: (() => void) | null = null;
let aimAt: (t: CopyTarget) => void = () => undefined;
const aimed = new Promise<CopyTarget>((r) => (aimAt = r));

/** To the worker: a batch taken, or where the COPY lines go. */
export type WriterMessage = { type: 'ack' } | { type: 'aim'; target: CopyTarget };

port.on('message', (m: WriterMessage) => {
  if (m.type === 'aim') return aimAt(m.target);
  inFlight--;
  wake?.();
  wake = null;
});

async function run(): Promise<void> {
  let bytes = 0;
  const opened = await openPolicyFile(job.path, job.scan, { ceilingCents: job.ceilingCents }, (n) => (bytes = n));
  if (!opened.ok) return post({ type: 'opened', ok: false, errors: opened.errors });
  post({ type: 'opened', ok: true, delimiter: opened.delimiter, warnings: opened.warnings });
  let target: CopyTarget | undefined;
  for await (const items of opened.items) {
    if (job.format === 'copy') target ??= await aimed;
    while (inFlight >= job.window) await new Promise<void>((r) => (wake = r));
    inFlight++;
    post({ type: 'batch', batch: packPolicyBatch(items, job.format, bytes, target) });
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
