import type { KasiConfig } from '../../config.js';
import { formatCents } from '../../domain/money.js';
import type { SettlementRecord } from '../../store/settlement.repository.js';
import type { Tx } from '../../store/store.js';
import { anyReceiver } from './collection-events.js';
import { recordEventIn } from './record-event.js';

/**
 * The month close's events, each recorded in the transaction that made the change (closing the
 * period, inserting the settlement, releasing the payment file, the dispute), keyed by what they
 * are about so a step run again records nothing new. Amounts are rand strings with two decimals,
 * as in the API.
 */
type Config = Pick<KasiConfig, 'tenants' | 'webhooks'>;

export function settlementData(s: SettlementRecord): Record<string, unknown> {
  return {
    settlement_number: s.settlement_number,
    period_month: s.period,
    total_collections: formatCents(s.total_collections),
    total_fees: formatCents(s.total_fees),
    vat: formatCents(s.vat),
    net_amount: formatCents(s.net_amount),
    status: s.status,
    payment_date: s.payment_date,
    payment_reference: s.payment_reference,
  };
}

export async function recordPeriodClosed(tx: Tx, config: Config, now: Date, tenant: string, period: string): Promise<void> {
  if (!anyReceiver(config, ['period.closed'])) return;
  const totals = await tx.webhooks.periodTotals(tenant, period);
  const count = (s: string) => totals.find((t) => t.status === s)?.n ?? 0;
  const data = {
    period_month: period,
    closed_at: now.toISOString(),
    collections: { paid_full: count('PAID_FULL'), paid_partial: count('PAID_PARTIAL'), unpaid: count('UNPAID'), cancelled: count('CANCELLED') },
    amount_due: formatCents(totals.filter((t) => t.status !== 'CANCELLED').reduce((a, t) => a + t.due, 0)),
    amount_collected: formatCents(totals.reduce((a, t) => a + t.collected, 0)),
  };
  await recordEventIn(tx, config, now, { type: 'period.closed', tenant, key: `period:${tenant}:${period}`, data });
}

export async function recordSettlementCreated(tx: Tx, config: Config, now: Date, s: SettlementRecord): Promise<void> {
  await recordEventIn(tx, config, now, { type: 'settlement.created', tenant: s.tenant_id, key: `settlement:${s.id}`, data: settlementData(s) });
}

/** Every settlement the released payment file paid: `settlement.paid` with its EFT reference. */
export async function recordSettlementsPaid(tx: Tx, config: Config, now: Date, fileId: number, fileName: string): Promise<void> {
  if (!anyReceiver(config, ['settlement.paid'])) return;
  for (const s of await tx.settlements.settlementsInPaymentFile(fileId)) {
    if (s.status !== 'paid') continue; // a disputed one is not paid
    const data = { ...settlementData(s), paid_at: s.paid_at, payment_file: fileName };
    await recordEventIn(tx, config, now, { type: 'settlement.paid', tenant: s.tenant_id, key: `settlement:${s.id}`, data });
  }
}

export async function recordSettlementDisputed(tx: Tx, config: Config, now: Date, s: SettlementRecord): Promise<void> {
  const data = { ...settlementData(s), disputed_at: s.disputed_at, reason: s.dispute_reason };
  await recordEventIn(tx, config, now, { type: 'settlement.disputed', tenant: s.tenant_id, key: `settlement:${s.id}`, data });
}
