import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileGateway } from '../../src/bank/file-gateway.js';
import { runBatch } from '../../src/usecases/collect/batch.js';
import { engineSetup } from '../../src/usecases/collect/engine-setup.js';
import { executeCollections } from '../../src/usecases/collect/execute.js';
import { importFile } from '../../src/usecases/intake/import-file.js';
import {
  BAD_DAY,
  BAD_DIR,
  BAD_NOW,
  corpusBytes,
  corpusFolder,
  corpusName,
  goldenCsvPath,
  loadCorpus,
  SETUP_INCOME,
  SETUP_POLICIES,
  sha256,
  type CorpusEntry,
  type ExpectedOutcome,
} from '../helpers/bad-corpus.js';
import { dropInInbox, makeEnv, type TestEnv } from '../helpers/env.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * Every file of the bad-input corpus through the real intake on a real SQLite file, each in a
 * fresh runtime root: the outcome the user reads in outbox/<tenant>/intake/<name>.result.json and
 * .result.csv must equal the golden exactly, and the file must end archived (applied, duplicate) or
 * in failed/ beside its .errors.csv (rejected), never both, never left in the inbox.
 * `KASI_GOLDEN=update` rewrites the goldens from what the code does (review the diff!).
 */
const corpus = loadCorpus();
const UPDATE = process.env.KASI_GOLDEN === 'update';

async function withEnv<T>(entry: CorpusEntry, fn: (env: TestEnv) => Promise<T>): Promise<T> {
  const env = await makeEnv('sqlite', { gateway: 'file' }, '2025-11-01T06:00:00+02:00');
  try {
    if (corpusFolder(entry) === 'bank') await presentInstructions(env);
    env.setNow(BAD_NOW);
    return await fn(env);
  } finally {
    await env.cleanup();
  }
}

/** SETUP_POLICIES and SETUP_INCOME in, November opened, the 2025-11-04 batch presented. */
async function presentInstructions(env: TestEnv): Promise<void> {
  const take = async (name: string, body: string) => {
    const out = await importFile(env.ports, { tenantId: 'acme', path: dropInInbox(env, name, body), mode: 'move' });
    expect(out).toMatchObject({ status: 'applied', errors: [] });
  };
  await take('policies-setup.csv', SETUP_POLICIES);
  await executeCollections(env.ports, 'acme', '2025-11');
  env.setNow(`${BAD_DAY}T05:00:00+02:00`);
  await take('income-setup.csv', SETUP_INCOME);
  env.setNow(`${BAD_DAY}T06:00:00+02:00`);
  const batch = await runBatch(env.ports, { date: BAD_DAY, gateway: new FileGateway(env.ports.paths.bankOutbox()), setup: engineSetup(env.ports.config) });
  expect(batch).toMatchObject({ status: 'done', tenants: [{ tenant: 'acme', presented: 3, presentedCents: 50_000 }] });
}

const updated: CorpusEntry[] = [];
afterAll(() => {
  if (!UPDATE) return;
  const byPath = new Map(updated.map((e) => [e.path, e]));
  const files = corpus.files.map((e) => byPath.get(e.path) ?? e);
  writeFileSync(join(BAD_DIR, 'expected.json'), JSON.stringify({ ...corpus, files }, null, 2) + '\n');
});

describe('the bad-input corpus through the real intake (SQLite)', () => {
  it('has at least 40 files, each listed once, every committed file listed', () => {
    expect(corpus.files.length).toBeGreaterThanOrEqual(40);
    const paths = corpus.files.map((e) => e.path);
    expect(new Set(paths).size).toBe(paths.length);
    const committed = ['acme', 'bank'].flatMap((d) => readdirSync(join(BAD_DIR, d)).map((n) => `${d}/${n}`)).sort();
    expect(committed).toEqual(corpus.files.filter((e) => !e.generate).map((e) => e.path).sort());
  });

  it.each(corpus.files.map((e) => [e.path, e] as const))('%s', async (_path, entry) => {
    const folder = corpusFolder(entry);
    const name = corpusName(entry);
    const bytes = corpusBytes(entry);
    await withEnv(entry, async (env) => {
      const inboxPath = dropInInbox(env, name, bytes, folder);
      await importFile(env.ports, { tenantId: folder, path: inboxPath, mode: 'move' });
      const resultDir = join(env.root, 'outbox', folder, 'intake');
      const json = JSON.parse(readFileSync(join(resultDir, `${name}.result.json`), 'utf8')) as ExpectedOutcome & { file: string; tenant: string; sha256: string };
      const csv = readFileSync(join(resultDir, `${name}.result.csv`), 'utf8');
      const got: ExpectedOutcome = { status: json.status, imported: json.imported, failed: json.failed, warnings: json.warnings, errors: json.errors };
      if (UPDATE) {
        updated.push({ ...entry, expected: got });
        mkdirSync(dirname(goldenCsvPath(entry)), { recursive: true });
        writeFileSync(goldenCsvPath(entry), csv);
        return;
      }
      expect(got).toEqual(entry.expected);
      expect([json.file, json.tenant, json.sha256]).toEqual([name, folder, sha256(bytes)]);
      expect(csv).toBe(readFileSync(goldenCsvPath(entry), 'utf8'));
      // taken exactly once: out of the inbox, in archive/ or in failed/ (with its .errors.csv), not both
      expect(existsSync(inboxPath)).toBe(false);
      const archived = join(env.root, 'archive', folder, BAD_DAY, name);
      const failed = join(env.root, 'failed', folder, name);
      // whatever a bank file says, no collection holds more than was due (SPEC 4: never more collected than due)
      const over = await knexOf(dbOf(env.ports.store))('collections').whereRaw('amount_collected > amount_due').count({ n: '*' });
      expect(Number((over[0] as { n: number | string }).n)).toBe(0);
      // (compared by hash: a deep equality over 10 MB buffers takes minutes)
      if (got.status === 'rejected') {
        expect([existsSync(archived), sha256(readFileSync(failed))]).toEqual([false, json.sha256]);
        expect(readFileSync(`${failed}.errors.csv`, 'utf8')).toBe(csv);
      } else {
        expect([existsSync(failed), sha256(readFileSync(archived))]).toEqual([false, json.sha256]);
      }
    });
  });
});
