import type { SettlementRecord } from '../../store/settlement.repository.js';
import type { Ports } from '../ports.js';
import { recordSettlementDisputed } from '../webhooks/close-events.js';

/**
 * SPEC 5.2: an insurer may dispute a settlement within 30 days of receiving it (its creation).
 * A pending settlement that is disputed is no longer paid; a paid one keeps its payment and is
 * marked for follow-up. Outcomes are values: the CLI maps a refusal to exit code 2.
 */
export const DISPUTE_WINDOW_DAYS = 30;

export type DisputeOutcome =
  | { ok: true; settlement: SettlementRecord }
  | { ok: false; code: 'not_found' | 'no_reason' | 'too_late' | 'already_disputed'; message: string };

export async function disputeSettlement(ports: Ports, number: string, reason: string): Promise<DisputeOutcome> {
  const why = reason.trim();
  if (why === '') return { ok: false, code: 'no_reason', message: 'a dispute needs a reason: --reason "..."' };
  const now = ports.clock.now();
  return ports.store.transaction(async (tx): Promise<DisputeOutcome> => {
    const s = await tx.settlements.findSettlementByNumber(number);
    if (!s) return { ok: false, code: 'not_found', message: `no settlement ${number}` };
    if (s.status === 'disputed') return { ok: false, code: 'already_disputed', message: `${number} was already disputed on ${s.disputed_at}: ${s.dispute_reason}` };
    const deadline = new Date(new Date(s.created_at).getTime() + DISPUTE_WINDOW_DAYS * 86_400_000);
    if (now > deadline) {
      return {
        ok: false,
        code: 'too_late',
        message: `${number} was issued on ${s.created_at}; it could be disputed for ${DISPUTE_WINDOW_DAYS} days, until ${deadline.toISOString()}`,
      };
    }
    await tx.settlements.markDisputed(s.id, why, now.toISOString());
    ports.log.info({ tenant: s.tenant_id, period: s.period, settlement: number, was: s.status }, 'settlement disputed');
    const disputed = (await tx.settlements.findSettlementByNumber(number))!;
    await recordSettlementDisputed(tx, ports.config, now, disputed);
    return { ok: true, settlement: disputed };
  });
}
