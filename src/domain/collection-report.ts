import type { Cents } from './money.js';
import type { IsoDate, Period } from './dates.js';

/** The collection report (SPEC 5.1): exactly these 13 columns, in this order. */
export const REPORT_COLUMNS = [
  'period_month',
  'customer_id',
  'external_customer_ref',
  'policy_number',
  'product_code',
  'collection_amount_due',
  'collection_amount_collected',
  'shortfall',
  'collection_status',
  'first_attempt_date',
  'last_attempt_date',
  'number_of_attempts',
  'last_failure_reason',
] as const;

export type ReportColumn = (typeof REPORT_COLUMNS)[number];

/** Final statuses at close (SPEC 4.1). */
export type CollectionStatus = 'PAID_FULL' | 'PAID_PARTIAL' | 'UNPAID' | 'CANCELLED';

export interface ReportRow {
  period_month: Period;
  customer_id: string;
  external_customer_ref: string;
  policy_number: string;
  product_code: string;
  collection_amount_due: Cents;
  collection_amount_collected: Cents;
  /** due − collected, never negative */
  shortfall: Cents;
  /** a `CollectionStatus` once the period is closed; a report run earlier may show other states */
  collection_status: string;
  /** null when there was no attempt */
  first_attempt_date: IsoDate | null;
  last_attempt_date: IsoDate | null;
  number_of_attempts: number;
  /** the reason of the most recent attempt if it failed, else null (SPEC 4.3) */
  last_failure_reason: string | null;
}
