import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllKasi, REPO, requireBuilt, runKasi } from '../helpers/cli.js';

/** SPEC 8 as a user runs it: `kasi init`, `kasi import`, `kasi status`, exit codes and output. */
const FIX = join(REPO, 'test/fixtures/intake');
const NOW = { KASI_NOW: '2025-11-03T08:00:00' };
let root: string;
let work: string;

beforeAll(async () => {
  requireBuilt();
  root = mkdtempSync(join(tmpdir(), 'kasi-e2e-root-'));
  work = mkdtempSync(join(tmpdir(), 'kasi-e2e-files-'));
  const init = await runKasi(['init', '--root', root, '--tenant', 'acme']);
  expect(init).toEqual({
    code: 0,
    signal: null,
    stderr: '',
    stdout:
      `kasi root ready at ${root}\n` +
      ['config/local.yaml', 'inbox/acme', 'inbox/bank', 'outbox/acme', 'outbox/bank', 'archive/acme', 'failed/acme', 'data'].map((p) => `  created ${join(root, p)}\n`).join('') +
      `Drop policy files into ${join(root, 'inbox/acme')}/ or run: kasi import <file> --tenant acme --root ${root}\n`,
  });
});
afterEach(killAllKasi);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const fixture = (name: string) => {
  copyFileSync(join(FIX, name), join(work, name));
  return join(work, name);
};
const importArgs = (file: string, ...more: string[]) => ['import', file, '--tenant', 'acme', '--root', root, ...more];

describe('kasi init', () => {
  it('a second init changes nothing', async () => {
    const again = await runKasi(['init', '--root', root, '--tenant', 'acme']);
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n')[1]).toBe('  (already set up; nothing changed)');
    expect(existsSync(join(root, 'data/kasi.sqlite'))).toBe(true);
  });

  it('refuses a bad tenant id with exit code 2', async () => {
    const r = await runKasi(['init', '--root', join(work, 'other'), '--tenant', 'Bad_Id']);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'kasi: tenant id "Bad_Id" is not valid: use 1-32 of a-z 0-9 - (not "bank")\n' });
  });
});

describe('kasi import', () => {
  it('a file with 40% bad rows: exact JSON, exit code 2, the user keeps the file', async () => {
    const file = fixture('policies-mixed.csv');
    const r = await runKasi(importArgs(file, '--json'), { env: NOW });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      file: 'policies-mixed.csv',
      status: 'applied',
      imported: 3,
      failed: 2,
      errors: [
        { line: 1, column: 'notes', code: 'EXTRA_COLUMN_IGNORED', message: 'column "notes" is not used and was ignored' },
        { line: 4, column: 'product_code', code: 'INVALID_PRODUCT_CODE', message: 'product_code "FUN ERAL" has " " (U+0020); it must be 1-32 of A-Z a-z 0-9 _ -' },
        { line: 4, column: 'collection_amount', code: 'AMOUNT_TOO_MANY_DECIMALS', message: 'collection_amount "99.999" has more than 2 decimals; write it in rand and cents, e.g. 150.01' },
        { line: 6, column: 'customer_id', code: 'REQUIRED', message: 'customer_id is empty; every row needs one' },
        { line: 6, column: 'collection_amount', code: 'AMOUNT_NOT_POSITIVE', message: 'collection_amount "-10.00" must be greater than 0' },
        { line: 6, column: 'status', code: 'INVALID_STATUS', message: 'status "lapsed" must be active or cancelled (empty means active)' },
      ],
    });
    expect(existsSync(file)).toBe(true); // copied, not moved
    expect(readFileSync(join(root, 'archive/acme/2025-11-03/policies-mixed.csv'))).toEqual(readFileSync(file));
    expect(readFileSync(join(root, 'outbox/acme/intake/policies-mixed.csv.result.csv'), 'utf8')).toBe(readFileSync(join(FIX, 'policies-mixed.result.csv'), 'utf8'));
  });

  it('a clean file: exit code 0 and the human summary', async () => {
    const file = join(work, 'policies-clean.csv');
    writeFileSync(file, 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC7,E7,POL-007,FUN,R 80.00\n');
    const r = await runKasi(importArgs(file), { env: NOW, cwd: root });
    expect(r).toEqual({
      code: 0,
      signal: null,
      stderr: '',
      stdout:
        'policies-clean.csv: applied — 1 imported, 0 failed\n' +
        '  result: outbox/acme/intake/policies-clean.csv.result.csv\n' +
        `  file:   archive/acme/2025-11-03/policies-clean.csv (under ${root})\n`,
    });
  });

  it('the same bytes again: duplicate, exit code 0, nothing applied', async () => {
    const file = join(work, 'policies-clean-again.csv');
    copyFileSync(join(work, 'policies-clean.csv'), file);
    const r = await runKasi(importArgs(file, '--json'), { env: NOW });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      file: 'policies-clean-again.csv',
      status: 'duplicate',
      imported: 0,
      failed: 0,
      errors: [
        { line: 0, column: '', code: 'DUPLICATE_FILE', message: 'the same bytes were already applied as "policies-clean.csv" on 2025-11-03; nothing was applied again' },
      ],
    });
  });

  it('a mostly-wrong file is rejected: exit code 2, moved copy in failed/', async () => {
    const r = await runKasi(importArgs(fixture('policies-mostly-bad.csv'), '--json'), { env: NOW });
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { status: string; imported: number; failed: number; errors: { code: string; line: number }[] };
    expect([out.status, out.imported, out.failed, out.errors.map((e) => `${e.line}:${e.code}`)]).toEqual([
      'rejected',
      0,
      3,
      ['0:FILE_TOO_MANY_FAILED', '3:AMOUNT_NOT_A_NUMBER', '4:AMOUNT_AMBIGUOUS', '6:REQUIRED'],
    ]);
    expect(readFileSync(join(root, 'failed/acme/policies-mostly-bad.csv.errors.csv'), 'utf8')).toBe(readFileSync(join(FIX, 'policies-mostly-bad.errors.csv'), 'utf8'));
  });

  it('an unknown tenant is exit code 2 and says what to do', async () => {
    const r = await runKasi(['import', fixture('policies-mixed.csv'), '--tenant', 'globex', '--root', root]);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'kasi: unknown tenant "globex": add it under tenants: in the config (or run kasi init --tenant globex)\n' });
  });

  it('a missing file and a bad --kind are exit code 2', async () => {
    const missing = await runKasi(importArgs(join(work, 'nope.csv')));
    expect(missing).toMatchObject({ code: 2, stderr: `kasi: ${join(work, 'nope.csv')}: no such file\n` });
    const kind = await runKasi(importArgs(fixture('policies-mixed.csv'), '--kind', 'members'));
    expect(kind).toMatchObject({ code: 2, stderr: 'kasi: --kind must be policies or income, not "members"\n' });
    const usage = await runKasi(['import', '--root', root]);
    expect(usage.code).toBe(2);
  });

  it('KASI_ROOT works in place of --root', async () => {
    const file = join(work, 'policies-env.csv');
    writeFileSync(file, 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC8,E8,POL-008,FUN,8.00\n');
    const r = await runKasi(['import', file, '--tenant', 'acme', '--json'], { env: { ...NOW, KASI_ROOT: root } });
    expect([r.code, JSON.parse(r.stdout)]).toEqual([0, { file: 'policies-env.csv', status: 'applied', imported: 1, failed: 0, errors: [] }]);
  });
});

