import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { databaseTarget, loadConfig } from '../src/config.js';
import { SimulatedBank } from '../src/bank/simulator.js';
import { runBatch } from '../src/usecases/collect/batch.js';
import { engineSetup } from '../src/usecases/collect/engine-setup.js';
import { executeCollections } from '../src/usecases/collect/execute.js';
import { importFile } from '../src/usecases/intake/import-file.js';
import { Paths, silentLog, type Ports } from '../src/usecases/ports.js';
import { writeSamplePolicies } from './sample-files.js';
import { simulate } from '../src/usecases/collect/simulate.js';
import { openDb } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { reading } from '../src/store/sql.js';
import { measure, round, saveSection, table } from './harness.js';
import { createPgDatabase, dropPgDatabase } from './harness.js';
import { dbOf, storeOf } from '../src/store/store.js';

/**
 * Issue 3's benchmark: (a) a daily batch over 1,000,000 open collections on SQLite and
 * PostgreSQL; (b) `kasi simulate` of a full month for 100,000 policies; (c) the yardstick,
 * default vs naive strategy on the same seeded population. The reference for (a) is a plain read
 * of the same collections in the same process.
 */

async function ports(root: string, database: string): Promise<Ports & { setNow(d: Date): void }> {
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(join(root, 'config/local.yaml'), stringify({ database, tenants: { demo: { name: 'Bench Insurance' } } }));
  const config = loadConfig({ root, env: {} });
  const db = openDb(databaseTarget(config));
  await migrate(db);
  let now = new Date('2025-11-01T04:00:00Z');
  return { config, store: storeOf(db), clock: { now: () => now }, log: silentLog, paths: new Paths(root), setNow: (d) => (now = d) };
}


async function batchOn(label: string, dir: string, database: string, n: number): Promise<Record<string, string | number>[]> {
  const p = await ports(join(dir, label), database);
  const file = join(dir, `${label}-policies.csv`);
  await writeSamplePolicies(file, n, 5);
  await importFile(p, { tenantId: 'demo', path: file, name: 'policies-bench.csv', mode: 'copy' });
  await executeCollections(p, 'demo', '2025-11');
  const setup = engineSetup(p.config);
  const bank = new SimulatedBank({ seed: 42, calendar: setup.calendar });
  const ref = await measure(() =>
    reading(dbOf(p.store), async (sql) => {
      const rows = await sql.all<{ id: number }>(`SELECT id, policy_number, customer_id, amount_due, amount_collected FROM collections WHERE tenant_id = 'demo' AND period = '2025-11'`);
      return rows.length;
    }),
  );
  const plan = await measure(() => runBatch(p, { date: '2025-11-03', gateway: bank, setup }));
  const present = await measure(() => runBatch(p, { date: '2025-11-26', gateway: bank, setup }));
  await p.store.close();
  const t = present.value.status === 'done' ? present.value.tenants[0]! : null;
  return [
    { case: `${label}: reference read of ${n} collections`, seconds: round(ref.seconds), ratio_to_ref: 1, presented: 0, peak_rss_mb: ref.peakRssMb },
    { case: `${label}: batch 2025-11-03 (plan all, present none)`, seconds: round(plan.seconds), ratio_to_ref: round(plan.seconds / ref.seconds), presented: 0, peak_rss_mb: plan.peakRssMb },
    { case: `${label}: batch 2025-11-26 (plan all, present + results)`, seconds: round(present.seconds), ratio_to_ref: round(present.seconds / ref.seconds), presented: t?.presented ?? 0, peak_rss_mb: present.peakRssMb },
  ];
}

async function simulateMonth(dir: string, name: string, policies: number, strategy: 'default' | 'naive') {
  const p = await ports(join(dir, name), 'sqlite:data/kasi.sqlite');
  const m = await measure(() =>
    simulate(p, { from: '2025-11-01', to: '2025-11-30', tenant: 'demo', policies, seed: 42, strategy, incomeFeedShare: 1, setNow: p.setNow }),
  );
  await p.store.close();
  return m;
}

export async function benchEngine(opts: { batchRows?: number; simPolicies?: number } = {}): Promise<void> {
  const n = opts.batchRows ?? 1_000_000;
  const sims = opts.simPolicies ?? 100_000;
  const dir = mkdtempSync(join(tmpdir(), 'kasi-bench-engine-'));
  try {
    const rows = await batchOn('SQLite', dir, 'sqlite:data/kasi.sqlite', n);
    const url = await createPgDatabase('kasi_bench_engine');
    rows.push(...(await batchOn('PostgreSQL', dir, url, n)));
    await dropPgDatabase('kasi_bench_engine');
    console.log(table(rows));
    console.log('targets: a daily batch over 1,000,000 open collections ≤ 20 s on SQLite, ≤ 40 s on PostgreSQL\n');

    const def = await simulateMonth(dir, 'sim-default', sims, 'default');
    const naive = await simulateMonth(dir, 'sim-naive', sims, 'naive');
    const yard = [def, naive].map((m, i) => {
      const s = m.value;
      const p = s.periods[0]!;
      return {
        strategy: i === 0 ? 'default' : 'naive',
        seconds: round(m.seconds),
        collection_rate_pct: round(p.rate * 100, 1),
        presentments: s.presentments,
        failed: s.failed,
        failed_per_success: round(s.failedPerSuccess, 3),
        mean_day_of_collection: round(s.meanDayOfCollection, 1),
        peak_rss_mb: m.peakRssMb,
      };
    });
    console.log(table(yard));
    const d = yard[0]!;
    const nv = yard[1]!;
    console.log(
      `yardstick: default collects ${round(d.collection_rate_pct - nv.collection_rate_pct, 1)} percentage points more than naive ` +
        `with ${round((d.failed / nv.failed) * 100, 1)}% of its failed presentments (targets: ≥ 10 points, ≤ 50%); ` +
        `simulate of ${sims} policies for a month: ${d.seconds} s (target ≤ 60 s)\n`,
    );
    saveSection('engine', { batch_rows: n, batch: rows, simulate_policies: sims, yardstick: yard });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
