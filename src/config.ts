import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { cronProblem } from './domain/cron.js';
import { consoleSchema } from './config.console.js';
import { isOperatorEvent, WEBHOOK_EVENTS, webhookUrlProblems } from './domain/webhook-events.js';

/**
 * Configuration: `config/default.yaml` (checked in) ← `<root>/config/local.yaml` ← `--config` /
 * `KASI_CONFIG` ← environment. Validated once, every bad key listed, then deep-frozen.
 * Key names follow SPEC 2 and are a contract: never rename one.
 */
const decimal = z.string().regex(/^\d+(\.\d{1,2})?$/, 'a decimal amount such as "20.00"');
const rate = z.string().regex(/^\d+(\.\d+)?$/, 'a decimal rate such as "0.035"');
const isoDate = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const s = v instanceof Date ? v.toISOString().slice(0, 10) : v;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) ctx.addIssue({ code: 'custom', message: 'a date YYYY-MM-DD' });
  return s;
});
const cron = z.string().superRefine((v, ctx) => {
  const problem = cronProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: `not a cron string: ${problem}` });
});
const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
const apiKeyDigest = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'the hex SHA-256 of an API key (64 hex digits: printf %s "$KEY" | sha256sum)'));

const bankAccount = z.strictObject({
  holder: z.string(),
  bank: z.string(),
  branch_code: z.string(),
  number: z.string(),
  type: z.string(),
});

const sftp = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  username: z.string().min(1),
  private_key_path: z.string().optional(),
  password_env: z.string().optional(),
  host_key_sha256: z.string().optional(),
  insecure_accept_any_host_key: z.boolean().default(false),
  inbound_dir: z.string().min(1),
  processed_dir: z.string().min(1),
  outbound_dir: z.string().min(1),
  poll_seconds: z.number().positive().default(60),
  settle_seconds: z.number().min(0).default(5),
  done_markers: z.boolean().default(false),
  timeout_seconds: z.number().positive().default(30),
});

// A webhook receiver (docs/webhooks.md): its secret comes from the environment or a file, never the
// config. A tenant's receivers cannot take operator events (checked per entry, so the problem is
// listed beside any other).
const webhookOf = (tenantHook: boolean) =>
  z
    .strictObject({
      url: z.string().superRefine((v, ctx) => {
        for (const message of webhookUrlProblems(v)) ctx.addIssue({ code: 'custom', message });
      }),
      secret_env: z.string().min(1).optional(),
      secret_file: z.string().min(1).optional(),
      events: z
        .array(
          z.enum(WEBHOOK_EVENTS).superRefine((e, ctx) => {
            if (tenantHook && isOperatorEvent(e)) ctx.addIssue({ code: 'custom', message: `${e} is an operator event: list it under the top-level webhooks:` });
          }),
        )
        .min(1),
    })
    .superRefine((w, ctx) => {
      if ((w.secret_env === undefined) === (w.secret_file === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['secret_env'], message: 'give exactly one of secret_env (an environment variable name) or secret_file (a path)' });
      }
    });
const webhook = webhookOf(false);

const tenant = z
  .strictObject({
    name: z.string().min(1),
    vat_number: z.string().optional(),
    // false: the insurer is not registered for VAT (its invoices say so); unset with no vat_number:
    // the number is simply not configured and the invoice says "not supplied"
    vat_registered: z.boolean().optional(),
    // the recipient address on tax invoices and statements; line breaks are kept
    address: z.string().optional(),
    intake: z.enum(['folder', 'sftp']).default('folder'),
    // HTTP API keys of this tenant as hex SHA-256 digests; a list so a key can be rotated (add the
    // new one, move clients over, remove the old one). One digest alone (the older form) is accepted.
    api_key_sha256: z
      .union([apiKeyDigest, z.array(apiKeyDigest)])
      .default([])
      .transform((v) => (typeof v === 'string' ? [v] : v)),
    bank_account: bankAccount.optional(),
    fees: z
      .array(z.strictObject({ from: isoDate, distribution_rate: rate, collections_rate: rate, vat_rate: rate }))
      .optional(),
    sftp: sftp.optional(),
    webhooks: z.array(webhookOf(true)).default([]),
  })
  .superRefine((t, ctx) => {
    if (t.intake === 'sftp' && !t.sftp) ctx.addIssue({ code: 'custom', path: ['sftp'], message: 'required when intake is sftp' });
    if (t.vat_registered === false && t.vat_number) ctx.addIssue({ code: 'custom', path: ['vat_registered'], message: 'false, but a vat_number is set: remove one of them' });
  });

