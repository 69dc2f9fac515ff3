import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { sastDate } from '../../domain/dates.js';
import { centsFromDecimal, parseRate } from '../../domain/money.js';
import { scanFile, type FileScan } from '../../intake/file-scan.js';
import type { RowError } from '../../domain/row-error.js';
import { Tally } from '../../domain/tally.js';
import { tempNameFor, writeAtomic } from '../../files/atomic-writer.js';
import { intakeErrorsCsv, intakeResultJson, type IntakeSummary } from '../../outbox/intake-result.renderer.js';
import type { IntakeFileMeta, IntakeFileRecord, IntakeKind, IntakeSource } from '../../store/intake-file.repository.js';
import type { Ports } from '../ports.js';
import { deadHere, REPLICA_ID, TakenElsewhere } from '../replica.js';
import { crashPoint } from '../../faults/crash-point.js';
import { kindHandler } from './intake-kinds.js';
import { recordIntakeEvent } from '../webhooks/intake-events.js';
import './intake-engine-kinds.js';

/**
 * Intake of one file (SPEC 3): hash → duplicate check → one transaction → result files → archive
 * or failed/. Each step after the commit is redone from the ledger if a crash interrupts it, so a
 * file is applied once and always ends archived with its result written.
 */
export interface IntakeOutcome extends IntakeSummary {
  fileId: number;
  /** where the file went: archive/… or failed/… */
  movedTo: string | null;
  resultPath: string;
}

export interface ImportRequest {
  tenantId: string;
  path: string;
  /** the name the file arrived under (defaults to the path's base name) */
  name?: string;
  kind?: IntakeKind;
  /** inbox files are moved; a file named on the command line is copied, the user keeps theirs */
  mode: 'move' | 'copy';
  /** where it arrived, recorded in the ledger (intake_files.source) */
  source?: IntakeSource;
  onProgress?: (bytes: number, total: number) => void;
}

export function kindFromName(name: string): IntakeKind | null {
  const n = name.toLowerCase();
  if (!n.endsWith('.csv')) return null;
  if (n.startsWith('policies')) return 'policies';
  if (n.startsWith('income')) return 'income';
  if (n.startsWith('results')) return 'results';
  return null;
}

export async function importFile(ports: Ports, req: ImportRequest): Promise<IntakeOutcome> {
  const name = req.name ?? basename(req.path);
  let receivedAt: string;
  let scan: FileScan;
  try {
    receivedAt = (await stat(req.path)).mtime.toISOString();
    scan = await scanFile(req.path);
  } catch (err) {
    // an inbox file moved away under us: another replica took it
    if (req.mode === 'move' && (err as NodeJS.ErrnoException).code === 'ENOENT') throw new TakenElsewhere(`${name}: gone from the inbox (taken by another process)`);
    throw err;
  }
  // Replicas watching one inbox: the file's bytes are claimed in the store before anything is
  // applied or moved; only the claimant goes on, and it lets go once the file is finished.
  const claim = await claimFile(ports, req.tenantId, scan.sha256, name);
  try {
    if (req.mode === 'move' && !(await exists(req.path))) throw new TakenElsewhere(`${name}: already taken by another process`);
    return await importClaimed(ports, req, name, receivedAt, scan);
  } finally {
    await claim.release();
  }
}

/** Claim (tenant, sha256) with a lease renewed while the file is worked on; TakenElsewhere when another process holds it. */
async function claimFile(ports: Ports, tenantId: string, sha256: string, name: string): Promise<{ release(): Promise<void> }> {
  const leaseMs = ports.config.daemon.lease_seconds * 1000;
  const lease = () => new Date(Date.now() + leaseMs).toISOString();
  const ok = await ports.store.intakeClaims.claimIntake({ tenantId, sha256, name, owner: REPLICA_ID, wallNow: new Date().toISOString(), leaseUntil: lease(), isDead: deadHere });
  if (!ok) throw new TakenElsewhere(`${name}: another process is taking these bytes for ${tenantId}`);
  const renew = setInterval(() => {
    ports.store.intakeClaims.renewIntake(tenantId, sha256, REPLICA_ID, lease()).catch((err: unknown) => ports.log.warn({ err, tenant: tenantId, file: name }, 'intake claim renewal failed; trying again'));
  }, Math.max(100, Math.floor(leaseMs / 3)));
  renew.unref();
  return {
    async release() {
      clearInterval(renew);
      await ports.store.intakeClaims.releaseIntake(tenantId, sha256, REPLICA_ID).catch((err: unknown) =>
        ports.log.warn({ err, tenant: tenantId, file: name }, 'intake claim not released; it expires with its lease'),
      );
    },
  };
}

