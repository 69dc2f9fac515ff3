import { join } from 'node:path';
import { firstDayOf, isPeriod, nextPeriod, sastDate, sastInstant, type Period } from '../../domain/dates.js';
import { reportCsvPages, reportFileName, reportJsonPages } from '../../outbox/report.renderer.js';
import { chunkLines, csvLine, headerLine, textCell } from '../../files/csv.js';
import type { FlaggedRow } from '../../store/report.repository.js';
import { existsComplete, writeAtomic } from '../../files/atomic-writer.js';
import { recordPeriodClosed } from '../webhooks/close-events.js';
import { ensureFile, skipped, sweepTemps, tee, tenantConfig, type StepResult } from './close-common.js';
import type { Ports } from '../ports.js';
import { crashPoint } from '../../faults/crash-point.js';
import { writeHeldFile } from './close-held.js';

/**
 * Day 1, step 1 (SPEC 5.1): close the period (final statuses, periods.closed_at) in one
 * transaction, then write the collection report as CSV and JSON, and `flagged-<period>.csv`
 * when some policies were flagged DECEASED (likely claims). The closed collections never change
 * again (late results become adjustments), so the files can always be rendered again from the
 * store, byte for byte.
 */
export type ReportFormat = 'csv' | 'json';

export const FLAGGED_COLUMNS = [
  'period_month',
  'customer_id',
  'external_customer_ref',
  'policy_number',
  'product_code',
  'flag',
  'collection_status',
  'last_attempt_date',
  'last_failure_reason',
] as const;

export function flaggedFileName(period: Period): string {
  return `flagged-${period}.csv`;
}

async function* flaggedCsv(rows: AsyncIterable<FlaggedRow>): AsyncGenerator<string> {
  yield headerLine(FLAGGED_COLUMNS);
  yield* chunkLines(rows, (r) =>
    csvLine([
      textCell(r.period_month),
      textCell(r.customer_id),
      textCell(r.external_customer_ref),
      textCell(r.policy_number),
      textCell(r.product_code),
      textCell(r.flag),
      textCell(r.collection_status),
      textCell(r.last_attempt_date),
      textCell(r.last_failure_reason),
    ]),
  );
}

/** Hand the report's chunks (streamed from the store) to `sink`, e.g. writeAtomic or stdout. */
export function withReportChunks<T>(ports: Ports, tenant: string, period: Period, format: ReportFormat, sink: (chunks: AsyncIterable<string>) => Promise<T>): Promise<T> {
  // the stream resolves to what `sink` resolved to (the bound store's signature drops the type parameter)
  return ports.store.reports.withReportPages(tenant, period, (pages) => sink(format === 'csv' ? reportCsvPages(pages) : reportJsonPages(period, pages))) as Promise<T>;
}

/** Is the period closed (so its report is final)? */
export async function isClosed(ports: Ports, tenant: string, period: Period): Promise<boolean> {
  return (await ports.store.reading((tx) => tx.reports.closedAt(tenant, period))) !== null;
}

/** The period ends at 00:00 SAST on the 1st of the next month. */
export function periodEnd(period: Period): Date {
  return sastInstant(firstDayOf(nextPeriod(period)));
}

/**
 * The CSV and JSON reports that are missing, written from ONE read of the period (tee): reading
 * a million rows costs about as much as rendering them. Returns true when something was written.
 */
async function writeReports(ports: Ports, tenant: string, period: Period, paths: readonly string[]): Promise<boolean> {
  const missing: { path: string; format: ReportFormat }[] = [];
  for (const [i, path] of paths.entries()) if (!(await existsComplete(path))) missing.push({ path, format: i === 0 ? 'csv' : 'json' });
  if (missing.length === 0) return false;
  for (const m of missing) await sweepTemps(m.path);
  await ports.store.reports.withReportPages(tenant, period, async (pages) => {
    const branches = tee(pages, missing.length);
    const writes = await Promise.allSettled(missing.map((m, i) => writeAtomic(m.path, m.format === 'csv' ? reportCsvPages(branches[i]!) : reportJsonPages(period, branches[i]!))));
    for (const w of writes) if (w.status === 'rejected') throw w.reason;
  });
  return true;
}

export async function closeReport(ports: Ports, tenant: string, period: Period): Promise<StepResult> {
  if (!isPeriod(period)) throw new Error(`"${period}" is not a period YYYY-MM`);
  tenantConfig(ports.config, tenant);
  const now = ports.clock.now();
  const end = periodEnd(period);
  if (now < end) return skipped(`${tenant} ${period}: the period is still running; it can be closed from ${sastDate(end)}`);
  const closedNow = await ports.store.transaction(async (tx) => {
    const closed = await tx.reports.closePeriod(tenant, period, end.toISOString(), now.toISOString());
    if (closed) await recordPeriodClosed(tx, ports.config, now, tenant, period);
    return closed;
  });
  if (closedNow) crashPoint('close-after-commit');
  const dir = ports.paths.outbox(tenant, period);
  const files = (['csv', 'json'] as const).map((format) => join(dir, reportFileName(period, format)));
  let wrote = await writeReports(ports, tenant, period, files);
  const flagged = await ports.store.reading((tx) => tx.reports.countFlagged(tenant, period));
  if (flagged > 0) {
    const path = join(dir, flaggedFileName(period));
    files.push(path);
    wrote = (await ensureFile(path, (write) => ports.store.reports.withFlaggedRows(tenant, period, (rows) => write(flaggedCsv(rows))))) || wrote;
  }
  const [held, heldWritten] = await writeHeldFile(ports, tenant, period);
  if (held) files.push(held);
  wrote ||= heldWritten;
  const log = ports.log.child({ step: 'close-report', tenant, period });
  if (closedNow) log.info({ flagged }, 'period closed');
  if (wrote) log.info({ files }, 'collection report written');
  return { status: closedNow || wrote ? 'done' : 'exists', files, problems: [] };
}
