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
// prom-client's three `nodejs_active_*_total` are gauges named like counters, which `promtool check
// metrics` refuses; the same figures by type stay (kasi_nodejs_active_handles{type}: sum them).
for (const name of ['kasi_nodejs_active_handles_total', 'kasi_nodejs_active_requests_total', 'kasi_nodejs_active_resources_total']) registry.removeSingleMetric(name);

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
  stepOldestDue: new Gauge({
    name: 'kasi_step_oldest_due_timestamp_seconds',
    help: 'Scheduled time of the oldest occurrence of each step that is due and not done yet (0 when none): a step late or stuck',
    labelNames: ['step'] as const,
    registers: [registry],
  }),
  intakeLastFile: new Gauge({
    name: 'kasi_intake_last_file_timestamp_seconds',
    help: 'When the tenant last sent a file (any outcome), from the store; 0 when it never did',
    labelNames: ['tenant'] as const,
    registers: [registry],
  }),
  collectionRate: new Gauge({
    name: 'kasi_collection_rate_ratio',
    help: 'Share of the running period\'s amount due collected so far (paid debits processed by today), by tenant, from the store',
    labelNames: ['tenant'] as const,
    registers: [registry],
  }),
  collectionRateLastMonth: new Gauge({
    name: 'kasi_collection_rate_last_month_same_day_ratio',
    help: 'The same share for the previous period as it stood on the same day of that month, by tenant, from the store',
    labelNames: ['tenant'] as const,
    registers: [registry],
  }),
  webhookAttempts: new Counter({
    name: 'kasi_webhook_attempts_total',
    help: 'Webhook delivery attempts made by this process, by tenant ("" for operator events) and outcome (delivered, retried, failed)',
    labelNames: ['tenant', 'outcome'] as const,
    registers: [registry],
  }),
  webhookPending: new Gauge({
    name: 'kasi_webhook_deliveries_pending',
    help: 'Webhook deliveries not delivered yet (being retried or waiting their turn), by tenant, from the store',
    labelNames: ['tenant'] as const,
    registers: [registry],
  }),
  webhookFailed: new Gauge({
    name: 'kasi_webhook_deliveries_failed',
    help: 'Webhook deliveries that failed for good (refused with a 4xx, or out of attempts), by tenant, from the store',
    labelNames: ['tenant'] as const,
    registers: [registry],
  }),
  webhookOldestPendingAge: new Gauge({
    name: 'kasi_webhook_oldest_pending_age_seconds',
    help: 'Age of the oldest webhook event not delivered yet, by tenant (0 when none)',
    labelNames: ['tenant'] as const,
    registers: [registry],
  }),
} as const;

/** Count one intake outcome (folder inbox or SFTP). */
export function recordIntake(o: Pick<IntakeOutcome, 'tenant' | 'status' | 'imported' | 'failed'>): void {
  metrics.intakeFiles.inc({ tenant: o.tenant, status: o.status });
  metrics.rowsImported.inc({ tenant: o.tenant }, o.imported);
  metrics.rowsFailed.inc({ tenant: o.tenant }, o.failed);
}
