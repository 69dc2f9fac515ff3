import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IntakeOutcome } from '../usecases/intake/import-file.js';

/**
 * The process's Prometheus metrics, as named objects any part can import and increment (e.g.
 * `metrics.sftpErrors.inc({ tenant, operation })` in the SFTP service). One registry per process; `/metrics`
 * (src/http/metrics.ts) renders it. Counters count what this process did: across replicas,
 * sum them in PromQL.
 */
export const registry = new Registry();
registry.setDefaultLabels({ app: 'kasi' });
collectDefaultMetrics({ register: registry, prefix: 'kasi_' });

const STEP_BUCKETS = [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600];

export const metrics = {
  registry,
  /** every intake file by outcome: applied (taken), rejected, duplicate */
  intakeFiles: new Counter({
    name: 'kasi_intake_files_total',
    help: 'Intake files by tenant and outcome (applied = taken, rejected, duplicate)',
    labelNames: ['tenant', 'status'] as const,
    registers: [registry],
  }),
  rowsImported: new Counter({
    name: 'kasi_intake_rows_imported_total',
    help: 'Rows applied from intake files, by tenant',
    labelNames: ['tenant'] as const,
    registers: [registry],
  }),
  rowsFailed: new Counter({
    name: 'kasi_intake_rows_failed_total',
    help: 'Rows refused in intake files, by tenant',
    labelNames: ['tenant'] as const,
    registers: [registry],
  }),
  /** debits presented by the daily batch, by result (PAID, UNPAID, PRESENTED = awaiting the bank) and failure reason */
  presentments: new Counter({
    name: 'kasi_presentments_total',
    help: 'Debits presented by the daily batch, by result and failure reason (reason "" when none)',
    labelNames: ['tenant', 'result', 'reason'] as const,
    registers: [registry],
  }),
  stepDuration: new Histogram({
    name: 'kasi_step_duration_seconds',
    help: 'Wall-clock duration of scheduled steps (batch, close_report, close_invoice, close_pay)',
    labelNames: ['step'] as const,
    buckets: STEP_BUCKETS,
    registers: [registry],
  }),
  stepRuns: new Counter({
    name: 'kasi_step_runs_total',
    help: 'Scheduled step occurrences run by this process, by outcome (done, skipped, failed)',
    labelNames: ['step', 'status'] as const,
    registers: [registry],
  }),
  stepLastSuccess: new Gauge({
    name: 'kasi_step_last_success_timestamp_seconds',
    help: 'Unix time (wall clock) when each scheduled step last finished successfully in this process',
    labelNames: ['step'] as const,
    registers: [registry],
  }),
  sftpErrors: new Counter({
    name: 'kasi_sftp_errors_total',
    help: 'SFTP errors by tenant and operation (poll: a poll that failed; deliver: a delivery run that failed, or each file it could not deliver)',
    labelNames: ['tenant', 'operation'] as const,
    registers: [registry],
  }),
  clockJumps: new Counter({
    name: 'kasi_scheduler_clock_jumps_total',
    help: 'Times the scheduler woke to find the wall clock far ahead (the machine slept) and caught up',
    registers: [registry],
  }),
} as const;

/** Count one intake outcome (folder inbox or SFTP). */
export function recordIntake(o: Pick<IntakeOutcome, 'tenant' | 'status' | 'imported' | 'failed'>): void {
  metrics.intakeFiles.inc({ tenant: o.tenant, status: o.status });
  metrics.rowsImported.inc({ tenant: o.tenant }, o.imported);
  metrics.rowsFailed.inc({ tenant: o.tenant }, o.failed);
}
