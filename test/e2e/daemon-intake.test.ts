import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, knexOf } from '../../src/store/db.js';
import { killAllKasi, REPO, requireBuilt, runKasi, spawnKasi, waitFor, type KasiProcess } from '../helpers/cli.js';

/**
 * `kasi daemon` as an operator runs it (SPEC 3.1, 6): files dropped into inbox/acme are taken once
 * complete, duplicates are reported and not applied, temp names are left alone, SIGTERM exits 0.
 * Outcomes are read where a user reads them: archive/ and outbox/acme/intake/.
 */
const FIX = join(REPO, 'test/fixtures/intake');
const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
const DAY = '2025-11-03';
let root: string;
let daemon: KasiProcess;

const inbox = (name = '') => join(root, 'inbox/acme', name);
const resultJson = (name: string) => join(root, 'outbox/acme/intake', `${name}.result.json`);
const archived = (name: string) => join(root, 'archive/acme', DAY, name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Result {
  file: string;
  status: string;
  imported: number;
  failed: number;
  errors: { line: number; code: string; message: string }[];
}
async function outcome(name: string): Promise<Result> {
  // the result is written first, then the file leaves the inbox: wait for both
  const done = () => existsSync(resultJson(name)) && !existsSync(inbox(name)) && resultJson(name);
  const path = await waitFor(`the result of ${name}`, done, 30_000, 100).catch((err: Error) => {
    throw new Error(`${err.message}; the daemon's log:\n${daemon.stderr().slice(-4000)}`);
  });
  return JSON.parse(readFileSync(path, 'utf8')) as Result;
}

beforeAll(async () => {
  requireBuilt();
  root = mkdtempSync(join(tmpdir(), 'kasi-e2e-daemon-'));
  expect((await runKasi(['init', '--root', root, '--tenant', 'acme'])).code).toBe(0);
  // settle 1 s: longer than the pauses of the slow writer below (300 ms)
  writeFileSync(
    join(root, 'config/local.yaml'),
    stringify({
      database: 'sqlite:data/kasi.sqlite',
      intake: { settle_seconds: 1 },
      schedules: { inbox_rescan_seconds: 0.5 },
      tenants: { acme: { name: 'Acme Funeral Insurance Ltd', intake: 'folder' } },
    }),
  );
  // temp names present from the start: never taken
  for (const t of ['x.tmp', '.hidden.csv', 'y.part']) writeFileSync(inbox(t), `${HEADER}T1,E1,TMP-${t},FUN,1.00\n`);
  daemon = spawnKasi(['daemon'], { env: { KASI_ROOT: root, KASI_NOW: `${DAY}T09:00:00`, KASI_LOG_LEVEL: 'info', KASI_HTTP_PORT: '0' } });
  await waitFor('the daemon to start', () => daemon.stderr().includes('kasi daemon started') || daemon.child.exitCode !== null, 30_000);
  expect(daemon.child.exitCode, daemon.stderr()).toBeNull();
});

afterAll(async () => {
  await killAllKasi();
  rmSync(root, { recursive: true, force: true });
});

describe('kasi daemon intake', () => {
  it('takes a file copied into inbox/acme', async () => {
    writeFileSync(inbox('policies-a.csv'), `${HEADER}C1,E1,P1,FUN,150.00\nC2,E2,P2,FUN,R 1 500.00\n`);
    const r = await outcome('policies-a.csv');
    expect(r).toMatchObject({ file: 'policies-a.csv', status: 'applied', imported: 2, failed: 0, errors: [] });
    expect(readFileSync(archived('policies-a.csv'), 'utf8')).toBe(`${HEADER}C1,E1,P1,FUN,150.00\nC2,E2,P2,FUN,R 1 500.00\n`);
    expect(existsSync(inbox('policies-a.csv'))).toBe(false);
  });

  it('a file written slowly in pieces is taken once, complete', async () => {
    let body = HEADER;
    for (let i = 1; i <= 400; i++) body += `S${i},ES${i},SLOW-${String(i).padStart(4, '0')},FUN,${i}.50\n`;
    // eight pieces cut mid-line, one every 300 ms
    const cuts = [0, 37, 0.17, 0.33, 0.5, 0.66, 0.81, 0.93, 1].map((f) => (f > 1 ? f : Math.floor(f * body.length)));
    for (let k = 0; k + 1 < cuts.length; k++) {
      appendFileSync(inbox('policies-slow.csv'), body.slice(cuts[k], cuts[k + 1]));
      if (k + 2 < cuts.length) await sleep(300);
    }
    const r = await outcome('policies-slow.csv');
    expect(r).toMatchObject({ status: 'applied', imported: 400, failed: 0, errors: [] });
    expect(readFileSync(archived('policies-slow.csv'), 'utf8')).toBe(body);
  });

  it('the same bytes under another name: reported duplicate, not applied', async () => {
    copyFileSync(archived('policies-a.csv'), join(tmpdir(), `kasi-dup-${process.pid}.csv`));
    copyFileSync(join(tmpdir(), `kasi-dup-${process.pid}.csv`), inbox('policies-a-again.csv'));
    rmSync(join(tmpdir(), `kasi-dup-${process.pid}.csv`));
    const r = await outcome('policies-a-again.csv');
    expect(r).toMatchObject({
      status: 'duplicate',
      imported: 0,
      failed: 0,
      errors: [{ line: 0, code: 'DUPLICATE_FILE', message: `the same bytes were already applied as "policies-a.csv" on ${DAY}; nothing was applied again` }],
    });
    expect(existsSync(archived('policies-a-again.csv'))).toBe(true);
  });

  it('an Excel Windows-1252 ;-file', async () => {
    copyFileSync(join(FIX, 'policies-excel-1252.csv'), inbox('policies-excel-1252.csv'));
    const r = await outcome('policies-excel-1252.csv');
    expect(r).toMatchObject({ status: 'applied', imported: 4, failed: 0, errors: [] });
  });

  it('leaves temp names alone', async () => {
    // many scans have passed since they were written; a last file proves the daemon still scans
    writeFileSync(inbox('policies-last.csv'), `${HEADER}L1,EL1,LAST-1,FUN,9.99\n`);
    await outcome('policies-last.csv');
    expect(readdirSync(inbox()).sort()).toEqual(['.hidden.csv', 'x.tmp', 'y.part']);
    expect(readdirSync(join(root, 'outbox/acme/intake')).filter((n) => n.endsWith('.json')).sort()).toEqual([
      'policies-a-again.csv.result.json',
      'policies-a.csv.result.json',
      'policies-excel-1252.csv.result.json',
      'policies-last.csv.result.json',
      'policies-slow.csv.result.json',
    ]);
  });

  it('SIGTERM: exits 0; the store holds each file once, exact', async () => {
    daemon.child.kill('SIGTERM');
    const end = await daemon.exited;
    expect([end.code, end.signal]).toEqual([0, null]);
    expect(end.stderr).toContain('kasi daemon stopped');
    const db = openDb({ client: 'sqlite', file: join(root, 'data/kasi.sqlite') });
    try {
      const files = await knexOf(db)('intake_files').orderBy('id').select('name', 'status', 'imported', 'failed');
      expect(files).toEqual([
        { name: 'policies-a.csv', status: 'applied', imported: 2, failed: 0 },
        { name: 'policies-slow.csv', status: 'applied', imported: 400, failed: 0 },
        { name: 'policies-a-again.csv', status: 'duplicate', imported: 0, failed: 0 },
        { name: 'policies-excel-1252.csv', status: 'applied', imported: 4, failed: 0 },
        { name: 'policies-last.csv', status: 'applied', imported: 1, failed: 0 },
      ]);
      const total = (await knexOf(db)('policies').sum({ s: 'collection_amount' }).count({ n: '*' }))[0] as { s: number; n: number };
      // 150.00 + 1500.00 + Σ(i + 0.50, i=1..400) + 1234.50 + 99.99 + 1500.00 + 150.00 + 9.99
      expect([Number(total.n), Number(total.s)]).toEqual([2 + 400 + 4 + 1, 15_000 + 150_000 + (80_200 * 100 + 400 * 50) + 123_450 + 9_999 + 150_000 + 15_000 + 999]);
      const excel = await knexOf(db)('policies').where({ policy_number: 'POL-É03' }).first('customer_id', 'external_customer_ref', 'collection_amount');
      expect(excel).toEqual({ customer_id: 'Sipho Dlamini', external_customer_ref: 'Café “Ons Plek”', collection_amount: 150_000 });
    } finally {
      await db.close();
    }
  });
});
