import { join } from 'node:path';
import type { Store } from '../store/store.js';
import type { KasiConfig } from '../config.js';

/** What a job is given: never globals. The CLI (composition root) builds these. */
export interface Clock {
  now(): Date;
}

export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: object): Log;
}

export const silentLog: Log = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
  child: () => silentLog,
};

/** The runtime folders of SPEC 2, under one root. */
export class Paths {
  constructor(readonly root: string) {}
  inbox(tenant: string): string {
    return join(this.root, 'inbox', tenant);
  }
  archive(tenant: string, date: string): string {
    return join(this.root, 'archive', tenant, date);
  }
  failed(tenant: string): string {
    return join(this.root, 'failed', tenant);
  }
  outbox(tenant: string, period: string): string {
    return join(this.root, 'outbox', tenant, period);
  }
  intakeResults(tenant: string): string {
    return join(this.root, 'outbox', tenant, 'intake');
  }
  /** The result CSV of the intake file `name` (its `.result.json` sits beside it). */
  intakeResultCsv(tenant: string, name: string): string {
    return join(this.intakeResults(tenant), `${name}.result.csv`);
  }
  bankOutbox(): string {
    return join(this.root, 'outbox', 'bank');
  }
  bankInbox(): string {
    return join(this.root, 'inbox', 'bank');
  }
  staging(): string {
    return join(this.root, 'data', 'staging');
  }
}

export interface Ports {
  config: KasiConfig;
  /** the repositories (src/store/store.ts): a use case calls them, or opens `store.transaction`; it writes no SQL (docs/architecture.md) */
  store: Store;
  clock: Clock;
  log: Log;
  paths: Paths;
}
