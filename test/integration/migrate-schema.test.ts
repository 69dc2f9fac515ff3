import { afterEach, describe, expect, it } from 'vitest';
import { assertSchemaCurrent, migrate, MIGRATIONS, schemaState } from '../../src/store/migrate.js';
import { makeEnv, type TestEnv } from '../helpers/env.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/** `migrate` run twice changes nothing; a schema a newer kasi migrated is refused, not touched. */
describe.each(['sqlite', 'pg'] as const)('migrations on %s', (dialect) => {
  let env: TestEnv | null = null;
  afterEach(async () => {
    await env?.cleanup();
    env = null;
  });

  it('migrate twice: the second run applies nothing and the ledger is unchanged', async () => {
    env = await makeEnv(dialect); // migrated once
    const before = await schemaState(dbOf(env.ports.store));
    expect(before).toEqual({ applied: MIGRATIONS.map((m) => m[0]), pending: [], unknown: [] });
    expect(await migrate(dbOf(env.ports.store))).toEqual([]);
    expect(await schemaState(dbOf(env.ports.store))).toEqual(before);
  });

  it('a schema with a migration this kasi does not know is refused by migrate and by the schema check', async () => {
    env = await makeEnv(dialect);
    await knexOf(dbOf(env.ports.store))('kasi_migrations').insert({ name: '999_from_a_newer_kasi', batch: 99, migration_time: new Date() });
    const message = 'the database schema is newer than this kasi (unknown migrations: 999_from_a_newer_kasi); run the kasi version that migrated it, or a newer one';
    await expect(migrate(dbOf(env.ports.store))).rejects.toThrow(message);
    await expect(assertSchemaCurrent(dbOf(env.ports.store))).rejects.toThrow(message);
    expect((await schemaState(dbOf(env.ports.store))).applied).toEqual([...MIGRATIONS.map((m) => m[0]), '999_from_a_newer_kasi']);
  });
});
