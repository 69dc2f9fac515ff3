import { centsFromDecimal } from '../../domain/money.js';
import type { FileScan } from '../../intake/file-scan.js';
import { openPolicyFile, type OpenedBatches } from '../../intake/policy-file.reader.js';
import { packBatches, type BatchFormat, type PolicyBatch } from '../../files/policy-batch.js';
import { openPolicyPipeline } from '../../intake/parse-pipeline.js';
import type { RowError } from '../../domain/row-error.js';
import type { Tally } from '../../domain/tally.js';
import type { IntakeFileMeta, IntakeKind } from '../../store/intake-file.repository.js';
import type { Ports } from '../ports.js';

/** Each intake file kind: how to open it and how to apply its rows in one transaction. */
export interface KindHandler {
  label: string;
  open(path: string, scan: FileScan, ports: Ports, onBytes?: (n: number) => void): Promise<OpenedBatches<unknown>>;
  apply(ports: Ports, meta: IntakeFileMeta, items: AsyncIterable<unknown>, tally: Tally, decide: () => RowError | null): Promise<{ fileId: number; reject: RowError | null }>;
}

/**
 * A policy file is read as packed batches: in a worker thread when it is at least
 * `intake.pipeline_min_bytes` (parsing on one core while the database writes on the other),
 * in-process when smaller (a worker's start-up, ~40 ms, would cost more than it saves).
 */
/** Files this big or bigger go through the worker unless `intake.pipeline_min_bytes` says otherwise (~65,000 rows). */
export const PIPELINE_MIN_BYTES = 4 * 1024 * 1024;

/** The packed batch the store's policy writer takes: rows for SQLite's statements, COPY text for PostgreSQL. */
export const batchFormat = (ports: Pick<Ports, 'store'>): BatchFormat => (ports.store.dialect === 'sqlite' ? 'rows' : 'copy');

async function openPolicies(path: string, scan: FileScan, ports: Ports, onBytes?: (n: number) => void): Promise<OpenedBatches<PolicyBatch>> {
  const rules = { ceilingCents: centsFromDecimal(ports.config.intake.amount_ceiling) };
  const format = batchFormat(ports);
  if (scan.size >= (ports.config.intake.pipeline_min_bytes ?? PIPELINE_MIN_BYTES)) return openPolicyPipeline(path, scan, { ...rules, format }, onBytes);
  let bytes = 0;
  const opened = await openPolicyFile(path, scan, rules, (n) => {
    bytes = n;
    onBytes?.(n);
  });
  if (!opened.ok) return opened;
  return { ...opened, items: packBatches(opened.items, format, () => bytes) };
}

const policies: KindHandler = {
  label: 'policy',
  open: openPolicies,
  apply: async (ports, meta, items, tally, decide) => {
    const batches = items as AsyncGenerator<PolicyBatch>;
    try {
      return await ports.store.policyImport.applyPolicies(meta, batches, tally, decide);
    } finally {
      await batches.return(undefined); // ends the parse worker even when the writer failed before reading
    }
  },
};

const handlers: Partial<Record<IntakeKind, KindHandler>> = { policies };

export function registerKind(kind: IntakeKind, handler: KindHandler): void {
  handlers[kind] = handler;
}

export function kindHandler(kind: IntakeKind): KindHandler {
  const h = handlers[kind];
  if (!h) throw new Error(`no intake handler for ${kind} files`);
  return h;
}
