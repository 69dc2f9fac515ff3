import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import pgCopy from 'pg-copy-streams';
import { databaseTarget, loadConfig } from '../src/config.js';
import { readCsvBatches } from '../src/intake/csv-source.js';
import { importFile } from '../src/usecases/intake/import-file.js';
import { Paths, silentLog } from '../src/usecases/ports.js';
import { openDb } from '../src/store/db.js';
import { storeOf } from '../src/store/store.js';

/** The child side of bench/child.ts: one task, timed, then its own peak RSS. */
const [task, raw] = process.argv.slice(2);
const args = JSON.parse(raw ?? '{}') as Record<string, string>;

/**
 * The references. `keyed`: the table has policies' unique key (tenant_id, policy_number), so the
 * reference pays for the same index upkeep kasi must pay; without it, a bare heap (the figure
 * issue 2 compared against, kept for continuity).
 */
async function sqliteReference(file: string, dbFile: string, keyed: boolean): Promise<number> {
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    `CREATE TABLE ref (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, customer_id TEXT, external_customer_ref TEXT, policy_number TEXT NOT NULL,
       product_code TEXT, collection_amount TEXT, status TEXT${keyed ? ', UNIQUE (tenant_id, policy_number)' : ''})`,
  );
  const ins = db.prepare(`INSERT INTO ref (tenant_id, customer_id, external_customer_ref, policy_number, product_code, collection_amount, status) VALUES ('bench', ?, ?, ?, ?, ?, ?)`);
  let n = 0;
  let header = true;
  db.exec('BEGIN');
  for await (const batch of readCsvBatches(file, { encoding: 'utf-8', bom: false, delimiter: ',' })) {
    for (const item of batch) {
      if (item.kind !== 'record') continue;
      if (header) {
        header = false;
        continue;
      }
      const r = item.cells;
      ins.run(r[0], r[1], r[2], r[3], r[4], r[5]);
      n++;
    }
  }
  db.exec('COMMIT');
  db.close();
  return n;
}

async function pgReference(file: string, url: string, keyed: boolean): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(
    `CREATE TABLE ref (id serial PRIMARY KEY, tenant_id varchar(32) collate "C" NOT NULL DEFAULT 'bench', customer_id TEXT, external_customer_ref TEXT,
       policy_number varchar(64) collate "C" NOT NULL, product_code TEXT, collection_amount TEXT, status TEXT${keyed ? ', UNIQUE (tenant_id, policy_number)' : ''})`,
  );
  const cols = 'customer_id, external_customer_ref, policy_number, product_code, collection_amount, status';
  await pipeline(createReadStream(file), c.query(pgCopy.from(`COPY ref (${cols}) FROM STDIN (FORMAT csv, HEADER true)`)));
  const r = await c.query('SELECT count(*)::int AS n FROM ref');
  await c.end();
  return (r.rows[0] as { n: number }).n;
}

/** `inProcess`: the path before the pipeline (parse and write on one thread), for the same-run comparison. */
async function kasiImport(root: string, file: string, name: string, inProcess: boolean): Promise<number> {
  const loaded = loadConfig({ root, env: {} });
  const config = inProcess ? { ...loaded, intake: { ...loaded.intake, pipeline_min_bytes: Number.MAX_SAFE_INTEGER } } : loaded;
  const db = openDb(databaseTarget(config));
  try {
    const out = await importFile({ config, store: storeOf(db), clock: { now: () => new Date('2025-11-01T06:00:00Z') }, log: silentLog, paths: new Paths(root) }, { tenantId: 'bench', path: file, name, mode: 'copy' });
    return out.imported;
  } finally {
    await db.close();
  }
}

const t0 = performance.now();
const keyed = args.keyed === 'yes';
const value =
  task === 'sqlite-ref'
    ? await sqliteReference(args.file!, args.db!, keyed)
    : task === 'pg-ref'
      ? await pgReference(args.file!, args.url!, keyed)
      : await kasiImport(args.root!, args.file!, args.name!, args.inProcess === 'yes');
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ seconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), value }) + '\n');
