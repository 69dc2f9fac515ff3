/**
 * Seeds for the month-close tests: a month written straight into the store (tenants, policies,
 * periods, collections, attempts, adjustments), as the intake and the engine would leave it.
 * `SMALL_MONTH` is test/fixtures/golden/small-month.ts as store rows.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import type { Db } from '../../src/store/db.js';
import { transaction } from '../../src/store/sql.js';
import { REPO } from '../helpers/cli.js';
import { REPORT_ROWS, SETTLEMENT_LINES, TENANT, TENANT_ACCOUNT } from '../fixtures/golden/small-month.js';

export interface AttemptSpec {
  date: string;
  requested: number;
  /** PAID with this amount; null: UNPAID with `code`; undefined: still PRESENTED (no result yet) */
  paid?: number | null;
  code?: string;
  reason?: string;
}

export interface CollectionSpec {
  policy: string;
  customer: string;
  ref: string;
  product: string;
  due: number;
  attempts: AttemptSpec[];
  /** the policy was cancelled at this instant */
  cancelledAt?: string;
  flag?: string;
}

export interface AdjustmentSpec {
  tenant: string;
  origin: string;
  policy: string;
  customer: string;
  ref: string;
  product: string;
  amount: number;
  carriedInto?: string | null;
}

const REASONS: Record<string, string> = { '02': 'INSUFFICIENT_FUNDS', '12': 'ACCOUNT_CLOSED', '18': 'ACCOUNT_HOLDER_DECEASED' };

/** The attempts behind each golden report row (dates, counts, collected and last reason match). */
const GOLDEN_ATTEMPTS: Record<string, AttemptSpec[]> = {
  'P-1001': [{ date: '2025-11-26', requested: 15_000, paid: 15_000 }],
  'P-1002': [
    { date: '2025-11-04', requested: 30_000, paid: 10_000 },
    { date: '2025-11-14', requested: 20_000, paid: 11_000 },
    { date: '2025-11-28', requested: 9_000, paid: null, code: '02' },
  ],
  'P-1003': [
    { date: '2025-11-03', requested: 9_999, paid: null, code: '02' },
    { date: '2025-11-10', requested: 9_999, paid: null, code: '12' },
  ],
  'P-1004': [],
  'P-1005': [
    { date: '2025-11-25', requested: 123_456, paid: 100_000 },
    { date: '2025-11-27', requested: 23_456, paid: 23_456 },
  ],
};

export const SMALL_MONTH: CollectionSpec[] = REPORT_ROWS.map((r) => ({
  policy: r.policy_number,
  customer: r.customer_id,
  ref: r.external_customer_ref,
  product: r.product_code,
  due: r.collection_amount_due,
  attempts: GOLDEN_ATTEMPTS[r.policy_number]!,
  cancelledAt: r.collection_status === 'CANCELLED' ? '2025-11-15T08:00:00.000Z' : undefined,
}));

/** The golden adjustments (carried into 2025-11) plus two that must not be: too new, already carried. */
export const SMALL_ADJUSTMENTS: AdjustmentSpec[] = [
  ...SETTLEMENT_LINES.filter((l) => l.period_month !== '2025-11').map((l) => ({
    tenant: 'acme',
    origin: l.period_month,
    policy: l.policy_number,
    customer: l.customer_id,
    ref: l.external_customer_ref,
    product: l.product_code,
    amount: l.collection_amount_collected,
  })),
  { tenant: 'acme', origin: '2025-11', policy: 'P-1003', customer: 'Mokoena, T', ref: '-REF3', product: '-X', amount: 9_999 },
  { tenant: 'acme', origin: '2025-08', policy: 'P-0997', customer: 'C-97', ref: 'EXT-97', product: 'FUNERAL_A', amount: 5_000, carriedInto: '2025-10' },
];

/** Config of the golden tenant (parties as in small-month.ts). */
export const ACME_CONFIG = { name: TENANT.name, vat_number: TENANT.vatNumber, address: TENANT.address, bank_account: TENANT_ACCOUNT };

const NOW = '2025-11-01T04:00:00.000Z';

/**
 * Seed one tenant's month. Rows are staged (prepared inserts on SQLite, COPY on PostgreSQL) and
 * applied set-based, so a 60,000-row month takes seconds. Ids are looked up by correlated
 * subqueries: a join could let SQLite loop over the (unindexed) staging table inside.
 */
