import { randomUUID } from 'node:crypto';
import type { Period } from '../../domain/dates.js';
import type { ExecutionRecord } from '../../store/api.repository.js';
import type { ExecutionLedger } from '../../store/execution-ledger.repository.js';
import { executeCollections } from '../collect/execute.js';
import type { Ports } from '../ports.js';

/**
 * `POST /v1/collections/execute` (issue 8): answered 202 at once, the collections opened in the
 * background by the same job as `kasi execute` (usecases/collect/execute.ts), one execution at a time.
 * Each request is a row in `executions`; one still `processing` when the process stopped is run
 * again at the next start (opening collections is idempotent), so none is lost.
 */
export class ExecutionQueue {
  private tail: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly ports: Ports) {}

  /** the executions ledger on the store the ports hold now */
  private get ledger(): ExecutionLedger {
    return this.ports.store.executionLedger.executionLedger();
  }

  /** Record the execution and queue it; returns the record as accepted. */
  async submit(tenant: string, period: Period, policyIds?: readonly number[]): Promise<ExecutionRecord> {
    const id = randomUUID();
    const now = this.ports.clock.now().toISOString();
    const rec = await this.ledger.record({ id, tenant, period, ...(policyIds ? { policyIds } : {}), createdAt: now });
    this.enqueue(rec);
    return rec;
  }

  /** At start: run again what a stopped process left `processing`. */
  async resume(): Promise<number> {
    const left = await this.ledger.unfinished();
    for (const rec of left) this.enqueue(rec);
    if (left.length) this.ports.log.info({ executions: left.length }, 'resuming API executions left processing');
    return left.length;
  }

  /** Stop taking new work and wait for the queue (each execution is one short transaction). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.tail;
  }

  /** Resolves when everything queued so far has finished (tests, benchmarks). */
  idle(): Promise<void> {
    return this.tail;
  }

  private enqueue(rec: ExecutionRecord): void {
    this.tail = this.tail.then(() => (this.stopping ? undefined : this.run(rec)));
  }

  private async run(rec: ExecutionRecord): Promise<void> {
    const log = this.ports.log.child({ execution: rec.id, tenant: rec.tenant_id, period: rec.period });
    try {
      const ids = rec.policy_ids ? (JSON.parse(rec.policy_ids) as number[]) : undefined;
      const r = await executeCollections(this.ports, rec.tenant_id, rec.period, ids);
      const at = this.ports.clock.now().toISOString();
      if (r.status === 'closed') {
        await this.ledger.finish(rec.id, 'failed', 0, `the period ${rec.period} was closed before the execution ran`, at);
      } else await this.ledger.finish(rec.id, 'completed', r.opened, null, at);
      log.info({ opened: r.opened, status: r.status }, 'API execution finished');
    } catch (err) {
      log.error({ err }, 'API execution failed');
      const at = this.ports.clock.now().toISOString();
      await this.ledger.finish(rec.id, 'failed', null, (err as Error).message, at).catch((e: unknown) => log.error({ err: e }, 'could not record the failed execution'));
    }
  }
}
