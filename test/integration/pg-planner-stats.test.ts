import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knexOf, openDb, type Db } from '../../src/store/db.js';
import { transaction } from '../../src/store/sql.js';
import { dbOf } from '../../src/store/store.js';
import { EngineWorld } from './engine-harness.js';
import { createPgDatabase } from '../helpers/pg.js';

/**
 * The statistics PostgreSQL plans kasi's set statements with (issue 17's 4M-collection day): kasi
 * gathers them itself where its own writes make them stale, because a server's autovacuum may not
 * have run yet (a book imported minutes ago) or may be off (this machine's server).
 */
describe('PostgreSQL statistics kasi gathers', () => {
  let pgDb: { url: string; drop(): Promise<void> };
  let db: Db;
  beforeAll(async () => {
    pgDb = await createPgDatabase();
    db = openDb({ client: 'pg', url: pgDb.url }, { poolMax: 1 });
  });
  afterAll(async () => {
    await db?.close();
    await pgDb?.drop();
  });

  it('staged rows are analysed at every staging: a later chunk of higher ids is not planned with the first chunk\'s histogram', async () => {
    const ids = (from: number) => Array.from({ length: 200 }, (_, i) => [from + i]);
    // the same connection (pool of one), the temp table kept between transactions as the batch keeps it
    await transaction(db, (tx) => tx.stage('kasi_t_chunk', [['id', 'int']], ids(1)));
    await transaction(db, async (tx) => {
      await tx.stage('kasi_t_chunk', [['id', 'int']], ids(1_000_001));
      const [row] = await tx.all<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>('EXPLAIN (FORMAT JSON) SELECT * FROM kasi_t_chunk WHERE id > 1000000');
      // the first chunk's histogram (1..200) would put every row below 1,000,000: an estimate of 1
      expect(row!['QUERY PLAN'][0].Plan['Plan Rows']).toBe(200);
    });
  });

  it('opening the whole book analyses policies and the open holds first (the anti-join is planned on them)', async () => {
    const w = await EngineWorld.create('pg');
    try {
      const k = knexOf(dbOf(w.ports.store));
      // as on a server whose autovacuum has not come round yet (this machine's has it off)
      for (const t of ['policies', 'policy_holds']) await k.raw(`ALTER TABLE ${t} SET (autovacuum_enabled = false)`);
      const rows = Array.from({ length: 3000 }, (_, i): [string, string, string] => [`C${i}`, `P${i}`, '100.00']);
      await w.policies(rows);
      await k('policy_holds').insert(Array.from({ length: 150 }, (_, i) => ({ tenant_id: 'acme', policy_number: `P${i * 20}`, reason_code: '30', held_on: '2025-10-31', created_at: '2025-10-31T06:00:00Z' })));
      const tuples = async () => (await k.raw(`SELECT relname, reltuples FROM pg_class WHERE relname IN ('policies', 'policy_holds') ORDER BY relname`)).rows;
      expect(await tuples()).toEqual([
        { relname: 'policies', reltuples: -1 },
        { relname: 'policy_holds', reltuples: -1 },
      ]);
      const opened = await w.execute('2025-11');
      expect(opened.opened).toBe(2850);
      expect(await tuples()).toEqual([
        { relname: 'policies', reltuples: 3000 },
        { relname: 'policy_holds', reltuples: 150 },
      ]);
    } finally {
      await w.cleanup();
    }
  });
});
