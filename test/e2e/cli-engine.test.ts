import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllKasi, requireBuilt, runKasi } from '../helpers/cli.js';

/**
 * The engine's commands as an operator runs them (SPEC 8), file gateway, SQLite:
 * `kasi execute` (twice, and again after a late policy), `kasi batch`, `kasi bank-results`,
 * `kasi status --period`. Steps run in order on one runtime root.
 */
let root: string;
let work: string;
const FILE_GW = { KASI_GATEWAY: 'file' };
const on = (date: string, time = '06:00:00') => ({ ...FILE_GW, KASI_NOW: `${date}T${time}` });
const kasi = (args: string[], env: Record<string, string> = {}) => runKasi([...args, '--root', root], { env, cwd: root });
function file(name: string, content: string): string {
  const p = join(work, name);
  writeFileSync(p, content);
  return p;
}

beforeAll(async () => {
  requireBuilt();
  root = mkdtempSync(join(tmpdir(), 'kasi-e2e-engine-'));
  work = mkdtempSync(join(tmpdir(), 'kasi-e2e-engine-files-'));
  expect((await runKasi(['init', '--root', root, '--tenant', 'acme', '--name', 'Acme Funeral Insurance Ltd'])).code).toBe(0);
  const pol = file('policies-nov.csv', 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC1,E1,P1,FUNERAL,150.00\nC2,E2,P2,FUNERAL,99.90\nC3,E3,P3,FUNERAL,80.00\n');
  expect((await kasi(['import', pol, '--tenant', 'acme'], on('2025-11-01'))).code).toBe(0);
});
afterEach(killAllKasi);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('kasi execute', () => {
  it('opens one collection per active policy; a second run opens nothing', async () => {
    expect(await kasi(['execute', '--period', '2025-11'], on('2025-11-01'))).toEqual({ code: 0, signal: null, stderr: '', stdout: 'acme 2025-11: 3 collections opened (3 in the period)\n' });
    expect(await kasi(['execute', '--period', '2025-11'], on('2025-11-01'))).toEqual({ code: 0, signal: null, stderr: '', stdout: 'acme 2025-11: 0 collections opened (3 in the period)\n' });
  });

  it('refuses a bad period with exit code 2', async () => {
    expect(await kasi(['execute', '--period', '2025-13'])).toMatchObject({ code: 2, stdout: '', stderr: 'kasi: --period must be YYYY-MM, not "2025-13"\n' });
  });
});

describe('kasi batch and kasi bank-results', () => {
  it('the morning after a deposit: one debit file, exact bytes, with its sha256 sidecar', async () => {
    const income = file('income-20251103.csv', 'customer_id,date,amount\nC1,2025-11-03,1000.00\nC2,2025-11-03,2500.00\n');
    expect((await kasi(['import', income, '--tenant', 'acme'], on('2025-11-03'))).code).toBe(0);
    const debits = join(root, 'outbox/bank/debits-20251104-001.csv');
    expect(await kasi(['batch', '--date', '2025-11-04'], on('2025-11-04'))).toEqual({
      code: 0, signal: null, stderr: '',
      stdout: `2025-11-04 acme 2025-11: 3 collections considered, 2 presented (R249.90)\ndebit file: ${debits}\n`,
    });
    expect(readFileSync(debits, 'utf8')).toBe(
      'instruction_id,tenant,policy_number,customer_id,external_customer_ref,amount,action_date,presentment\n' +
        'acme-202511-1-1,acme,P1,C1,E1,150.00,2025-11-04,1\n' +
        'acme-202511-2-1,acme,P2,C2,E2,99.90,2025-11-04,1\n',
    );
    expect(readFileSync(`${debits}.sha256`, 'utf8')).toMatch(/^[0-9a-f]{64} {2}debits-20251104-001\.csv\n$/);
  });

  it('a weekend or holiday batch presents nothing and says why', async () => {
    expect(await kasi(['batch', '--date', '2025-11-08'], on('2025-11-08'))).toEqual({
      code: 0, signal: null, stderr: '', stdout: '2025-11-08 is not a bank processing day (a weekend); nothing presented\n',
    });
    expect(await kasi(['batch', '--date', '2025-12-16'], on('2025-12-16'))).toEqual({
      code: 0, signal: null, stderr: '', stdout: '2025-12-16 is not a bank processing day (Day of Reconciliation); nothing presented\n',
    });
    expect(await kasi(['batch', '--date', '2025-11-31'])).toMatchObject({ code: 2, stderr: 'kasi: --date must be YYYY-MM-DD, not "2025-11-31"\n' });
  });

  it('bank results: applied, an unknown instruction reported and ignored (JSON)', async () => {
    const res = file(
      'results-20251104.csv',
      'instruction_id,result,amount_collected,reason_code,processed_date\nacme-202511-1-1,PAID,150.00,,2025-11-04\nacme-202511-2-1,UNPAID,0,18,2025-11-04\nXYZ-1,PAID,10.00,,2025-11-04\n',
    );
    const r = await kasi(['bank-results', res, '--json'], on('2025-11-04', '18:00:00'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      file: 'results-20251104.csv',
      status: 'applied',
      imported: 2,
      failed: 0,
      errors: [
        {
          line: 4, column: 'instruction_id', code: 'RESULT_UNKNOWN_INSTRUCTION', severity: 'warning',
          message: 'no debit was presented with instruction_id "XYZ-1"; the result was recorded and ignored',
        },
      ],
    });
  });

  it('the same result again in another file: RESULT_REPEATED, human output', async () => {
    const res = file('results-20251104-again.csv', 'instruction_id,result,amount_collected,reason_code,processed_date\nacme-202511-1-1,PAID,150.00,,2025-11-04\n');
    expect(await kasi(['bank-results', res], on('2025-11-05'))).toEqual({
      code: 0, signal: null, stderr: '',
      stdout:
        'results-20251104-again.csv: applied — 0 imported, 0 failed, 1 warning\n' +
        '  line 2, instruction_id: RESULT_REPEATED — instruction "acme-202511-1-1" already has a result; this one was recorded and ignored\n' +
        '  result: outbox/bank/intake/results-20251104-again.csv.result.csv\n' +
        `  file:   archive/bank/2025-11-05/results-20251104-again.csv (under ${root})\n`,
    });
  });

  it('a policy added later is executed into the running period and debited after its deposit', async () => {
    const pol = file('policies-late.csv', 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC4,E4,P4,FUNERAL,75.50\n');
    expect((await kasi(['import', pol, '--tenant', 'acme'], on('2025-11-10'))).code).toBe(0);
    const income = file('income-20251110.csv', 'customer_id,date,amount\nC4,2025-11-10,300.00\n');
    expect((await kasi(['import', income, '--tenant', 'acme'], on('2025-11-10'))).code).toBe(0);
    expect((await kasi(['execute', '--period', '2025-11'], on('2025-11-10'))).stdout).toBe('acme 2025-11: 1 collections opened (4 in the period)\n');
    const r = await kasi(['batch', '--date', '2025-11-11'], on('2025-11-11'));
    expect(r.stdout).toBe(`2025-11-11 acme 2025-11: 2 collections considered, 1 presented (R75.50)\ndebit file: ${join(root, 'outbox/bank/debits-20251111-001.csv')}\n`);
    expect(readFileSync(join(root, 'outbox/bank/debits-20251111-001.csv'), 'utf8').split('\n')[1]).toBe('acme-202511-4-1,acme,P4,C4,E4,75.50,2025-11-11,1');
  });
});

describe('kasi status', () => {
  it('shows the period: counts, due and collected, presentments, failures and likely claims', async () => {
    const r = await kasi(['status', '--period', '2025-11'], on('2025-11-11', '09:00:00'));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['acme (Acme Funeral Insurance Ltd)', '  policies: 4 active, 0 cancelled', '  intake files: 4 applied, 0 rejected, 0 duplicate']);
    expect(r.stdout.split('\n').slice(7)).toEqual([
      '  period 2025-11 (open)',
      '    collections: 4 open (1 collected in full so far, 0 in part, 3 nothing yet), 0 paid in full, 0 partial, 0 unpaid, 0 cancelled',
      '    due R405.40, collected R150.00',
      '    presentments: 3 (1 paid, 1 unpaid, 1 awaiting a result)',
      '    failures: ACCOUNT_HOLDER_DECEASED 1',
      '    likely claims (account holder deceased): 1',
      '      P2  customer C2',
      '  held policies (not collected until released: kasi policy release): 1',
      '    P2  held 2025-11-04  18 ACCOUNT_HOLDER_DECEASED',
      '',
    ]);
  });

  it('defaults to the current period (from KASI_NOW) and refuses a bad one', async () => {
    const dec = await kasi(['status'], on('2025-12-02'));
    expect(dec.stdout.split('\n').slice(7)).toEqual([
      '  period 2025-12: not executed (run kasi execute --period 2025-12)',
      // the hold placed by November's code 18 stays until the insurer releases it
      '  held policies (not collected until released: kasi policy release): 1',
      '    P2  held 2025-11-04  18 ACCOUNT_HOLDER_DECEASED',
      '',
    ]);
    expect(await kasi(['status', '--period', 'nov'])).toMatchObject({ code: 2, stdout: '', stderr: 'kasi: --period must be YYYY-MM, not "nov"\n' });
    const json = JSON.parse((await kasi(['status', '--json', '--period', '2025-11'], on('2025-11-11'))).stdout) as { tenants: { period: unknown }[] };
    expect(json.tenants[0]!.period).toMatchObject({ period: '2025-11', state: 'open', dueCents: 405_40, collectedCents: 150_00, likelyClaims: [{ policyNumber: 'P2', customerId: 'C2' }] });
  });

  it('nothing was written where it should not be', () => {
    expect(existsSync(join(root, 'outbox/bank/debits-20251104-002.csv'))).toBe(false);
    expect(existsSync(join(root, 'outbox/bank/debits-20251108-001.csv'))).toBe(false);
  });
});
