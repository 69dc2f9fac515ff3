import { afterEach, describe, expect, it } from 'vitest';
import type { BankGateway, DebitInstruction } from '../../src/bank/gateway.js';
import { SimulatedBank } from '../../src/bank/simulator.js';
import type { IsoDate } from '../../src/domain/dates.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';
import { runBatch } from '../../src/usecases/collect/batch.js';
import type { Dialect } from '../helpers/env.js';
import { EngineWorld } from './engine-harness.js';

/**
 * Issue 17: on PostgreSQL the daily batch plans the next keyset chunk while the current one is
 * with the (simulated) bank and its results are written; on SQLite the chunks run one after the
 * other. Both give the same day to the cent: the same attempts, results, collections and holds.
 */
const POLICIES = 90;
const CHUNK = 8;

async function presentAllDay(dialect: Dialect, claimed: boolean, onPresent?: (w: EngineWorld, call: number, instructions: readonly DebitInstruction[]) => Promise<void>) {
  // the world's import and open; its file gateway stays unused (the batch gets the simulator below)
  const w = await EngineWorld.create(dialect, {}, '2025-11-26T06:00:00+02:00');
  await w.policies(Array.from({ length: POLICIES }, (_, i): [string, string, string] => [`C${i}`, `P${String(i).padStart(3, '0')}`, `${100 + (i % 7) * 15}.00`]));
  await w.execute('2025-11');
  const setup = w.setup;
  const bank = new SimulatedBank({ seed: 7, calendar: setup.calendar, mix: { closed: 0.1, stopped: 0.05, deceased: 0.05 } });
  let calls = 0;
  const gateway: BankGateway = {
    name: 'simulator',
    async present(date: IsoDate, instructions: readonly DebitInstruction[]) {
      await onPresent?.(w, ++calls, instructions);
      return bank.present(date, instructions);
    },
  };
  // claimed: the daemon's way, the day's chunks recorded in the store and claimed (batch-chunks.ts)
  const claims = claimed ? { runKey: 'batch:2025-11-26', owner: 'test-holder', leaseMs: 60_000 } : undefined;
  const summary = await runBatch(w.ports, { date: '2025-11-26', gateway, setup, chunkSize: CHUNK, ...(claims ? { claims } : {}) });
  const k = knexOf(dbOf(w.ports.store));
  const state = {
    summary,
    attempts: await k('attempts').orderBy('instruction_id').select('instruction_id', 'status', 'amount_requested', 'amount_collected', 'reason_code'),
    collections: await k('collections').orderBy('id').select('policy_number', 'status', 'amount_collected', 'halted_reason', 'next_check', 'presentments', 'pending', 'flag'),
    holds: await k('policy_holds').orderBy('policy_number').select('policy_number', 'reason_code', 'held_on'),
    inFlight: Number((await k('attempts_in_flight').count({ n: '*' }))[0]!.n),
  };
  return { w, state, calls };
}

describe('the daily batch over keyset chunks', () => {
  const worlds: EngineWorld[] = [];
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.cleanup();
  });

  it.each([
    ['one process (runBatch alone)', false],
    ['claimed chunks (the daemon)', true],
  ])('PostgreSQL plans and stores the next chunk while the current one is with the bank: %s', async (_, claimed) => {
    const seenWhilePresenting: number[] = [];
    const { w, calls } = await presentAllDay('pg', claimed, async (world, call, instructions) => {
      if (call !== 1) return;
      // hold the first chunk at the bank until the second chunk's presentments are stored
      // SUBMITTED (another connection: the batch's own transactions are not waited on)
      const k = knexOf(dbOf(world.ports.store));
      const deadline = Date.now() + 10_000;
      for (;;) {
        const n = Number((await k('attempts').count({ n: '*' }))[0]!.n);
        if (n > instructions.length || Date.now() > deadline) {
          seenWhilePresenting.push(instructions.length, n);
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    worlds.push(w);
    expect(calls).toBe(Math.ceil(POLICIES / CHUNK));
    // chunk 1's 8 attempts, and chunk 2's 8 stored while chunk 1 was still being presented
    expect(seenWhilePresenting).toEqual([CHUNK, 2 * CHUNK]);
  });

  it.each([
    ['one process (runBatch alone)', false],
    ['claimed chunks (the daemon)', true],
  ])('gives the same day on PostgreSQL (overlapped) as on SQLite (one chunk after the other): %s', async (_, claimed) => {
    const pg = await presentAllDay('pg', claimed);
    worlds.push(pg.w);
    const lite = await presentAllDay('sqlite', claimed);
    worlds.push(lite.w);
    expect(pg.state).toEqual(lite.state);
    expect(pg.state.inFlight).toBe(0);
    const t = pg.state.summary.status === 'done' ? pg.state.summary.tenants[0]! : null;
    expect(t && { planned: t.planned, presented: t.presented, paid: t.paid + t.unpaid }).toEqual({ planned: POLICIES, presented: POLICIES, paid: POLICIES });
    expect(pg.state.attempts.filter((a) => a.status === 'UNPAID').length).toBeGreaterThan(0);
    expect(pg.state.attempts.filter((a) => a.status === 'PAID').length).toBeGreaterThan(0);
  });
});