async function importClaimed(ports: Ports, req: ImportRequest, name: string, receivedAt: string, scan: FileScan): Promise<IntakeOutcome> {
  const { store, clock, log } = ports;
  const kind = req.kind ?? kindFromName(name);
  const meta: IntakeFileMeta = {
    tenantId: req.tenantId,
    kind: kind ?? 'policies',
    name,
    sha256: scan.sha256,
    size: scan.size,
    encoding: scan.verdict.ok ? scan.verdict.encoding : null,
    delimiter: null,
    receivedAt,
    processedAt: clock.now().toISOString(),
    source: req.source ?? null,
  };
  const flog = log.child({ tenant: req.tenantId, file: name, sha256: scan.sha256.slice(0, 12) });

  const unfinished = await store.intakeFiles.findUnfinished(req.tenantId, scan.sha256, name);
  if (unfinished) {
    flog.info({ fileId: unfinished.id, status: unfinished.status }, 'finishing a file whose outcome was committed before a restart');
    return finish(ports, req, unfinished.id);
  }
  const applied = await store.intakeFiles.findApplied(req.tenantId, scan.sha256);
  if (applied) {
    const id = await store.intakeFiles.recordUnapplied(meta, 'duplicate', { duplicate_of: applied.id }, [duplicateError(applied)]);
    flog.warn({ duplicateOf: applied.id }, 'duplicate file: same bytes already applied; archived, not applied again');
    return finish(ports, req, id);
  }
  const bank = req.tenantId === 'bank';
  if (!kind || (bank && kind !== 'results') || (!bank && kind === 'results')) {
    const message = bank
      ? `"${name}" is not a bank result file: the bank folder takes results*.csv only`
      : kind === 'results'
        ? `"${name}" is a bank result file: put it in inbox/bank, not in an insurer's inbox`
        : !name.toLowerCase().endsWith('.csv')
          ? `"${name}" is not a CSV file: save it as CSV (policies*.csv or income*.csv) and send it again`
          : `"${name}" is not a known file: name policy files policies*.csv and income files income*.csv`;
    return reject(ports, req, meta, [{ line: 0, column: '', code: 'FILE_UNKNOWN_KIND', message }]);
  }
  const handler = kindHandler(kind);
  const opened = await handler.open(req.path, scan, ports, (b) => req.onProgress?.(b, scan.size));
  if (!opened.ok) return reject(ports, req, meta, opened.errors);
  meta.delimiter = opened.delimiter;
  const tally = new Tally(opened.warnings);
  const share = parseRate(ports.config.intake.max_failed_share);
  const res = await handler.apply(ports, meta, opened.items, tally, () => tally.verdict(share, handler.label));
  if (res.reject) return reject(ports, req, meta, [res.reject, ...tally.sorted()], tally.failed);
  flog.info({ fileId: res.fileId, kind, imported: tally.imported, failed: tally.failed, warnings: tally.warnings }, 'file applied');
  crashPoint('intake-after-commit');
  return finish(ports, req, res.fileId);
}

function duplicateError(of: IntakeFileRecord): RowError {
  return {
    line: 0,
    column: '',
    code: 'DUPLICATE_FILE',
    message: `the same bytes were already applied as "${of.name}" on ${sastDate(new Date(of.processed_at))}; nothing was applied again`,
    severity: 'warning',
  };
}

/** `failedRows`: data rows that failed (0 when the file was refused before its rows were read). */
async function reject(ports: Ports, req: ImportRequest, meta: IntakeFileMeta, errors: RowError[], failedRows = 0): Promise<IntakeOutcome> {
  const id = await ports.store.intakeFiles.recordUnapplied(meta, 'rejected', { failed: failedRows }, errors);
  ports.log.warn({ tenant: meta.tenantId, file: meta.name, fileId: id, code: errors[0]?.code }, 'file rejected: nothing applied');
  return finish(ports, req, id);
}

