import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileGateway } from '../../src/bank/file-gateway.js';
import { firstDayOf, nextPeriod, sastInstant } from '../../src/domain/dates.js';
import { formatCents, type Cents } from '../../src/domain/money.js';
import { runBatch, type BatchSummary } from '../../src/usecases/collect/batch.js';
import { engineSetup, type EngineSetup } from '../../src/usecases/collect/engine-setup.js';
import { executeCollections } from '../../src/usecases/collect/execute.js';
import { importFile, type IntakeOutcome } from '../../src/usecases/intake/import-file.js';
import { closePeriod } from '../../src/store/report.repository.js';
import { transaction } from '../../src/store/sql.js';
import { makeEnv, type Dialect, type TestEnv } from '../helpers/env.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * The engine as an insurer and its bank see it, for the engine-*.test.ts files: policy and income
 * files go in through importFile, each day's batch runs with the FILE gateway, the written debit
 * file is read back, and a small stand-in bank answers it with a results file imported for tenant
 * `bank`. The bank pays a debit when the deposits dated before its action date, less what it
 * already paid, cover it (a debit runs before the day's credits clear); a scripted return code
 * for a (policy, presentment) overrides that.
 */
export const TENANT = 'acme';
export const DEBITS_HEADER = 'instruction_id,tenant,policy_number,customer_id,external_customer_ref,amount,action_date,presentment';

export interface Debit {
  instruction_id: string;
  tenant: string;
  policy_number: string;
  customer_id: string;
  external_customer_ref: string;
  amount: string;
  action_date: string;
  presentment: string;
}

export interface Deposit {
  customer: string;
  date: string;
  cents: Cents;
  /** the day the income feed reports it (default: its own date) */
  known: string;
}

export interface DayResult {
  batch: BatchSummary;
  /** the debit file's name and exact bytes, when the batch wrote one */
  file: string | null;
  content: string | null;
  debits: Debit[];
  /** the results file the bank sent back (null when there was nothing to answer) */
  results: string | null;
  income: IntakeOutcome | null;
}

export interface AttemptView {
  policy_number: string;
  presentment: number;
  action_date: string;
  amount_requested: number;
  amount_collected: number | null;
  status: string;
  reason_code: string | null;
}

export interface CollectionView {
  policy_number: string;
  amount_due: number;
  amount_collected: number;
  presentments: number;
  status: string;
  halted_reason: string | null;
  last_failure_reason: string | null;
  flag: string | null;
}

const rands = (cents: Cents) => formatCents(cents);

export class EngineWorld {
  readonly deposits: Deposit[] = [];
  readonly days: DayResult[] = [];
  private readonly paid = new Map<string, Cents>();
  private readonly scripted = new Map<string, string>();
  private seq = 0;

  private constructor(
    readonly env: TestEnv,
    readonly setup: EngineSetup,
    readonly gateway: FileGateway,
    /** a temp folder for the files the test hands in (never the runtime root) */
    readonly dir: string,
  ) {}

  static async create(dialect: Dialect, local: Record<string, unknown> = {}, now = '2025-11-01T06:00:00+02:00'): Promise<EngineWorld> {
    const env = await makeEnv(dialect, { gateway: 'file', ...local }, now);
    const dir = mkdtempSync(join(tmpdir(), 'kasi-engine-files-'));
    return new EngineWorld(env, engineSetup(env.ports.config), new FileGateway(env.ports.paths.bankOutbox()), dir);
  }

  get ports() {
    return this.env.ports;
  }

  at(date: string, time = '06:00:00'): void {
    this.env.setNow(`${date}T${time}+02:00`);
  }

  /** Write a file into the hand-in folder and import it for `tenant`. */
  async hand(name: string, content: string, tenantId = TENANT): Promise<IntakeOutcome> {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return importFile(this.ports, { tenantId, path, mode: 'copy' });
  }

  /** rows: [customer, policy, rands, status?] */
  async policies(rows: [string, string, string, string?][], name = `policies-${++this.seq}.csv`): Promise<IntakeOutcome> {
    const body = rows.map(([c, p, amount, status]) => `${c},REF-${c},${p},FUNERAL,${amount},${status ?? 'active'}`).join('\n');
    return this.hand(name, `customer_id,external_customer_ref,policy_number,product_code,collection_amount,status\n${body}\n`);
  }

  execute(period: string) {
    return executeCollections(this.ports, TENANT, period);
  }

  /** A deposit on the customer's account: the bank knows it at once, the income feed on `known`. */
  deposit(customer: string, date: string, cents: Cents, known = date): void {
    this.deposits.push({ customer, date, cents, known });
  }

  /** The bank answers this presentment with `code` (`PAID` to pay whatever the balance). */
  script(policy: string, presentment: number, code: string): void {
    this.scripted.set(`${policy}#${presentment}`, code);
  }

  /** Income file of the deposits that become known on `date`, imported that morning. */
  async feed(date: string): Promise<IntakeOutcome | null> {
    const rows = this.deposits.filter((d) => d.known === date);
    if (rows.length === 0) return null;
    return this.hand(`income-${date}.csv`, `customer_id,date,amount\n${rows.map((d) => `${d.customer},${d.date},${rands(d.cents)}`).join('\n')}\n`);
  }

  /** One business morning: the income feed, the batch, and the bank's answer that evening. */
  async day(date: string): Promise<DayResult> {
    this.at(date);
    const income = await this.feed(date);
    const batch = await runBatch(this.ports, { date, gateway: this.gateway, setup: this.setup });
    const file = batch.status === 'done' ? batch.batchFile : null;
    const content = file ? readFileSync(join(this.ports.paths.bankOutbox(), file), 'utf8') : null;
    const debits = content ? parseDebits(content) : [];
    let results: string | null = null;
    if (debits.length) {
      this.at(date, '18:00:00');
      results = this.answer(debits, date);
      const out = await this.hand(`results-${date}.csv`, results, 'bank');
      if (out.status !== 'applied' || out.errors.some((e) => e.severity !== 'warning' || e.code !== 'RESULT_UNKNOWN_REASON')) throw new Error(`results for ${date} not applied cleanly: ${JSON.stringify(out)}`);
    }
    const day = { batch, file, content, debits, results, income };
    this.days.push(day);
    return day;
  }

  /** Every calendar day from `from` to `to` inclusive (runBatch itself skips non-processing days). */
  async run(from: string, to: string): Promise<DayResult[]> {
    const out: DayResult[] = [];
    for (let d = from; d <= to; d = nextDay(d)) out.push(await this.day(d));
    return out;
  }

  /** The bank's results file for a debit file. */
  answer(debits: Debit[], processed: string): string {
    let out = 'instruction_id,result,amount_collected,reason_code,processed_date\n';
    for (const d of debits) {
      const cents = Math.round(Number(d.amount) * 100);
      const code = this.scripted.get(`${d.policy_number}#${d.presentment}`);
      const funds = this.balance(d.customer_id, d.action_date);
      const pays = code === 'PAID' || (code === undefined && funds >= cents);
      if (pays) {
        this.paid.set(d.customer_id, (this.paid.get(d.customer_id) ?? 0) + cents);
        out += `${d.instruction_id},PAID,${d.amount},,${processed}\n`;
      } else out += `${d.instruction_id},UNPAID,0.00,${code ?? '02'},${processed}\n`;
    }
    return out;
  }

  balance(customer: string, actionDate: string): Cents {
    let b = 0;
    for (const d of this.deposits) if (d.customer === customer && d.date < actionDate) b += d.cents;
    return b - (this.paid.get(customer) ?? 0);
  }

  async attempts(period?: string): Promise<AttemptView[]> {
    return knexOf(dbOf(this.ports.store))('attempts as a')
      .join('collections as c', 'c.id', 'a.collection_id')
      .modify((q) => (period ? q.where('a.period', period) : q))
      .orderBy(['c.policy_number', 'a.presentment'])
      .select('c.policy_number', 'a.presentment', 'a.action_date', 'a.amount_requested', 'a.amount_collected', 'a.status', 'a.reason_code');
  }

  async collection(policy: string, period = '2025-11'): Promise<CollectionView> {
    const row = await knexOf(dbOf(this.ports.store))('collections')
      .where({ tenant_id: TENANT, period, policy_number: policy })
      .first('policy_number', 'amount_due', 'amount_collected', 'presentments', 'status', 'halted_reason', 'last_failure_reason', 'flag');
    if (!row) throw new Error(`no collection for ${policy} in ${period}`);
    return row as CollectionView;
  }

  /**
   * A past, closed period in which `policy` was paid on `paidDays` (the customer's own history,
   * SPEC 4.2 step 1, for a customer the income feed does not cover).
   */
  async seedHistory(policy: string, period: string, paidDays: [string, Cents][]): Promise<void> {
    const knex = knexOf(dbOf(this.ports.store));
    const p = await knex('policies').where({ tenant_id: TENANT, policy_number: policy }).first();
    const ts = `${firstDayOf(period)}T06:00:00.000Z`;
    await knex('periods').insert({ tenant_id: TENANT, period, executed_at: ts, closed_at: ts });
    const due = paidDays.reduce((s, [, c]) => s + c, 0);
    const [row] = await knex('collections')
      .insert({
        tenant_id: TENANT, period, policy_id: p.id, policy_number: policy, customer_id: p.customer_id, external_customer_ref: p.external_customer_ref,
        product_code: p.product_code, amount_due: due, amount_collected: due, status: 'PAID_FULL', presentments: paidDays.length, pending: 0,
        created_at: ts, updated_at: ts,
      })
      .returning('id');
    const id = typeof row === 'object' ? (row as { id: number }).id : (row as number);
    await knex('attempts').insert(
      paidDays.map(([date, cents], i) => ({
        instruction_id: `${TENANT}-${period.replace('-', '')}-${id}-${i + 1}`, collection_id: id, tenant_id: TENANT, period, presentment: i + 1,
        action_date: date, amount_requested: cents, amount_collected: cents, status: 'PAID', processed_date: date, created_at: ts,
      })),
    );
  }

  /** The month close's first step: each OPEN collection gets its final status. */
  async close(period: string): Promise<void> {
    const end = sastInstant(firstDayOf(nextPeriod(period))).toISOString();
    await transaction(dbOf(this.ports.store), (sql) => closePeriod(sql, TENANT, period, end, end));
  }

  async cleanup(): Promise<void> {
    await this.env.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function parseDebits(content: string): Debit[] {
  const [header, ...lines] = content.trimEnd().split('\n');
  if (header !== DEBITS_HEADER) throw new Error(`unexpected debit file header: ${header}`);
  return lines.map((l) => {
    const [instruction_id, tenant, policy_number, customer_id, external_customer_ref, amount, action_date, presentment] = l.split(',') as string[];
    return { instruction_id, tenant, policy_number, customer_id, external_customer_ref, amount, action_date, presentment } as Debit;
  });
}

export function nextDay(d: string): string {
  const t = new Date(`${d}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + 1);
  return t.toISOString().slice(0, 10);
}
