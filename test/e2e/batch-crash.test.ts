import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDb, knexOf } from '../../src/store/db.js';
import { killAllKasi, requireBuilt, runKasi, type CliResult } from '../helpers/cli.js';

/**
 * SPEC 4.3 "exactly once", with real processes: the built CLI runs `kasi batch` and is killed
 * (SIGKILL, through the KASI_CRASH_AT test hook of src/faults/crash-point.ts) right after the
 * day's attempts are stored as SUBMITTED, or right after the gateway took them but before that is
 * recorded. Run again without the hook, the batch presents nothing twice and loses nothing:
 * compared with the same day run without a crash, on the file gateway and on the simulator.
 *
 * 40 policies, no income feed: every customer's salary is expected on the 25th (the prior), so
 * the batch of Wednesday 26 November 2025 presents all 40 in one go.
 */
const DATE = '2025-11-26';
const NOW = { KASI_NOW: `${DATE}T06:00:00` };
const POLICIES = 40;
let base: string;
const roots: string[] = [];

beforeAll(async () => {
  requireBuilt();
  base = mkdtempSync(join(tmpdir(), 'kasi-crash-base-'));
  expect((await runKasi(['init', '--root', base, '--tenant', 'acme', '--name', 'Acme'])).code).toBe(0);
  let csv = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';
  for (let i = 1; i <= POLICIES; i++) csv += `CUST${String(i).padStart(3, '0')},REF${i},POL${String(i).padStart(3, '0')},FUNERAL,${50 + i * 7}.${String(i % 100).padStart(2, '0')}\n`;
  writeFileSync(join(base, 'policies-crash.csv'), csv);
  expect((await runKasi(['import', join(base, 'policies-crash.csv'), '--tenant', 'acme', '--root', base], { env: { KASI_NOW: '2025-11-01' } })).code).toBe(0);
  expect((await runKasi(['execute', '--period', '2025-11', '--root', base], { env: { KASI_NOW: '2025-11-01' } })).stdout).toBe(
    `acme 2025-11: ${POLICIES} collections opened (${POLICIES} in the period)\n`,
  );
});
afterEach(killAllKasi);
afterAll(() => {
  for (const r of [base, ...roots]) rmSync(r, { recursive: true, force: true });
});

/** A copy of the executed base root: every scenario starts from the same store. */
function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'kasi-crash-'));
  cpSync(base, root, { recursive: true });
  roots.push(root);
  return root;
}

function batch(root: string, gateway: 'file' | 'simulator', crashAt?: string): Promise<CliResult> {
  return runKasi(['batch', '--date', DATE, '--root', root], { env: { ...NOW, KASI_GATEWAY: gateway, KASI_CRASH_AT: crashAt } });
}

interface AttemptRow {
  instruction_id: string;
  status: string;
  amount_requested: number;
  amount_collected: number | null;
  reason_code: string | null;
  batch_file: string | null;
}

async function store(root: string) {
  const db = openDb({ client: 'sqlite', file: join(root, 'data/kasi.sqlite') });
  try {
    const attempts = (await knexOf(db)('attempts').orderBy('instruction_id').select('instruction_id', 'status', 'amount_requested', 'amount_collected', 'reason_code', 'batch_file')) as AttemptRow[];
    const results = (await knexOf(db)('bank_results').groupBy('instruction_id', 'outcome').select('instruction_id', 'outcome').count({ n: '*' })) as { instruction_id: string; outcome: string; n: number }[];
    const collected = (await knexOf(db)('collections').orderBy('policy_number').select('policy_number', 'amount_collected', 'presentments', 'pending')) as object[];
    const files = await knexOf(db)('debit_files').orderBy('id').select('name', 'instructions');
    return { attempts, results, collected, files };
  } finally {
    await db.close();
  }
}

const debitFiles = (root: string) => readdirSync(join(root, 'outbox/bank')).filter((n) => /^debits-.*\.csv$/.test(n)).sort();
const killed = (r: CliResult) => ({ code: r.code, signal: r.signal });

