import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, knexOf } from '../../src/store/db.js';
import { BAD_DAY, BAD_NOW, corpusBytes, corpusFolder, corpusName, loadCorpus, SETUP_INCOME, SETUP_POLICIES, type ExpectedOutcome } from '../helpers/bad-corpus.js';
import { dropInInbox } from '../helpers/env.js';
import { killAllKasi, requireBuilt, runKasi, spawnKasi, waitFor, type KasiProcess, initRoot, daemonConfig } from '../helpers/cli.js';

/**
 * The whole bad-input corpus dropped at once into the inboxes of a running `kasi daemon` (SPEC 9):
 * the daemon keeps running and answering /healthz, takes every file exactly once (archived, or in
 * failed/ beside its .errors.csv) with its result file, and a good file sent afterwards is still
 * imported. The insurer's files give exactly their golden outcome (test/fixtures/bad/expected.json);
 * the bank's files share one set of instructions here, so only their status is compared.
 */
const corpus = loadCorpus();
const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount,status\n';
let root: string;
let daemon: KasiProcess;
let base: string;

const kasi = async (args: string[], now: string, extra: Record<string, string> = {}) => {
  const r = await runKasi(args, { env: { KASI_ROOT: root, KASI_NOW: now, ...extra } });
  expect(r.code, r.stdout + r.stderr).toBe(0);
};
const healthz = async () => (await fetch(`${base}/healthz`)).status;
const resultJson = (folder: string, name: string) => join(root, 'outbox', folder, 'intake', `${name}.result.json`);

beforeAll(async () => {
  requireBuilt();
  root = await initRoot(
    'kasi-e2e-bad-',
    'acme',
    daemonConfig({
      gateway: 'file',
      intake: { settle_seconds: 0.5 },
      schedules: { inbox_rescan_seconds: 0.5 },
      tenants: { acme: { name: 'Acme Funeral Insurance Ltd', intake: 'folder' } },
    }),
  );
  // the bank's side: three instructions presented on 2025-11-04 (as in the integration test)
  const work = mkdtempSync(join(tmpdir(), 'kasi-e2e-bad-setup-'));
  writeFileSync(join(work, 'policies-setup.csv'), SETUP_POLICIES);
  writeFileSync(join(work, 'income-setup.csv'), SETUP_INCOME);
  await kasi(['import', join(work, 'policies-setup.csv'), '--tenant', 'acme'], '2025-11-01T06:00:00+02:00');
  await kasi(['execute', '--period', '2025-11', '--tenant', 'acme'], '2025-11-01T06:00:00+02:00');
  await kasi(['import', join(work, 'income-setup.csv'), '--tenant', 'acme'], `${BAD_DAY}T05:00:00+02:00`);
  await kasi(['batch', '--date', BAD_DAY], `${BAD_DAY}T06:00:00+02:00`);
  rmSync(work, { recursive: true, force: true });
  expect(readFileSync(join(root, 'outbox/bank', `debits-${BAD_DAY.replaceAll('-', '')}-001.csv`), 'utf8')).toContain('acme-202511-3-1,');

  daemon = spawnKasi(['daemon'], { env: { KASI_ROOT: root, KASI_NOW: BAD_NOW, KASI_LOG_LEVEL: 'info' } });
  await waitFor('the daemon to start', () => daemon.stderr().includes('kasi daemon started') || daemon.child.exitCode !== null, 30_000);
  expect(daemon.child.exitCode, daemon.stderr()).toBeNull();
  base = `http://127.0.0.1:${/"http_port":(\d+)/.exec(daemon.stderr())![1]}`;
}, 120_000);

afterAll(async () => {
  await killAllKasi();
  rmSync(root, { recursive: true, force: true });
});

