import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

/**
 * The built CLI (`node bin/kasi.js`) as a child process, as a user or a script runs it.
 * `npm test` builds first; run `npm run build` before `npx vitest run test/e2e/...`.
 */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KASI_BIN = join(REPO, 'bin/kasi.js');

export function requireBuilt(): void {
  if (!existsSync(join(REPO, 'dist/src/cli/main.js'))) {
    throw new Error(`${join(REPO, 'dist')} is missing: run \`npm run build\` first (\`npm test\` does it for you)`);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** added to a clean environment (the parent's KASI_* variables are not inherited) */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KASI_') && !k.startsWith('VITEST') && v !== undefined) env[k] = v;
  env.KASI_LOG_LEVEL = 'warn';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

const live = new Set<ChildProcess>();

/** A running kasi process: its output so far, and its end. */
export interface KasiProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<CliResult>;
}

export function spawnKasi(args: string[], opts: CliOptions = {}): KasiProcess {
  requireBuilt();
  const child = spawn(process.execPath, [KASI_BIN, ...args], { cwd: opts.cwd ?? REPO, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<CliResult>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code, signal) => {
      live.delete(child);
      res({ code, signal, stdout: out, stderr: err });
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Run kasi to its end. */
export function runKasi(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return spawnKasi(args, opts).exited;
}

/** For afterEach/afterAll: SIGKILL every kasi child still running. */
export async function killAllKasi(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const c of live) {
    waits.push(new Promise((r) => c.once('close', r)));
    c.kill('SIGKILL');
  }
  await Promise.all(waits);
}

/** Poll `check` every `everyMs` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * The config/local.yaml of a daemon under test, `over` replacing whole top-level keys: SQLite in the
 * root, the simulator, HTTP on a free loopback port, a quick inbox (settle 0.1 s, rescan 0.2 s) and
 * no catch-up of earlier days.
 */
export function daemonConfig(over: Record<string, unknown>): Record<string, unknown> {
  return {
    database: 'sqlite:data/kasi.sqlite',
    gateway: 'simulator',
    http: { port: 0, host: '127.0.0.1' },
    intake: { settle_seconds: 0.1 },
    schedules: { inbox_rescan_seconds: 0.2 },
    daemon: { catch_up_days: 0 },
    ...over,
  };
}

/** A fresh runtime root under the temp folder, made by `kasi init` for `tenant`, with `config` as its config/local.yaml. */
export async function initRoot(prefix: string, tenant: string, config: Record<string, unknown>): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const init = await runKasi(['init', '--root', root, '--tenant', tenant]);
  if (init.code !== 0) throw new Error(`kasi init exited ${init.code}: ${init.stderr}`);
  writeFileSync(join(root, 'config/local.yaml'), stringify(config));
  return root;
}
