import type { DeliveryLedger } from './delivery-ledger.js';
import { posix } from 'node:path';
import { remotePath } from './remote-paths.js';
import { validateRemoteRelPath } from './remote-name.js';
import { errText, SftpSession } from './sftp-session.js';
import type { Env, SftpLog, TenantSftpSettings } from './tenant-sftp.config.js';

/**
 * Delivers a tenant's outbox files to its outbound folder (SPEC 7): each is written under
 * `.<name>.part` and renamed to its final name, so the insurer never sees a final name with
 * partial content. Re-delivery replaces the old file (posix-rename when the server has it).
 */
export interface DeliveryFile {
  localPath: string;
  /** `name`, or `folder/name` (one level, e.g. `intake/x.result.csv`): the folder is created when missing */
  remoteName: string;
}

export type DeliveryOutcome = { remoteName: string; ok: true } | { remoteName: string; ok: false; error: string };

export interface SftpUploaderOptions {
  tenant: string;
  settings: TenantSftpSettings;
  log: SftpLog;
  env?: Env;
  clock?: () => Date;
}

export class SftpUploader {
  constructor(private readonly o: SftpUploaderOptions) {}

  /** One connection for the batch; an outcome per file, in input order. Never throws for I/O. */
  deliver(files: readonly DeliveryFile[]): Promise<DeliveryOutcome[]> {
    return this.run(files, () => null);
  }

  /**
   * Deliver what the ledger lists as pending. A `.sha256` sidecar goes after its data file and is
   * held back when that file failed in this run: it would vouch for an older copy.
   */
  async deliverPending(ledger: DeliveryLedger): Promise<{ delivered: number; failed: number }> {
    const clock = this.o.clock ?? (() => new Date());
    const pending = [...(await ledger.pending(this.o.tenant))].sort((a, b) => compare(sortKey(a.remoteName), sortKey(b.remoteName)));
    const outcomes = await this.run(pending, (f, failed) => {
      const base = f.remoteName.endsWith(SIDECAR) ? f.remoteName.slice(0, -SIDECAR.length) : null;
      return base !== null && failed.has(base) ? `not delivered: its data file ${base} failed` : null;
    });
    let delivered = 0;
    for (const [i, o] of outcomes.entries()) {
      const id = pending[i]!.id;
      if (o.ok) {
        await ledger.markDelivered(id, clock());
        delivered++;
      } else await ledger.markFailed(id, o.error);
    }
    return { delivered, failed: outcomes.length - delivered };
  }

  /** `hold` may refuse a file given the names that failed so far (null = go ahead). */
  private async run(files: readonly DeliveryFile[], hold: (f: DeliveryFile, failed: ReadonlySet<string>) => string | null): Promise<DeliveryOutcome[]> {
    const where = { tenant: this.o.tenant };
    if (files.length === 0) return [];
    let session: SftpSession;
    try {
      session = await SftpSession.open(this.o.settings, { log: this.o.log, where, ...(this.o.env ? { env: this.o.env } : {}) });
    } catch (err) {
      this.o.log.error({ ...where, err: errText(err) }, 'SFTP delivery could not connect');
      return files.map((f) => ({ remoteName: f.remoteName, ok: false, error: errText(err) }));
    }
    const out: DeliveryOutcome[] = [];
    const failed = new Set<string>();
    const folders = new Set<string>();
    try {
      for (const f of files) {
        const v = validateRemoteRelPath(f.remoteName);
        const refusal = v.ok ? hold(f, failed) : v.message;
        const o: DeliveryOutcome = refusal !== null ? { remoteName: f.remoteName, ok: false, error: refusal } : await this.deliverOne(session, f, folders);
        if (!o.ok) failed.add(f.remoteName);
        out.push(o);
      }
    } finally {
      await session.end();
    }
    return out;
  }

  /** `folders`: subfolders of outbound_dir known to exist in this run. */
  private async deliverOne(session: SftpSession, f: DeliveryFile, folders: Set<string>): Promise<DeliveryOutcome> {
    const s = this.o.settings;
    const sub = posix.dirname(f.remoteName);
    const dir = sub === '.' ? s.outbound_dir : remotePath(s.outbound_dir, sub);
    const temp = remotePath(dir, `.${posix.basename(f.remoteName)}.part`);
    const final = remotePath(s.outbound_dir, f.remoteName);
    try {
      if (sub !== '.' && !folders.has(sub)) {
        if (!(await session.exists(dir))) await session.mkdir(dir);
        folders.add(sub);
      }
      await session.upload(f.localPath, temp);
      await session.replace(temp, final);
      this.o.log.info({ tenant: this.o.tenant, file: f.remoteName }, 'SFTP file delivered');
      return { remoteName: f.remoteName, ok: true };
    } catch (err) {
      this.o.log.warn({ tenant: this.o.tenant, file: f.remoteName, err: errText(err) }, 'SFTP delivery failed; stays pending');
      if (!session.closed) await session.delete(temp).catch(() => undefined);
      return { remoteName: f.remoteName, ok: false, error: errText(err) };
    }
  }
}

const SIDECAR = '.sha256';

/** `x.csv` sorts before `x.csv.sha256`: the sidecar lands last, as a completion signal. */
function sortKey(name: string): string {
  return name.endsWith(SIDECAR) ? `${name.slice(0, -SIDECAR.length)}\u0001` : `${name}\u0000`;
}

/** Code-unit order: localeCompare would ignore the control characters sortKey relies on. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
