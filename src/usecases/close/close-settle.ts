import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { compactDate, isPeriod, sastDate, type Period } from '../../domain/dates.js';
import { computeStatement, type Adjustment, type FeeRates } from '../../domain/fees.js';
import { parseRate } from '../../domain/money.js';
import type { BankAccount } from '../../domain/bank-account.js';
import type { Party } from '../../outbox/pdf-document.js';
import { settlementFileName, settlementJson, type SettlementStatement } from '../../outbox/settlement.renderer.js';
import { statementPdf } from '../../outbox/statement-pdf.renderer.js';
import type { SettlementRecord, SettlementStatus } from '../../store/settlement.repository.js';
import { recordSettlementCreated } from '../webhooks/close-events.js';
import { calendarOf, ensureFile, providerParty, ratesForTenant, settlementAmounts, skipped, tenantAccount, tenantConfig, tenantParty, type StepResult } from './close-common.js';
import { paymentDateFor } from '../../domain/close-calendar.js';
import type { Ports } from '../ports.js';
import { crashPoint } from '../../faults/crash-point.js';

/**
 * Day 1, step 2 (SPEC 5.2): the settlement statement of a closed period. Generated once per
 * tenant and period in one transaction (numbers, amounts, the adjustments it carries); running
 * again returns the same settlement and writes only missing files. The JSON and PDF show the
 * statement as issued (status `pending`); `kasi settlement show` shows the current status.
 */
export interface StatementParties {
  provider: Party;
  tenant: Party;
  /** the tenant's bank account at generation, as printed on the statement */
  payee: BankAccount | null;
}

const pad3 = (n: number) => String(n).padStart(3, '0');

export function settlementNumber(period: Period, seq: number): string {
  return `SETTLE-${period}-${pad3(seq)}`;
}

export function paymentReference(date: string, seq: number): string {
  return `EFT-${compactDate(date)}-${pad3(seq)}`;
}

export function ratesOf(rec: SettlementRecord): FeeRates {
  return {
    from: rec.rates_from,
    distributionRate: parseRate(rec.distribution_rate),
    collectionsRate: parseRate(rec.collections_rate),
    vatRate: parseRate(rec.vat_rate),
  };
}

/** The renderer's statement from the stored settlement and the adjustments it carried. */
export function statementOf(rec: SettlementRecord, adjustments: readonly Adjustment[], status: SettlementStatus = rec.status): SettlementStatement {
  return {
    id: rec.id,
    settlementNumber: rec.settlement_number,
    tenant: rec.tenant_id,
    periodMonth: rec.period,
    amounts: settlementAmounts(rec),
    adjustments,
    rates: ratesOf(rec),
    status,
    paymentDate: rec.payment_date,
    paymentReference: rec.payment_reference,
    createdAt: new Date(rec.created_at),
  };
}

/** The stored settlement as a statement; `asIssued` gives the status the documents show. */
export async function loadStatement(ports: Ports, rec: SettlementRecord, asIssued: boolean): Promise<SettlementStatement> {
  const adjustments = await ports.store.reading((tx) => tx.adjustments.adjustmentsCarriedInto(rec.tenant_id, rec.period));
  return statementOf(rec, adjustments, asIssued ? 'pending' : rec.status);
}

async function generate(ports: Ports, tenant: string, period: Period): Promise<{ rec: SettlementRecord; created: boolean }> {
  const { config } = ports;
  const now = ports.clock.now();
  const rates = ratesForTenant(config, tenant, period);
  const parties: StatementParties = { provider: providerParty(config), tenant: tenantParty(config, tenant), payee: tenantAccount(config, tenant) };
  return ports.store.transaction(async (tx) => {
    await tx.settlements.lockNumbering('settlements');
    const existing = await tx.settlements.findSettlement(tenant, period);
    if (existing) return { rec: existing, created: false };
    const collected = await tx.settlements.collectedInPeriod(tenant, period);
    await tx.adjustments.carryAdjustments(tenant, period);
    const adjustments = await tx.adjustments.adjustmentsCarriedInto(tenant, period);
    const a = computeStatement(collected, adjustments, rates);
    const seq = await tx.settlements.nextSettlementSeq(period);
    const paymentDate = paymentDateFor(period, calendarOf(config), sastDate(now));
    const paymentSeq = await tx.settlements.nextPaymentSeq(paymentDate);
    await tx.settlements.insertSettlement({
      id: randomUUID(),
      settlement_number: settlementNumber(period, seq),
      tenant_id: tenant,
      period,
      seq,
      collected_in_period: a.collectedInPeriod,
      adjustments_total: a.adjustmentsTotal,
      total_collections: a.totalCollections,
      distribution_fee: a.distributionFee,
      collections_fee: a.collectionsFee,
      total_fees: a.totalFees,
      vat: a.vat,
      net_amount: a.netAmount,
      rates_from: rates.from,
      distribution_rate: rates.distributionRate.text,
      collections_rate: rates.collectionsRate.text,
      vat_rate: rates.vatRate.text,
      status: 'pending',
      payment_date: paymentDate,
      payment_seq: paymentSeq,
      payment_reference: paymentReference(paymentDate, paymentSeq),
      parties: JSON.stringify(parties),
      created_at: now.toISOString(),
    });
    const rec = (await tx.settlements.findSettlement(tenant, period))!;
    await recordSettlementCreated(tx, config, now, rec);
    return { rec, created: true };
  });
}

/** The statement JSON and PDF of a stored settlement, written if missing. Returns [files, wrote]. */
export async function writeStatementFiles(ports: Ports, rec: SettlementRecord): Promise<[string[], boolean]> {
  const dir = ports.paths.outbox(rec.tenant_id, rec.period);
  const json = join(dir, settlementFileName(rec.settlement_number, 'json'));
  const pdf = join(dir, settlementFileName(rec.settlement_number, 'pdf'));
  const statement = await loadStatement(ports, rec, true);
  const parties = JSON.parse(rec.parties) as StatementParties;
  let wrote = await ensureFile(json, (write) => write(settlementJson(statement)));
  wrote = (await ensureFile(pdf, async (write) => write(await statementPdf({ statement, provider: parties.provider, tenant: parties.tenant, payee: parties.payee })))) || wrote;
  return [[json, pdf], wrote];
}

export async function closeSettle(ports: Ports, tenant: string, period: Period): Promise<StepResult> {
  if (!isPeriod(period)) throw new Error(`"${period}" is not a period YYYY-MM`);
  tenantConfig(ports.config, tenant);
  if ((await ports.store.reading((tx) => tx.reports.closedAt(tenant, period))) === null) {
    return skipped(`${tenant} ${period}: the period is not closed yet; run the report step first`);
  }
  const { rec, created } = await generate(ports, tenant, period);
  if (created) crashPoint('close-after-commit');
  const [files, wrote] = await writeStatementFiles(ports, rec);
  const log = ports.log.child({ step: 'close-settle', tenant, period });
  if (created) {
    log.info({ settlement: rec.settlement_number, total_collections: rec.total_collections, net_amount: rec.net_amount, adjustments_total: rec.adjustments_total }, 'settlement generated');
  }
  if (wrote) log.info({ files }, 'settlement statement written');
  return { status: created || wrote ? 'done' : 'exists', files, problems: [] };
}