/** Post-commit steps, idempotent: result files, then the move. Safe to redo after a crash. */
async function finish(ports: Ports, req: ImportRequest, fileId: number): Promise<IntakeOutcome> {
  const rec = await ports.store.intakeFiles.getFile(fileId);
  const errors = await ports.store.intakeFiles.fileErrors(fileId);
  const name = rec.name;
  const summary: IntakeSummary = {
    file: name,
    tenant: rec.tenant_id,
    kind: rec.kind,
    sha256: rec.sha256,
    status: rec.status,
    imported: rec.imported,
    failed: rec.failed,
    warnings: rec.warnings,
    errors: errors.map((e) => ({ line: e.line, column: e.column, code: e.code, message: e.message, severity: e.severity ?? 'error' })),
  };
  const resultsDir = ports.paths.intakeResults(rec.tenant_id);
  const resultPath = ports.paths.intakeResultCsv(rec.tenant_id, name);
  await writeAtomic(resultPath, intakeErrorsCsv(name, errors));
  await writeAtomic(join(resultsDir, `${name}.result.json`), intakeResultJson(summary));
  crashPoint('intake-after-results');
  // before the move: a restart finishes an unfinished file through here again (recorded once, by its id)
  await recordIntakeEvent(ports.store, ports.config, ports.clock.now(), rec, errors);
  const dir = rec.status === 'rejected' ? ports.paths.failed(rec.tenant_id) : ports.paths.archive(rec.tenant_id, sastDate(new Date(rec.processed_at)));
  let movedTo: string | null = null;
  if (rec.archive_path && (await exists(rec.archive_path))) {
    // placed by an earlier run killed before it recorded the end (the target is recorded first)
    movedTo = rec.archive_path;
    if (req.mode === 'move') await rm(req.path, { force: true }); // a cross-device move killed before removing the source
  } else if (await exists(req.path)) {
    // Pick the free name first so a rejected file's `.errors.csv` sits beside the file it describes,
    // even when an earlier file of the same name is already there.
    const target = rec.archive_path ?? (await freeName(join(dir, name), fileId));
    if (rec.status === 'rejected') await writeAtomic(`${target}.errors.csv`, intakeErrorsCsv(name, errors), { sidecar: false });
    await ports.store.intakeFiles.markPlacing(fileId, target);
    movedTo = await place(req, target);
    crashPoint('intake-after-move');
  } // else: already moved by an earlier, interrupted run
  await ports.store.intakeFiles.markFinished(fileId, movedTo ?? rec.archive_path, ports.clock.now().toISOString());
  return { ...summary, fileId, movedTo, resultPath };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** `dest`, or `<base>.<fileId><ext>` when another file already has that name: never overwrite. */
async function freeName(dest: string, fileId: number): Promise<string> {
  if (!(await exists(dest))) return dest;
  const ext = extname(dest);
  return `${dest.slice(0, dest.length - ext.length)}.${fileId}${ext}`;
}

/** Move (inbox) or copy (CLI) the file to `target`. */
async function place(req: ImportRequest, target: string): Promise<string> {
  await mkdir(join(target, '..'), { recursive: true });
  // a copy appears whole under its name (temp + rename), so "the target exists" means "placed"
  const copy = async () => {
    const tmp = tempNameFor(target);
    await copyFile(req.path, tmp);
    await rename(tmp, target);
  };
  if (req.mode === 'copy') {
    await copy();
    return target;
  }
  try {
    await rename(req.path, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copy();
    await rm(req.path);
  }
  return target;
}

/**
 * At start: files whose move (or copy) into archive/ or failed/ completed but whose end was not
 * recorded before a crash. The inbox no longer holds them, so no scan would finish them.
 */
export async function finishInterrupted(ports: Ports): Promise<number> {
  const open = await ports.store.intakeFiles.placedUnfinished();
  let n = 0;
  for (const rec of open) {
    if (!(await exists(rec.archive_path!))) continue;
    await ports.store.intakeFiles.markFinished(rec.id, rec.archive_path, ports.clock.now().toISOString());
    ports.log.info({ tenant: rec.tenant_id, file: rec.name, fileId: rec.id }, 'recorded the end of a file placed before a restart');
    n++;
  }
  return n;
}

export type { FileScan };
export const amountCeiling = (ports: Pick<Ports, 'config'>) => centsFromDecimal(ports.config.intake.amount_ceiling);
