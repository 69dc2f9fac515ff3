import { createHash } from 'node:crypto';
import { addDays, sastInstant } from '../../src/domain/dates.js';
import { runBatch } from '../../src/jobs/batch.js';
import { engineSetup } from '../../src/jobs/engine-setup.js';
import { makeGateway } from '../../src/jobs/gateway-factory.js';
import type { Ports } from '../../src/jobs/ports.js';

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
