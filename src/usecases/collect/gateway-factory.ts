import { FileGateway } from '../../bank/file-gateway.js';
import type { BankGateway } from '../../bank/gateway.js';
import { SimulatedBank } from '../../bank/simulator.js';
import { addDays } from '../../domain/dates.js';
import type { EngineSetup } from './engine-setup.js';
import type { Ports } from '../ports.js';

/**
 * The configured bank gateway. The simulator's balances depend on the debits it already paid, so
 * those are replayed from the store (the simulator keeps nothing of its own between runs).
 */
export async function makeGateway(ports: Ports, setup: EngineSetup, today: string): Promise<BankGateway> {
  if (ports.config.gateway === 'file') return new FileGateway(ports.paths.bankOutbox());
  const bank = new SimulatedBank({ seed: ports.config.engine.simulator_seed, calendar: setup.calendar });
  const paid = await ports.store.simulation.paidSince(addDays(today, -70));
  for (const p of paid) bank.recordPaid(p.customer_id, p.processed_date, p.amount_collected);
  return bank;
}
