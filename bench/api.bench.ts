import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { stringify } from 'yaml';
import { databaseTarget, loadConfig } from '../src/config.js';
import { openDb, withSqliteConnection } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { round, saveSection, startBenchDaemon, table } from './harness.js';

/**
 * The HTTP API of the built daemon (a child process) on loopback, loaded with autocannon from
 * this process: GET /v1/collections/{id} (random ids among 100k) and GET
 * /v1/reports/collections (the 100k-row report, CSV) in requests per second, with GET /healthz
 * (no key, no store) as the server's floor on the same machine. The period is closed by the
 * first report request (timed apart). Rate limits are lifted for the run.
 */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  throughput: { average: number };
  non2xx: number;
  errors: number;
}
type Request = { method?: string; path?: string; headers?: Record<string, string>; setupRequest?: (req: Request) => Request };
type Autocannon = (opts: { url: string; connections: number; duration: number; headers?: Record<string, string>; requests?: Request[] }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const PERIOD = '2025-11';
const NOW = '2025-11-01T04:00:00.000Z';
const KEY = 'bench-api-key';

function seed(conn: BetterSqlite3.Database, rows: number): void {
  const pol = conn.prepare(
    `INSERT INTO policies (id, tenant_id, policy_number, customer_id, external_customer_ref, product_code, collection_amount, status, created_at, updated_at)
     VALUES (?, 'bench', ?, ?, ?, 'FUNERAL_BASIC', ?, 'active', ?, ?)`,
  );
  const col = conn.prepare(
    `INSERT INTO collections (id, tenant_id, period, policy_id, policy_number, customer_id, external_customer_ref, product_code, amount_due, amount_collected,
       status, presentments, pending, first_attempt_date, last_attempt_date, last_failure_reason, created_at, updated_at)
     VALUES (?, 'bench', '${PERIOD}', ?, ?, ?, ?, 'FUNERAL_BASIC', ?, ?, 'OPEN', ?, 0, ?, ?, ?, ?, ?)`,
  );
  conn.exec('BEGIN');
  conn.prepare(`INSERT INTO tenants (id, name, created_at) VALUES ('bench', 'Bench Insurance', ?)`).run(NOW);
  conn.prepare(`INSERT INTO periods (tenant_id, period, executed_at) VALUES ('bench', '${PERIOD}', ?)`).run(NOW);
  for (let i = 1; i <= rows; i++) {
    const due = 5_000 + ((i * 7919) % 50_000);
    const k = i % 10; // 60% paid, 20% partly, 20% unpaid
    const collected = k < 6 ? due : k < 8 ? Math.floor(due / 2) : 0;
    const policy = `POL${String(i).padStart(8, '0')}`;
    pol.run(i, policy, `C${i}`, `REF-${i}`, due, NOW, NOW);
    col.run(i, i, policy, `C${i}`, `REF-${i}`, due, collected, k < 8 ? 1 : 2, '2025-11-04', '2025-11-26', k < 8 ? null : 'INSUFFICIENT_FUNDS', NOW, NOW);
  }
  conn.exec('COMMIT');
}

const peakRssMb = (pid: number) => Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);

export async function benchApi(rows = 100_000, seconds = Number(process.env.KASI_BENCH_API_SECONDS ?? 10)): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'kasi-bench-api-'));
  try {
    mkdirSync(join(root, 'config'), { recursive: true });
    const digest = createHash('sha256').update(KEY).digest('hex');
    writeFileSync(
      join(root, 'config/local.yaml'),
      stringify({
        database: 'sqlite:data/kasi.sqlite',
        http: { port: 0, host: '127.0.0.1', rate_limits: { reads_per_minute: 1e9, writes_per_minute: 1e9 } },
        daemon: { catch_up_days: 0 },
        tenants: { bench: { name: 'Bench Insurance', api_key_sha256: [digest] } },
      }),
    );
    const db = openDb(databaseTarget(loadConfig({ root, env: {} })));
    await migrate(db);
    await withSqliteConnection(db, (conn) => seed(conn, rows));
    await db.close();
    const daemon = await startBenchDaemon(root, '2025-12-01T09:00:00+02:00');
    const headers = { 'x-api-key': KEY };
    try {
      const url = `${daemon.base}/v1/reports/collections?period_month=${PERIOD}`;
      const t0 = performance.now();
      const first = await fetch(url, { headers });
      const firstBody = await first.arrayBuffer();
      const firstSeconds = (performance.now() - t0) / 1000;
      if (first.status !== 200) throw new Error(`report: ${first.status} ${Buffer.from(firstBody).toString()}`);
      const reportMb = statSync(join(root, `outbox/bench/${PERIOD}/collections-${PERIOD}.csv`)).size / 1e6;

      const run = async (name: string, opts: Omit<Parameters<Autocannon>[0], 'duration'>) => {
        const r = await autocannon({ ...opts, duration: seconds });
        if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
        return { case: name, 'requests/s': round(r.requests.average, 0), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, 'MB/s': round(r.throughput.average / 1e6, 1), requests: r.requests.total };
      };
      const healthz = await run('GET /healthz (floor: no key, no store)', { url: `${daemon.base}/healthz`, connections: 10 });
      const collection = await run(`GET /v1/collections/{id} (random of ${rows})`, {
        url: daemon.base,
        connections: 10,
        headers,
        requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/v1/collections/${1 + Math.floor(Math.random() * rows)}` }) }],
      });
      const report = await run(`GET /v1/reports/collections (${rows} rows, ${round(reportMb, 1)} MB CSV)`, { url, connections: 4, headers });
      const rssMb = peakRssMb(daemon.pid);
      const rowsOut = [healthz, collection, report];
      console.log(`\napi (the daemon on loopback, autocannon ${seconds} s per case; first report request closes the period: ${round(firstSeconds)} s)\n`);
      console.log(table(rowsOut));
      console.log(`daemon peak RSS ${rssMb} MB`);
      saveSection('api', {
        rows,
        seconds_per_case: seconds,
        first_report_request_s: round(firstSeconds),
        report_mb: round(reportMb, 1),
        daemon_peak_rss_mb: rssMb,
        cases: rowsOut,
      });
    } finally {
      await daemon.stop();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
