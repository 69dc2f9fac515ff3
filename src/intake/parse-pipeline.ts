import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Cents } from '../domain/money.js';
import type { FileScan } from './file-scan.js';
import { STAGING, type BatchFormat, type CopyTarget, type PolicyBatch, type PolicyBatches } from '../files/policy-batch.js';
import type { OpenedBatches } from './policy-file.reader.js';
import type { ParseJob, WorkerMessage, WriterMessage } from './parse.worker.js';

/**
 * The main-thread side of the intake pipeline: a worker thread reads, decodes, parses and
 * validates the file (one core) while this thread writes the batches it posts (the other core and
 * the database). Batches come back in file order; the worker keeps at most WINDOW of them in
 * flight, so a slow writer stalls the reader instead of queueing the file in memory.
 */
const WINDOW = 4; // ~4 × 4,000 rows in flight: enough to cover the writer's jitter, memory flat

/**
 * The PostgreSQL worker's young generation: a batch being parsed lives across several scavenges
 * with V8's default, so most of it is copied and promoted. At 64 MB the worker's GC time on a
 * 1M-row file fell from 2–3 s to ~0.6 s (--trace-gc) but peak RSS reached 305 MB; 32 MB keeps
 * most of the gain under the 300 MB target (1M rows on a quiet machine: 1.68× the keyed COPY,
 * 258 MB). The SQLite import (page cache and writer in the same process, ~290 MB) keeps V8's
 * default.
 */
const COPY_YOUNG_GENERATION_MB = 32;

export interface PipelineRules {
  ceilingCents: Cents;
  format: BatchFormat;
}

/** The compiled worker beside this module; under vitest (TypeScript sources) the build's copy. */
function workerFile(): URL {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new URL('./parse.worker.js', here);
  const built = new URL('../../dist/src/intake/parse.worker.js', here);
  if (!existsSync(built)) throw new Error('the intake parse worker is not built: run `npm run build` first');
  return built;
}

/** Messages from the worker as a pull queue; a failure or an early exit surfaces on the next pull. */
class Inbox {
  private queue: WorkerMessage[] = [];
  private waiting: (() => void) | null = null;
  private failure: Error | null = null;

  push(m: WorkerMessage): void {
    this.queue.push(m);
    this.wake();
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  async next(): Promise<WorkerMessage> {
    for (;;) {
      const m = this.queue.shift();
      if (m) return m;
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => (this.waiting = r));
    }
  }

  private wake(): void {
    this.waiting?.();
    this.waiting = null;
  }
}

export async function openPolicyPipeline(path: string, scan: FileScan, rules: PipelineRules, onBytes?: (n: number) => void): Promise<OpenedBatches<PolicyBatch>> {
  const job: ParseJob = { path, scan, ceilingCents: rules.ceilingCents, format: rules.format, window: WINDOW };
  const resourceLimits = rules.format === 'copy' ? { maxYoungGenerationSizeMb: COPY_YOUNG_GENERATION_MB } : {};
  const worker = new Worker(workerFile(), { workerData: job, resourceLimits });
  worker.unref(); // never what keeps the process alive; stop() ends it in every path
  const inbox = new Inbox();
  let ended = false;
  worker.on('message', (m: WorkerMessage) => inbox.push(m));
  worker.on('error', (err) => inbox.fail(new Error(`${path}: the intake parse worker failed: ${err.message}`, { cause: err })));
  worker.on('exit', (code) => {
    if (!ended) inbox.fail(new Error(`${path}: the intake parse worker stopped (exit ${code}) before the end of the file`));
  });
  const stop = async () => {
    ended = true;
    await worker.terminate();
  };
  const first = await nextOrStop(inbox, stop);
  if (first.type !== 'opened') throw new Error(`intake parse worker: expected the header, got ${first.type}`);
  if (!first.ok) {
    await stop();
    return { ok: false, errors: first.errors };
  }
  const tell = (m: WriterMessage) => worker.postMessage(m);
  let aimed = false;
  const aim = (target: CopyTarget) => {
    if (aimed) return;
    aimed = true;
    tell({ type: 'aim', target });
  };
  async function* batches(): AsyncGenerator<PolicyBatch> {
    try {
      aim(STAGING); // a writer that did not say where the lines go takes the staging table's
      for (;;) {
        const m = await inbox.next();
        if (m.type === 'end') return;
        if (m.type === 'fail') throw Object.assign(new Error(m.message), { code: m.code });
        if (m.type !== 'batch') throw new Error(`intake parse worker: unexpected ${m.type}`);
        tell({ type: 'ack' });
        onBytes?.(m.batch.bytes);
        yield m.batch;
      }
    } finally {
      await stop();
    }
  }
  const items: AsyncGenerator<PolicyBatch> & PolicyBatches = Object.assign(batches(), { aim });
  // a writer that fails before it pulls a batch still ends the worker: return() stops it too
  const ret = items.return.bind(items);
  items.return = async (v) => {
    await stop();
    return ret(v);
  };
  return { ok: true, delimiter: first.delimiter, warnings: first.warnings, items };
}

async function nextOrStop(inbox: Inbox, stop: () => Promise<void>): Promise<WorkerMessage> {
  try {
    const m = await inbox.next();
    if (m.type === 'fail') throw Object.assign(new Error(m.message), { code: m.code });
    return m;
  } catch (err) {
    await stop();
    throw err;
  }
}