describe('kasi daemon and the bad-input corpus', () => {
  it(`takes all ${corpus.files.length} files once each, with their result files, and keeps running`, async () => {
    for (const entry of corpus.files) dropInInbox({ root }, corpusName(entry), corpusBytes(entry), corpusFolder(entry));
    const pending = () => corpus.files.filter((e) => !existsSync(resultJson(corpusFolder(e), corpusName(e))) || existsSync(join(root, 'inbox', corpusFolder(e), corpusName(e))));
    await waitFor(
      'every corpus file taken',
      async () => {
        expect(daemon.child.exitCode, daemon.stderr().slice(-4000)).toBeNull();
        expect(await healthz()).toBe(200);
        return pending().length === 0;
      },
      180_000,
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; still pending: ${pending().map((e) => e.path).join(', ')}; log:\n${daemon.stderr().slice(-4000)}`);
    });
    expect(await healthz()).toBe(200);

    for (const entry of corpus.files) {
      const folder = corpusFolder(entry);
      const name = corpusName(entry);
      const json = JSON.parse(readFileSync(resultJson(folder, name), 'utf8')) as ExpectedOutcome;
      const got = { status: json.status, imported: json.imported, failed: json.failed, warnings: json.warnings, errors: json.errors };
      if (folder === 'acme') expect([entry.path, got]).toEqual([entry.path, entry.expected]);
      else expect([entry.path, got.status]).toEqual([entry.path, entry.expected.status]);
      const archived = existsSync(join(root, 'archive', folder, BAD_DAY, name));
      const failed = existsSync(join(root, 'failed', folder, name));
      expect([entry.path, archived, failed]).toEqual([entry.path, entry.expected.status !== 'rejected', entry.expected.status === 'rejected']);
      expect(readFileSync(join(root, 'outbox', folder, 'intake', `${name}.result.csv`), 'utf8')).toMatch(/^file,line,column,code,severity,message\n/);
    }
    // nothing taken twice: archive/ and failed/ hold exactly the corpus (and failed/ its .errors.csv)
    for (const folder of ['acme', 'bank'] as const) {
      const mine = corpus.files.filter((e) => corpusFolder(e) === folder);
      const rejected = mine.filter((e) => e.expected.status === 'rejected').map(corpusName);
      const kept = mine.filter((e) => e.expected.status !== 'rejected').map(corpusName);
      const archiveDir = join(root, 'archive', folder, BAD_DAY);
      const archivedNames = existsSync(archiveDir) ? readdirSync(archiveDir) : [];
      // acme's archive also holds the two setup files imported before the daemon started
      expect(archivedNames.filter((n) => !n.endsWith('-setup.csv')).sort()).toEqual(kept.sort());
      expect(readdirSync(join(root, 'failed', folder)).sort()).toEqual(rejected.flatMap((n) => [n, `${n}.errors.csv`]).sort());
    }
  }, 240_000);

  it('imports a good file sent after the corpus, then stops cleanly on SIGTERM; the ledger holds each file once', async () => {
    dropInInbox({ root }, 'policies-after-corpus.csv', `${HEADER}C-AFTER-1,REF-AFTER-1,AFTER-1,FUNERAL,150.00,active\nC-AFTER-2,REF-AFTER-2,AFTER-2,FUNERAL,R 99.95,\n`);
    await waitFor('the good file', () => existsSync(resultJson('acme', 'policies-after-corpus.csv')) && !existsSync(join(root, 'inbox/acme/policies-after-corpus.csv')), 60_000, 100);
    const r = JSON.parse(readFileSync(resultJson('acme', 'policies-after-corpus.csv'), 'utf8')) as ExpectedOutcome;
    expect(r).toMatchObject({ status: 'applied', imported: 2, failed: 0, errors: [] });
    expect(await healthz()).toBe(200);

    daemon.child.kill('SIGTERM');
    const end = await daemon.exited;
    expect([end.code, end.signal]).toEqual([0, null]);
    const db = openDb({ client: 'sqlite', file: join(root, 'data/kasi.sqlite') });
    try {
      const rows = (await knexOf(db)('intake_files').select('tenant_id', 'name')) as { tenant_id: string; name: string }[];
      const names = rows.map((x) => `${x.tenant_id === 'bank' ? 'bank' : 'acme'}/${x.name}`).sort();
      const want = [...corpus.files.map((e) => e.path), 'acme/policies-setup.csv', 'acme/income-setup.csv', 'acme/policies-after-corpus.csv'].sort();
      expect(names).toEqual(want);
      const after = await knexOf(db)('policies').whereIn('policy_number', ['AFTER-1', 'AFTER-2']).orderBy('policy_number').pluck('collection_amount');
      expect(after).toEqual([15_000, 9_995]);
    } finally {
      await db.close();
    }
  }, 120_000);
});
