import { centsFromDecimal } from '../../domain/money.js';
import type { FileScan } from '../../intake/file-scan.js';
import { openPolicyFile, type OpenedFile } from '../../intake/policy-file.reader.js';
import type { RowError } from '../../intake/row-error.js';
import type { Tally } from '../../intake/tally.js';
import type { IntakeFileMeta, IntakeKind } from '../../store/intake-file.repository.js';
import { applyPoliciesPg } from '../../store/policy-import.pg.js';
import { applyPoliciesSqlite } from '../../store/policy-import.sqlite.js';
import type { Ports } from '../ports.js';

/** Each intake file kind: how to open it and how to apply its rows in one transaction. */
export interface KindHandler {
  label: string;
  open(path: string, scan: FileScan, ports: Ports, onBytes?: (n: number) => void): Promise<OpenedFile<unknown>>;
  apply(ports: Ports, meta: IntakeFileMeta, items: AsyncIterable<unknown>, tally: Tally, decide: () => RowError | null): Promise<{ fileId: number; reject: RowError | null }>;
}

const policies: KindHandler = {
  label: 'policy',
  open: (path, scan, ports, onBytes) =>
    // PostgreSQL finds repeated policy numbers in its staging table (see policy-import.pg.ts)
    openPolicyFile(path, scan, { ceilingCents: centsFromDecimal(ports.config.intake.amount_ceiling), findRepeats: ports.db.dialect === 'sqlite' }, onBytes),
  apply: (ports, meta, items, tally, decide) =>
    ports.db.dialect === 'sqlite'
      ? applyPoliciesSqlite(ports.db, meta, items as never, tally, decide)
      : applyPoliciesPg(ports.db, meta, items as never, tally, decide),
};

const handlers: Partial<Record<IntakeKind, KindHandler>> = { policies };

export function registerKind(kind: IntakeKind, handler: KindHandler): void {
  handlers[kind] = handler;
}

export function kindHandler(kind: IntakeKind): KindHandler {
  const h = handlers[kind];
  if (!h) throw new Error(`no intake handler for ${kind} files`);
  return h;
}
