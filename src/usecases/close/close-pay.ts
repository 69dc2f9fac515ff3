import { join } from 'node:path';
import { isIsoDate, type IsoDate } from '../../domain/dates.js';
import { validateBankAccount } from '../../domain/bank-account.js';
import { eftFileName, eftXml, paymentProblems, type EftPayment } from '../../outbox/eft.renderer.js';
import type { PaymentFileRecord } from '../../store/payment.repository.js';
import type { SettlementRecord } from '../../store/settlement.repository.js';
import type { Tx } from '../../store/store.js';
import type { KasiConfig } from '../../config.js';
import { recordSettlementsPaid } from '../webhooks/close-events.js';
import { ensureFile, skipped, type StepResult } from './close-common.js';
import { writeSettlementCsv } from './close-settlement-csv.js';
import type { Ports } from '../ports.js';

/**
 * Day 3 (SPEC 5.2, 5.3), per payment date across tenants: the settlement CSV of every settlement
 * paid that day, then ONE pain.001 file `outbox/bank/payments-<YYYYMMDD>-<NNN>.xml` with every
 * pending settlement of the day whose tenant has a valid bank account and whose net is positive.
 * Any other is reported and left out (it stays pending; a later run after the configuration is
 * corrected puts it in the day's next file). Crash safety: see store/payment.repository.ts (the
 * three steps); closePay runs them, plan and release each in one transaction.
 */
function eftPaymentOf(config: KasiConfig, s: SettlementRecord): EftPayment | string[] {
  const tenant = config.tenants[s.tenant_id];
  if (!tenant) return [`tenant ${s.tenant_id} is not in the configuration`];
  const account = tenant.bank_account;
  if (!account) return validateBankAccount(null).map((m) => `bank account: ${m}`);
  const payment: EftPayment = {
    settlementNumber: s.settlement_number,
    paymentReference: s.payment_reference,
    amountCents: s.net_amount,
    creditor: { name: tenant.name, account },
  };
  const problems = paymentProblems(payment);
  return problems.length > 0 ? problems : payment;
}

export interface PlannedFile {
  seq: number;
  name: string;
  content: string;
  total: number;
}

/**
 * Step 1 (plan) in the caller's transaction: of `settlementIds`, only those still pending and in
 * no file are taken (another run may have taken some); `render` builds the file for them and the
 * day's next sequence, and the file is stored with its full content and tied to them. Returns
 * null when none is left. Steps 2 (write) and 3 (release): closePay.
 */
export async function planPaymentFile(
  tx: Tx,
  date: IsoDate,
  settlementIds: readonly string[],
  render: (settlements: SettlementRecord[], seq: number) => PlannedFile,
  now: string,
): Promise<PaymentFileRecord | null> {
  await tx.settlements.lockNumbering('payment_files');
  if (settlementIds.length === 0) return null;
  const settlements = await tx.payments.stillPayable(date, settlementIds);
  if (settlements.length === 0) return null;
  const file = render(settlements, await tx.payments.nextPaymentFileSeq(date));
  const id = await tx.payments.insertPaymentFile({ date, seq: file.seq, name: file.name, payments: settlements.length, total: file.total, content: file.content, createdAt: now });
  await tx.payments.tieToPaymentFile(id, settlements.map((s) => s.id));
  return tx.payments.paymentFileWithId(id);
}

function renderFile(config: KasiConfig, date: IsoDate): (settlements: SettlementRecord[], seq: number) => PlannedFile {
  return (settlements, seq) => {
    const payments = settlements.map((s) => {
      const p = eftPaymentOf(config, s);
      if (Array.isArray(p)) throw new Error(`${s.settlement_number} cannot be paid: ${p.join('; ')}`);
      return p;
    });
    const content = eftXml({ paymentDate: date, sequence: seq, debtor: { name: config.provider.name, account: config.provider.bank_account }, payments });
    return { seq, name: eftFileName(date, seq), content, total: payments.reduce((t, p) => t + p.amountCents, 0) };
  };
}

/** Which of the day's settlements go into a new file; the rest are reported with the reason. */
function selectPayable(config: KasiConfig, settlements: readonly SettlementRecord[]): { ids: string[]; problems: string[] } {
  const ids: string[] = [];
  const problems: string[] = [];
  for (const s of settlements) {
    if (s.payment_file_id !== null) continue;
    if (s.status === 'disputed') {
      problems.push(`${s.tenant_id} ${s.settlement_number}: disputed (${s.dispute_reason ?? 'no reason given'}); not paid`);
      continue;
    }
    if (s.status !== 'pending') continue;
    const p = eftPaymentOf(config, s);
    if (Array.isArray(p)) problems.push(`${s.tenant_id} ${s.settlement_number}: ${p.join('; ')}; left out of the payment file, the settlement stays pending`);
    else ids.push(s.id);
  }
  return { ids, problems };
}

export async function closePay(ports: Ports, paymentDate: IsoDate): Promise<StepResult> {
  if (!isIsoDate(paymentDate)) throw new Error(`"${paymentDate}" is not a date YYYY-MM-DD`);
  const { config } = ports;
  const log = ports.log.child({ step: 'close-pay', payment_date: paymentDate });
  const settlements = await ports.store.reading((tx) => tx.settlements.settlementsPayableOn(paymentDate));
  if (settlements.length === 0) return skipped(`no settlement is to be paid on ${paymentDate}`);
  const files: string[] = [];
  let changed = false;
  for (const s of settlements) {
    const [path, wrote] = await writeSettlementCsv(ports, s);
    files.push(path);
    changed ||= wrote;
  }
  const { ids, problems } = selectPayable(config, settlements);
  const debtor = validateBankAccount(config.provider.bank_account);
  if (debtor.length > 0 && ids.length > 0) {
    problems.push(`the provider's bank account is invalid (${debtor.join('; ')}); no payment file written`);
  } else if (ids.length > 0) {
    const now = ports.clock.now().toISOString();
    const planned = await ports.store.transaction((tx) => planPaymentFile(tx, paymentDate, ids, renderFile(config, paymentDate), now));
    if (planned) log.info({ file: planned.name, payments: planned.payments, total: planned.total }, 'payment file planned');
  }
  // Write and release every file of the day not yet released (planned now or by a run that
  // crashed), and write again any released one whose file has gone missing.
  for (const f of await ports.store.reading((tx) => tx.payments.paymentFilesOn(paymentDate))) {
    const path = join(ports.paths.bankOutbox(), f.name);
    files.push(path);
    changed = (await ensureFile(path, (write) => write(f.content))) || changed;
    if (f.released_at === null) {
      await ports.store.transaction(async (tx) => {
        const at = ports.clock.now();
        await tx.payments.releasePaymentFile(f.id, at.toISOString());
        await recordSettlementsPaid(tx, config, at, f.id, f.name);
      });
      log.info({ file: f.name, payments: f.payments, total: f.total }, 'payment file released; its settlements are paid');
      changed = true;
    }
  }
  for (const p of problems) log.warn({}, p);
  return { status: changed ? 'done' : 'exists', files, problems };
}
