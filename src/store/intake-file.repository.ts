import type { Knex } from 'knex';
import type { Db } from './db.js';
import { knexOf } from './db.js';
import type { Sql } from './sql.js';
import type { RowError } from '../domain/row-error.js';

/** The ledger of intake files: what was taken, when, with what outcome, and its row errors. */
export type IntakeKind = 'policies' | 'income' | 'results';
export type IntakeStatus = 'applied' | 'rejected' | 'duplicate';
/** Where a file arrived (migration 015): its tenant's inbox folder (or `kasi import`), SFTP, or the HTTP API. */
export type IntakeSource = 'inbox' | 'sftp' | 'api';

export interface IntakeFileMeta {
  tenantId: string;
  kind: IntakeKind;
  name: string;
  sha256: string;
  size: number;
  encoding: string | null;
  delimiter: string | null;
  receivedAt: string;
  processedAt: string;
  source?: IntakeSource | null;
}

export interface IntakeFileRecord {
  id: number;
  tenant_id: string;
  kind: IntakeKind;
  name: string;
  sha256: string;
  size: number;
  status: IntakeStatus;
  duplicate_of: number | null;
  imported: number;
  failed: number;
  warnings: number;
  received_at: string;
  processed_at: string;
  archive_path: string | null;
  finished_at: string | null;
  /** SFTP: where the file was moved on the insurer's server once taken (migration 013) */
  remote_moved_to: string | null;
}

/** Keep the ledger bounded for a hopeless file: the first errors say what is wrong. */
export const MAX_STORED_ERRORS = 100_000;

export function fileRow(meta: IntakeFileMeta, status: IntakeStatus) {
  return {
    tenant_id: meta.tenantId,
    kind: meta.kind,
    name: meta.name,
    sha256: meta.sha256,
    size: meta.size,
    status,
    encoding: meta.encoding,
    delimiter: meta.delimiter,
    received_at: meta.receivedAt,
    processed_at: meta.processedAt,
    source: meta.source ?? null,
  };
}

export async function findApplied(db: Db, tenantId: string, sha256: string): Promise<IntakeFileRecord | undefined> {
  return (await knexOf(db)('intake_files').where({ tenant_id: tenantId, sha256, status: 'applied' }).first()) as IntakeFileRecord | undefined;
}

/** Files whose outcome is committed but whose move/result write did not finish (a crash). */
export async function findUnfinished(db: Db, tenantId: string, sha256: string, name: string): Promise<IntakeFileRecord | undefined> {
  return (await knexOf(db)('intake_files')
    .where({ tenant_id: tenantId, sha256, name })
    .whereNull('finished_at')
    .orderBy('id', 'desc')
    .first()) as IntakeFileRecord | undefined;
}

type FileCounts = { imported?: number; failed?: number; warnings?: number; duplicate_of?: number };

async function insertFile(knex: Knex, meta: IntakeFileMeta, status: IntakeStatus, extra: FileCounts): Promise<number> {
  const [row] = (await knex('intake_files').insert({ ...fileRow(meta, status), ...extra }).returning('id')) as { id: number }[];
  return row!.id;
}

async function insertErrors(knex: Knex, fileId: number, errors: readonly RowError[]): Promise<void> {
  const rows = errors.slice(0, MAX_STORED_ERRORS).map((e) => ({
    intake_file_id: fileId,
    line: e.line,
    column: e.column,
    code: e.code,
    message: e.message,
    severity: e.severity ?? 'error',
  }));
  for (let i = 0; i < rows.length; i += 400) await knex('intake_errors').insert(rows.slice(i, i + 400));
}

/** A file that is not applied (rejected, or a duplicate), with its row errors, in one transaction. */
export async function recordUnapplied(db: Db, meta: IntakeFileMeta, status: Exclude<IntakeStatus, 'applied'>, extra: FileCounts, errors: readonly RowError[]): Promise<number> {
  return knexOf(db).transaction(async (trx) => {
    const id = await insertFile(trx, meta, status, extra);
    await insertErrors(trx, id, errors);
    return id;
  });
}

/** Inside the transaction that applies a file's rows (see usecases/intake/apply-in-transaction.ts): its ledger row, as applied. */
export async function insertAppliedFile(sql: Sql, meta: IntakeFileMeta): Promise<number> {
  const [f] = await sql.all<{ id: number }>(
    `INSERT INTO intake_files (tenant_id, kind, name, sha256, size, status, encoding, delimiter, received_at, processed_at, source)
     VALUES (?, ?, ?, ?, ?, 'applied', ?, ?, ?, ?, ?) RETURNING id`,
    [meta.tenantId, meta.kind, meta.name, meta.sha256, meta.size, meta.encoding, meta.delimiter, meta.receivedAt, meta.processedAt, meta.source ?? null],
  );
  return Number(f!.id);
}

/** The applied file's row errors (the first MAX_STORED_ERRORS, in the order given) and its counts. */
export async function recordAppliedOutcome(sql: Sql, fileId: number, errors: readonly RowError[], counts: { imported: number; failed: number; warnings: number }): Promise<void> {
  for (const e of errors.slice(0, MAX_STORED_ERRORS)) {
    await sql.run('INSERT INTO intake_errors (intake_file_id, line, "column", code, message, severity) VALUES (?, ?, ?, ?, ?, ?)', [
      fileId,
      e.line,
      e.column,
      e.code,
      e.message,
      e.severity ?? 'error',
    ]);
  }
  await sql.run('UPDATE intake_files SET imported = ?, failed = ?, warnings = ? WHERE id = ?', [counts.imported, counts.failed, counts.warnings, fileId]);
}

export async function markFinished(db: Db, fileId: number, archivePath: string | null, at: string): Promise<void> {
  await knexOf(db)('intake_files').where({ id: fileId }).update({ archive_path: archivePath, finished_at: at });
}

/** The target a file is about to be moved or copied to (archive/ or failed/), recorded first. */
export async function markPlacing(db: Db, fileId: number, target: string): Promise<void> {
  await knexOf(db)('intake_files').where({ id: fileId }).update({ archive_path: target });
}

/** Files with a recorded target but no recorded end: a crash between the move and markFinished. */
export async function placedUnfinished(db: Db): Promise<IntakeFileRecord[]> {
  return (await knexOf(db)('intake_files').whereNull('finished_at').whereNotNull('archive_path').orderBy('id')) as IntakeFileRecord[];
}

export async function fileErrors(db: Db, fileId: number): Promise<RowError[]> {
  const rows = (await knexOf(db)('intake_errors')
    .where({ intake_file_id: fileId })
    .orderBy(['line', 'id'])
    .select('line', 'column', 'code', 'message', 'severity')) as RowError[];
  return rows;
}

/** The latest file taken under `name` for the tenant, if any. */
export async function latestOfName(db: Db, tenantId: string, name: string): Promise<IntakeFileRecord | undefined> {
  return (await knexOf(db)('intake_files').where({ tenant_id: tenantId, name }).orderBy('id', 'desc').first()) as IntakeFileRecord | undefined;
}

/** SFTP: the remote file of the latest intake under `name` was moved to `target` on the server. */
export async function markRemoteMoved(db: Db, tenantId: string, name: string, target: string): Promise<void> {
  const knex = knexOf(db);
  await knex('intake_files')
    .where('id', knex('intake_files').max('id').where({ tenant_id: tenantId, name }))
    .update({ remote_moved_to: target });
}

export async function getFile(db: Db, fileId: number): Promise<IntakeFileRecord> {
  return (await knexOf(db)('intake_files').where({ id: fileId }).first()) as IntakeFileRecord;
}
