import pino from 'pino';
import { ConfigError, databaseTarget, loadConfig, type KasiConfig } from '../config.js';
import { openDb } from '../store/db.js';
import { assertSchemaCurrent, SchemaTooNewError } from '../store/migrate.js';
import { Paths, type Clock, type Log, type Ports } from '../usecases/ports.js';
import { storeOf } from '../store/store.js';

/**
 * The composition root's helpers: global options → config → ports. Only the CLI reads the
 * environment and process-wide things.
 */
export interface GlobalOptions {
  config?: string;
  root?: string;
  db?: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

export function readConfig(opts: GlobalOptions): KasiConfig {
  try {
    return loadConfig({ root: opts.root, configFile: opts.config, database: opts.db, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
}

/** KASI_NOW (an ISO date or date-time, SAST when no offset) pins "now"; unset = the real clock. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const raw = env.KASI_NOW;
  if (!raw) return { now: () => new Date() };
  const fixed = parseNow(raw);
  return { now: () => new Date(fixed.getTime()) };
}

export function parseNow(raw: string): Date {
  let s = raw.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s += 'T08:00:00';
  if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s += '+02:00';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new CliError(`KASI_NOW="${raw}" is not a date or date-time (e.g. 2025-11-03 or 2025-11-03T06:00:00+02:00)`, 2);
  return d;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** KASI_LOG_LEVEL, checked: a typo must not silently fall back (or crash inside pino). */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.KASI_LOG_LEVEL?.trim().toLowerCase();
  if (raw === undefined || raw === '') return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new CliError(`KASI_LOG_LEVEL="${env.KASI_LOG_LEVEL}" is not a log level; use one of ${LOG_LEVELS.join(', ')}`, 2);
  return raw;
}

export function makeLogger(level = logLevelFromEnv()): Log {
  // JSON lines on stderr; stdout is for the command's own output.
  return pino({ level, base: { app: 'kasi' }, redact: { paths: ['*.password', '*.private_key', '*.api_key', 'password'], censor: '[secret]' } }, pino.destination(2)) as unknown as Log;
}

export async function openPorts(opts: GlobalOptions, extra: { log?: Log; migrate?: boolean } = {}): Promise<Ports> {
  const config = readConfig(opts);
  const db = openDb(databaseTarget(config));
  try {
    await assertSchemaCurrent(db);
  } catch (err) {
    await db.close();
    if (err instanceof SchemaTooNewError) throw new CliError(err.message, 1);
    throw new CliError(`cannot open the database (${describeDb(config)}): ${(err as Error).message}`, 1);
  }
  return { config, store: storeOf(db), clock: clockFromEnv(), log: extra.log ?? makeLogger(), paths: new Paths(config.root) };
}

/** Close the database behind `ports` (the end of a one-shot command). */
export function closePorts(ports: Pick<Ports, 'store'>): Promise<void> {
  return ports.store.close();
}

export function describeDb(config: KasiConfig): string {
  const t = databaseTarget(config);
  return t.client === 'sqlite' ? `SQLite ${t.file}` : `PostgreSQL ${t.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}`;
}