export async function seedMonth(db: Db, tenant: string, period: string, specs: readonly CollectionSpec[]): Promise<void> {
  await transaction(db, async (sql) => {
    await sql.run('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING', [tenant, tenant, NOW]);
    await sql.run('INSERT INTO periods (tenant_id, period, executed_at) VALUES (?, ?, ?) ON CONFLICT (tenant_id, period) DO NOTHING', [tenant, period, NOW]);
    const text = (n: string) => [n, 'text'] as const;
    const int = (n: string) => [n, 'int'] as const;
    await sql.stage(
      'seed_collections',
      [text('policy_number'), text('customer_id'), text('ref'), text('product'), int('due'), int('collected'), int('presentments'), int('pending'), text('first'), text('last'), text('failure'), text('flag'), text('cancelled_at')],
      specs.map((s) => {
        const results = s.attempts.filter((a) => a.paid !== undefined);
        const last = results[results.length - 1];
        const failure = last && last === s.attempts[s.attempts.length - 1] && last.paid === null ? (last.reason ?? REASONS[last.code!] ?? `UNKNOWN_${last.code}`) : null;
        const flag = s.flag ?? (s.attempts.some((a) => a.code === '18') ? 'DECEASED' : null);
        return [
          s.policy,
          s.customer,
          s.ref,
          s.product,
          s.due,
          s.attempts.reduce((t, a) => t + (a.paid ?? 0), 0),
          s.attempts.length,
          s.attempts.filter((a) => a.paid === undefined).length,
          s.attempts[0]?.date ?? null,
          s.attempts[s.attempts.length - 1]?.date ?? null,
          failure,
          flag,
          s.cancelledAt ?? null,
        ];
      }),
    );
    await sql.run(
      `INSERT INTO policies (tenant_id, policy_number, customer_id, external_customer_ref, product_code, collection_amount, status, cancelled_at, created_at, updated_at)
       SELECT ?, policy_number, customer_id, ref, product, due, CASE WHEN cancelled_at IS NULL THEN 'active' ELSE 'cancelled' END, cancelled_at, ?, ? FROM seed_collections WHERE true
       ON CONFLICT (tenant_id, policy_number) DO NOTHING`,
      [tenant, NOW, NOW],
    );
    // PostgreSQL plans the id look-ups below from statistics: refresh them for the new rows
    if (sql.dialect === 'pg') await sql.run('ANALYZE policies');
    await sql.run(
      `INSERT INTO collections (tenant_id, period, policy_id, policy_number, customer_id, external_customer_ref, product_code, amount_due, amount_collected,
         status, presentments, pending, first_attempt_date, last_attempt_date, last_failure_reason, flag, created_at, updated_at)
       SELECT ?, ?, (SELECT p.id FROM policies p WHERE p.tenant_id = ? AND p.policy_number = s.policy_number), s.policy_number, s.customer_id, s.ref,
         s.product, s.due, s.collected, 'OPEN', s.presentments, s.pending, s.first, s.last, s.failure, s.flag, ?, ?
       FROM seed_collections s`,
      [tenant, period, tenant, NOW, NOW],
    );
    await sql.stage(
      'seed_attempts',
      [text('policy_number'), int('presentment'), text('date'), int('requested'), int('collected'), text('status'), text('code'), text('reason')],
      specs.flatMap((s) =>
        s.attempts.map((a, i) => [
          s.policy,
          i + 1,
          a.date,
          a.requested,
          a.paid === undefined ? null : (a.paid ?? 0),
          a.paid === undefined ? 'PRESENTED' : a.paid === null ? 'UNPAID' : 'PAID',
          a.paid === null ? a.code! : null,
          a.paid === null ? (a.reason ?? REASONS[a.code!] ?? null) : null,
        ]),
      ),
    );
    if (sql.dialect === 'pg') await sql.run('ANALYZE collections');
    // instruction ids as the test expects them: <tenant>-<period>-<policy>-<presentment>
    await sql.run(
      `INSERT INTO attempts (instruction_id, collection_id, tenant_id, period, presentment, action_date, amount_requested, amount_collected, status, reason_code, reason, processed_date, created_at)
       SELECT ? || s.policy_number || '-' || s.presentment, (SELECT c.id FROM collections c WHERE c.tenant_id = ? AND c.period = ? AND c.policy_number = s.policy_number),
         ?, ?, s.presentment, s.date, s.requested, s.collected, s.status, s.code, s.reason, CASE WHEN s.status = 'PRESENTED' THEN NULL ELSE s.date END, ?
       FROM seed_attempts s`,
      [`${tenant}-${period}-`, tenant, period, tenant, period, NOW],
    );
  });
}

export async function seedAdjustments(knex: Knex, adjustments: readonly AdjustmentSpec[]): Promise<void> {
  for (const a of adjustments) {
    await knex('adjustments').insert({
      tenant_id: a.tenant,
      origin_period: a.origin,
      policy_number: a.policy,
      customer_id: a.customer,
      external_customer_ref: a.ref,
      product_code: a.product,
      amount: a.amount,
      bank_result_id: null,
      reason: 'late result (seeded)',
      carried_into_period: a.carriedInto ?? null,
      created_at: NOW,
    });
  }
}

/** A deterministic book of `n` collections with every outcome, for the kill test and the bench. */
export function bigMonth(n: number, seed = 1): CollectionSpec[] {
  const out: CollectionSpec[] = [];
  let x = seed;
  const rnd = () => (x = (x * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  for (let i = 1; i <= n; i++) {
    const due = 5_000 + Math.floor(rnd() * 50_000);
    const k = i % 10;
    const attempts: AttemptSpec[] =
      k < 6
        ? [{ date: '2025-11-25', requested: due, paid: due }]
        : k < 8
          ? [
              { date: '2025-11-04', requested: due, paid: null, code: '02' },
              { date: '2025-11-26', requested: due, paid: Math.floor(due / 2) },
            ]
          : k === 8
            ? [{ date: '2025-11-03', requested: due, paid: null, code: i % 100 === 8 ? '18' : '12' }]
            : [];
    out.push({ policy: `POL${String(i).padStart(8, '0')}`, customer: `C${i}`, ref: `REF-${i}`, product: 'FUNERAL_BASIC', due, attempts });
  }
  return out;
}

/** The XSD the EFT file must validate against (docs/file-formats.md, the EFT payment file). */
export const XSD = join(REPO, 'schemas/pain.001.001.03.xsd');

export function pdfText(path: string): string {
  return execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
}

export function xmllint(path: string): void {
  execFileSync('xmllint', ['--noout', '--schema', XSD, path], { stdio: 'pipe' });
}

/** Every file under the outbox with its bytes and mtime, to show a re-run changed nothing. */
export function snapshot(root: string): Record<string, { sha: string; mtime: number }> {
  const out: Record<string, { sha: string; mtime: number }> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[p.slice(root.length + 1)] = { sha: createHash('sha256').update(readFileSync(p)).digest('hex'), mtime: statSync(p).mtimeMs };
    }
  };
  walk(join(root, 'outbox'));
  return out;
}
