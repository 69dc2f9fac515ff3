import type { Knex } from 'knex';
import type { Db } from './db.js';
import { knexOf } from './db.js';

/**
 * The overview's figures, precomputed per tenant, period and day (console_summaries). One refresh
 * reads a period a handful of times (grouped scans) and replaces its rows in one transaction; the
 * overview then reads those few hundred rows, however large the period.
 *
 * Kinds (day '-' = the whole period):
 *   collected[day]     cents collected by results processed that day
 *   presented[day]     presentments with that action date
 *   status[-][S]       collections with status S (OPEN, PAID_FULL, …)
 *   progress[-][K]     OPEN collections: full | part | none collected so far
 *   due[-] collected_total[-]   cents due (not cancelled) and collected (all)
 *   failures[-][R]     unpaid attempts by reason
 *   claims[-]          collections flagged DECEASED (code 18: likely claims)
 *   halted[-][R]       collections the engine stopped for this period, by why
 *   next_check[day]    OPEN collections the engine will look at next on that day
 */
export interface SummaryRow {
  day: string;
  kind: string;
  key: string;
  value: number;
}

type Num = number | string | null;
const n = (v: Num) => Number(v ?? 0);

async function grouped(q: Knex.QueryBuilder): Promise<{ k: string | null; v: Num }[]> {
  return (await q) as { k: string | null; v: Num }[];
}

export async function computeSummary(db: Db, tenant: string, period: string): Promise<SummaryRow[]> {
  const k = knexOf(db);
  const rows: SummaryRow[] = [];
  const att = () => k('attempts').where({ tenant_id: tenant, period });
  const col = () => k('collections').where({ tenant_id: tenant, period });
  for (const r of await grouped(att().whereNotNull('processed_date').groupBy('processed_date').select({ k: 'processed_date' }).sum({ v: 'amount_collected' }))) {
    if (r.k) rows.push({ day: r.k, kind: 'collected', key: '', value: n(r.v) });
  }
  for (const r of await grouped(att().groupBy('action_date').select({ k: 'action_date' }).count({ v: '*' }))) rows.push({ day: r.k!, kind: 'presented', key: '', value: n(r.v) });
  for (const r of await grouped(att().where({ status: 'UNPAID' }).groupBy('reason').select({ k: 'reason' }).count({ v: '*' }))) {
    rows.push({ day: '-', kind: 'failures', key: r.k ?? 'UNKNOWN', value: n(r.v) });
  }
  const byStatus = (await col()
    .groupBy('status')
    .select(
      'status',
      k.raw('COUNT(*) AS c'),
      k.raw("SUM(CASE WHEN status <> 'CANCELLED' THEN amount_due ELSE 0 END) AS due"),
      k.raw('SUM(amount_collected) AS got'),
      k.raw('SUM(CASE WHEN amount_collected >= amount_due THEN 1 ELSE 0 END) AS full_n'),
      k.raw('SUM(CASE WHEN amount_collected > 0 AND amount_collected < amount_due THEN 1 ELSE 0 END) AS part_n'),
      k.raw("SUM(CASE WHEN flag = 'DECEASED' THEN 1 ELSE 0 END) AS claims"),
    )) as { status: string; c: Num; due: Num; got: Num; full_n: Num; part_n: Num; claims: Num }[];
  let due = 0;
  let got = 0;
  let claims = 0;
  for (const r of byStatus) {
    rows.push({ day: '-', kind: 'status', key: r.status, value: n(r.c) });
    due += n(r.due);
    got += n(r.got);
    claims += n(r.claims);
    if (r.status === 'OPEN') {
      rows.push({ day: '-', kind: 'progress', key: 'full', value: n(r.full_n) });
      rows.push({ day: '-', kind: 'progress', key: 'part', value: n(r.part_n) });
      rows.push({ day: '-', kind: 'progress', key: 'none', value: n(r.c) - n(r.full_n) - n(r.part_n) });
    }
  }
  rows.push({ day: '-', kind: 'due', key: '', value: due }, { day: '-', kind: 'collected_total', key: '', value: got }, { day: '-', kind: 'claims', key: '', value: claims });
  for (const r of await grouped(col().whereNotNull('halted_reason').groupBy('halted_reason').select({ k: 'halted_reason' }).count({ v: '*' }))) {
    rows.push({ day: '-', kind: 'halted', key: r.k!, value: n(r.v) });
  }
  for (const r of await grouped(col().where({ status: 'OPEN' }).whereNotNull('next_check').groupBy('next_check').select({ k: 'next_check' }).count({ v: '*' }))) {
    rows.push({ day: r.k!, kind: 'next_check', key: '', value: n(r.v) });
  }
  return rows;
}

/** Replace a period's summary rows in one transaction: a reader sees the old figures or the new. */
export async function replaceSummary(db: Db, tenant: string, period: string, rows: SummaryRow[], at: string): Promise<void> {
  await knexOf(db).transaction(async (trx) => {
    await trx('console_summaries').where({ tenant_id: tenant, period }).delete();
    const all = [...rows, { day: '-', kind: 'refreshed', key: '', value: 1 }].map((r) => ({ tenant_id: tenant, period, ...r, refreshed_at: at }));
    for (let i = 0; i < all.length; i += 100) await trx('console_summaries').insert(all.slice(i, i + 100));
  });
}

export async function readSummary(db: Db, tenant: string, period: string): Promise<{ rows: SummaryRow[]; refreshedAt: string | null }> {
  const rows = (await knexOf(db)('console_summaries')
    .where({ tenant_id: tenant, period })
    .select('day', 'kind', 'key', 'value', 'refreshed_at')) as (SummaryRow & { refreshed_at: string })[];
  const mark = rows.find((r) => r.kind === 'refreshed');
  return { rows: rows.filter((r) => r.kind !== 'refreshed').map((r) => ({ ...r, value: Number(r.value) })), refreshedAt: mark?.refreshed_at ?? null };
}

/** When a period was last summarised (null: never). */
export async function summaryRefreshedAt(db: Db, tenant: string, period: string): Promise<string | null> {
  const r = (await knexOf(db)('console_summaries').where({ tenant_id: tenant, period, day: '-', kind: 'refreshed', key: '' }).first('refreshed_at')) as
    | { refreshed_at: string }
    | undefined;
  return r?.refreshed_at ?? null;
}

/** The periods of a tenant, newest first, with when each closed. */
export async function periodsOf(db: Db, tenant: string): Promise<{ period: string; closed_at: string | null }[]> {
  return (await knexOf(db)('periods').where({ tenant_id: tenant }).orderBy('period', 'desc').select('period', 'closed_at')) as { period: string; closed_at: string | null }[];
}