const schema = z.strictObject({
  database: z.string().regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, 'sqlite:<path> or postgres://...'),
  timezone: z.literal('Africa/Johannesburg'),
  gateway: z.enum(['simulator', 'file']),
  provider: z.strictObject({
    name: z.string().min(1),
    vat_number: z.string().min(1),
    address: z.string().optional(),
    bank_account: bankAccount,
  }),
  fees: z.array(z.strictObject({ from: isoDate, distribution_rate: rate, collections_rate: rate, vat_rate: rate })).min(1),
  engine: z.strictObject({
    max_presentments: z.number().int().min(1).max(31),
    min_debit: decimal,
    max_consecutive_insufficient: z.number().int().min(1),
    irregular_share: rate,
    strategy: z.enum(['default', 'naive']),
    salary_day: z.number().int().min(1).max(31),
    grant_business_days: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
    default_prior: z.enum(['salary', 'grant']),
    simulator_seed: z.number().int(),
  }),
  calendar: z.strictObject({ extra_non_processing_days: z.array(isoDate) }),
  intake: z.strictObject({
    settle_seconds: z.number().min(0),
    done_markers: z.boolean(),
    max_failed_share: rate,
    amount_ceiling: decimal,
  }),
  schedules: z.strictObject({
    batch: cron,
    close_report: cron,
    close_invoice: cron,
    close_pay: cron,
    inbox_rescan_seconds: z.number().positive(),
  }),
  // the daemon (SPEC 6); every key has a default so existing config files stay valid
  daemon: z
    .strictObject({
      shutdown_seconds: z.number().min(0).default(30),
      // a fresh database catches up scheduled steps this far back (days); later, since the last recorded one
      catch_up_days: z.number().min(0).default(35),
      lease_seconds: z.number().min(1).default(30),
      step_attempts: z.number().int().min(1).default(3),
      retry_seconds: z.number().min(0).default(60),
      tick_seconds: z.number().positive().default(5),
      auto_execute: z.boolean().default(true),
      late_batches: z.enum(['run', 'today']).default('run'),
      // collections per batch chunk: the unit replicas claim and a SIGTERM waits for
      batch_chunk_size: z.number().int().min(1).default(5000),
    })
    .prefault({}),
  http: z.strictObject({
    port: z.number().int().min(0).max(65535),
    host: z.string().default('0.0.0.0'),
    // the HTTP API (/v1): requests per minute per API key; a multipart upload's size bound
    rate_limits: z
      .strictObject({ reads_per_minute: z.number().int().min(1).default(100), writes_per_minute: z.number().int().min(1).default(10) })
      .prefault({}),
    max_upload_mb: z.number().positive().default(200),
  }),
  // the operator console under /console (issue 15); off while no user is configured
  console: consoleSchema,
  tenants: z.record(z.string(), tenant),
  // operator-wide receivers: schedule.step_failed, and any tenant's events they list
  webhooks: z.array(webhook).default([]),
  webhook_delivery: z
    .strictObject({
      timeout_seconds: z.number().positive().default(10),
      max_response_kb: z.number().positive().default(64),
      retry_base_seconds: z.number().positive().default(10),
      retry_cap_seconds: z.number().positive().default(86_400),
      max_attempts: z.number().int().min(1).default(20),
      poll_seconds: z.number().positive().default(1),
      lanes_at_once: z.number().int().min(1).default(4),
    })
    .prefault({}),
});

export type FileConfig = z.infer<typeof schema>;
export type TenantConfig = z.infer<typeof tenant>;
export type SftpSettings = z.infer<typeof sftp>;
export type BankAccountConfig = z.infer<typeof bankAccount>;
export type WebhookConfig = z.infer<typeof webhook>;

export interface KasiConfig extends FileConfig {
  /** Runtime root: inbox/, outbox/, archive/, failed/, data/ live under it. */
  readonly root: string;
  /** The files the config was read from, in order. */
  readonly sources: readonly string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadOptions {
  root?: string;
  configFile?: string;
  database?: string;
  env?: NodeJS.ProcessEnv;
}

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), existsSync(resolve(dirname(fileURLToPath(import.meta.url)), '../config')) ? '..' : '../..');

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** Objects merge key by key; arrays and scalars replace. `tenants` merges per tenant. */
function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Json, v) : v;
  return out;
}

