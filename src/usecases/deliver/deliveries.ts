import { existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { KasiConfig } from '../../config.js';
import { validateRemoteName } from '../../sftp/remote-name.js';
import type { Env, TenantSftpSettings } from '../../sftp/tenant-sftp.config.js';
import { SftpUploader } from '../../sftp/uploader.js';
import type { IntakeOutcome } from '../intake/import-file.js';
import type { Ports } from '../ports.js';

/**
 * Outbox deliverables of SFTP tenants (SPEC 7): queued durably in `deliveries`, then uploaded to
 * the tenant's outbound folder under a temporary name and renamed. A failed upload stays queued
 * and the SftpService loop tries it again on every poll, so a dead server delays a delivery but
 * never loses it.
 */
export interface EnqueueResult {
  /** root-relative paths queued now (a data file, then its `.sha256` sidecar) */
  queued: string[];
  /** root-relative paths that were queued before (delivered or not): left as they are */
  already: string[];
  refused: { path: string; reason: string }[];
}

export interface DeliveryRun {
  delivered: number;
  failed: number;
}

export interface DeliveryOptions {
  /** Where `password_env` is looked up. The composition root passes process.env; when omitted the
   *  SFTP adapter falls back to process.env itself. */
  env?: Env;
}

export interface EnqueueOptions {
  /** a folder under outbound_dir for these files (e.g. `intake`); default: outbound_dir itself */
  remoteDir?: string;
  /** the files were rewritten: a file delivered before is queued again (not reported `already`) */
  again?: boolean;
}

const SIDECAR = '.sha256';

/** The tenant's SFTP settings when it exchanges files over SFTP (`intake: sftp`), else null. */
export function sftpTenantSettings(config: KasiConfig, tenant: string): TenantSftpSettings | null {
  const t = config.tenants[tenant];
  if (!t) throw new Error(`unknown tenant "${tenant}": it is not under tenants: in the configuration`);
  return t.intake === 'sftp' && t.sftp ? t.sftp : null;
}

/** Tenant ids with `intake: sftp`, in configuration order. */
export function sftpTenants(config: KasiConfig): string[] {
  return Object.keys(config.tenants).filter((id) => sftpTenantSettings(config, id) !== null);
}

/**
 * Queue `paths` (absolute, or relative to the runtime root) and each one's `.sha256` sidecar when
 * present, once per (tenant, file). Only files under `outbox/<tenant>/` are accepted: a tenant
 * never receives another tenant's or the bank's files (SPEC 2).
 */
export async function enqueueDeliveries(ports: Ports, tenant: string, paths: readonly string[], opts: EnqueueOptions = {}): Promise<EnqueueResult> {
  const out: EnqueueResult = { queued: [], already: [], refused: [] };
  const root = ports.paths.root;
  const candidates: string[] = [];
  for (const p of paths) {
    const abs = resolve(root, p);
    candidates.push(abs);
    if (!abs.endsWith(SIDECAR) && existsSync(abs + SIDECAR)) candidates.push(abs + SIDECAR);
  }
  const sftp = sftpTenantSettings(ports.config, tenant) !== null;
  const createdAt = ports.clock.now().toISOString();
  for (const abs of [...new Set(candidates)]) {
    const rel = relative(root, abs);
    const reason = sftp ? await refusal(root, tenant, abs) : `tenant ${tenant} does not exchange files over SFTP (intake is not sftp)`;
    if (reason) {
      out.refused.push({ path: rel, reason });
      continue;
    }
    const remoteName = opts.remoteDir ? `${opts.remoteDir}/${basename(abs)}` : basename(abs);
    const added = await ports.store.deliveries.queueDelivery({ tenantId: tenant, localPath: rel, remoteName }, createdAt, opts.again === true);
    (added ? out.queued : out.already).push(rel);
  }
  if (out.queued.length) ports.log.info({ tenant, files: out.queued }, 'queued for SFTP delivery');
  for (const r of out.refused) ports.log.warn({ tenant, file: r.path, reason: r.reason }, 'not queued for SFTP delivery');
  return out;
}

/** Why `abs` may not be delivered to `tenant`, or null when it may. */
async function refusal(root: string, tenant: string, abs: string): Promise<string | null> {
  const own = join(root, 'outbox', tenant);
  let real: string;
  try {
    if (!(await stat(abs)).isFile()) return 'not a regular file';
    // Resolve links on both sides so a link inside the outbox cannot point outside it.
    real = await realpath(abs);
    const inside = relative(await realpath(own), real);
    if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) return `not under outbox/${tenant}/`;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
  }
  const v = validateRemoteName(basename(abs));
  return v.ok ? null : v.message;
}

