import type { KasiConfig } from '../../config.js';
import type { Store } from '../../store/store.js';
import { releasedEvent } from './hold-events.js';
import { recordEvents, type EventOccurrence } from './record-event.js';

/** The errors a rejected-file event carries in full; the rest are in its result CSV. */
export const ERRORS_IN_EVENT = 20;

export interface IntakeFileFacts {
  id: number;
  tenant_id: string;
  name: string;
  kind: string;
  sha256: string;
  status: string;
  imported: number;
  failed: number;
  warnings: number;
}

/**
 * `intake.file_applied` (with its counts) or `intake.file_rejected` (with why) for a file whose
 * outcome has committed. Called from intake's post-commit step before the file is moved, which a
 * restart redoes for an unfinished file: the key (the file's ledger id) records it once. The bank's
 * result files are operator events (tenant null). Duplicates tell nothing new: no event.
 */
export async function recordIntakeEvent(
  store: Store,
  config: Pick<KasiConfig, 'tenants' | 'webhooks'>,
  now: Date,
  f: IntakeFileFacts,
  errors: readonly { line: number; column: string; code: string; message: string; severity?: string | null }[],
): Promise<void> {
  if (f.status !== 'applied' && f.status !== 'rejected') return;
  const base = { file_id: f.id, file: f.name, kind: f.kind, sha256: f.sha256 };
  const e: EventOccurrence =
    f.status === 'applied'
      ? { type: 'intake.file_applied', tenant: f.tenant_id === 'bank' ? null : f.tenant_id, key: `intake_file:${f.id}`, data: { ...base, imported: f.imported, failed: f.failed, warnings: f.warnings } }
      : {
          type: 'intake.file_rejected',
          tenant: f.tenant_id === 'bank' ? null : f.tenant_id,
          key: `intake_file:${f.id}`,
          data: {
            ...base,
            failed_rows: f.failed,
            error_count: errors.length,
            errors: errors.slice(0, ERRORS_IN_EVENT).map((x) => ({ line: x.line, column: x.column, code: x.code, message: x.message })),
          },
        };
  // a policy file's `hold` = release rows (released in the file's own transaction): policy.released,
  // keyed by the hold's id, so a redone post-commit step records each once
  const released = f.status === 'applied' && f.kind === 'policies' && f.tenant_id !== 'bank' ? await store.policyHolds.holdsReleasedByFile(f.tenant_id, f.name) : [];
  await recordEvents(store, config, now, [e, ...released.map(releasedEvent)]);
}
