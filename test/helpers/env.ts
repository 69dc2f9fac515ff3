import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { openDb } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { Paths, silentLog, type Ports } from '../../src/usecases/ports.js';
import { databaseTarget } from '../../src/config.js';
import { createPgDatabase } from './pg.js';
import { storeOf } from '../../src/store/store.js';

export type Dialect = 'sqlite' | 'pg';

export interface TestEnv {
  root: string;
  ports: Ports;
  databaseUrl: string;
  setNow(iso: string): void;
  cleanup(): Promise<void>;
}

/** A runtime root in a temp folder with a real SQLite file or a fresh PostgreSQL database. */
export async function makeEnv(dialect: Dialect, local: Record<string, unknown> = {}, now = '2025-11-01T08:00:00+02:00'): Promise<TestEnv> {
  const root = mkdtempSync(join(tmpdir(), 'kasi-test-'));
  mkdirSync(join(root, 'config'), { recursive: true });
  const pgdb = dialect === 'pg' ? await createPgDatabase() : null;
  const databaseUrl = pgdb ? pgdb.url : `sqlite:${join(root, 'data/kasi.sqlite')}`;
  const tenants = { acme: { name: 'Acme Funeral Insurance Ltd', vat_number: '4100000000' }, ...(local.tenants as object | undefined) };
  writeFileSync(join(root, 'config/local.yaml'), stringify({ ...local, tenants, database: databaseUrl }));
  const config = loadConfig({ root, env: {} });
  const db = openDb(databaseTarget(config));
  await migrate(db);
  let current = new Date(now);
  const ports: Ports = { config, store: storeOf(db), clock: { now: () => current }, log: silentLog, paths: new Paths(root) };
  return {
    root,
    ports,
    databaseUrl,
    setNow(iso) {
      current = new Date(iso);
    },
    async cleanup() {
      await db.close();
      await pgdb?.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Write a file into a tenant's inbox folder (made if needed); returns its path. */
export function dropInInbox(env: Pick<TestEnv, 'root'>, name: string, content: string | Buffer, tenant = 'acme'): string {
  const dir = join(env.root, 'inbox', tenant);
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