/** Upload what the ledger lists as pending or failed for an SFTP tenant; failures stay queued. */
export function deliverPendingFor(ports: Ports, tenant: string, opts: DeliveryOptions = {}): Promise<DeliveryRun> {
  return exclusiveSftp(ports, tenant, () => deliverQueued(ports, tenant, opts));
}

/** The delivery run itself, for a caller that already holds the tenant's turn (exclusiveSftp). */
export async function deliverQueued(ports: Ports, tenant: string, opts: DeliveryOptions = {}): Promise<DeliveryRun> {
  const settings = sftpTenantSettings(ports.config, tenant);
  if (!settings) throw new Error(`tenant ${tenant} does not exchange files over SFTP; nothing can be delivered`);
  const uploader = new SftpUploader({
    tenant,
    settings,
    log: ports.log.child({ component: 'sftp' }),
    clock: () => ports.clock.now(),
    ...(opts.env ? { env: opts.env } : {}),
  });
  return uploader.deliverPending(ports.store.deliveries.deliveryLedger(ports.paths.root));
}

export interface AfterCloseResult {
  /** null for a tenant that does not use SFTP (nothing queued) */
  enqueued: EnqueueResult | null;
  /** null when no attempt was made (not SFTP, or the attempt itself broke: logged) */
  delivery: DeliveryRun | null;
}

/**
 * For the month-close steps: queue the step's files for an SFTP tenant and try to deliver now.
 * Never throws for delivery trouble: the step's own work is done and committed; what did not
 * reach the server stays queued for the SftpService loop.
 */
export async function afterCloseStep(ports: Ports, tenant: string, files: readonly string[], opts: DeliveryOptions = {}): Promise<AfterCloseResult> {
  if (!sftpTenantSettings(ports.config, tenant)) return { enqueued: null, delivery: null };
  const enqueued = await enqueueDeliveries(ports, tenant, files);
  try {
    return { enqueued, delivery: await deliverPendingFor(ports, tenant, opts) };
  } catch (err) {
    ports.log.error({ tenant, err: (err as Error).message }, 'SFTP delivery attempt failed; the files stay queued and are retried on the next poll');
    return { enqueued, delivery: null };
  }
}

/**
 * SPEC 7 "one connection per tenant at a time": the poll loop and a close step's delivery attempt
 * for the same tenant queue behind each other in this process. Keyed by the config object so
 * separate runtimes in one process (tests) do not wait on each other.
 */
const chains = new WeakMap<object, Map<string, Promise<void>>>();

export function exclusiveSftp<T>(ports: Pick<Ports, 'config'>, tenant: string, fn: () => Promise<T>): Promise<T> {
  let byTenant = chains.get(ports.config);
  if (!byTenant) chains.set(ports.config, (byTenant = new Map()));
  const map = byTenant;
  const run = (map.get(tenant) ?? Promise.resolve()).then(fn);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  map.set(tenant, settled);
  void settled.then(() => {
    if (map.get(tenant) === settled) map.delete(tenant);
  });
  return run;
}

/** Close documents of SFTP tenants go to their outbound folder (queued once per file). */
export async function queueForSftp(ports: Ports, tenants: readonly string[], files: readonly string[]): Promise<void> {
  for (const t of tenants) {
    if (!sftpTenantSettings(ports.config, t)) continue;
    const mine = files.filter((f) => f.startsWith(ports.paths.outbox(t, '') + sep));
    if (mine.length) await enqueueDeliveries(ports, t, mine);
  }
}

/** Where an SFTP tenant's intake results go under its outbound_dir (mirrors outbox/<tenant>/intake/). */
export const INTAKE_RESULTS_REMOTE_DIR = 'intake';

/**
 * An intake file of an SFTP tenant was processed (applied, rejected or duplicate): queue its
 * `<name>.result.csv` (and sidecar) for `<outbound_dir>/intake/`, so the insurer sees its row
 * errors on its own server. The `.result.json` stays local (the CSV is the insurer's copy).
 * Queued again when a later file of the same name rewrote the result, so every outcome is sent
 * once; the SftpService loop uploads it (now, in the same tick, or on a later poll after a failure).
 * A tenant not on SFTP (or the bank): nothing. Returns null then.
 */
export async function queueIntakeResult(ports: Ports, outcome: Pick<IntakeOutcome, 'tenant' | 'resultPath'>, opts: { again: boolean } = { again: true }): Promise<EnqueueResult | null> {
  const t = ports.config.tenants[outcome.tenant];
  if (!t || t.intake !== 'sftp' || !t.sftp) return null;
  return enqueueDeliveries(ports, outcome.tenant, [outcome.resultPath], { remoteDir: INTAKE_RESULTS_REMOTE_DIR, again: opts.again });
}
