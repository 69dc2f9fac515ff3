import { createHash } from 'node:crypto';
import { addDays, sastInstant } from '../../src/domain/dates.js';
import { runBatch } from '../../src/usecases/collect/batch.js';
import { engineSetup } from '../../src/usecases/collect/engine-setup.js';
import { makeGateway } from '../../src/usecases/collect/gateway-factory.js';
import { Paths, silentLog, type Ports } from '../../src/usecases/ports.js';
import { databaseTarget, loadConfig } from '../../src/config.js';
import { openDb } from '../../src/store/db.js';
import { spawnKasi, waitFor, type CliResult, type KasiProcess } from './cli.js';
import { storeOf } from '../../src/store/store.js';

/** HTTP API test keys: the key a client sends, and the digest the config holds. */
export const API_KEYS = { acme: 'acme-test-key-1', acme2: 'acme-test-key-2', beta: 'beta-test-key-1' } as const;
export const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * A simulated month by the daily batch alone, exactly as `kasi batch --date D` runs it (the
 * configured gateway, the simulator's paid debits replayed from the store), in this process.
 */
export async function runBatches(ports: Ports, setNow: (iso: Date) => void, from: string, to: string): Promise<void> {
  const setup = engineSetup(ports.config);
  for (let day = from; day <= to; day = addDays(day, 1)) {
    setNow(sastInstant(day, 6));
    const gateway = await makeGateway(ports, setup, day);
    await runBatch(ports, { date: day, gateway, setup });
  }
}

/** Ports on a runtime root's own config and database, with a clock the test sets. */
export async function openRootPorts(root: string): Promise<{ ports: Ports; setNow: (d: Date) => void; close: () => Promise<void> }> {
  const config = loadConfig({ root, env: {} });
  const db = openDb(databaseTarget(config));
  let now = new Date();
  const ports: Ports = { config, store: storeOf(db), clock: { now: () => now }, log: silentLog, paths: new Paths(root) };
  return { ports, setNow: (d) => (now = d), close: () => db.close() };
}

/** A started `kasi daemon` child: its base URL once it listens. */
export async function startDaemon(root: string, now: string, extraEnv: Record<string, string> = {}): Promise<{ proc: KasiProcess; base: string }> {
  const proc = spawnKasi(['daemon'], { env: { KASI_ROOT: root, KASI_NOW: now, KASI_LOG_LEVEL: 'info', ...extraEnv } });
  await waitFor('the daemon to start', () => proc.stderr().includes('kasi daemon started') || proc.child.exitCode !== null, 60_000);
  if (proc.child.exitCode !== null) throw new Error(`the daemon exited: ${proc.stderr()}`);
  return { proc, base: `http://127.0.0.1:${/"http_port":(\d+)/.exec(proc.stderr())![1]}` };
}

export async function stopDaemon(proc: KasiProcess): Promise<CliResult> {
  proc.child.kill('SIGTERM');
  return proc.exited;
}