describe('file gateway', () => {
  let reference: { bytes: Buffer; store: Awaited<ReturnType<typeof store>> };
  const FILE = 'debits-20251126-001.csv';

  beforeAll(async () => {
    const root = freshRoot();
    const r = await batch(root, 'file');
    expect(r.stdout.split('\n')[0]).toBe(`${DATE} acme 2025-11: ${POLICIES} collections considered, ${POLICIES} presented (R7748.20)`);
    reference = { bytes: readFileSync(join(root, 'outbox/bank', FILE)), store: await store(root) };
    expect(reference.store.attempts).toHaveLength(POLICIES);
    expect(reference.store.attempts.every((a) => a.status === 'PRESENTED' && a.batch_file === FILE)).toBe(true);
  });

  /** After the restart: the same one file, each instruction once, every attempt PRESENTED. */
  async function expectExactlyOnce(root: string): Promise<void> {
    expect(debitFiles(root)).toEqual([FILE]);
    const bytes = readFileSync(join(root, 'outbox/bank', FILE));
    expect(bytes.equals(reference.bytes)).toBe(true);
    const ids = bytes.toString('utf8').trimEnd().split('\n').slice(1).map((l) => l.split(',')[0]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(reference.store.attempts.map((a) => a.instruction_id));
    const s = await store(root);
    expect(s.attempts).toEqual(reference.store.attempts);
    expect(s.files).toEqual([{ name: FILE, instructions: POLICIES }]);
  }

  it('killed after storing, before presenting: no file yet; the restart writes it once', async () => {
    const root = freshRoot();
    expect(killed(await batch(root, 'file', 'after-submit'))).toEqual({ code: null, signal: 'SIGKILL' });
    expect(debitFiles(root)).toEqual([]);
    const mid = await store(root);
    expect(mid.attempts.map((a) => a.status)).toEqual(Array(POLICIES).fill('SUBMITTED'));
    const again = await batch(root, 'file');
    expect([again.code, again.stderr]).toEqual([0, expect.not.stringContaining('"level":50')]);
    expect(again.stdout.split('\n')[0]).toBe(`reconciled ${POLICIES} presentments left from an interrupted run`);
    expect(again.stdout).toContain(`${DATE} acme 2025-11: 0 collections considered, 0 presented (R0.00)\n`);
    await expectExactlyOnce(root);
  });

  it('killed after the file is written, before that is recorded: the restart keeps the file as it is', async () => {
    const root = freshRoot();
    expect(killed(await batch(root, 'file', 'after-present'))).toEqual({ code: null, signal: 'SIGKILL' });
    expect(debitFiles(root)).toEqual([FILE]);
    expect(readFileSync(join(root, 'outbox/bank', FILE)).equals(reference.bytes)).toBe(true);
    const written = statSync(join(root, 'outbox/bank', FILE)).mtimeMs;
    expect((await store(root)).attempts.map((a) => a.status)).toEqual(Array(POLICIES).fill('SUBMITTED'));
    const again = await batch(root, 'file');
    expect(again.stdout.split('\n')[0]).toBe(`reconciled ${POLICIES} presentments left from an interrupted run`);
    expect(statSync(join(root, 'outbox/bank', FILE)).mtimeMs).toBe(written); // not rewritten
    await expectExactlyOnce(root);
    // and a third run finds nothing left to reconcile or present
    const third = await batch(root, 'file');
    expect(third.stdout).not.toContain('reconciled');
    expect(debitFiles(root)).toEqual([FILE]);
  });
});

describe('simulator gateway', () => {
  let reference: Awaited<ReturnType<typeof store>>;

  beforeAll(async () => {
    const root = freshRoot();
    expect((await batch(root, 'simulator')).code).toBe(0);
    reference = await store(root);
    expect(reference.attempts).toHaveLength(POLICIES);
    // the population mixes outcomes, so the comparison below means something
    expect(new Set(reference.attempts.map((a) => a.status))).toEqual(new Set(['PAID', 'UNPAID']));
  });

  async function expectSameAsReference(root: string): Promise<void> {
    const s = await store(root);
    expect(s.attempts).toEqual(reference.attempts);
    // exactly one result per attempt, applied
    expect(s.results.map((r) => [r.instruction_id, r.outcome, Number(r.n)])).toEqual(reference.attempts.map((a) => [a.instruction_id, 'applied', 1]));
    expect(s.collected.map((c) => ({ ...c }))).toEqual(reference.collected);
  }

  for (const point of ['after-submit', 'after-present'] as const) {
    it(`killed ${point}: the restart gives each attempt exactly one result, the same as without a crash`, async () => {
      const root = freshRoot();
      expect(killed(await batch(root, 'simulator', point))).toEqual({ code: null, signal: 'SIGKILL' });
      const mid = await store(root);
      expect(mid.attempts.map((a) => a.status)).toEqual(Array(POLICIES).fill('SUBMITTED'));
      expect(mid.results).toEqual([]);
      const again = await batch(root, 'simulator');
      expect(again.code).toBe(0);
      expect(again.stdout.split('\n')[0]).toBe(`reconciled ${POLICIES} presentments left from an interrupted run`);
      expect(again.stdout).toContain(', 0 presented (R0.00), 0 paid (R0.00), 0 unpaid\n');
      await expectSameAsReference(root);
    });
  }
});
