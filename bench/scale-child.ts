import { databaseTarget, loadConfig } from '../src/config.js';
import { SimulatedBank } from '../src/bank/simulator.js';
import { runBatch } from '../src/usecases/collect/batch.js';
import { closeReport, closeSettle, closeSettlementCsv } from '../src/usecases/close/close.js';
import { engineSetup } from '../src/usecases/collect/engine-setup.js';
import { executeCollections } from '../src/usecases/collect/execute.js';
import { importFile } from '../src/usecases/intake/import-file.js';
import { Paths, silentLog, type Ports } from '../src/usecases/ports.js';
import { openDb } from '../src/store/db.js';
import { storeOf } from '../src/store/store.js';

/**
 * One step of the scaling curve in a process of its own (its peak RSS is the step's): `import`
 * the policy file, `day` = open November and run the present-all batch of 2025-11-26 (the
 * simulated bank answers at once), `close` = report + settlement + settlement CSV. Prints one JSON
 * line: {seconds, cpuSeconds, peakRssMb, value}.
 */
const SCALE_TENANT = 'demo'; // as bench/scale.bench.ts configures it
const PERIOD = '2025-11';

function ports(root: string, now: string): Ports {
  const config = loadConfig({ root, env: {} });
  return { config, ...withStore(openDb(databaseTarget(config))), clock: { now: () => new Date(now) }, log: silentLog, paths: new Paths(root) };
}

async function step(name: string, root: string, file: string): Promise<number> {
  if (name === 'import') {
    const p = ports(root, '2025-11-01T04:00:00Z');
    const out = await importFile(p, { tenantId: SCALE_TENANT, path: file, name: 'policies-scale.csv', mode: 'copy' }).finally(() => p.store.close());
    return out.imported;
  }
  if (name === 'day') {
    const p = ports(root, '2025-11-26T04:00:00Z');
    try {
      await executeCollections(p, SCALE_TENANT, PERIOD);
      const setup = engineSetup(p.config);
      const heap0 = liveHeapMb();
      let bank: SimulatedBank | null = new SimulatedBank({ seed: 42, calendar: setup.calendar });
      const r = await runBatch(p, { date: '2025-11-26', gateway: bank, setup });
      // what stays live after the batch: the simulated bank's accounts and answers (a real bank
      // is another system) and what kasi itself kept
      const withBank = liveHeapMb();
      bank = null;
      const without = liveHeapMb();
      heap.simulatedBankHeapMb = withBank - without;
      heap.kasiHeapKeptMb = without - heap0;
      return r.status === 'done' ? (r.tenants[0]?.presented ?? 0) : -1;
    } finally {
      await p.store.close();
    }
  }
  const p = ports(root, '2025-12-01T00:00:00Z');
  try {
    for (const fn of [closeReport, closeSettle, closeSettlementCsv]) {
      const r = await fn(p, SCALE_TENANT, PERIOD);
      if (r.status !== 'done') throw new Error(`close step: ${r.status}`);
    }
    return 1;
  } finally {
    await p.store.close();
  }
}

const heap: { simulatedBankHeapMb?: number; kasiHeapKeptMb?: number } = {};

/** The heap in use after a full collection (the child runs with --expose-gc). */
function liveHeapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().heapUsed / 1_048_576);
}

const [name, root, file] = process.argv.slice(2);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const value = await step(name!, root!, file ?? '');
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), value, ...heap }) + '\n');

function withStore(db: ReturnType<typeof openDb>) {
  return { db, store: storeOf(db) };
}
