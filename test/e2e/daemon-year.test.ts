import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { isZaProcessingDay } from '../helpers/za-processing-days.js';
import { createPgDatabase } from '../helpers/pg.js';
import { daemonConfig, initRoot, killAllKasi, spawnKasi, waitFor, type KasiProcess } from '../helpers/cli.js';
import { ACCOUNT, TENANTS, drop, firstBook, monthFile, openStore, type Store } from './year-world.js';

/**
 * A year in the life (issue 12): the built daemon on a fast simulated clock with the simulator
 * gateway, two insurers of 500 policies, from 31 December 2025 to 10 January 2027 in one run.
 * January's policy files go into the inbox at 02:00 on 1 January; each later month's around the
 * 18th of the month before (two cancelled, two new; in June one held policy released). Then, for
 * every month and tenant: the report, statement, invoice, settlement CSV and EFT file exist; the
 * settlement was paid on its payment date (4 May 2026 and 4 January 2027 included), never before; the CSV sums equal the
 * statement to the cent. Over the year: no debit on a non-processing day, no presentment of a held
 * policy, at most 4 presentments per collection, no instruction id twice.
 *
 * The clock runs YEAR_SPEED simulated seconds per real second (default 4 days a second: about
 * 95 s of wall time a run); the steps keep up with it on an idle machine with room to spare.
 */
