import { addDays, firstDayOf, lastDayOf, periodOf, previousPeriod, sastDate, type IsoDate, type Period } from '../../domain/dates.js';
import { classifyReturn } from '../../domain/engine/reason-codes.js';
import type { HeldPolicy } from '../../store/console-holds.repository.js';
import type { SummaryRow } from '../../store/console-summary.repository.js';
import type { Ports } from '../ports.js';

/**
 * The overview of one tenant and period, built from the precomputed summary rows (never from the
 * period's collections): collection rate by day against the month before, presentments today and
 * next, collections by state, failures by reason, likely claims, held policies.
 */
export interface DayPoint {
  /** day of the month, 1..31 */
  day: number;
  /** cumulative cents collected by the end of that day (null: a day still to come) */
  collected: number | null;
  /** cumulative collected ÷ due, in basis points (0..10000), null for a day still to come */
  rateBp: number | null;
}

export interface Overview {
  tenant: string;
  period: Period;
  previous: Period;
  periods: Period[];
  refreshedAt: string | null;
  closed: boolean;
  dueCents: number;
  collectedCents: number;
  daily: DayPoint[];
  previousDaily: DayPoint[];
  presentedToday: number;
  today: IsoDate;
  next: { date: IsoDate; collections: number } | null;
  byStatus: { status: string; count: number }[];
  openProgress: { full: number; part: number; none: number };
  failures: { reason: string; count: number }[];
  likelyClaims: number;
  halted: { reason: string; count: number }[];
  /** open holds (docs/money-rules.md): the newest ten, and how many */
  held: { total: number; rows: HeldPolicy[] };
}

const sum = (rows: SummaryRow[], kind: string) => rows.filter((r) => r.kind === kind).reduce((t, r) => t + r.value, 0);

/** Cumulative rate per day of `period`; days after `today` are null (still to come). */
export function dailySeries(rows: SummaryRow[], period: Period, today: IsoDate): DayPoint[] {
  const due = sum(rows, 'due');
  const byDay = new Map(rows.filter((r) => r.kind === 'collected').map((r) => [r.day, r.value]));
  // results processed after the period's last day (late in the month's last batch) count on its last day
  let carried = 0;
  const last = lastDayOf(period);
  for (const [d, v] of byDay) if (d > last) carried += v;
  const out: DayPoint[] = [];
  let acc = 0;
  for (let d = firstDayOf(period), i = 1; d <= last; d = addDays(d, 1), i++) {
    acc += byDay.get(d) ?? 0;
    if (d === last) acc += carried;
    const future = d > today;
    out.push({ day: i, collected: future ? null : acc, rateBp: future ? null : due > 0 ? Math.round((acc * 10000) / due) : 0 });
  }
  return out;
}

/**
 * Built overviews, kept until the summaries could have changed: a page view within
 * `console.summary_refresh_seconds` (at most 15 s) of the last one reads no table. Keyed by
 * tenant, period asked and today.
 */
const cache = new Map<string, { at: number; overview: Overview }>();

export async function buildOverview(ports: Ports, tenant: string, period?: Period): Promise<Overview> {
  const key = `${ports.config.root}|${tenant}|${period ?? ''}|${sastDate(ports.clock.now())}`;
  const ttl = Math.min(15, ports.config.console.summary_refresh_seconds) * 1000;
  const hit = cache.get(key);
  if (hit && performance.now() - hit.at < ttl) return hit.overview;
  const overview = await readOverview(ports, tenant, period);
  if (cache.size > 500) cache.clear();
  cache.set(key, { at: performance.now(), overview });
  return overview;
}

async function readOverview(ports: Ports, tenant: string, period?: Period): Promise<Overview> {
  const today = sastDate(ports.clock.now());
  const known = (await ports.store.consoleSummary.periodsOf(tenant)).map((p) => p.period);
  const p = period ?? (known.includes(periodOf(today)) ? periodOf(today) : (known[0] ?? periodOf(today)));
  const prev = previousPeriod(p);
  const [cur, before] = [await ports.store.consoleSummary.readSummary(tenant, p), await ports.store.consoleSummary.readSummary(tenant, prev)];
  const rows = cur.rows;
  const of = (kind: string) => rows.filter((r) => r.kind === kind);
  const next = of('next_check')
    .filter((r) => r.day > today)
    .sort((a, b) => a.day.localeCompare(b.day))[0];
  const stored = await ports.store.consoleHolds.heldPolicies(tenant, 10);
  const halted = of('halted').map((r) => ({ reason: r.key, count: r.value }));
  return {
    tenant,
    period: p,
    previous: prev,
    periods: known,
    refreshedAt: cur.refreshedAt,
    closed: of('status').length > 0 && !of('status').some((r) => r.key === 'OPEN'),
    dueCents: sum(rows, 'due'),
    collectedCents: sum(rows, 'collected_total'),
    daily: dailySeries(rows, p, today),
    previousDaily: dailySeries(before.rows, prev, lastDayOf(prev)),
    presentedToday: of('presented').find((r) => r.day === today)?.value ?? 0,
    today,
    next: next ? { date: next.day, collections: next.value } : null,
    byStatus: of('status').map((r) => ({ status: r.key, count: r.value })).sort((a, b) => a.status.localeCompare(b.status)),
    openProgress: { full: sum(of('progress').filter((r) => r.key === 'full'), 'progress'), part: sum(of('progress').filter((r) => r.key === 'part'), 'progress'), none: sum(of('progress').filter((r) => r.key === 'none'), 'progress') },
    failures: of('failures').map((r) => ({ reason: r.key, count: r.value })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    likelyClaims: sum(rows, 'claims'),
    halted: halted.sort((a, b) => b.count - a.count),
    held: { total: stored.total, rows: stored.rows.map((r) => ({ ...r, reason: `${r.reason} ${classifyReturn(r.reason).reason}` })) },
  };
}
