import type { Knex } from 'knex';
import { withPgConnection, type Db, knexOf } from './db.js';
import * as m001 from './migrations/001_foundation.js';
import * as m002 from './migrations/002_engine.js';
import * as m003 from './migrations/003_close.js';
import * as m004 from './migrations/004_sftp.js';
import * as m005 from './migrations/005_schedule.js';
import * as m006 from './migrations/006_api.js';
import * as m007 from './migrations/007_replicas.js';
import * as m008 from './migrations/008_close_perf.js';
import * as m009 from './migrations/009_engine_perf.js';
import * as m010 from './migrations/010_engine_results.js';
import * as m011 from './migrations/011_attempt_indexes.js';
import * as m012 from './migrations/012_in_flight.js';
import * as m013 from './migrations/013_sftp_moved.js';
import * as m014 from './migrations/014_policy_holds.js';
import * as m015 from './migrations/015_api_lists.js';
import * as m016 from './migrations/016_console.js';
import * as m017 from './migrations/017_webhooks.js';

/**
 * Migrations are owned code, listed here in order, forward-only. The daemon refuses to run on a
 * schema that has migrations it does not know (a newer kasi migrated this database).
 */
interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const MIGRATIONS: ReadonlyArray<readonly [string, Migration]> = [
  ['001_foundation', m001],
  ['002_engine', m002],
  ['003_close', m003],
  ['004_sftp', m004],
  ['005_schedule', m005],
  ['006_api', m006],
  ['007_replicas', m007],
  ['008_close_perf', m008],
  ['009_engine_perf', m009],
  ['010_engine_results', m010],
  ['011_attempt_indexes', m011],
  ['012_in_flight', m012],
  ['013_sftp_moved', m013],
  ['014_policy_holds', m014],
  ['015_api_lists', m015],
  ['016_console', m016],
  ['017_webhooks', m017],
];

const source: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (m) => m[0],
  getMigration: async (m) => m[1],
};

const TABLE = 'kasi_migrations';

export async function appliedMigrations(db: Db): Promise<string[]> {
  if (!(await knexOf(db).schema.hasTable(TABLE))) return [];
  const rows = (await knexOf(db)(TABLE).select('name').orderBy('id')) as { name: string }[];
  return rows.map((r) => r.name);
}

export class SchemaTooNewError extends Error {
  constructor(readonly unknown: string[]) {
    super(
      `the database schema is newer than this kasi (unknown migrations: ${unknown.join(', ')}); run the kasi version that migrated it, or a newer one`,
    );
  }
}

export async function schemaState(db: Db): Promise<{ applied: string[]; pending: string[]; unknown: string[] }> {
  const applied = await appliedMigrations(db);
  const known = new Set(MIGRATIONS.map((m) => m[0]));
  const have = new Set(applied);
  return {
    applied,
    pending: MIGRATIONS.map((m) => m[0]).filter((n) => !have.has(n)),
    unknown: applied.filter((n) => !known.has(n)),
  };
}

/** Bring the schema up to date; returns the names applied now. */
export async function migrate(db: Db): Promise<string[]> {
  const state = await schemaState(db);
  if (state.unknown.length) throw new SchemaTooNewError(state.unknown);
  if (db.dialect === 'pg') {
    // replicas starting together: one migrates, the others wait for it and then find nothing pending
    return withPgConnection(db, async (conn) => {
      await conn.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
      try {
        if ((await schemaState(db)).pending.length === 0) return [];
        const [, applied] = (await knexOf(db).migrate.latest({ migrationSource: source, tableName: TABLE })) as [number, string[]];
        return applied;
      } finally {
        await conn.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]);
      }
    });
  }
  const [, applied] = (await knexOf(db).migrate.latest({ migrationSource: source, tableName: TABLE })) as [number, string[]];
  return applied;
}

/** The PostgreSQL advisory lock key held while migrating (any fixed 64-bit number). */
const MIGRATE_LOCK = 4_731_900_001;

/** For the daemon and commands: the schema must be exactly current. */
export async function assertSchemaCurrent(db: Db): Promise<void> {
  const state = await schemaState(db);
  if (state.unknown.length) throw new SchemaTooNewError(state.unknown);
  if (state.pending.length) await migrate(db);
}
