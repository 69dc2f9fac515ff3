import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A fresh PostgreSQL database per test file on the machine's server; dropped afterwards. */
export const PG_ADMIN_URL = process.env.KASI_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `kasi_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
