import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import { stringify } from 'yaml';
import { databaseTarget, loadConfig } from '../src/config.js';
import { closeReport, closeSettle, closeSettlementCsv } from '../src/usecases/close/close.js';
import { Paths, silentLog, type Ports } from '../src/usecases/ports.js';
import { openDb, withPgConnection, withSqliteConnection, type Db } from '../src/store/db.js';
import { copyLine } from '../src/files/copy-text.js';
import { copyInto } from '../src/store/policy-import.pg.js';
import { migrate } from '../src/store/migrate.js';
import { createPgDatabase, dropPgDatabase, measure, round, saveSection, table } from './harness.js';
import { storeOf, dbOf } from '../src/store/store.js';

/**
 * The month close of one tenant with `rows` collections, on SQLite and on PostgreSQL: close +
 * collection report (CSV and JSON), settlement (statement JSON + PDF), settlement CSV. Seeded with
 * raw inserts (SQLite: prepared statements; PostgreSQL: COPY) of policies and collections as the
 * engine leaves them; the close reads no attempts. Each close runs in a process of its own (its
 * peak RSS). Targets: all steps ≤ 15 s together, peak RSS ≤ 400 MB.
 */
const PERIOD = '2025-11';
const NOW = '2025-11-01T04:00:00.000Z';

type Cell = string | number | null;

/** The seeded book, row by row: [policy row, collection row] (the same on both stores). */
function* book(rows: number): Generator<[Cell[], Cell[]]> {
  let x = 1;
  for (let i = 1; i <= rows; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    const due = 5_000 + (x % 50_000);
    const k = i % 10;
    // 60% paid in full, 20% partly, 10% unpaid (1% of those deceased), 9% no attempt, 1% cancelled
    const collected = k < 6 ? due : k < 8 ? Math.floor(due / 2) : 0;
    const attempts = k < 6 ? 1 : k < 8 ? 2 : k === 8 ? 1 : 0;
    const reason = k === 8 ? (i % 100 === 8 ? 'ACCOUNT_HOLDER_DECEASED' : 'ACCOUNT_CLOSED') : null;
    const cancelled = i % 100 === 99;
    const policy = `POL${String(i).padStart(8, '0')}`;
    yield [
      [i, 'bench', policy, `C${i}`, `REF-${i}`, 'FUNERAL_BASIC', due, cancelled ? 'cancelled' : 'active', cancelled ? '2025-11-20T08:00:00.000Z' : null, NOW, NOW],
      ['bench', PERIOD, i, policy, `C${i}`, `REF-${i}`, 'FUNERAL_BASIC', due, collected, 'OPEN', attempts, 0, attempts ? '2025-11-04' : null, attempts ? '2025-11-26' : null, reason, reason === 'ACCOUNT_HOLDER_DECEASED' ? 'DECEASED' : null, NOW, NOW],
    ];
  }
}

const POLICY_COLUMNS = 'id, tenant_id, policy_number, customer_id, external_customer_ref, product_code, collection_amount, status, cancelled_at, created_at, updated_at';
const COLLECTION_COLUMNS = `tenant_id, period, policy_id, policy_number, customer_id, external_customer_ref, product_code, amount_due, amount_collected,
  status, presentments, pending, first_attempt_date, last_attempt_date, last_failure_reason, flag, created_at, updated_at`;

export function seedSqlite(conn: BetterSqlite3.Database, rows: number): void {
  const pol = conn.prepare(`INSERT INTO policies (${POLICY_COLUMNS}) VALUES (${Array(11).fill('?').join(', ')})`);
  const col = conn.prepare(`INSERT INTO collections (${COLLECTION_COLUMNS}) VALUES (${Array(18).fill('?').join(', ')})`);
  conn.exec('BEGIN');
  conn.prepare(`INSERT INTO tenants (id, name, created_at) VALUES ('bench', 'Bench Insurance', ?)`).run(NOW);
  conn.prepare(`INSERT INTO periods (tenant_id, period, executed_at) VALUES ('bench', '${PERIOD}', ?)`).run(NOW);
  for (const [p, c] of book(rows)) {
    pol.run(p);
    col.run(c);
  }
  conn.exec('COMMIT');
}

export async function seedPg(db: Db, rows: number): Promise<void> {
  await withPgConnection(db, async (conn) => {
    await conn.query('BEGIN');
    await conn.query(`INSERT INTO tenants (id, name, created_at) VALUES ('bench', 'Bench Insurance', $1)`, [NOW]);
    await conn.query(`INSERT INTO periods (tenant_id, period, executed_at) VALUES ('bench', '${PERIOD}', $1)`, [NOW]);
    const lines = (pick: 0 | 1) =>
      (async function* () {
        let buf = '';
        for (const r of book(rows)) {
          buf += copyLine(r[pick]);
          if (buf.length > 1 << 16) {
            yield buf;
            buf = '';
          }
        }
        if (buf) yield buf;
      })();
    await copyInto(conn, `COPY policies (${POLICY_COLUMNS}) FROM STDIN`, lines(0));
    await copyInto(conn, `COPY collections (${COLLECTION_COLUMNS}) FROM STDIN`, lines(1));
    await conn.query(`SELECT setval(pg_get_serial_sequence('policies', 'id'), ${rows})`);
    await conn.query('COMMIT');
    await conn.query('ANALYZE policies');
    await conn.query('ANALYZE collections');
  });
}

