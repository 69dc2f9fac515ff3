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

export async function seedMonth(knex: Knex, tenant: string, period: string, specs: readonly CollectionSpec[], opts: { chunk?: number } = {}): Promise<void> {
  // SQLite: knex inserts many rows as one compound SELECT, limited to 500 terms
  const chunk = knex.client.config.client === 'better-sqlite3' ? Math.min(opts.chunk ?? 400, 400) : (opts.chunk ?? 400);
  await knex('tenants').insert({ id: tenant, name: tenant, created_at: NOW }).onConflict('id').ignore();
  await knex('periods').insert({ tenant_id: tenant, period, executed_at: NOW }).onConflict(['tenant_id', 'period']).ignore();
  const policies = specs.map((s) => ({
    tenant_id: tenant,
    policy_number: s.policy,
    customer_id: s.customer,
    external_customer_ref: s.ref,
    product_code: s.product,
    collection_amount: s.due,
    status: s.cancelledAt ? 'cancelled' : 'active',
    cancelled_at: s.cancelledAt ?? null,
    created_at: NOW,
    updated_at: NOW,
  }));
  for (let i = 0; i < policies.length; i += chunk) {
    await knex('policies').insert(policies.slice(i, i + chunk)).onConflict(['tenant_id', 'policy_number']).ignore();
  }
  const ids = new Map<string, number>();
  for (const p of (await knex('policies').where({ tenant_id: tenant }).select('id', 'policy_number')) as { id: number; policy_number: string }[]) ids.set(p.policy_number, Number(p.id));
  const rows = specs.map((s) => {
    const results = s.attempts.filter((a) => a.paid !== undefined);
    const last = results[results.length - 1];
    const lastFailure = last && last === s.attempts[s.attempts.length - 1] && last.paid === null ? (last.reason ?? REASONS[last.code!] ?? `UNKNOWN_${last.code}`) : null;
    return {
      tenant_id: tenant,
      period,
      policy_id: ids.get(s.policy)!,
      policy_number: s.policy,
      customer_id: s.customer,
      external_customer_ref: s.ref,
      product_code: s.product,
      amount_due: s.due,
      amount_collected: s.attempts.reduce((t, a) => t + (a.paid ?? 0), 0),
      status: 'OPEN',
      presentments: s.attempts.length,
      pending: s.attempts.filter((a) => a.paid === undefined).length,
      first_attempt_date: s.attempts[0]?.date ?? null,
      last_attempt_date: s.attempts[s.attempts.length - 1]?.date ?? null,
      last_failure_reason: lastFailure,
      flag: s.flag ?? (s.attempts.some((a) => a.code === '18') ? 'DECEASED' : null),
      created_at: NOW,
      updated_at: NOW,
    };
  });
  for (let i = 0; i < rows.length; i += chunk) await knex('collections').insert(rows.slice(i, i + chunk));
  const cids = new Map<string, number>();
  for (const c of (await knex('collections').where({ tenant_id: tenant, period }).select('id', 'policy_number')) as { id: number; policy_number: string }[]) cids.set(c.policy_number, Number(c.id));
  const attempts = specs.flatMap((s) =>
    s.attempts.map((a, i) => ({
      instruction_id: `${tenant}-${period}-${s.policy}-${i + 1}`,
      collection_id: cids.get(s.policy)!,
      tenant_id: tenant,
      period,
      presentment: i + 1,
      action_date: a.date,
      amount_requested: a.requested,
      amount_collected: a.paid === undefined ? null : (a.paid ?? 0),
      status: a.paid === undefined ? 'PRESENTED' : a.paid === null ? 'UNPAID' : 'PAID',
      reason_code: a.paid === null ? a.code! : null,
      reason: a.paid === null ? (a.reason ?? REASONS[a.code!] ?? null) : null,
      processed_date: a.paid === undefined ? null : a.date,
      created_at: NOW,
    })),
  );
  for (let i = 0; i < attempts.length; i += chunk) await knex('attempts').insert(attempts.slice(i, i + chunk));
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

/** The XSD the EFT file must validate against (SPEC 5.3). */
export const XSD = join(REPO, '../shared/schemas/pain.001.001.03.xsd');

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
