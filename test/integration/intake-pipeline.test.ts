import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile } from '../../src/usecases/intake/import-file.js';
import { BAD_NOW, corpusBytes, corpusName, goldenCsvPath, loadCorpus, type CorpusEntry } from '../helpers/bad-corpus.js';
import { dropInInbox, makeEnv, type TestEnv } from '../helpers/env.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * The intake pipeline (a worker thread parses, the main thread writes) against the in-process
 * path it replaces for big files: every policy file of the bad-input corpus, and a multi-batch
 * file with errors, repeats and unknown cancellations spread over its batches, must give
 * byte-identical result CSV and JSON and the same policies in the store, on SQLite and on
 * PostgreSQL. `pipeline_min_bytes: 0` sends every file through the worker; a huge one none.
 * (The worker is the build's copy under vitest: `npm test` builds first.)
 */
const WORKER = { intake: { pipeline_min_bytes: 0 } };
const IN_PROCESS = { intake: { pipeline_min_bytes: 1e15 } };

interface Outcome {
  json: string;
  csv: string;
  policies: unknown[];
}

/** Import `files` in order as tenant `tenant`; after each, its result files and the tenant's policies. */
async function take(env: TestEnv, tenant: string, name: string, files: (string | Buffer)[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const [i, bytes] of files.entries()) {
    const fileName = i === 0 ? name : name.replace(/\.csv$/i, `-${i + 1}.csv`);
    await importFile(env.ports, { tenantId: tenant, path: dropInInbox(env, fileName, bytes, tenant), mode: 'move' });
    const dir = join(env.root, 'outbox', tenant, 'intake');
    const policies = await knexOf(dbOf(env.ports.store))('policies')
      .where({ tenant_id: tenant })
      .select('policy_number', 'customer_id', 'external_customer_ref', 'product_code', 'collection_amount', 'status', 'cancelled_at')
      .orderBy('policy_number');
    out.push({ json: readFileSync(join(dir, `${fileName}.result.json`), 'utf8'), csv: readFileSync(join(dir, `${fileName}.result.csv`), 'utf8'), policies });
  }
  return out;
}

/** A 40,000-row book (~10 batches) with a bad row every 997, a repeat every 1,499, unknown cancellations every 2,003. */
function bigBook(changed: boolean): string {
  let s = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount,status\n';
  for (let i = 1; i <= 40_000; i++) {
    const amount = changed && i % 7 === 0 ? `${100 + (i % 50)}.50` : `${100 + (i % 50)}.00`;
    if (i % 997 === 0) s += `C${i},R${i},P${i},FUNERAL,12.345,active\n`;
    else if (i % 1_499 === 0) s += `C${i},R${i},P${i - 1},FUNERAL,${amount},active\n`;
    else if (i % 2_003 === 0) s += `C${i},R${i},NEW${i},FUNERAL,${amount},cancelled\n`;
    else if (changed && i % 101 === 0) s += `C${i},R${i},P${i},FUNERAL,${amount},cancelled\n`;
    else s += `C${i},R${i},P${i},FUNERAL,${amount},active\n`;
  }
  return s;
}

const policyFiles = loadCorpus().files.filter((e) => e.path.startsWith('acme/') && corpusName(e).toLowerCase().startsWith('policies') && corpusName(e).toLowerCase().endsWith('.csv'));

describe.each(['sqlite', 'pg'] as const)('intake pipeline = in-process path (%s)', (dialect) => {
  // one store per path; each file taken by a tenant of its own, so the files never meet
  let worker: TestEnv;
  let inProcess: TestEnv;
  beforeAll(async () => {
    worker = await makeEnv(dialect, WORKER, BAD_NOW);
    inProcess = await makeEnv(dialect, IN_PROCESS, BAD_NOW);
  });
  afterAll(async () => {
    await worker?.cleanup();
    await inProcess?.cleanup();
  });

  it('covers the corpus policy files', () => {
    expect(policyFiles.length).toBeGreaterThanOrEqual(35);
  });

  it.each(policyFiles.map((e, i) => [e.path, e, i] as const))('%s', async (_path, entry: CorpusEntry, i: number) => {
    const name = corpusName(entry);
    const bytes = corpusBytes(entry);
    const [viaWorker] = await take(worker, `c${i}`, name, [bytes]);
    const [viaMain] = await take(inProcess, `c${i}`, name, [bytes]);
    expect(viaWorker).toEqual(viaMain);
    // and both are the golden the corpus test holds the in-process path to
    expect(viaWorker!.csv).toBe(readFileSync(goldenCsvPath(entry), 'utf8'));
  });

  it('a 40,000-row file and its re-import with changes: same results, same store', async () => {
    const files = [bigBook(false), bigBook(true)];
    const viaWorker = await take(worker, 'big', 'policies-big.csv', files);
    const viaMain = await take(inProcess, 'big', 'policies-big.csv', files);
    expect(viaWorker).toEqual(viaMain);
    const counts = viaWorker.map((o) => {
      const j = JSON.parse(o.json) as { status: string; imported: number; failed: number };
      return [j.status, j.imported, j.failed];
    });
    // 40 bad amounts, 26 repeated numbers, 19 unknown cancellations
    expect(counts).toEqual([
      ['applied', 39_915, 85],
      ['applied', 39_915, 85],
    ]);
    expect(viaWorker[1]!.policies).toHaveLength(39_915);
  }, 120_000);
});