function writeConfig(root: string, database: string): void {
  mkdirSync(join(root, 'config'), { recursive: true });
  const bank_account = { holder: 'Bench Insurance', bank: 'Absa', branch_code: '632005', number: '4000000000', type: 'current' };
  writeFileSync(join(root, 'config/local.yaml'), stringify({ database, tenants: { bench: { name: 'Bench Insurance', vat_number: '4100000000', bank_account } } }));
}

async function makePorts(root: string): Promise<Ports> {
  const config = loadConfig({ root, env: {} });
  const db = openDb(databaseTarget(config));
  await migrate(db);
  return { config, store: storeOf(db), clock: { now: () => new Date('2025-12-01T00:00:00Z') }, log: silentLog, paths: new Paths(root) };
}

type Row = Record<string, string | number>;

/** The child: the three steps on the seeded root, timed; prints one JSON line of rows. */
async function closeChild(root: string, rows: number): Promise<void> {
  const ports = await makePorts(root);
  const steps: [string, () => Promise<{ status: string; files: string[] }>][] = [
    ['close + collection report (CSV, JSON, flagged)', () => closeReport(ports, 'bench', PERIOD)],
    ['settlement (statement JSON + PDF)', () => closeSettle(ports, 'bench', PERIOD)],
    ['settlement CSV', () => closeSettlementCsv(ports, 'bench', PERIOD)],
  ];
  const results: Row[] = [];
  let total = 0;
  let cpuTotal = 0;
  for (const [name, fn] of steps) {
    // CPU seconds beside wall seconds: on a shared machine the wall clock also counts waiting
    const cpu0 = process.cpuUsage();
    const m = await measure(fn);
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    cpuTotal += cpuSeconds;
    if (m.value.status !== 'done') throw new Error(`${name}: ${m.value.status}`);
    const mb = m.value.files.reduce((s, f) => s + statSync(f).size, 0) / 1e6;
    total += m.seconds;
    results.push({ step: name, seconds: round(m.seconds), cpu_seconds: round(cpuSeconds), rows_per_s: Math.round(rows / m.seconds), output_mb: round(mb, 1), peak_rss_mb: m.peakRssMb });
  }
  await dbOf(ports.store).close();
  // the process's own high-water mark (every allocation since it started), over the 20 ms samples
  const peak = Math.max(Math.round((process.resourceUsage().maxRSS * 1024) / 1e6), ...results.map((r) => Number(r.peak_rss_mb)));
  results.push({ step: 'total', seconds: round(total), cpu_seconds: round(cpuTotal), rows_per_s: Math.round(rows / total), output_mb: '', peak_rss_mb: peak });
  process.stdout.write(JSON.stringify(results) + '\n');
}

function runCloseChild(root: string, rows: number): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--close-child', root, String(rows)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`close bench child exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop() ?? '[]') as Row[]);
    });
  });
}

/** Seed a fresh root on `database`, then run the close in a child; its rows, labelled. */
async function closeOn(label: string, dir: string, database: string, rows: number): Promise<Row[]> {
  const root = join(dir, label);
  writeConfig(root, database);
  const ports = await makePorts(root);
  const t0 = performance.now();
  if (dbOf(ports.store).dialect === 'sqlite') await withSqliteConnection(dbOf(ports.store), (conn) => seedSqlite(conn, rows));
  else await seedPg(dbOf(ports.store), rows);
  await dbOf(ports.store).close();
  console.log(`close on ${label}: ${rows} collections seeded in ${round((performance.now() - t0) / 1000)} s`);
  const load = round(loadavg()[0]!, 1); // the machine is shared: the wall clock counts waiting too
  const results = await runCloseChild(root, rows);
  return results.map((r) => ({ store: label, ...r, load_average: load }));
}

export async function benchClose(rows = 1_000_000): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kasi-bench-close-'));
  try {
    const results = await closeOn('SQLite', dir, 'sqlite:data/kasi.sqlite', rows);
    const url = await createPgDatabase('kasi_bench_close');
    try {
      results.push(...(await closeOn('PostgreSQL', dir, url, rows)));
    } finally {
      await dropPgDatabase('kasi_bench_close');
    }
    console.log(table(results));
    console.log('targets: total ≤ 15 s, peak RSS ≤ 400 MB (peak RSS: the close in a process of its own)\n');
    saveSection('close', { rows, results });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const childArg = process.argv.indexOf('--close-child');
if (childArg > 0) {
  await closeChild(process.argv[childArg + 1]!, Number(process.argv[childArg + 2]));
} else if (process.argv[1]?.endsWith('close.bench.js') && process.argv.includes('--run')) {
  await benchClose(Number(process.env.KASI_BENCH_ROWS ?? 1_000_000));
}
