import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importFile } from '../../src/usecases/intake/import-file.js';
import { dropInInbox, makeEnv, type TestEnv } from '../helpers/env.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * SPEC 3.2 row errors and file errors on SQLite and PostgreSQL: good rows apply beside bad ones,
 * a mostly-wrong file is rejected whole, and every problem has its line, column and code.
 */
const FIX = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/intake');
const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
const RESULT_HEADER = 'file,line,column,code,severity,message\n';

describe.each(['sqlite', 'pg'] as const)('intake errors on %s', (dialect) => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv(dialect);
  });
  afterEach(async () => {
    await env.cleanup();
  });

  const inbox = () => join(env.root, 'inbox/acme');
  const drop = (name: string, content: string | Buffer) => dropInInbox(env, name, content);
  const dropFixture = (name: string) => {
    mkdirSync(inbox(), { recursive: true });
    copyFileSync(join(FIX, name), join(inbox(), name));
  };
  const take = (name: string) => importFile(env.ports, { tenantId: 'acme', path: join(inbox(), name), mode: 'move' });
  const policyCount = async () => Number(((await knexOf(dbOf(env.ports.store))('policies').count({ n: '*' })) as { n: number | string }[])[0]!.n);
  const ledger = () => knexOf(dbOf(env.ports.store))('intake_files').orderBy('id').select('name', 'status', 'imported', 'failed', 'warnings');
  const result = (name: string) => readFileSync(join(env.root, 'outbox/acme/intake', `${name}.result.csv`), 'utf8');
  const failedDir = () => join(env.root, 'failed/acme');

  it('40% bad rows: the good rows apply, each bad cell is reported (golden result CSV)', async () => {
    dropFixture('policies-mixed.csv');
    const out = await take('policies-mixed.csv');
    expect(out).toMatchObject({ status: 'applied', imported: 3, failed: 2, warnings: 1 });
    expect(out.errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [1, 'notes', 'EXTRA_COLUMN_IGNORED'],
      [4, 'product_code', 'INVALID_PRODUCT_CODE'],
      [4, 'collection_amount', 'AMOUNT_TOO_MANY_DECIMALS'],
      [6, 'customer_id', 'REQUIRED'],
      [6, 'collection_amount', 'AMOUNT_NOT_POSITIVE'],
      [6, 'status', 'INVALID_STATUS'],
    ]);
    expect(result('policies-mixed.csv')).toBe(readFileSync(join(FIX, 'policies-mixed.result.csv'), 'utf8'));
    const rows = await knexOf(dbOf(env.ports.store))('policies').orderBy('policy_number').select('policy_number', 'collection_amount', 'status');
    expect(rows).toEqual([
      { policy_number: 'POL-001', collection_amount: 15_000, status: 'active' },
      { policy_number: 'POL-002', collection_amount: 150_000, status: 'active' },
      { policy_number: 'POL-004', collection_amount: 25_050, status: 'active' },
    ]);
    expect(await ledger()).toEqual([{ name: 'policies-mixed.csv', status: 'applied', imported: 3, failed: 2, warnings: 1 }]);
    expect(readdirSync(join(env.root, 'archive/acme/2025-11-01'))).toEqual(['policies-mixed.csv']);
    expect(existsSync(failedDir())).toBe(false);
  });

  it('60% bad rows: the whole file is rejected to failed/ with its .errors.csv, nothing applied', async () => {
    dropFixture('policies-mostly-bad.csv');
    const out = await take('policies-mostly-bad.csv');
    expect(out).toMatchObject({ status: 'rejected', imported: 0, failed: 3, movedTo: join(failedDir(), 'policies-mostly-bad.csv') });
    const golden = readFileSync(join(FIX, 'policies-mostly-bad.errors.csv'), 'utf8');
    expect(readFileSync(join(failedDir(), 'policies-mostly-bad.csv.errors.csv'), 'utf8')).toBe(golden);
    expect(result('policies-mostly-bad.csv')).toBe(golden);
    expect(readFileSync(join(failedDir(), 'policies-mostly-bad.csv'))).toEqual(readFileSync(join(FIX, 'policies-mostly-bad.csv')));
    expect(readdirSync(failedDir()).sort()).toEqual(['policies-mostly-bad.csv', 'policies-mostly-bad.csv.errors.csv']);
    expect(await policyCount()).toBe(0);
    expect(await ledger()).toEqual([{ name: 'policies-mostly-bad.csv', status: 'rejected', imported: 0, failed: 3, warnings: 0 }]);
    expect(readdirSync(inbox())).toEqual([]);
    expect(existsSync(join(env.root, 'archive'))).toBe(false);
  });

  it('a rejected file does not claim its bytes: sent again it is judged again, its errors beside it', async () => {
    dropFixture('policies-mostly-bad.csv');
    await take('policies-mostly-bad.csv');
    drop('policies-mostly-bad.csv', HEADER + 'C1,E1,,FUN,1.00\n');
    const out = await take('policies-mostly-bad.csv');
    // The second keeps its name with its ledger id (PostgreSQL ids skip the rolled-back insert).
    const second = `policies-mostly-bad.${out.fileId}.csv`;
    expect(out).toMatchObject({ status: 'rejected', movedTo: join(failedDir(), second) });
    expect(readdirSync(failedDir()).sort()).toEqual([second, `${second}.errors.csv`, 'policies-mostly-bad.csv', 'policies-mostly-bad.csv.errors.csv']);
    expect(readFileSync(join(failedDir(), 'policies-mostly-bad.csv.errors.csv'), 'utf8')).toBe(readFileSync(join(FIX, 'policies-mostly-bad.errors.csv'), 'utf8'));
    expect(readFileSync(join(failedDir(), `${second}.errors.csv`), 'utf8')).toMatch(/^file,line.*\n.*FILE_TOO_MANY_FAILED.*\npolicies-mostly-bad\.csv,2,policy_number,REQUIRED,/);
    dropFixture('policies-mostly-bad.csv');
    expect((await take('policies-mostly-bad.csv')).status).toBe('rejected');
  });

  it('exactly 50% bad rows is still applied (the share must be exceeded)', async () => {
    drop('policies-half.csv', HEADER + 'C1,E1,P1,FUN,1.00\nC2,E2,P2,FUN,x\n');
    const out = await take('policies-half.csv');
    expect(out).toMatchObject({ status: 'applied', imported: 1, failed: 1 });
  });

  it('a required column missing from the header rejects the file: HEADER_MISSING_COLUMN', async () => {
    drop('policies-nohead.csv', 'customer_id,external_customer_ref,policy_number,collection_amount\nC1,E1,P1,150.00\n');
    const out = await take('policies-nohead.csv');
    expect(out).toMatchObject({ status: 'rejected', imported: 0, failed: 0 }); // no data row was read
    expect(result('policies-nohead.csv')).toBe(
      RESULT_HEADER +
        'policies-nohead.csv,1,product_code,HEADER_MISSING_COLUMN,error,"required column ""product_code"" is missing from the header; the header must name customer_id, external_customer_ref, policy_number, product_code, collection_amount"\n',
    );
    expect(readdirSync(failedDir()).sort()).toEqual(['policies-nohead.csv', 'policies-nohead.csv.errors.csv']);
    expect(await policyCount()).toBe(0);
  });

  it('a header and no data rows is FILE_NO_DATA', async () => {
    drop('policies-empty.csv', HEADER + '\n\n');
    const out = await take('policies-empty.csv');
    expect(out).toMatchObject({ status: 'rejected', imported: 0, failed: 0 });
    expect(result('policies-empty.csv')).toBe(RESULT_HEADER + 'policies-empty.csv,0,,FILE_NO_DATA,error,the file has a header but no policy rows\n');
    expect(existsSync(join(failedDir(), 'policies-empty.csv'))).toBe(true);
  });

  it('an empty file is FILE_EMPTY; a UTF-16 file is FILE_UTF16', async () => {
    drop('policies-zero.csv', '');
    drop('policies-u16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(HEADER, 'utf16le')]));
    const a = await take('policies-zero.csv');
    const b = await take('policies-u16.csv');
    expect([a.status, a.errors.map((e) => e.code), b.status, b.errors.map((e) => e.code)]).toEqual(['rejected', ['FILE_EMPTY'], 'rejected', ['FILE_UTF16']]);
    expect(readdirSync(failedDir()).sort()).toEqual(['policies-u16.csv', 'policies-u16.csv.errors.csv', 'policies-zero.csv', 'policies-zero.csv.errors.csv']);
  });

  it('a file whose name is not a known kind is rejected: FILE_UNKNOWN_KIND', async () => {
    drop('members.csv', HEADER + 'C1,E1,P1,FUN,150.00\n');
    const out = await take('members.csv');
    expect(out).toMatchObject({ status: 'rejected', movedTo: join(failedDir(), 'members.csv') });
    expect(result('members.csv')).toBe(
      RESULT_HEADER + 'members.csv,0,,FILE_UNKNOWN_KIND,error,"""members.csv"" is not a known file: name policy files policies*.csv and income files income*.csv"\n',
    );
    expect(await policyCount()).toBe(0);
  });

  it('a stray quote is a row error on its own line; the lines after it keep their numbers', async () => {
    drop(
      'policies-quotes.csv',
      HEADER.replace('\n', '\r\n') +
        'C1,E1,P1,FUN,1.00\r\n\r\nC2,E"2,P2,FUN,2.00\r\n"C3\nsecond line",E3,P3,FUN,3.00\r\nC4,E4,P4,FUN,x\r\nC5,E5,P5,FUN,5.00\r\nC6,E6,P6,FUN,6.00\r\nC7,E7,P7,FUN,7.00\r\n',
    );
    const out = await take('policies-quotes.csv');
    expect(out).toMatchObject({ status: 'applied', imported: 4, failed: 3 });
    expect(out.errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [4, '', 'CSV_STRAY_QUOTE'],
      [5, 'customer_id', 'NOT_PRINTABLE'],
      [7, 'collection_amount', 'AMOUNT_NOT_A_NUMBER'],
    ]);
    expect((await knexOf(dbOf(env.ports.store))('policies').orderBy('policy_number').pluck('policy_number')) as string[]).toEqual(['P1', 'P5', 'P6', 'P7']);
  });

  it('a row with the wrong number of values is ROW_COLUMN_COUNT', async () => {
    drop('policies-cols.csv', HEADER + 'C1,E1,P1,FUN,1.00\nC2,E2,P2,FUN,1,500.00\nC3,E3,P3,FUN,3.00\n');
    const out = await take('policies-cols.csv');
    expect(out.errors).toEqual([
      { line: 3, column: '', code: 'ROW_COLUMN_COUNT', message: 'the row has 6 values but the header has 5; check the delimiter (",") and the quotes: a value containing "," must be quoted', severity: 'error' },
    ]);
  });
});
