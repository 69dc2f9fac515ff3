import type { IsoDate } from '../domain/dates.js';
import type { Db } from './db.js';
import { reading } from './sql.js';

/**
 * What the bank simulator and `kasi simulate` read back (issue 13): the debits the simulated bank
 * already paid (it keeps no state of its own between runs), and a tenant's totals for the summary.
 */

/** Paid attempts processed on or after `from`, in the order they were made: the simulator replays them. */
export function paidSince(db: Db, from: IsoDate): Promise<{ customer_id: string; processed_date: string; amount_collected: number }[]> {
  return reading(db, (sql) =>
    sql.all<{ customer_id: string; processed_date: string; amount_collected: number }>(
      `SELECT c.customer_id, a.processed_date, a.amount_collected FROM attempts a JOIN collections c ON c.id = a.collection_id
       WHERE a.status = 'PAID' AND a.processed_date >= ? ORDER BY a.id`,
      [from],
    ),
  );
}

export interface PeriodTotals {
  period: string;
  due: number;
  collected: number;
  n: number;
  full: number;
}

export interface AttemptTotals {
  status: string;
  reason: string | null;
  n: number;
  cents: number;
  /** collected cents × day of month processed (for the mean day of collection) */
  dayw: number;
}

/** A tenant's collections by period and attempts by status and reason (one read). */
export function simulationTotals(db: Db, tenant: string): Promise<{ periods: PeriodTotals[]; attempts: AttemptTotals[] }> {
  return reading(db, async (sql) => {
    const periods = await sql.all<PeriodTotals>(
      `SELECT period, SUM(amount_due) AS due, SUM(amount_collected) AS collected, COUNT(*) AS n,
         SUM(CASE WHEN amount_collected >= amount_due THEN 1 ELSE 0 END) AS full
       FROM collections WHERE tenant_id = ? GROUP BY period ORDER BY period`,
      [tenant],
    );
    const attempts = await sql.all<AttemptTotals>(
      `SELECT status, reason, COUNT(*) AS n, SUM(COALESCE(amount_collected, 0)) AS cents,
         SUM(COALESCE(amount_collected, 0) * CAST(SUBSTR(processed_date, 9, 2) AS INTEGER)) AS dayw
       FROM attempts WHERE tenant_id = ? GROUP BY status, reason`,
      [tenant],
    );
    return { periods, attempts };
  });
}
