import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { finishInterrupted, importFile } from '../../src/usecases/intake/import-file.js';
import { dropInInbox, makeEnv, type TestEnv } from '../helpers/env.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * A process killed after a file was moved (or copied) into archive/ but before its end was
 * recorded — found by the crash loop: the inbox no longer holds the file, so no scan would ever
 * finish its ledger row. The target is recorded before the move; at the next start the daemon
 * finishes such rows, and `kasi import` run again finds its earlier copy instead of archiving a
 * second one. (The state after the kill is made by clearing finished_at.)
 */
let env: TestEnv | null = null;
afterEach(async () => {
  await env?.cleanup();
  env = null;
});

const CSV = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC1,R1,P1,FUN,150.00\n';

describe('a file placed before its end was recorded', () => {
  it('moved from the inbox: finished at the next start, archived once', async () => {
    env = await makeEnv('sqlite');
    const path = dropInInbox(env, 'policies-a.csv', CSV);
    const out = await importFile(env.ports, { tenantId: 'acme', path, mode: 'move' });
    await knexOf(dbOf(env.ports.store))('intake_files').where({ id: out.fileId }).update({ finished_at: null });
    expect(await finishInterrupted(env.ports)).toBe(1);
    const row = (await knexOf(dbOf(env.ports.store))('intake_files').where({ id: out.fileId }).first()) as { finished_at: string | null; archive_path: string };
    expect([row.finished_at !== null, row.archive_path]).toEqual([true, join(env.root, 'archive/acme/2025-11-01/policies-a.csv')]);
    expect(readdirSync(join(env.root, 'archive/acme/2025-11-01'))).toEqual(['policies-a.csv']);
    expect(await finishInterrupted(env.ports)).toBe(0);
  });

  it('copied by kasi import: the same command again reuses the copy, archived once', async () => {
    env = await makeEnv('sqlite');
    const path = join(env.root, 'policies-b.csv');
    writeFileSync(path, CSV);
    const first = await importFile(env.ports, { tenantId: 'acme', path, mode: 'copy' });
    await knexOf(dbOf(env.ports.store))('intake_files').where({ id: first.fileId }).update({ finished_at: null });
    const again = await importFile(env.ports, { tenantId: 'acme', path, mode: 'copy' });
    expect([again.fileId, again.status, again.movedTo]).toEqual([first.fileId, 'applied', join(env.root, 'archive/acme/2025-11-01/policies-b.csv')]);
    expect(readdirSync(join(env.root, 'archive/acme/2025-11-01'))).toEqual(['policies-b.csv']);
  });
});
