import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sastDate } from '../../../domain/dates.js';
import { closeReport, isClosed, periodEnd } from '../../../usecases/close/close-report.js';
import { queueForSftp } from '../../../usecases/deliver/deliveries.js';
import type { Ports } from '../../../usecases/ports.js';
import { reportFileName } from '../../../outbox/report.renderer.js';
import { ApiError } from '../errors.js';
import { route } from '../route.js';
import { ReportJson, ReportQuery } from '../schemas.js';
import { WITH_404 } from './policies.js';

/**
 * The collection report (SPEC 5.1) by API: the outbox file itself, streamed from disk, so the
 * bytes are the file's and a slow client never holds the store. A period that has ended but is
 * not closed yet is closed first by the day-1 close step (as the daemon would at 02:00 on the
 * 1st); a period still running, or never executed, has no report (404).
 */
export async function ensureClosed(ports: Ports, tenant: string, period: string): Promise<string[]> {
  if (ports.clock.now() < periodEnd(period)) {
    throw new ApiError('NOT_FOUND', `the period ${period} is still running; its report exists from ${sastDate(periodEnd(period))}`, [
      { field: 'period_month', code: 'PERIOD_RUNNING', message: `closes on ${sastDate(periodEnd(period))}` },
    ]);
  }
  // a period never executed is not closed on a GET: a mistyped month must not close one for good
  if (!(await ports.store.edgeReads.periodOf(tenant, period))) {
    throw new ApiError('NOT_FOUND', `no collections were executed for ${period}`, [{ field: 'period_month', code: 'PERIOD_NOT_EXECUTED', message: `execute ${period} first, or check the month` }]);
  }
  const r = await closeReport(ports, tenant, period);
  if (r.status === 'done') await queueForSftp(ports, [tenant], r.files);
  return r.files;
}

async function size(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

const getReport = route({
  method: 'GET',
  path: '/reports/collections',
  operationId: 'getCollectionReport',
  tag: 'Reports',
  summary: 'The collection report of a period (CSV or JSON)',
  description:
    'The bytes of outbox/<tenant>/<period>/collections-<period>.csv (default) or .json. A period that has ended is closed first if the daemon has not done so yet; a running period answers 404.',
  query: ReportQuery,
  responses: {
    200: { description: 'the report', schema: ReportJson, media: { 'text/csv': { description: 'the 13 columns of SPEC 5.1, header included' } } },
    ...WITH_404,
  },
  async handler({ caller, query, deps, reply }) {
    const { ports } = deps;
    const { period_month: period, format } = query;
    const path = join(ports.paths.outbox(caller.tenant, period), reportFileName(period, format));
    // fast path: closed, and the file is there (it appears by rename: present means complete)
    let bytes = (await isClosed(ports, caller.tenant, period)) ? await size(path) : null;
    if (bytes === null) {
      await ensureClosed(ports, caller.tenant, period);
      bytes = await size(path);
      if (bytes === null) throw new Error(`the close did not leave ${path}`);
    }
    return reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
      .header('content-length', String(bytes))
      .header('content-disposition', `attachment; filename="${reportFileName(period, format)}"`)
      .send(createReadStream(path));
  },
});

export const reportRoutes = [getReport];
