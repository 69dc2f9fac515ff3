import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatCents } from '../domain/money.js';
import { disputeSettlement } from '../usecases/close/close-dispute.js';
import { withSettlementCsvChunks } from '../usecases/close/close-settlement-csv.js';
import { loadStatement } from '../usecases/close/close-settle.js';
import type { Ports } from '../usecases/ports.js';
import { settlementJson, type SettlementStatement } from '../outbox/settlement.renderer.js';
import type { SettlementRecord } from '../store/settlement.repository.js';
import { CliError, closePorts, openPorts, type GlobalOptions } from './context.js';
import { sinkFor } from './report.command.js';

/**
 * `kasi settlement show <number> [--json]` (current status), `export <number> [-o file]` (the
 * settlement CSV, same bytes as the outbox file) and `dispute <number> --reason "..."`.
 */
async function find(ports: Ports, number: string): Promise<SettlementRecord> {
  const rec = await ports.store.edgeReads.settlementWithNumber(number);
  if (!rec) throw new CliError(`no settlement ${number} (numbers look like SETTLE-2025-11-001; see kasi close output)`, 2);
  return rec;
}

export function formatSettlement(rec: SettlementRecord, s: SettlementStatement): string {
  const a = s.amounts;
  const amt = (c: number) => formatCents(c).padStart(14);
  const lines = [
    `${rec.settlement_number}  ${rec.tenant_id}  ${rec.period}  ${rec.status}`,
    `  total collections ${amt(a.totalCollections)}  (collected in ${rec.period} ${formatCents(rec.collected_in_period)}, adjustments ${formatCents(rec.adjustments_total)} in ${s.adjustments.length} lines)`,
    `  distribution fee  ${amt(a.distributionFee)}  (rate ${s.rates.distributionRate.text})`,
    `  collections fee   ${amt(a.collectionsFee)}  (rate ${s.rates.collectionsRate.text})`,
    `  total fees        ${amt(a.totalFees)}`,
    `  VAT               ${amt(a.vat)}  (rate ${s.rates.vatRate.text})`,
    `  net amount        ${amt(a.netAmount)}`,
    `  payment           ${rec.payment_date} ${rec.payment_reference}`,
    `  created           ${rec.created_at}`,
  ];
  if (rec.paid_at) lines.push(`  paid              ${rec.paid_at}`);
  if (rec.disputed_at) lines.push(`  disputed          ${rec.disputed_at}: ${rec.dispute_reason ?? ''}`);
  return lines.join('\n') + '\n';
}

export function registerSettlement(program: Command, globals: () => GlobalOptions): void {
  const cmd = program.command('settlement').description('settlements: show, export, dispute');
  cmd
    .command('show <number>')
    .description('a settlement with its current status')
    .option('--json', 'the statement JSON (SPEC 5.2 fields) with the current status')
    .action(async (number: string, opts: { json?: boolean }) => {
      const ports = await openPorts(globals());
      try {
        const rec = await find(ports, number);
        const s = await loadStatement(ports, rec, false);
        process.stdout.write(opts.json ? settlementJson(s) : formatSettlement(rec, s));
      } finally {
        await closePorts(ports);
      }
    });
  cmd
    .command('export <number>')
    .description('the settlement CSV (one line per collected policy and adjustment)')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (number: string, opts: { output?: string }) => {
      const ports = await openPorts(globals());
      try {
        const rec = await find(ports, number);
        await withSettlementCsvChunks(ports, rec, sinkFor(opts.output));
        if (opts.output) process.stdout.write(`wrote ${resolve(opts.output)}\n`);
      } finally {
        await closePorts(ports);
      }
    });
  cmd
    .command('dispute <number>')
    .description('dispute a settlement (within 30 days of its creation)')
    .requiredOption('--reason <text>', 'why, for the record')
    .action(async (number: string, opts: { reason: string }) => {
      const ports = await openPorts(globals());
      try {
        const out = await disputeSettlement(ports, number, opts.reason);
        if (!out.ok) throw new CliError(out.message, 2);
        process.stdout.write(`${number}: disputed (${out.settlement.dispute_reason})${out.settlement.paid_at ? '; it was already paid on ' + out.settlement.paid_at : '; it will not be paid'}\n`);
      } finally {
        await closePorts(ports);
      }
    });
}