describe('kasi status', () => {
  it('shows policies and the last intake files', async () => {
    const r = await runKasi(['status', '--root', root], { env: NOW });
    expect([r.code, r.stderr]).toEqual([0, '']);
    // the intake part of the report (later sections belong to the engine and month close)
    expect(r.stdout.split('\n').slice(0, 9)).toEqual([
      "acme (acme (set the insurer's legal name))",
      '  policies: 5 active, 0 cancelled',
      '  intake files: 3 applied, 1 rejected, 1 duplicate',
      '    2025-11-03T06:00:00Z  applied   policies-env.csv (1 imported, 0 failed)',
      '    2025-11-03T06:00:00Z  rejected  policies-mostly-bad.csv (0 imported, 3 failed)',
      '    2025-11-03T06:00:00Z  duplicate policies-clean-again.csv (0 imported, 0 failed)',
      '    2025-11-03T06:00:00Z  applied   policies-clean.csv (1 imported, 0 failed)',
      '    2025-11-03T06:00:00Z  applied   policies-mixed.csv (3 imported, 2 failed)',
      expect.not.stringMatching(/^ {4}\d{4}-/) as unknown as string, // no sixth file line
    ]);
  });
});

describe('an invalid configuration', () => {
  it('exits 2 listing every bad key, for any command', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'kasi-e2e-bad-'));
    try {
      const init = await runKasi(['init', '--root', bad, '--tenant', 'acme']);
      expect(init.code).toBe(0);
      appendFileSync(join(bad, 'config/local.yaml'), 'colour: blue\nhttp: { port: "eighty" }\ngateway: pigeon\n');
      const want =
        'kasi: invalid configuration:\n' +
        '  - gateway: Invalid option: expected one of "simulator"|"file"\n' +
        '  - http.port: Invalid input: expected number, received string\n' +
        '  - colour: unknown key\n';
      for (const args of [['status'], ['import', fixture('policies-mixed.csv'), '--tenant', 'acme'], ['migrate']]) {
        const r = await runKasi([...args, '--root', bad]);
        expect([args[0], r.code, r.stdout, r.stderr]).toEqual([args[0], 2, '', want]);
      }
      expect(readdirSync(join(bad, 'archive/acme'))).toEqual([]);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