function readYaml(path: string, problems: string[]): Json {
  try {
    const doc = parseYaml(readFileSync(path, 'utf8')) as unknown;
    if (doc === null || doc === undefined) return {};
    if (!isObj(doc)) {
      problems.push(`${path}: the top level must be a mapping of keys`);
      return {};
    }
    return doc;
  } catch (err) {
    problems.push(`${path}: ${(err as Error).message}`);
    return {};
  }
}

export function resolveRoot(opts: LoadOptions): string {
  const env = opts.env ?? process.env;
  return resolve(opts.root ?? env.KASI_ROOT ?? process.cwd());
}

export function loadConfig(opts: LoadOptions = {}): KasiConfig {
  const env = opts.env ?? process.env;
  const root = resolveRoot(opts);
  const problems: string[] = [];
  const sources = [resolve(PACKAGE_DIR, 'config/default.yaml')];
  const local = resolve(root, 'config/local.yaml');
  if (existsSync(local) && local !== sources[0]) sources.push(local);
  const explicit = opts.configFile ?? env.KASI_CONFIG;
  if (explicit) {
    const p = resolve(explicit);
    if (!existsSync(p)) problems.push(`config file ${p} does not exist`);
    else sources.push(p);
  }
  let raw: Json = {};
  for (const src of sources) raw = merge(raw, readYaml(src, problems));
  const db = opts.database ?? env.KASI_DATABASE_URL;
  if (db) raw.database = db;
  if (env.KASI_GATEWAY) raw.gateway = env.KASI_GATEWAY;
  if (env.KASI_HTTP_PORT) raw.http = merge(isObj(raw.http) ? raw.http : {}, { port: Number(env.KASI_HTTP_PORT) });

  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.') || '(top level)';
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push(`${path === '(top level)' ? key : `${path}.${key}`}: unknown key`);
      } else problems.push(`${path}: ${issue.message}`);
    }
  }
  if (isObj(raw.tenants)) {
    for (const id of Object.keys(raw.tenants)) {
      if (!TENANT_ID.test(id) || id === 'bank') {
        problems.push(`tenants.${id}: a tenant id is 1-32 of a-z 0-9 - (starting with a letter or digit), and not "bank"`);
      }
    }
  }
  if (parsed.success) {
    // a key must name one tenant: the API tells tenants apart by their key alone
    const owner = new Map<string, string>();
    for (const [id, t] of Object.entries(parsed.data.tenants)) {
      for (const [i, digest] of t.api_key_sha256.entries()) {
        const other = owner.get(digest);
        if (other !== undefined) problems.push(`tenants.${id}.api_key_sha256.${i}: the same key is also one of tenant ${other}'s keys; give each tenant its own`);
        else owner.set(digest, id);
      }
    }
  }
  if (parsed.success) {
    for (const [name, u] of Object.entries(parsed.data.console.users)) {
      if (u.tenant !== undefined && !parsed.data.tenants[u.tenant]) problems.push(`console.users.${name}.tenant: no tenant "${u.tenant}" in tenants`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const config: KasiConfig = { ...parsed.data, root, sources };
  return deepFreeze(config);
}

/**
 * What a valid config leaves out that a document will miss: logged as warnings at start, never
 * an error (a tenant can be collected for before its address is known).
 */
export function configWarnings(config: Pick<KasiConfig, 'provider' | 'tenants'>): string[] {
  const out: string[] = [];
  if (!config.provider.address) out.push('provider.address is not set: statements and tax invoices will show no supplier address');
  for (const [id, t] of Object.entries(config.tenants)) {
    if (!t.address) out.push(`tenants.${id}.address is not set: ${id}'s tax invoices will show no recipient address`);
    if (!t.vat_number && t.vat_registered !== false) {
      out.push(`tenants.${id}.vat_number is not set: ${id}'s tax invoices will say "VAT number: not supplied" (set vat_registered: false if ${id} is not registered for VAT)`);
    }
  }
  return out;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

/** A `sqlite:relative/path` resolves against the runtime root. */
export function databaseTarget(config: Pick<KasiConfig, 'database' | 'root'>): { client: 'sqlite'; file: string } | { client: 'pg'; url: string } {
  if (config.database.startsWith('sqlite:')) {
    const p = config.database.slice('sqlite:'.length);
    return { client: 'sqlite', file: p === ':memory:' ? p : isAbsolute(p) ? p : resolve(config.root, p) };
  }
  return { client: 'pg', url: config.database };
}
