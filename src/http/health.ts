import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store/store.js';

/**
 * Liveness and readiness (SPEC 6) as plain async handlers returning `{status, contentType,
 * body}`; the daemon's HTTP server (src/http/api/app.ts, Fastify) serves them on `http.port`
 * beside the API, without a key.
 */
export interface OpsResponse {
  status: number;
  contentType: string;
  body: string;
}

export type OpsHandler = () => Promise<OpsResponse>;

const json = (status: number, body: unknown): OpsResponse => ({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) + '\n' });

/** 200 while the process is up and serving. */
export const healthz: OpsHandler = async () => json(200, { status: 'ok' });

export interface ReadinessDeps {
  /** the database's probes: `ping` and `schemaState` */
  store: Pick<Store, 'ping' | 'schemaState'>;
  /** the scheduler loop (null: not part of this process, e.g. an API-only one) */
  scheduler: { readonly running: boolean } | null;
  /** bound on each database check; a database that hangs is not ready */
  timeoutMs?: number;
}

async function bounded<T>(what: Promise<T>, ms: number): Promise<T> {
  const stop = new AbortController();
  try {
    return await Promise.race([
      what,
      sleep(ms, undefined, { signal: stop.signal }).then(() => {
        throw new Error(`no answer within ${ms} ms`);
      }),
    ]);
  } finally {
    stop.abort();
  }
}

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/**
 * 200 only when the database answers `SELECT 1`, its schema is exactly this kasi's and the
 * scheduler loop runs; else 503 with every failing check and why.
 */
export function readyz(deps: ReadinessDeps): OpsHandler {
  const ms = deps.timeoutMs ?? 2000;
  return async () => {
    const checks: Record<string, string> = {};
    try {
      await bounded(deps.store.ping(), ms);
      checks.database = 'ok';
    } catch (err) {
      checks.database = `unreachable: ${reason(err)}`;
    }
    if (checks.database === 'ok') {
      try {
        const s = await bounded(deps.store.schemaState(), ms);
        checks.migrations = s.unknown.length ? `schema newer than this kasi: ${s.unknown.join(', ')}` : s.pending.length ? `pending: ${s.pending.join(', ')}` : 'ok';
      } catch (err) {
        checks.migrations = `unknown: ${reason(err)}`;
      }
    } else checks.migrations = 'unknown: the database is unreachable';
    if (deps.scheduler) checks.scheduler = deps.scheduler.running ? 'ok' : 'not running';
    const ready = Object.values(checks).every((v) => v === 'ok');
    return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
  };
}
