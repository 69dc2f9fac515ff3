import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileGateway } from '../../src/bank/file-gateway.js';
import type { BankGateway } from '../../src/bank/gateway.js';
import { runBatch } from '../../src/usecases/collect/batch.js';
import { engineSetup } from '../../src/usecases/collect/engine-setup.js';
import { executeCollections } from '../../src/usecases/collect/execute.js';
import { importFile } from '../../src/usecases/intake/import-file.js';
import { writeSamplePolicies } from '../../bench/sample-files.js';
import { up as inFlightUp } from '../../src/store/migrations/012_in_flight.js';
import { makeEnv, type Dialect, type TestEnv } from '../helpers/env.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * Migration 012 on a store that a stopped kasi left with presentments in flight: the attempts it
 * stored SUBMITTED before 012 existed are recorded in flight by the migration, so the first batch
 * after the upgrade still finds them and presents them once (here: writes their debit file).
 */
let env: TestEnv | null = null;
afterEach(async () => {
  await env?.cleanup();
  env = null;
});

describe.each<Dialect>(['sqlite', 'pg'])('migration 012 on %s', (dialect) => {
  it('attempts left SUBMITTED before the upgrade are recorded in flight and presented once after it', async () => {
    env = await makeEnv(dialect, { gateway: 'file' }, '2025-11-26T06:30:00+02:00');
    const { ports } = env;
    await writeSamplePolicies(join(env.root, 'policies.csv'), 12, 7);
    expect((await importFile(ports, { tenantId: 'acme', path: join(env.root, 'policies.csv'), mode: 'copy' })).status).toBe('applied');
    await executeCollections(ports, 'acme', '2025-11');
    const setup = engineSetup(ports.config);

    // the process stops after storing the day's attempts, before the debit file is written
    const stopped: BankGateway = {
      name: 'file',
      present: () => Promise.reject(new Error('stopped before the debit file was written')),
    };
    await expect(runBatch(ports, { date: '2025-11-26', gateway: stopped, setup })).rejects.toThrow('stopped before');
    const knex = knexOf(dbOf(ports.store));
    const statuses = async () => ((await knex('attempts').groupBy('status').select('status').count({ n: '*' })) as { status: string; n: number }[]).map((r) => [r.status, Number(r.n)]);
    expect(await statuses()).toEqual([['SUBMITTED', 12]]);

    // the schema as it was before 012, then 012 itself
    await knex.schema.dropTable('attempts_in_flight');
    await knex.raw('DROP INDEX attempts_batch_file_index');
    await knex.raw(`CREATE INDEX attempts_submitted_index ON attempts (batch_file) WHERE status = 'SUBMITTED'`);
    await inFlightUp(knex);
    const [first, last] = ((await knex('collections').min({ lo: 'id' }).max({ hi: 'id' })) as { lo: number; hi: number }[]).map((r) => [Number(r.lo), Number(r.hi)])[0]!;
    const flights = (await knex('attempts_in_flight').select('tenant_id', 'period', 'from_collection_id', 'to_collection_id', 'action_date', 'batch_file')) as Record<string, unknown>[];
    expect(flights.map((f) => ({ ...f, from_collection_id: Number(f.from_collection_id), to_collection_id: Number(f.to_collection_id) }))).toEqual([
      { tenant_id: 'acme', period: '2025-11', from_collection_id: first, to_collection_id: last, action_date: '2025-11-26', batch_file: 'debits-20251126-001.csv' },
    ]);

    // the first batch after the upgrade writes the one debit file with the twelve debits, once
    const bankOutbox = ports.paths.bankOutbox();
    const again = await runBatch(ports, { date: '2025-11-26', gateway: new FileGateway(bankOutbox), setup });
    expect(again).toMatchObject({ status: 'done', batchFile: 'debits-20251126-001.csv' });
    expect(readdirSync(bankOutbox).sort()).toEqual(['debits-20251126-001.csv', 'debits-20251126-001.csv.sha256']);
    const lines = readFileSync(join(bankOutbox, 'debits-20251126-001.csv'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(13);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(12);
    expect(await statuses()).toEqual([['PRESENTED', 12]]);
    expect(await knex('attempts_in_flight').select('id')).toEqual([]);
  });
});
