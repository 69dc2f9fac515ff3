import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { databaseTarget, loadConfig } from '../src/config.js';
import { formatCents } from '../src/domain/money.js';
import { sampleBook } from '../src/domain/sample-book.js';
import { Paths, silentLog, type Ports } from '../src/usecases/ports.js';
import { writeSamplePolicies, POLICY_HEADER } from './sample-files.js';
import { openDb } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { round, saveSection, table } from './harness.js';
import { createPgDatabase, dropPgDatabase } from './harness.js';
import { runChild } from './child.js';
import { storeOf } from '../src/store/store.js';

/**
 * Issues 2 and 17's benchmark: 1,000,000 policy rows imported into a fresh SQLite file and into
 * PostgreSQL, against references timed in the same run on the same file, each case in a process
 * of its own:
 *   SQLite reference  = kasi's CSV parser + raw better-sqlite3 prepared inserts, no validation
 *   PostgreSQL ref    = client-side COPY of the raw file
 * both into a table with policies' unique key (the targets' references) and into a bare one,
 * and a re-import of the same book with 10% of premiums changed.
 */

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

async function makePorts(root: string, database: string): Promise<Ports> {
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(join(root, 'config/local.yaml'), stringify({ database, tenants: { bench: { name: 'Bench Insurance' } } }));
  const config = loadConfig({ root, env: {} });
  const db = openDb(databaseTarget(config));
  await migrate(db);
  return { config, store: storeOf(db), clock: { now: () => new Date('2025-11-01T06:00:00Z') }, log: silentLog, paths: new Paths(root) };
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

    // SQLite: each case in its own child process (peak RSS is then the case's own)
    const bare = await runChild<number>('sqlite-ref', { file, db: join(dir, 'ref-bare.sqlite'), keyed: 'no' });
    const ref = await runChild<number>('sqlite-ref', { file, db: join(dir, 'ref.sqlite'), keyed: 'yes' });
    const sp = await makePorts(join(dir, 'sqlite'), 'sqlite:data/kasi.sqlite');
    await sp.store.close();
    const sold = await makePorts(join(dir, 'sqlite-old'), 'sqlite:data/kasi.sqlite');
    await sold.store.close();
    const before = await runChild<number>('kasi-import', { root: join(dir, 'sqlite-old'), file, name: 'policies-1.csv', inProcess: 'yes' });
    const first = await runChild<number>('kasi-import', { root: join(dir, 'sqlite'), file, name: 'policies-1.csv' });
    const again = await runChild<number>('kasi-import', { root: join(dir, 'sqlite'), file: changed, name: 'policies-2.csv' });
    if (bare.value !== rows || ref.value !== rows || before.value !== rows || first.value !== rows || again.value !== rows) throw new Error('sqlite import did not take every row');
    results.push(row('SQLite reference, bare table (kasi parser + raw prepared insert, no validation)', rows, bare.seconds, ref.seconds, bare.peakRssMb));
    results.push(row('SQLite REFERENCE: same, into a table with the unique key (tenant_id, policy_number)', rows, ref.seconds, ref.seconds, ref.peakRssMb));
    results.push(row('SQLite kasi import, in-process (the path before the pipeline; fresh db)', rows, before.seconds, ref.seconds, before.peakRssMb));
    results.push(row('SQLite kasi import, pipeline (fresh db)', rows, first.seconds, ref.seconds, first.peakRssMb));
    results.push(row('SQLite kasi re-import, 10% premiums changed', rows, again.seconds, ref.seconds, again.peakRssMb));

    // PostgreSQL
    const refUrl = await createPgDatabase('kasi_bench_ref');
    const pgBare = await runChild<number>('pg-ref', { file, url: refUrl, keyed: 'no' });
    await dropPgDatabase('kasi_bench_ref');
    await createPgDatabase('kasi_bench_ref');
    const pgRef = await runChild<number>('pg-ref', { file, url: refUrl, keyed: 'yes' });
    await dropPgDatabase('kasi_bench_ref');
    const oldUrl = await createPgDatabase('kasi_bench_intake_old');
    const pold = await makePorts(join(dir, 'pg-old'), oldUrl);
    await pold.store.close();
    const pbefore = await runChild<number>('kasi-import', { root: join(dir, 'pg-old'), file, name: 'policies-1.csv', inProcess: 'yes' });
    await dropPgDatabase('kasi_bench_intake_old');
    const url = await createPgDatabase('kasi_bench_intake');
    const pp = await makePorts(join(dir, 'pg'), url);
    await pp.store.close();
    const pfirst = await runChild<number>('kasi-import', { root: join(dir, 'pg'), file, name: 'policies-1.csv' });
    const pagain = await runChild<number>('kasi-import', { root: join(dir, 'pg'), file: changed, name: 'policies-2.csv' });
    await dropPgDatabase('kasi_bench_intake');
    if (pgBare.value !== rows || pgRef.value !== rows || pbefore.value !== rows || pfirst.value !== rows || pagain.value !== rows) throw new Error('pg import did not take every row');
    results.push(row('PostgreSQL reference, bare table (client-side COPY FROM STDIN of the raw file)', rows, pgBare.seconds, pgRef.seconds, pgBare.peakRssMb));
    results.push(row('PostgreSQL REFERENCE: same, into a table with the unique key (tenant_id, policy_number)', rows, pgRef.seconds, pgRef.seconds, pgRef.peakRssMb));
    results.push(row('PostgreSQL kasi import, in-process (the path before the pipeline; fresh db)', rows, pbefore.seconds, pgRef.seconds, pbefore.peakRssMb));
    results.push(row('PostgreSQL kasi import, pipeline (fresh db)', rows, pfirst.seconds, pgRef.seconds, pfirst.peakRssMb));
    results.push(row('PostgreSQL kasi re-import, 10% premiums changed', rows, pagain.seconds, pgRef.seconds, pagain.peakRssMb));

    console.log(table(results));
    console.log('targets (ratio to the keyed REFERENCE): SQLite ≤ 1.5, PostgreSQL ≤ 2, peak RSS ≤ 300 MB\n');
    saveSection('intake', { rows, file_mb: mb, results });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(name: string, rows: number, seconds: number, refSeconds: number, rss: number): Record<string, string | number> {
  return { case: name, seconds: round(seconds), rows_per_s: Math.round(rows / seconds), ratio_to_ref: round(seconds / refSeconds), peak_rss_mb: rss };
}
