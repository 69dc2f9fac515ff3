import { join } from 'node:path';
import { isPeriod, type Period } from '../../domain/dates.js';
import { allocateSettlementColumns } from '../../domain/allocation.js';
import { settlementCsvPages, settlementFileName } from '../../outbox/settlement.renderer.js';
import type { SettlementRecord } from '../../store/settlement.repository.js';
import { ensureFile, settlementAmounts, skipped, tenantConfig, type StepResult } from './close-common.js';
import type { Ports } from '../ports.js';

/**
 * Day 3 (SPEC 5.2): the settlement CSV. Lines: the period's collected policies by policy number,
 * then the carried adjustments by origin period and policy. Two passes over the same ordered
 * rows: the first reads only the amounts (one number per line, from an index) to allocate the fee columns by
 * largest remainder, so each column sums exactly to the statement; the second streams the
 * lines out with their fees. Neither holds the lines themselves in memory.
 */
/** Hand the settlement CSV's chunks to `sink` (writeAtomic, stdout). */
export async function withSettlementCsvChunks<T>(ports: Ports, rec: SettlementRecord, sink: (chunks: AsyncIterable<string>) => Promise<T>): Promise<T> {
  const { tenant_id: tenant, period } = rec;
  const amounts = await ports.store.settlements.settlementLineAmounts(tenant, period);
  const columns = allocateSettlementColumns(amounts, settlementAmounts(rec));
  // the stream resolves to what `sink` resolved to (the bound store's signature drops the type parameter)
  return ports.store.settlements.withSettlementLines(tenant, period, (pages) => sink(settlementCsvPages(rec.settlement_number, pages, columns))) as Promise<T>;
}

export async function writeSettlementCsv(ports: Ports, rec: SettlementRecord): Promise<[string, boolean]> {
  const path = join(ports.paths.outbox(rec.tenant_id, rec.period), settlementFileName(rec.settlement_number, 'csv'));
  const wrote = await ensureFile(path, (write) => withSettlementCsvChunks(ports, rec, write));
  if (wrote) ports.log.info({ step: 'close-pay', tenant: rec.tenant_id, period: rec.period, file: path }, 'settlement CSV written');
  return [path, wrote];
}

export async function closeSettlementCsv(ports: Ports, tenant: string, period: Period): Promise<StepResult> {
  if (!isPeriod(period)) throw new Error(`"${period}" is not a period YYYY-MM`);
  tenantConfig(ports.config, tenant);
  const rec = await ports.store.reading((tx) => tx.settlements.findSettlement(tenant, period));
  if (!rec) return skipped(`${tenant} ${period}: no settlement yet; run the settle step first`);
  const [path, wrote] = await writeSettlementCsv(ports, rec);
  return { status: wrote ? 'done' : 'exists', files: [path], problems: [] };
}
