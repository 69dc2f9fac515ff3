import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { databaseTarget, loadConfig } from '../src/config.js';
import { writeSamplePolicies } from './sample-files.js';
import { openDb } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { createPgDatabase, dropPgDatabase, round, saveSection, table } from './harness.js';

/**
 * The scaling curve (issue 17): import, the present-all day and the close of one tenant at each
 * size (default 250k, 1M, 4M collections; `--sizes 250000,1000000`), on SQLite and PostgreSQL.
 * Each step runs in a process of its own (time, CPU and its own peak RSS). "Per doubling" is the
 * growth of a step's time for each doubling of the book, from the size before: the cost grows in a
 * straight line while it stays ≤ 2.2× (2× is exactly linear; the margin is for index depth and
 * a shared machine).
 */
const SCALE_TENANT = 'demo'; // bench/scale-child.ts takes this tenant's steps
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'scale-child.js');
const STEPS = ['import', 'day', 'close'] as const;
const LABEL = { import: 'import (policy file)', day: 'present-all day (open + batch 2025-11-26)', close: 'close (report + settlement + CSV)' } as const;

interface StepRun {
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  value: number;
  /** the day: heap the simulated bank keeps live after the batch, and what kasi keeps */
  simulatedBankHeapMb?: number;
  kasiHeapKeptMb?: number;
}

function runStep(step: string, root: string, file: string): Promise<StepRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', CHILD, step, root, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as StepRun) : reject(new Error(`scale step ${step} exited ${code}`))));
  });
}

async function prepare(root: string, database: string): Promise<void> {
  mkdirSync(join(root, 'config'), { recursive: true });
  const bank_account = { holder: 'Bench Insurance', bank: 'Absa', branch_code: '632005', number: '4000000000', type: 'current' };
  writeFileSync(join(root, 'config/local.yaml'), stringify({ database, tenants: { [SCALE_TENANT]: { name: 'Bench Insurance', vat_number: '4100000000', bank_account } } }));
  const db = openDb(databaseTarget(loadConfig({ root, env: {} })));
  await migrate(db);
  await db.close();
}

type Row = Record<string, string | number>;

/** The three steps at one size on one store. */
async function curvePoint(store: 'SQLite' | 'PostgreSQL', dir: string, file: string, size: number): Promise<Row[]> {
  const pgName = `kasi_bench_scale_${size}`;
  const database = store === 'SQLite' ? 'sqlite:data/kasi.sqlite' : await createPgDatabase(pgName);
  const root = join(dir, `${store}-${size}`);
  try {
    await prepare(root, database);
    const rows: Row[] = [];
    for (const step of STEPS) {
      const load = round(loadavg()[0]!, 1);
      const r = await runStep(step, root, file);
      if (step === 'import' && r.value !== size) throw new Error(`${store} ${size}: imported ${r.value}`);
      if (step === 'day' && r.value !== size) throw new Error(`${store} ${size}: presented ${r.value}`);
      rows.push({ store, step: LABEL[step], collections: size, seconds: round(r.seconds), cpu_seconds: round(r.cpuSeconds), peak_rss_mb: r.peakRssMb, sim_bank_heap_mb: r.simulatedBankHeapMb ?? '', kasi_heap_kept_mb: r.kasiHeapKeptMb ?? '', load_average: load });
      console.log(`scale: ${store} ${size} ${step}: ${round(r.seconds)} s, ${r.peakRssMb} MB`);
    }
    return rows;
  } finally {
    rmSync(root, { recursive: true, force: true });
    if (store === 'PostgreSQL') await dropPgDatabase(pgName);
  }
}

/** Each row's growth per doubling of the book against the same store and step at the size before. */
function perDoubling(rows: Row[]): Row[] {
  return rows.map((r) => {
    const before = rows.filter((o) => o.store === r.store && o.step === r.step && Number(o.collections) < Number(r.collections)).at(-1);
    if (!before) return { ...r, time_per_doubling: '', rss_per_doubling: '' };
    const doublings = Math.log2(Number(r.collections) / Number(before.collections));
    const per = (a: number, b: number) => round((a / b) ** (1 / doublings));
    return { ...r, time_per_doubling: per(Number(r.seconds), Number(before.seconds)), rss_per_doubling: per(Number(r.peak_rss_mb), Number(before.peak_rss_mb)) };
  });
}

export async function benchScale(sizes: number[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kasi-bench-scale-'));
  const t0 = performance.now();
  try {
    const rows: Row[] = [];
    for (const size of [...sizes].sort((a, b) => a - b)) {
      const file = join(dir, `policies-${size}.csv`);
      await writeSamplePolicies(file, size, 5);
      for (const store of ['SQLite', 'PostgreSQL'] as const) rows.push(...(await curvePoint(store, dir, file, size)));
      rmSync(file);
    }
    const curve = perDoubling(rows);
    console.log(table(curve));
    const minutes = round((performance.now() - t0) / 60_000, 1);
    console.log(`scale: the whole curve took ${minutes} min; linear while time_per_doubling ≤ 2.2\n`);
    saveSection('scale', { sizes, minutes, curve });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
