import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { keyInstant, nextOccurrence, occurrenceKey, occurrencesBetween, parseCron } from '../../domain/cron.js';
import { invoiceFileName } from '../../outbox/invoice.renderer.js';
import { settlementFileName } from '../../outbox/settlement.renderer.js';
import type { SettlementRecord } from '../../store/settlement.repository.js';
import type { Ports } from '../ports.js';

/**
 * What the console's pages need beyond one repository call: where a settlement's documents are
 * on disk, the schedule's last/next/catch-up, and the one rule for serving a file from the runtime
 * root (never a path outside it).
 */
export interface SettlementFile {
  kind: 'statement.pdf' | 'statement.json' | 'settlement.csv' | 'invoice.pdf' | 'eft.xml';
  label: string;
  path: string | null;
  /** the EFT file holds every insurer paid that day: operators only */
  operatorOnly: boolean;
}

export async function settlementFiles(ports: Ports, s: SettlementRecord): Promise<SettlementFile[]> {
  const dir = ports.paths.outbox(s.tenant_id, s.period);
  const inv = await ports.store.consoleOps.invoiceNumberOf(s.id);
  const eft = s.payment_file_id !== null ? await ports.store.consoleOps.paymentFileName(s.payment_file_id) : undefined;
  const at = (p: string | null) => (p && existsSync(p) ? p : null);
  return [
    { kind: 'statement.pdf', label: 'Settlement statement (PDF)', path: at(join(dir, settlementFileName(s.settlement_number, 'pdf'))), operatorOnly: false },
    { kind: 'statement.json', label: 'Settlement statement (JSON)', path: at(join(dir, settlementFileName(s.settlement_number, 'json'))), operatorOnly: false },
    { kind: 'settlement.csv', label: 'Settlement CSV (one row per collected policy)', path: at(join(dir, settlementFileName(s.settlement_number, 'csv'))), operatorOnly: false },
    { kind: 'invoice.pdf', label: 'Tax invoice (PDF)', path: inv ? at(join(dir, invoiceFileName(inv, 'pdf'))) : null, operatorOnly: false },
    { kind: 'eft.xml', label: 'EFT payment file (pain.001, every insurer paid that day)', path: eft?.released_at ? at(join(ports.paths.bankOutbox(), eft.name)) : null, operatorOnly: true },
  ];
}

/** A path recorded in the store, served only when it resolves inside the runtime root. */
export function insideRoot(ports: Ports, path: string | null): string | null {
  if (!path) return null;
  const root = resolve(ports.paths.root);
  const p = resolve(root, path);
  return p.startsWith(root + sep) && existsSync(p) ? p : null;
}

export interface StepPlanModel {
  step: string;
  cron: string;
  last: string | null;
  next: string | null;
  missed: string[];
}

export async function schedulePlans(ports: Ports): Promise<StepPlanModel[]> {
  const now = ports.clock.now();
  const out: StepPlanModel[] = [];
  // every cron string under `schedules` is a scheduled step of that name
  for (const [step, source] of Object.entries(ports.config.schedules)) {
    if (typeof source !== 'string') continue;
    const spec = parseCron(source);
    const last = await ports.store.consoleOps.lastRunOccurrence(step);
    const next = nextOccurrence(spec, now);
    const missed = last ? occurrencesBetween(spec, keyInstant(last), now, 50).map(occurrenceKey).filter((k) => k > last) : [];
    out.push({ step, cron: source, last, next: next ? occurrenceKey(next) : null, missed });
  }
  return out;
}

