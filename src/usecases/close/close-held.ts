import { join } from 'node:path';
import { firstDayOf, lastDayOf, type Period } from '../../domain/dates.js';
import { classifyReturn } from '../../domain/engine/reason-codes.js';
import { csvLine, headerLine, textCell } from '../../files/csv.js';
import type { HeldRow } from '../../store/policy-hold.repository.js';
import { ensureFile } from './close-common.js';
import type { Ports } from '../ports.js';

/**
 * `held-<YYYY-MM>.csv`, written with the month's collection report when some policy was held in
 * the period: the insurer's list of policies not collected because a debit came back with a
 * holding code, and whether it has released them (docs/money-rules.md).
 */
export const HELD_COLUMNS = [
  'period_month',
  'policy_number',
  'customer_id',
  'external_customer_ref',
  'product_code',
  'reason_code',
  'reason',
  'held_on',
  'released_on',
  'released_by',
] as const;

export function heldFileName(period: Period): string {
  return `held-${period}.csv`;
}

export function heldCsv(period: Period, rows: readonly HeldRow[]): string {
  let out = headerLine(HELD_COLUMNS);
  for (const r of rows) {
    out += csvLine([
      textCell(period),
      textCell(r.policy_number),
      textCell(r.customer_id),
      textCell(r.external_customer_ref),
      textCell(r.product_code),
      textCell(r.reason_code),
      textCell(classifyReturn(r.reason_code).reason),
      textCell(r.held_on),
      textCell(r.released_on),
      textCell(r.released_by),
    ]);
  }
  return out;
}

/** Write the period's held file if some hold was in force in it; returns its path (or null) and whether it was written now. */
export async function writeHeldFile(ports: Ports, tenant: string, period: Period): Promise<[string | null, boolean]> {
  const rows = await ports.store.policyHolds.heldInPeriodOf(tenant, firstDayOf(period), lastDayOf(period));
  if (rows.length === 0) return [null, false];
  const path = join(ports.paths.outbox(tenant, period), heldFileName(period));
  return [path, await ensureFile(path, (write) => write(heldCsv(period, rows)))];
}
