import type { IsoDate, Period } from '../../domain/dates.js';
import { closedPeriodFor } from '../../domain/cron.js';
import { skipped, type StepResult } from './close-common.js';
import { closeInvoice } from './close-invoice.js';
import { closePay } from './close-pay.js';
import { closeReport } from './close-report.js';
import { closeSchedule } from '../../domain/close-calendar.js';
import { closeSettle } from './close-settle.js';
import type { Ports } from '../ports.js';

/**
 * The month close as the daemon, the simulator and `kasi close` run it: every step due by
 * `today` (report and settle on the 1st of the next month, the invoice on the 2nd, the payment
 * on each settlement's payment date, at the latest the 3rd), in that order, each idempotent.
 */
export { closeReport } from './close-report.js';
export { closeSettle } from './close-settle.js';
export { closeInvoice } from './close-invoice.js';
export { closePay } from './close-pay.js';
export { closeSettlementCsv } from './close-settlement-csv.js';
export { disputeSettlement } from './close-dispute.js';
export type { StepResult, StepStatus } from './close-common.js';

export const CLOSE_STEPS = ['report', 'settle', 'invoice', 'pay'] as const;
export type CloseStep = (typeof CLOSE_STEPS)[number];

export interface CloseOutcome {
  step: CloseStep;
  /** null for pay: one payment file covers every tenant paid that day */
  tenant: string | null;
  period: Period;
  paymentDate: IsoDate | null;
  result: StepResult;
}

/** The payment dates of the period's settlements of these tenants, in order. */
async function paymentDates(ports: Ports, period: Period, tenants: readonly string[]): Promise<IsoDate[]> {
  const all = await ports.store.reading((tx) => tx.settlements.settlementsOfPeriod(period));
  return [...new Set(all.filter((s) => tenants.includes(s.tenant_id)).map((s) => s.payment_date))].sort();
}

const perTenant = { report: closeReport, settle: closeSettle, invoice: closeInvoice } as const;

/**
 * One step now, whatever the date (`kasi close --step`). Pay runs closePay for the payment dates
 * of the tenants' settlements of the period, which pays every tenant due on those dates.
 */
export async function runCloseStep(ports: Ports, step: CloseStep, period: Period, tenants: readonly string[], onOrBefore?: IsoDate): Promise<CloseOutcome[]> {
  const out: CloseOutcome[] = [];
  if (step !== 'pay') {
    for (const tenant of tenants) out.push({ step, tenant, period, paymentDate: null, result: await perTenant[step](ports, tenant, period) });
    return out;
  }
  const dates = (await paymentDates(ports, period, tenants)).filter((d) => onOrBefore === undefined || d <= onOrBefore);
  if (dates.length === 0 && onOrBefore === undefined) {
    out.push({ step, tenant: null, period, paymentDate: null, result: skipped(`${period}: no settlement to pay yet; run the settle step first`) });
  }
  for (const d of dates) out.push({ step, tenant: null, period, paymentDate: d, result: await closePay(ports, d) });
  return out;
}

/** Every step of `period` due by `today` (a date in Africa/Johannesburg), for one or all tenants. */
export async function closeDue(ports: Ports, period: Period, today: IsoDate, opts: { tenant?: string } = {}): Promise<CloseOutcome[]> {
  const tenants = opts.tenant ? [opts.tenant] : Object.keys(ports.config.tenants);
  const when = closeSchedule(period);
  const out: CloseOutcome[] = [];
  if (today >= when.report) out.push(...(await runCloseStep(ports, 'report', period, tenants)));
  if (today >= when.settle) out.push(...(await runCloseStep(ports, 'settle', period, tenants)));
  if (today >= when.invoice) out.push(...(await runCloseStep(ports, 'invoice', period, tenants)));
  if (today >= when.report) out.push(...(await runCloseStep(ports, 'pay', period, tenants, today)));
  return out;
}

/**
 * Every settlement whose payment date is on or before `through` and is still pending, paid now,
 * in one payment file per payment date (the daemon's daily pay step). Returns one outcome per date.
 */
export async function payDue(ports: Ports, through: IsoDate): Promise<CloseOutcome[]> {
  const dates = await ports.store.reading((tx) => tx.settlements.paymentDatesDue(through));
  const out: CloseOutcome[] = [];
  for (const d of dates) out.push({ step: 'pay', tenant: null, period: closedPeriodFor(d), paymentDate: d, result: await closePay(ports, d) });
  return out;
}
