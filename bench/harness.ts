import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PACKAGE_DIR } from '../src/config.js';

/** Timing and peak-RSS sampling for the benchmark; results merged into bench/results.json. */
export interface Measured<T> {
  seconds: number;
  peakRssMb: number;
  value: T;
}

export async function measure<T>(fn: () => Promise<T> | T): Promise<Measured<T>> {
  (globalThis as { gc?: () => void }).gc?.();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const t0 = performance.now();
  try {
    const value = await fn();
    const seconds = (performance.now() - t0) / 1000;
    peak = Math.max(peak, process.memoryUsage.rss());
    return { seconds, peakRssMb: Math.round(peak / 1e6), value };
  } finally {
    clearInterval(timer);
  }
}

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../bench');

export function saveSection(name: string, data: unknown): void {
  const file = join(BENCH_DIR, 'results.json');
  const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  all[name] = { measured_at: new Date().toISOString(), node: process.version, ...(data as object) };
  writeFileSync(file, JSON.stringify(all, null, 2) + '\n');
}

export function table(rows: Record<string, string | number>[]): string {
  const cols = Object.keys(rows[0] ?? {});
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join('  ');
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
}

export const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

export const PG_ADMIN = process.env.KASI_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh PostgreSQL database for one bench case; returns its URL. */
export async function createPgDatabase(name: string): Promise<string> {
  await dropPgDatabase(name);
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
}

export async function dropPgDatabase(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}

export interface BenchDaemon {
  base: string;
  pid: number;
  stop: () => Promise<void>;
}

/** The built daemon on `root` at the clock `now`, on the port it logs once it has started. */
export async function startBenchDaemon(root: string, now: string): Promise<BenchDaemon> {
  const child = spawn(process.execPath, [join(PACKAGE_DIR, 'bin/kasi.js'), 'daemon'], {
    env: { ...process.env, KASI_ROOT: root, KASI_NOW: now, KASI_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /"http_port":(\d+)/.exec(err);
      if (m && err.includes('kasi daemon started')) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the daemon exited (${code}): ${err}`)));
  });
  child.stderr.removeAllListeners('data').resume();
  return {
    base: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
