import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { databaseTarget, loadConfig } from '../src/config.js';
import { Paths, silentLog } from '../src/usecases/ports.js';
import { openDb, withSqliteConnection, knexOf } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { hashPassword } from '../src/usecases/console/password.js';
import { refreshSummaries } from '../src/usecases/console/summaries.js';
import { seedPg, seedSqlite } from './close.bench.js';
import { createPgDatabase, dropPgDatabase, round, saveSection, startBenchDaemon, table } from './harness.js';
import { storeOf } from '../src/store/store.js';

/**
 * The operator console over a 1M-collection period (the close bench's book, plus one attempt per
 * presented collection spread over the month), on SQLite and PostgreSQL: the built daemon on
 * loopback, a signed-in session, autocannon on the overview and on the collections table (first
 * page, a page deep in the keyset, a filtered page). Target: p95 ≤ 200 ms each; autocannon reports
 * p97.5 (stricter), shown with p50 and p99. The summary refresh that makes the overview cheap is
 * timed apart (it runs in the daemon every console.summary_refresh_seconds).
 */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p97_5: number; p99: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; headers?: Record<string, string> }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const PERIOD = '2025-11';
const NOW = '2025-11-28T12:00:00+02:00';
const PASSWORD = 'bench-console-pass';

const ATTEMPTS_SQL = `INSERT INTO attempts (instruction_id, collection_id, tenant_id, period, presentment, action_date, amount_requested, amount_collected, status, reason_code, reason, processed_date, created_at)
  SELECT 'bench-' || id, id, tenant_id, period, 1, d, amount_due, amount_collected, CASE WHEN amount_collected > 0 THEN 'PAID' ELSE 'UNPAID' END,
         CASE WHEN amount_collected > 0 THEN NULL ELSE '02' END, CASE WHEN amount_collected > 0 THEN NULL ELSE 'INSUFFICIENT_FUNDS' END, d, created_at
  FROM (SELECT c.*, '2025-11-' || CASE WHEN 3 + c.id % 25 < 10 THEN '0' ELSE '' END || (3 + c.id % 25) AS d FROM collections c WHERE presentments > 0) s`;

async function seed(root: string, database: string, rows: number): Promise<{ seedS: number; summaryS: number }> {
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(
    join(root, 'config/local.yaml'),
    stringify({
      database,
      http: { port: 0, host: '127.0.0.1' },
      // nothing scheduled fires during the run: the bench measures pages, not a batch
      schedules: { batch: '0 6 1 1 *', close_report: '0 2 1 1 *', close_invoice: '0 2 2 1 *', close_pay: '0 2 3 1 *' },
      daemon: { catch_up_days: 0, auto_execute: false },
      console: { users: { bench: { role: 'operator', password_scrypt: await hashPassword(PASSWORD) } }, summary_refresh_seconds: 3600 },
      tenants: { bench: { name: 'Bench Insurance' } },
    }),
  );
  const config = loadConfig({ root, env: {} });
  const db = openDb(databaseTarget(config));
  await migrate(db);
  const t0 = performance.now();
  if (db.dialect === 'sqlite') await withSqliteConnection(db, (conn) => seedSqlite(conn, rows));
  else await seedPg(db, rows);
  await knexOf(db).raw(ATTEMPTS_SQL);
  if (db.dialect === 'pg') await knexOf(db).raw('ANALYZE attempts');
  const seedS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await refreshSummaries({ config, store: storeOf(db), clock: { now: () => new Date(NOW) }, log: silentLog, paths: new Paths(root) }, { periods: [PERIOD] });
  const summaryS = (performance.now() - t1) / 1000;
  await db.close();
  return { seedS, summaryS };
}

/** Sign in as a browser does: the login form's token and cookie, then the session cookie. */
async function signIn(base: string): Promise<string> {
  const form = await fetch(`${base}/console/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const loginCookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const r = await fetch(`${base}/console/login`, {
    method: 'POST',
    headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, user: 'bench', password: PASSWORD }).toString(),
    redirect: 'manual',
  });
  const session = r.headers.getSetCookie().find((c) => c.startsWith('kasi_console='));
  if (r.status !== 303 || !session) throw new Error(`sign-in failed: ${r.status}`);
  return session.split(';')[0]!;
}

type Row = Record<string, string | number>;

async function pagesOn(label: string, dir: string, database: string, rows: number, seconds: number): Promise<Row[]> {
  const root = join(dir, label);
  const { seedS, summaryS } = await seed(root, database, rows);
  console.log(`console on ${label}: ${rows} collections seeded in ${round(seedS)} s; summary refresh ${round(summaryS)} s`);
  const daemon = await startBenchDaemon(root, NOW);
  try {
    const cookie = await signIn(daemon.base);
    const q = `tenant=bench&period=${PERIOD}`;
    const cases: [string, string][] = [
      ['overview', `/console/overview?${q}`],
      ['collections, first page', `/console/collections?${q}`],
      ['collections, page after id 900000', `/console/collections?${q}&after=900000`],
      ['collections, reason ACCOUNT_HOLDER_DECEASED', `/console/collections?${q}&reason=ACCOUNT_HOLDER_DECEASED`],
    ];
    const out: Row[] = [];
    for (const [name, path] of cases) {
      const check = await fetch(daemon.base + path, { headers: { cookie } });
      if (check.status !== 200) throw new Error(`${name}: ${check.status}`);
      const r = await autocannon({ url: daemon.base + path, connections: 4, duration: seconds, headers: { cookie } });
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
      out.push({ store: label, page: name, 'requests/s': round(r.requests.average, 0), 'p50 ms': r.latency.p50, 'p97.5 ms': r.latency.p97_5, 'p99 ms': r.latency.p99, summary_refresh_s: round(summaryS), load_average: round(loadavg()[0]!, 1) });
    }
    return out;
  } finally {
    await daemon.stop();
  }
}

export async function benchConsole(rows = 1_000_000, seconds = Number(process.env.KASI_BENCH_CONSOLE_SECONDS ?? 10)): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kasi-bench-console-'));
  try {
    const results = await pagesOn('SQLite', dir, 'sqlite:data/kasi.sqlite', rows, seconds);
    const url = await createPgDatabase('kasi_bench_console');
    try {
      results.push(...(await pagesOn('PostgreSQL', dir, url, rows, seconds)));
    } finally {
      await dropPgDatabase('kasi_bench_console');
    }
    console.log(`\nconsole (the daemon on loopback, ${rows} collections, autocannon 4 connections × ${seconds} s per page)\n`);
    console.log(table(results));
    console.log('target: p95 ≤ 200 ms per page (autocannon reports p97.5, which bounds p95 from above)\n');
    saveSection('console', { rows, seconds_per_case: seconds, results });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
