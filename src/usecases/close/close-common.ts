import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { existsComplete, writeAtomic } from '../../files/atomic-writer.js';
import { createZaCalendar, type BankCalendar } from '../../domain/calendar.js';
import { feeRatesFromConfig, ratesFor, type FeeRates, type SettlementAmounts } from '../../domain/fees.js';
import type { Period } from '../../domain/dates.js';
import type { BankAccount } from '../../domain/bank-account.js';
import type { Party } from '../../outbox/pdf-document.js';
import type { KasiConfig, TenantConfig } from '../../config.js';
import type { SettlementRecord } from '../../store/settlement.repository.js';

/**
 * What every month-close step shares: its result value, the outbox rule "nothing written twice"
 * (a complete file is left alone; a missing or incomplete one is rendered again from the store,
 * byte-identical), and the parts of the configuration the documents use.
 */
export type StepStatus = 'done' | 'exists' | 'skipped';

export interface StepResult {
  /** done: something was closed or written now; exists: all was there already; skipped: not run */
  status: StepStatus;
  /** the step's output files (written now or found complete) */
  files: string[];
  /** what an operator must act on (a tenant left out of a payment file, a missing prerequisite) */
  problems: string[];
}

export function skipped(...problems: string[]): StepResult {
  return { status: 'skipped', files: [], problems };
}

export type Content = string | Uint8Array | AsyncIterable<string | Uint8Array>;

/**
 * Write `path` unless it is already there complete (content and sidecar agree). Temp files a
 * killed earlier run left for this name are removed first. `produce` is only called when needed
 * and hands the content to `write` (it may do so inside a store stream); it must produce the same
 * bytes every time. Returns true when written now.
 */
export async function ensureFile(path: string, produce: (write: (content: Content) => Promise<unknown>) => Promise<unknown>): Promise<boolean> {
  if (await existsComplete(path)) return false;
  await sweepTemps(path);
  await produce((content) => writeAtomic(path, content));
  return true;
}

/** Remove `.<name>.<hex>.tmp` and `.<name>.sha256.<hex>.tmp` left by an interrupted writeAtomic. */
export async function sweepTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(prefix) && n.endsWith('.tmp')) await rm(join(dir, n), { force: true });
}

export function tenantConfig(config: KasiConfig, tenant: string): TenantConfig {
  const t = config.tenants[tenant];
  if (!t) throw new Error(`unknown tenant "${tenant}": it is not under tenants: in the configuration`);
  return t;
}

const calendars = new WeakMap<KasiConfig, BankCalendar>();

/** The bank calendar with the configured extra non-processing days, one per config. */
export function calendarOf(config: KasiConfig): BankCalendar {
  let cal = calendars.get(config);
  if (!cal) {
    cal = createZaCalendar(config.calendar.extra_non_processing_days);
    calendars.set(config, cal);
  }
  return cal;
}

/** The tenant's own dated fee rows if it has any, else the provider-wide ones; the row in force. */
export function ratesForTenant(config: KasiConfig, tenant: string, period: Period): FeeRates {
  const own = tenantConfig(config, tenant).fees;
  return ratesFor(feeRatesFromConfig(own && own.length > 0 ? own : config.fees), period);
}

export function providerParty(config: KasiConfig): Party {
  return { name: config.provider.name, vatNumber: config.provider.vat_number, address: config.provider.address ?? null };
}

export function tenantParty(config: KasiConfig, tenant: string): Party {
  const t = tenantConfig(config, tenant);
  return { name: t.name, vatNumber: t.vat_number ?? null, address: t.address ?? null, ...(t.vat_registered === undefined ? {} : { vatRegistered: t.vat_registered }) };
}

export function tenantAccount(config: KasiConfig, tenant: string): BankAccount | null {
  return tenantConfig(config, tenant).bank_account ?? null;
}

/** The stored settlement's amounts, as the statement and the settlement CSV's allocation take them. */
export function settlementAmounts(rec: SettlementRecord): SettlementAmounts {
  return {
    totalCollections: rec.total_collections,
    distributionFee: rec.distribution_fee,
    collectionsFee: rec.collections_fee,
    totalFees: rec.total_fees,
    vat: rec.vat,
    netAmount: rec.net_amount,
  };
}

/** Consumed items are dropped from the shared buffer in batches of this many. */
const TRIM = 2;

/**
 * One pass, several consumers: every branch yields every item of `source`, so two files can be
 * written from one read of the store (give it pages, not rows: it costs a few promises per item).
 * A branch may run at most `lead` items ahead of the slowest one (then it waits), which bounds
 * the buffer. A branch that stops early stops holding the others back; the source is closed
 * when every branch has stopped.
 */
export function tee<T>(source: AsyncIterable<T>, n: number, lead = 2): AsyncIterable<T>[] {
  const it = source[Symbol.asyncIterator]();
  let buf: T[] = [];
  let base = 0; // the index of buf[0] in the source
  const pos: number[] = new Array<number>(n).fill(0);
  let done = false;
  let failure: { err: unknown } | null = null;
  let pulling: Promise<void> | null = null;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const slowest = () => Math.min(...pos);
  const trim = () => {
    const min = slowest();
    if (min === Infinity) {
      buf = [];
      if (!done) void it.return?.();
      done = true;
    } else if (min - base >= TRIM) {
      buf = buf.slice(min - base);
      base = min;
    }
    wake();
  };
  const pull = (): Promise<void> =>
    (pulling ??= it
      .next()
      .then(
        (r) => {
          if (r.done) done = true;
          else buf.push(r.value);
        },
        (err: unknown) => {
          failure = { err };
          done = true;
        },
      )
      .finally(() => {
        pulling = null;
        wake();
      }));
  async function* branch(k: number): AsyncGenerator<T> {
    try {
      for (;;) {
        const i = pos[k]!;
        if (i < base + buf.length) {
          pos[k] = i + 1;
          const v = buf[i - base]!;
          if (i + 1 - base >= TRIM) trim();
          else if (waiters.length) wake();
          yield v;
        } else if (failure) throw (failure as { err: unknown }).err;
        else if (done) return;
        else if (i - slowest() >= lead) await new Promise<void>((r) => waiters.push(r));
        else await pull();
      }
    } finally {
      pos[k] = Infinity;
      trim();
    }
  }
  return Array.from({ length: n }, (_, k) => branch(k));
}
