import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import { readCsvBatches } from '../src/intake/csv-source.js';
import pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { stringify } from 'yaml';
import { databaseTarget, loadConfig } from '../src/config.js';
import { formatCents } from '../src/domain/money.js';
import { sampleBook } from '../src/domain/sample-book.js';
import { importFile } from '../src/jobs/import-file.js';
import { Paths, silentLog, type Ports } from '../src/jobs/ports.js';
import { writeSamplePolicies, POLICY_HEADER } from '../src/jobs/sample-files.js';
import { openDb } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { measure, round, saveSection, table } from './harness.js';

/**
 * Issue 2's benchmark: 1,000,000 policy rows imported into a fresh SQLite file and into
 * PostgreSQL, against references timed in the same process on the same file:
 *   SQLite reference  = csv-parse + raw better-sqlite3 prepared inserts, no validation
 *   PostgreSQL ref    = COPY of the raw file into a bare table
 * and a re-import of the same book with 10% of premiums changed.
 */
const PG_ADMIN = process.env.KASI_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function writeChanged(path: string, count: number, seed: number): Promise<void> {
  let out = POLICY_HEADER;
  const parts: string[] = [];
  let i = 0;
  for (const p of sampleBook(count, seed)) {
    const cents = i % 10 === 3 ? p.collection_amount_cents + 500 : p.collection_amount_cents;
    out += `${p.customer_id},${p.external_customer_ref},${p.policy_number},${p.product_code},${formatCents(cents)},active\n`;
    if (++i % 10000 === 0) {
      parts.push(out);
      out = '';
    }
  }
  parts.push(out);
  writeFileSync(path, parts.join(''));
}

async function sqliteReference(file: string, dbFile: string): Promise<number> {
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE ref (customer_id TEXT, external_customer_ref TEXT, policy_number TEXT, product_code TEXT, collection_amount TEXT, status TEXT)');
  const ins = db.prepare('INSERT INTO ref VALUES (?, ?, ?, ?, ?, ?)');
  let n = 0;
  db.exec('BEGIN');
  let header = true;
  for await (const batch of readCsvBatches(file, { encoding: 'utf-8', bom: false, delimiter: ',' })) {
    for (const item of batch) {
      if (item.kind !== 'record') continue;
      if (header) {
        header = false;
        continue;
      }
      const rec = item.cells;
      ins.run(rec[0], rec[1], rec[2], rec[3], rec[4], rec[5]);
      n++;
    }
  }
  db.exec('COMMIT');
  db.close();
  return n;
}

async function pgReference(file: string, url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('CREATE TABLE ref (customer_id TEXT, external_customer_ref TEXT, policy_number TEXT, product_code TEXT, collection_amount TEXT, status TEXT)');
  await pipeline(createReadStream(file), c.query(pgCopy.from("COPY ref FROM STDIN (FORMAT csv, HEADER true)")));
  const r = await c.query('SELECT count(*)::int AS n FROM ref');
  await c.end();
  return (r.rows[0] as { n: number }).n;
}

async function makePorts(root: string, database: string): Promise<Ports> {
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(join(root, 'config/local.yaml'), stringify({ database, tenants: { bench: { name: 'Bench Insurance' } } }));
  const config = loadConfig({ root, env: {} });
  const db = openDb(databaseTarget(config));
  await migrate(db);
  return { config, db, clock: { now: () => new Date('2025-11-01T06:00:00Z') }, log: silentLog, paths: new Paths(root) };
}

async function createDb(name: string): Promise<string> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
}

async function dropDb(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}

export async function benchIntake(rows = 1_000_000): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kasi-bench-intake-'));
  try {
    const file = join(dir, 'policies-bench.csv');
    const changed = join(dir, 'policies-bench-changed.csv');
    await writeSamplePolicies(file, rows, 1);
    await writeChanged(changed, rows, 1);
    const mb = round(statSync(file).size / 1e6, 1);
    console.log(`intake: ${rows} rows, ${mb} MB`);
    const results: Record<string, string | number>[] = [];

    // SQLite
    const ref = await measure(() => sqliteReference(file, join(dir, 'ref.sqlite')));
    const sqlRoot = join(dir, 'sqlite');
    const sp = await makePorts(sqlRoot, 'sqlite:data/kasi.sqlite');
    const first = await measure(() => importFile(sp, { tenantId: 'bench', path: file, name: 'policies-1.csv', mode: 'copy' }));
    const again = await measure(() => importFile(sp, { tenantId: 'bench', path: changed, name: 'policies-2.csv', mode: 'copy' }));
    await sp.db.close();
    if (first.value.imported !== rows || again.value.imported !== rows) throw new Error('sqlite import did not take every row');
    results.push(row('SQLite reference (kasi parser + raw prepared insert, no validation)', rows, ref.seconds, ref.seconds, ref.peakRssMb));
    results.push(row('SQLite kasi import (fresh db)', rows, first.seconds, ref.seconds, first.peakRssMb));
    results.push(row('SQLite kasi re-import, 10% premiums changed', rows, again.seconds, ref.seconds, again.peakRssMb));

    // PostgreSQL
    const refUrl = await createDb('kasi_bench_ref');
    const pgRef = await measure(() => pgReference(file, refUrl));
    await dropDb('kasi_bench_ref');
    const url = await createDb('kasi_bench_intake');
    const pp = await makePorts(join(dir, 'pg'), url);
    const pfirst = await measure(() => importFile(pp, { tenantId: 'bench', path: file, name: 'policies-1.csv', mode: 'copy' }));
    const pagain = await measure(() => importFile(pp, { tenantId: 'bench', path: changed, name: 'policies-2.csv', mode: 'copy' }));
    await pp.db.close();
    await dropDb('kasi_bench_intake');
    if (pfirst.value.imported !== rows || pagain.value.imported !== rows) throw new Error('pg import did not take every row');
    results.push(row('PostgreSQL reference (COPY raw file)', rows, pgRef.seconds, pgRef.seconds, pgRef.peakRssMb));
    results.push(row('PostgreSQL kasi import (fresh db)', rows, pfirst.seconds, pgRef.seconds, pfirst.peakRssMb));
    results.push(row('PostgreSQL kasi re-import, 10% premiums changed', rows, pagain.seconds, pgRef.seconds, pagain.peakRssMb));

    console.log(table(results));
    console.log('targets: ratio ≤ 1.5 on each database, peak RSS ≤ 300 MB\n');
    saveSection('intake', { rows, file_mb: mb, results });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(name: string, rows: number, seconds: number, refSeconds: number, rss: number): Record<string, string | number> {
  return { case: name, seconds: round(seconds), rows_per_s: Math.round(rows / seconds), ratio_to_ref: round(seconds / refSeconds), peak_rss_mb: rss };
}
