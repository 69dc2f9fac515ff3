import type { Db } from './db.js';
import { ping } from './db.js';
import { schemaState } from './migrate.js';
import { reading, transaction, type Sql } from './sql.js';
import * as adjustments from './adjustment.repository.js';
import * as apiLists from './api-list.repository.js';
import * as api from './api.repository.js';
import * as attemptResults from './attempt-results.repository.js';
import * as audit from './audit.repository.js';
import * as batchChunks from './batch-chunk.repository.js';
import * as consoleAuth from './console-auth.repository.js';
import * as consoleHolds from './console-holds.repository.js';
import * as consoleOps from './console-ops.repository.js';
import * as consoleSummary from './console-summary.repository.js';
import * as consoleReads from './console.repository.js';
import * as daemonReads from './daemon-reads.repository.js';
import * as debitFiles from './debit-file.repository.js';
import * as deliveries from './delivery.repository.js';
import * as edgeReads from './edge-reads.repository.js';
import * as engine from './engine.repository.js';
import * as executionLedger from './execution-ledger.repository.js';
import * as idempotency from './idempotency.repository.js';
import * as income from './income.repository.js';
import * as intakeClaims from './intake-claim.repository.js';
import * as intakeFiles from './intake-file.repository.js';
import * as invoices from './invoice.repository.js';
import * as metrics from './metrics.repository.js';
import * as payments from './payment.repository.js';
import * as periods from './period.repository.js';
import * as policyHolds from './policy-hold.repository.js';
import * as policyImport from './policy-import.repository.js';
import * as reports from './report.repository.js';
import * as scheduleRuns from './schedule-runs.repository.js';
import * as schedule from './schedule.repository.js';
import * as settlements from './settlement.repository.js';
import * as simulation from './simulation.repository.js';
import * as status from './status.repository.js';
import * as webhooks from './webhook.repository.js';
import * as locks from './session-lock.js';

/**
 * The store a use case is handed (`ports.store`): one object per aggregate whose functions are
 * the repository functions of src/store/ with the database handle already bound. A use case
 * never holds the database itself: it calls `store.settlements.findSettlementByNumber(n)` or,
 * for several statements in one transaction, `store.transaction(async (tx) => tx.settlements…)`.
 *
 * The binding is generic: a repository function whose first parameter is the `Db` appears on the
 * store, one whose first parameter is a transaction's `Sql` appears on `tx` (and on the reader of
 * `store.reading`). A new repository module is listed once in `REPOSITORIES` below.
 */
const REPOSITORIES = {
  adjustments,
  apiLists,
  api,
  attemptResults,
  audit,
  batchChunks,
  consoleAuth,
  consoleHolds,
  consoleOps,
  consoleSummary,
  consoleReads,
  daemonReads,
  debitFiles,
  deliveries,
  edgeReads,
  engine,
  executionLedger,
  idempotency,
  income,
  intakeClaims,
  intakeFiles,
  invoices,
  locks,
  metrics,
  payments,
  periods,
  policyHolds,
  policyImport,
  reports,
  scheduleRuns,
  schedule,
  settlements,
  simulation,
  status,
  webhooks,
} as const;

type Repositories = typeof REPOSITORIES;

/** `module`'s functions whose first parameter is a `H`, with that parameter bound. */
export type Bound<M, H> = {
  [K in keyof M as M[K] extends (h: H, ...rest: never[]) => unknown ? K : never]: M[K] extends (h: H, ...rest: infer A) => infer R ? (...rest: A) => R : never;
};

/** Every repository with handle `H` bound. */
export type Bind<H> = { readonly [K in keyof Repositories]: Bound<Repositories[K], H> };

/** The repositories of one transaction (or one consistent read). */
export interface Tx extends Bind<Sql> {
  readonly dialect: 'sqlite' | 'pg';
}

export interface Store extends Bind<Db> {
  readonly dialect: 'sqlite' | 'pg';
  /** One transaction: every repository call on `tx` is in it; committed when `fn` resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Reads on one connection, without a transaction (SQLite: one consistent snapshot per statement). */
  reading<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** The database answers (readiness probe). */
  ping(): Promise<void>;
  /** Applied, pending and unknown migrations. */
  schemaState(): ReturnType<typeof schemaState>;
  /** Close the database (the pool's connections); the store is unusable after. */
  close(): Promise<void>;
}

/**
 * Lazily bound: a module's object is built the first time it is used on this handle, so a
 * transaction that touches two repositories binds two modules, not all of them.
 */
function bindAll<H extends object>(handle: H): Bind<H> {
  const cache = new Map<string, object>();
  const out = {} as Record<string, object>;
  for (const name of Object.keys(REPOSITORIES) as (keyof Repositories)[]) {
    Object.defineProperty(out, name, {
      enumerable: true,
      get() {
        let bound = cache.get(name);
        if (!bound) {
          bound = bindModule(REPOSITORIES[name], handle);
          cache.set(name, bound);
        }
        return bound;
      },
    });
  }
  return out as unknown as Bind<H>;
}

function bindModule(mod: object, handle: object): object {
  const bound: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(mod)) {
    if (typeof value === 'function') bound[key] = (...args: unknown[]) => (value as (...a: unknown[]) => unknown)(handle, ...args);
  }
  return bound;
}

function txOf(sql: Sql): Tx {
  return Object.assign(bindAll(sql), { dialect: sql.dialect });
}

/** Module-private, so that only src/store/ (and tests asserting table contents) reach the handle behind a store. */
const dbs = new WeakMap<Store, Db>();

export function storeOf(db: Db): Store {
  const store: Store = Object.assign(bindAll(db), {
    dialect: db.dialect,
    transaction: <T>(fn: (tx: Tx) => Promise<T>) => transaction(db, (sql) => fn(txOf(sql))),
    reading: <T>(fn: (tx: Tx) => Promise<T>) => reading(db, (sql) => fn(txOf(sql))),
    ping: () => ping(db),
    schemaState: () => schemaState(db),
    close: () => db.close(),
  });
  dbs.set(store, db);
  return store;
}

/** The database behind `store`: for src/store/, the composition root and tests only (lint keeps it out of use cases). */
export function dbOf(store: Store): Db {
  const db = dbs.get(store);
  if (!db) throw new Error('dbOf: not a store returned by storeOf');
  return db;
}
