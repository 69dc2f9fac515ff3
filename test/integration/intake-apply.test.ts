import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile } from '../../src/usecases/intake/import-file.js';
import { dropInInbox, makeEnv, type TestEnv } from '../helpers/env.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * SPEC 3.1/3.2 on a real SQLite file and a real PostgreSQL database: applied exactly once, upsert,
 * cancellation, duplicates, and finishing a file whose commit survived a crash.
 */
const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount,status\n';
const DAY = '2025-11-01'; // makeEnv's clock: 2025-11-01T08:00+02:00

describe.each(['sqlite', 'pg'] as const)('intake on %s', (dialect) => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv(dialect);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const inbox = () => join(env.root, 'inbox/acme');
  const drop = (name: string, content: string | Buffer) => dropInInbox(env, name, content);
  const take = (name: string) => importFile(env.ports, { tenantId: 'acme', path: join(inbox(), name), mode: 'move' });
  const policies = () =>
    knexOf(dbOf(env.ports.store))('policies')
      .where({ tenant_id: 'acme' })
      .orderBy('policy_number')
      .select('policy_number', 'customer_id', 'external_customer_ref', 'product_code', 'collection_amount', 'status', 'cancelled_at', 'created_at', 'updated_at');
  const files = () => knexOf(dbOf(env.ports.store))('intake_files').orderBy('id').select('id', 'name', 'status', 'duplicate_of', 'imported', 'failed', 'warnings', 'archive_path', 'finished_at');
  const results = (name: string) => join(env.root, 'outbox/acme/intake', name);

  it('applies a clean file: exact policies, ledger, archive, empty result', async () => {
    drop('policies-2025-11.csv', HEADER + 'C1,E1,P1,FUN,150.00,\nC2,E2,P2,LIFE-1,R 1 500.50,active\n');
    const out = await take('policies-2025-11.csv');
    expect(out).toMatchObject({ status: 'applied', imported: 2, failed: 0, warnings: 0, errors: [] });
    expect(await policies()).toEqual([
      { policy_number: 'P1', customer_id: 'C1', external_customer_ref: 'E1', product_code: 'FUN', collection_amount: 15_000, status: 'active', cancelled_at: null, created_at: '2025-11-01T06:00:00.000Z', updated_at: '2025-11-01T06:00:00.000Z' },
      { policy_number: 'P2', customer_id: 'C2', external_customer_ref: 'E2', product_code: 'LIFE-1', collection_amount: 150_050, status: 'active', cancelled_at: null, created_at: '2025-11-01T06:00:00.000Z', updated_at: '2025-11-01T06:00:00.000Z' },
    ]);
    const archived = join(env.root, 'archive/acme', DAY, 'policies-2025-11.csv');
    expect(await files()).toEqual([
      { id: 1, name: 'policies-2025-11.csv', status: 'applied', duplicate_of: null, imported: 2, failed: 0, warnings: 0, archive_path: archived, finished_at: '2025-11-01T06:00:00.000Z' },
    ]);
    expect(readdirSync(inbox())).toEqual([]);
    expect(readFileSync(archived, 'utf8')).toBe(HEADER + 'C1,E1,P1,FUN,150.00,\nC2,E2,P2,LIFE-1,R 1 500.50,active\n');
    expect(readFileSync(results('policies-2025-11.csv.result.csv'), 'utf8')).toBe('file,line,column,code,severity,message\n');
    expect(existsSync(results('policies-2025-11.csv.result.csv.sha256'))).toBe(true);
    expect(JSON.parse(readFileSync(results('policies-2025-11.csv.result.json'), 'utf8'))).toMatchObject({ status: 'applied', imported: 2, failed: 0, errors: [] });
  });

  it('the same bytes again under another name: duplicate, archived, nothing changed', async () => {
    const body = HEADER + 'C1,E1,P1,FUN,150.00,\n';
    env.setNow('2025-11-02T01:30:00+02:00'); // still 1 Nov in UTC: the message must say the SAST day
    drop('policies-a.csv', body);
    await take('policies-a.csv');
    const before = await policies();
    env.setNow('2025-11-03T10:00:00+02:00');
    drop('policies-b.csv', body);
    const out = await take('policies-b.csv');
    const dupError = {
      line: 0,
      column: '',
      code: 'DUPLICATE_FILE',
      message: 'the same bytes were already applied as "policies-a.csv" on 2025-11-02; nothing was applied again',
      severity: 'warning',
    };
    expect(out).toMatchObject({ status: 'duplicate', imported: 0, failed: 0, errors: [dupError] });
    expect(await policies()).toEqual(before);
    const rows = await files();
    expect(rows.map((r) => [r.id, r.name, r.status, r.duplicate_of, r.imported])).toEqual([
      [1, 'policies-a.csv', 'applied', null, 1],
      [2, 'policies-b.csv', 'duplicate', 1, 0],
    ]);
    expect(readdirSync(inbox())).toEqual([]);
    expect(readFileSync(join(env.root, 'archive/acme/2025-11-03/policies-b.csv'), 'utf8')).toBe(body);
    expect(readFileSync(results('policies-b.csv.result.csv'), 'utf8')).toBe(
      'file,line,column,code,severity,message\npolicies-b.csv,0,,DUPLICATE_FILE,warning,"the same bytes were already applied as ""policies-a.csv"" on 2025-11-02; nothing was applied again"\n',
    );
    expect(JSON.parse(readFileSync(results('policies-b.csv.result.json'), 'utf8'))).toMatchObject({ status: 'duplicate', errors: [dupError] });
  });

  it('the same bytes under the same name again are a duplicate too, and the archive keeps both copies', async () => {
    drop('policies.csv', HEADER + 'C1,E1,P1,FUN,150.00,\n');
    await take('policies.csv');
    drop('policies.csv', HEADER + 'C1,E1,P1,FUN,150.00,\n');
    const out = await take('policies.csv');
    expect(out.status).toBe('duplicate');
    expect(readdirSync(join(env.root, 'archive/acme', DAY)).sort()).toEqual(['policies.2.csv', 'policies.csv']);
  });

  it('upsert: a new amount updates the premium, created_at stays, unchanged rows are not rewritten', async () => {
    drop('policies-oct.csv', HEADER + 'C1,E1,P1,FUN,150.00,\nC2,E2,P2,FUN,200.00,\n');
    await take('policies-oct.csv');
    env.setNow('2025-11-20T10:00:00+02:00');
    drop('policies-nov.csv', HEADER + 'C1,E1,P1,FUN,175.25,\nC2,E2,P2,FUN,200.00,\nC3,E3,P3,FUN,80.00,\n');
    const out = await take('policies-nov.csv');
    expect(out).toMatchObject({ status: 'applied', imported: 3, failed: 0 });
    const rows = await policies();
    expect(rows.map((r) => [r.policy_number, r.collection_amount, r.created_at, r.updated_at])).toEqual([
      ['P1', 17_525, '2025-11-01T06:00:00.000Z', '2025-11-20T08:00:00.000Z'],
      ['P2', 20_000, '2025-11-01T06:00:00.000Z', '2025-11-01T06:00:00.000Z'],
      ['P3', 8_000, '2025-11-20T08:00:00.000Z', '2025-11-20T08:00:00.000Z'],
    ]);
  });

  it('cancelled ends a policy; cancelling an unknown policy is CANCEL_UNKNOWN_POLICY', async () => {
    drop('policies-1.csv', HEADER + 'C1,E1,P1,FUN,150.00,\nC2,E2,P2,FUN,200.00,\n');
    await take('policies-1.csv');
    env.setNow('2025-11-05T09:00:00+02:00');
    drop('policies-2.csv', HEADER + 'C1,E1,P1,FUN,150.00,cancelled\nC2,E2,P2,FUN,200.00,\nC9,E9,P9,FUN,10.00,cancelled\n');
    const out = await take('policies-2.csv');
    expect(out).toMatchObject({ status: 'applied', imported: 2, failed: 1 });
    expect(out.errors).toEqual([
      { line: 4, column: 'status', code: 'CANCEL_UNKNOWN_POLICY', message: 'policy_number "P9" is cancelled but kasi has no such policy for this insurer; check the number', severity: 'error' },
    ]);
    let rows = await policies();
    expect(rows.map((r) => [r.policy_number, r.status, r.cancelled_at])).toEqual([
      ['P1', 'cancelled', '2025-11-05T07:00:00.000Z'],
      ['P2', 'active', null],
    ]);
    // Cancelling again later (another file with other bytes) keeps the first cancellation time.
    env.setNow('2025-11-06T09:00:00+02:00');
    drop('policies-3.csv', HEADER + 'C1,E1-NEW,P1,FUN,150.00,cancelled\n');
    await take('policies-3.csv');
    rows = await policies();
    expect(rows.map((r) => [r.policy_number, r.external_customer_ref, r.status, r.cancelled_at])).toEqual([
      ['P1', 'E1-NEW', 'cancelled', '2025-11-05T07:00:00.000Z'],
      ['P2', 'E2', 'active', null],
    ]);
  });

  it('a cancelled row for a number kasi has never seen is refused; the other rows apply', async () => {
    drop('policies-new.csv', HEADER + 'C1,E1,P1,FUN,150.00,\nC2,E2,P2,FUN,1.00,cancelled\n');
    const out = await take('policies-new.csv');
    expect(out.errors.map((e) => [e.line, e.code])).toEqual([[3, 'CANCEL_UNKNOWN_POLICY']]);
    expect((await policies()).map((r) => r.policy_number)).toEqual(['P1']);
  });

  it('a duplicate policy number in one file is an error on its second line only', async () => {
    drop('policies-dup.csv', HEADER + 'C1,E1,P1,FUN,150.00,\nC2,E2,P2,FUN,20.00,\nC1,E1,P1,FUN,999.00,\n');
    const out = await take('policies-dup.csv');
    expect(out).toMatchObject({ status: 'applied', imported: 2, failed: 1 });
    expect(out.errors).toEqual([
      {
        line: 4,
        column: 'policy_number',
        code: 'DUPLICATE_IN_FILE',
        message: 'policy_number "P1" already appears on line 2; each policy once per file',
        severity: 'error',
      },
    ]);
    expect((await policies()).map((r) => [r.policy_number, r.collection_amount])).toEqual([
      ['P1', 15_000],
      ['P2', 2_000],
    ]);
  });

  it('a number three times, the last one cancelling: both later lines point at the first, nothing is cancelled', async () => {
    drop('policies-dup3.csv', HEADER + 'C1,E1,P1,FUN,150.00,\nC1,E1,P1,FUN,160.00,\nC1,E1,P1,FUN,150.00,cancelled\nC2,E2,P2,FUN,20.00,\n');
    const out = await take('policies-dup3.csv');
    expect(out).toMatchObject({ status: 'applied', imported: 2, failed: 2 });
    expect(out.errors.map((e) => [e.line, e.code, e.message])).toEqual([
      [3, 'DUPLICATE_IN_FILE', 'policy_number "P1" already appears on line 2; each policy once per file'],
      [4, 'DUPLICATE_IN_FILE', 'policy_number "P1" already appears on line 2; each policy once per file'],
    ]);
    expect((await policies()).map((r) => [r.policy_number, r.collection_amount, r.status])).toEqual([
      ['P1', 15_000, 'active'],
      ['P2', 2_000, 'active'],
    ]);
  });

  it('crash after the commit, before the move: taken again, it is finished without applying twice', async () => {
    const body = HEADER + 'C1,E1,P1,FUN,150.00,\nC2,E2,P2,FUN,20.00,\n';
    drop('policies-crash.csv', body);
    await take('policies-crash.csv');
    // Undo what happens after the commit: the move, the result files, the finished mark.
    const archived = join(env.root, 'archive/acme', DAY, 'policies-crash.csv');
    renameSync(archived, join(inbox(), 'policies-crash.csv'));
    rmSync(join(env.root, 'outbox/acme/intake'), { recursive: true });
    await knexOf(dbOf(env.ports.store))('intake_files').update({ finished_at: null, archive_path: null });
    env.setNow('2025-11-01T09:00:00+02:00');

    const out = await take('policies-crash.csv');
    expect(out).toMatchObject({ fileId: 1, status: 'applied', imported: 2, failed: 0, errors: [] });
    expect(await files()).toEqual([
      { id: 1, name: 'policies-crash.csv', status: 'applied', duplicate_of: null, imported: 2, failed: 0, warnings: 0, archive_path: archived, finished_at: '2025-11-01T07:00:00.000Z' },
    ]);
    expect(readdirSync(inbox())).toEqual([]);
    expect(readdirSync(join(env.root, 'archive/acme', DAY))).toEqual(['policies-crash.csv']);
    expect(readFileSync(archived, 'utf8')).toBe(body);
    expect(JSON.parse(readFileSync(results('policies-crash.csv.result.json'), 'utf8'))).toMatchObject({ status: 'applied', imported: 2 });
    expect((await policies()).map((r) => [r.policy_number, r.updated_at])).toEqual([
      ['P1', '2025-11-01T06:00:00.000Z'],
      ['P2', '2025-11-01T06:00:00.000Z'],
    ]);
  });

  it('a file only touches the tenant it arrived for', async () => {
    drop('policies.csv', HEADER + 'C1,E1,P1,FUN,150.00,\n');
    await take('policies.csv');
    const other = join(env.root, 'inbox/other');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'policies.csv'), HEADER + 'C1,E1,P1,FUN,999.00,\n');
    const out = await importFile(env.ports, { tenantId: 'other', path: join(other, 'policies.csv'), mode: 'move' });
    expect(out.status).toBe('applied');
    expect((await policies()).map((r) => r.collection_amount)).toEqual([15_000]);
    const theirs = await knexOf(dbOf(env.ports.store))('policies').where({ tenant_id: 'other' }).select('policy_number', 'collection_amount');
    expect(theirs).toEqual([{ policy_number: 'P1', collection_amount: 99_900 }]);
  });

  it('rows out of key order: all applied (SQLite: and the connection keeps the page cache it had before the file)', async () => {
    // PostgreSQL has no per-connection page cache to restore: -1 stands for it on both sides
    const cacheSize = async () => (dialect === 'sqlite' ? ((await knexOf(dbOf(env.ports.store)).raw('PRAGMA cache_size')) as { cache_size: number }[])[0]!.cache_size : -1);
    const before = await cacheSize();
    const numbers = Array.from({ length: 300 }, (_, i) => `P${String((i * 7919) % 300).padStart(3, '0')}`);
    drop('policies-shuffled.csv', HEADER + numbers.map((n) => `C${n},E${n},${n},FUN,150.00,active\n`).join(''));
    const out = await take('policies-shuffled.csv');
    expect(out).toMatchObject({ status: 'applied', imported: 300, failed: 0, errors: [] });
    expect((await policies()).map((r) => r.policy_number)).toEqual([...numbers].sort());
    expect(await cacheSize()).toBe(before);
  });
});