const SPEED = Number(process.env.KASI_YEAR_SPEED ?? 4 * 86_400);
const START = Date.parse('2025-12-31T20:00:00+02:00');
const END = Date.parse('2027-01-10T12:00:00+02:00');
const FIRST_DROP = Date.parse('2026-01-01T02:00:00+02:00');
const MONTHS = Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}`);
const PAYMENT_DATES = ['2026-02-03', '2026-03-03', '2026-04-02', '2026-05-04', '2026-06-03', '2026-07-03', '2026-08-03', '2026-09-03', '2026-10-02', '2026-11-03', '2026-12-03', '2027-01-04'];
const roots: string[] = [];
const drops: (() => Promise<void>)[] = [];

afterAll(async () => {
  await killAllKasi();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  for (const d of drops) await d();
});

const sast = (ms: number) => new Date(ms + 2 * 3_600_000).toISOString().slice(0, 10);

async function sleepUntilSim(anchor: number, simMs: number): Promise<void> {
  const wall = anchor + (simMs - START) / SPEED;
  if (wall > Date.now()) await new Promise((r) => setTimeout(r, wall - Date.now()));
}

/** Run the year; returns the daemon's stderr and the wall time. */
async function liveTheYear(root: string, store: Store): Promise<{ log: string; seconds: number }> {
  const anchor = Date.now() + 1500; // the clock reads START 1.5 s from now: the daemon is up by then
  const d: KasiProcess = spawnKasi(['daemon'], {
    env: { KASI_ROOT: root, KASI_NOW: new Date(START).toISOString(), KASI_NOW_AT: String(anchor), KASI_SPEED: String(SPEED), KASI_LOG_LEVEL: 'warn' },
  });
  // January's files go in once the clock has passed midnight: a file taken on 31 December (or
  // before the anchor, when the clock still reads days earlier) opens December 2025, its day's
  // period, too; dropped before the daemon started, the test depended on how fast it came up
  await sleepUntilSim(anchor, FIRST_DROP);
  for (const t of TENANTS) drop(root, t, 'policies-2026-01.csv', firstBook(t));
  let released: string | null = null;
  for (let m = 2; m <= 12; m++) {
    await sleepUntilSim(anchor, Date.parse(`2026-${String(m - 1).padStart(2, '0')}-18T12:00:00+02:00`));
    expect(d.child.exitCode, d.stderr().slice(-3000)).toBeNull();
    if (m === 6) released = await pickHeld(store);
    for (const t of TENANTS) drop(root, t, `policies-2026-${String(m).padStart(2, '0')}.csv`, monthFile(t, m, t === 'acme' && m === 6 ? released : null));
  }
  await sleepUntilSim(anchor, END);
  await waitFor('the December settlements paid', async () => Number((await store.all<{ n: number }>(`SELECT COUNT(*) AS n FROM settlements WHERE period = '2026-12' AND status = 'paid'`))[0]!.n) === 2, 60_000, 250);
  d.child.kill('SIGTERM');
  const end = await d.exited;
  expect([end.code, end.signal], end.stderr.slice(-3000)).toEqual([0, null]);
  return { log: end.stderr, seconds: (Date.now() - anchor) / 1000 };
}

/** An acme policy held by mid-May, and not among those the later files cancel (60–121). */
async function pickHeld(store: Store): Promise<string> {
  const held = await store.all<{ policy_number: string }>(`SELECT policy_number FROM policy_holds WHERE tenant_id = 'acme' AND released_on IS NULL ORDER BY id`);
  const ok = held.map((h) => h.policy_number).filter((p) => { const n = Number(p.split('-P')[1]); return n < 60 || n > 121; });
  expect(ok.length, 'an acme policy held by May').toBeGreaterThan(0);
  return ok[0]!;
}

async function checkMonths(root: string, store: Store): Promise<void> {
  const settlements = await store.all<Record<string, string | number>>(`SELECT * FROM settlements ORDER BY period, tenant_id`);
  expect(settlements.map((s) => `${s.period} ${s.tenant_id} ${s.status} ${s.payment_date}`)).toEqual(
    MONTHS.flatMap((p, i) => TENANTS.map((t) => `${p} ${t} paid ${PAYMENT_DATES[i]}`)),
  );
  const e2e = new Set<string>();
  for (const s of settlements) {
    const dir = join(root, 'outbox', String(s.tenant_id), String(s.period));
    const files = readdirSync(dir);
    const num = String(s.settlement_number);
    for (const f of [`collections-${s.period}.csv`, `settlement-${num}.json`, `settlement-${num}.pdf`, `settlement-${num}.csv`]) expect(files, `${dir}/${f}`).toContain(f);
    expect(files.some((f) => /^invoice-INV-.*\.pdf$/.test(f)) && files.some((f) => /^invoice-INV-.*\.json$/.test(f))).toBe(true);
    // paid on its payment date: the file of that date carries it, and it was not paid before it
    expect(sast(Date.parse(String(s.paid_at)))! >= String(s.payment_date)).toBe(true);
    const compact = String(s.payment_date).replace(/-/g, '');
    const eft = readdirSync(join(root, 'outbox/bank')).filter((f) => f.startsWith(`payments-${compact}-`) && f.endsWith('.xml'));
    const xml = eft.map((f) => readFileSync(join(root, 'outbox/bank', f), 'utf8')).join('\n');
    expect(xml).toContain(`<EndToEndId>${s.payment_reference}</EndToEndId>`);
    expect(xml).toContain(`<ReqdExctnDt>${s.payment_date}</ReqdExctnDt>`);
    expect(e2e.has(String(s.payment_reference))).toBe(false);
    e2e.add(String(s.payment_reference));
    // the settlement CSV's columns sum to the statement's totals, to the cent
    const json = JSON.parse(readFileSync(join(dir, `settlement-${num}.json`), 'utf8')) as Record<string, string>;
    const [head, ...lines] = readFileSync(join(dir, `settlement-${num}.csv`), 'utf8').trim().split('\n');
    const cols = head!.split(',');
    const sum = (c: string) => lines.reduce((t, l) => t + Math.round(Number(l.split(',')[cols.indexOf(c)]) * 100), 0);
    const cents = (v: string) => Math.round(Number(v) * 100);
    expect([sum('collection_amount_collected'), sum('distribution_fee'), sum('collections_fee'), sum('vat'), sum('net_amount')]).toEqual(
      [json.total_collections, json.distribution_fee, json.collections_fee, json.vat, json.net_amount].map((v) => cents(String(v))),
    );
  }
}

async function checkDebits(store: Store, released: string): Promise<void> {
  const dates = await store.all<{ action_date: string }>(`SELECT DISTINCT action_date FROM attempts ORDER BY action_date`);
  expect(dates.length).toBeGreaterThan(50); // the engine presents on the days after deposits, not every day
  expect(dates.filter((d) => !isZaProcessingDay(d.action_date)).map((d) => d.action_date)).toEqual([]);
  expect(await store.all(`SELECT instruction_id FROM attempts GROUP BY instruction_id HAVING COUNT(*) > 1`)).toEqual([]);
  expect(await store.all(`SELECT instruction_id FROM bank_results GROUP BY instruction_id HAVING COUNT(*) > 1`)).toEqual([]);
  expect(await store.all(`SELECT collection_id FROM attempts GROUP BY collection_id HAVING COUNT(*) > 4`)).toEqual([]);
  expect(await store.all(`SELECT id FROM collections WHERE presentments > 4`)).toEqual([]);
  // no presentment while its policy was held (the attempt that caused a hold is on its held_on day)
  expect(
    await store.all(`SELECT a.instruction_id, h.held_on, h.released_on FROM attempts a JOIN collections c ON c.id = a.collection_id
      JOIN policy_holds h ON h.tenant_id = c.tenant_id AND h.policy_number = c.policy_number
      WHERE a.action_date > h.held_on AND (h.released_on IS NULL OR a.action_date < h.released_on)`),
  ).toEqual([]);
  const holds = await store.all<{ n: number }>(`SELECT COUNT(*) AS n FROM policy_holds`);
  expect(Number(holds[0]!.n)).toBeGreaterThan(5);
  // the policy released in June: released by its file, and presented again
  const [rel] = await store.all<{ released_on: string; released_by: string }>(`SELECT released_on, released_by FROM policy_holds WHERE policy_number = ? AND released_on IS NOT NULL ORDER BY id`, [released]);
  expect(rel!.released_by).toBe('file:policies-2026-06.csv');
  expect(rel!.released_on.slice(0, 7)).toBe('2026-05');
  const again = await store.all(`SELECT a.action_date FROM attempts a JOIN collections c ON c.id = a.collection_id WHERE c.policy_number = ? AND a.action_date >= ?`, [released, rel!.released_on]);
  expect(again.length).toBeGreaterThan(0);
  // cancelled policies are not opened after their month; new ones are
  expect(await store.all(`SELECT c.policy_number, c.period FROM collections c JOIN policies p ON p.id = c.policy_id WHERE p.status = 'cancelled' AND c.period > substr(p.cancelled_at, 1, 7)`)).toEqual([]);
  // ACME-P524 comes in the December file, dropped on 18 November: the next batch opens it in the
  // running period (daemon.auto_execute), then December, then January 2027 (the run ends on the 10th)
  const fresh = await store.all<{ period: string }>(`SELECT period FROM collections WHERE policy_number = 'ACME-P524' ORDER BY period`);
  expect(fresh.map((r) => r.period)).toEqual(['2026-11', '2026-12', '2027-01']);
}

async function year(database: (root: string) => Promise<{ url: string; file: string }>): Promise<void> {
  const tenants = Object.fromEntries(TENANTS.map((t, i) => [t, { name: `${t} Life Ltd`, vat_number: `410000000${i}`, intake: 'folder', bank_account: ACCOUNT }]));
  const root = await initRoot('kasi-e2e-year-', 'acme', {});
  roots.push(root);
  const db = await database(root);
  writeFileSync(join(root, 'config/local.yaml'), stringify(daemonConfig({ database: db.url, tenants, daemon: { catch_up_days: 0, tick_seconds: 0.2 } })));
  const store = await openStore(db.file);
  try {
    const { log, seconds } = await liveTheYear(root, store);
    console.log(`year in the life on ${db.url.split(':')[0]}: ${seconds.toFixed(1)} s wall`);
    expect(log).not.toContain('"level":50');
    await checkMonths(root, store);
    const [rel] = await store.all<{ policy_number: string }>(`SELECT policy_number FROM policy_holds WHERE released_by = 'file:policies-2026-06.csv'`);
    await checkDebits(store, rel!.policy_number);
    expect(existsSync(join(root, 'outbox/acme/2026-01/held-2026-01.csv')) || existsSync(join(root, 'outbox/acme/2026-02/held-2026-02.csv'))).toBe(true);
  } finally {
    await store.close();
  }
}

describe('a year in the life: 2 insurers × 500 policies, 1 January 2026 → 10 January 2027', () => {
  it('on SQLite', async () => {
    await year(async (root) => ({ url: 'sqlite:data/kasi.sqlite', file: join(root, 'data/kasi.sqlite') }));
  }, 600_000);

  it('on PostgreSQL', async () => {
    const pg = await createPgDatabase();
    drops.push(() => pg.drop());
    await year(async () => ({ url: pg.url, file: pg.url }));
  }, 600_000);
});
