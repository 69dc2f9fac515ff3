import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseCron } from '../../src/domain/cron.js';
import { openDb, type Db } from '../../src/store/db.js';
import { claimRun, listRuns } from '../../src/store/schedule.repository.js';
import { reading, transaction } from '../../src/store/sql.js';
import { storeOf, dbOf } from '../../src/store/store.js';
import { importFile } from '../../src/usecases/intake/import-file.js';
import { scheduledSteps, StepInterrupted, type ScheduledStep } from '../../src/daemon/steps.js';
import { Scheduler, type SchedulerOptions, type UnitReport } from '../../src/daemon/scheduler.js';
import type { Ports } from '../../src/usecases/ports.js';
import { makeEnv, type Dialect, type TestEnv } from '../helpers/env.js';
import { waitFor } from '../helpers/cli.js';

/**
 * The scheduler against a real store, SQLite file and PostgreSQL: catch-up after an outage over a
 * month end with the real steps (batch, close), the claim that lets exactly one of two schedulers
 * run an occurrence, a dead owner's lease, retries, and a step interrupted for shutdown.
 */
const HOUR = 3_600_000;
const ACME_ACCOUNT = { holder: 'Acme Funeral Insurance', bank: 'Absa', branch_code: '632005', number: '4000000000', type: 'current' };
let env: TestEnv | null = null;
const extraDbs: Db[] = [];

afterEach(async () => {
  for (const d of extraDbs.splice(0)) await d.close();
  await env?.cleanup();
  env = null;
});

function options(steps: ScheduledStep[], over: Partial<SchedulerOptions> = {}): SchedulerOptions {
  return { steps, leaseMs: 30_000, horizonMs: 24 * HOUR, maxAttempts: 2, retryMs: 0, maxSleepMs: 1000, ...over };
}

/** A step that records which occurrences it ran (and by whom), taking `ms` each. */
function recorder(name: string, cron: string, log: string[], who: string, ms = 0, run?: ScheduledStep['run']): ScheduledStep {
  return {
    name,
    cron: parseCron(cron),
    run:
      run ??
      (async (_p, occ) => {
        log.push(`${occ.step} ${occ.key} ${who}`);
        if (ms) await new Promise((r) => setTimeout(r, ms));
        return { status: 'done', detail: {} };
      }),
  };
}

const brief = (u: UnitReport) => `${u.step} ${u.occurrence} ${u.status}`;

describe.each<Dialect>(['sqlite', 'pg'])('scheduler on %s', (dialect) => {
  it('catches up after an outage from the 28th to the 2nd: no batch of the closed period, day-1 then day-2 close, once each', async () => {
    env = await makeEnv(dialect, { tenants: { acme: { name: 'Acme Funeral Insurance Ltd', vat_number: '4100000000', bank_account: ACME_ACCOUNT } } }, '2025-11-27T07:00:00+02:00');
    const { ports } = env;
    const csv = join(env.root, 'policies-acme.csv');
    writeFileSync(csv, 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC1,R1,P1,FUN,150.00\nC2,R2,P2,FUN,99.90\nC3,R3,P3,FUN,250.00\n');
    expect((await importFile(ports, { tenantId: 'acme', path: csv, mode: 'copy' })).status).toBe('applied');
    const ran: UnitReport[] = [];
    const s = new Scheduler(ports, options(scheduledSteps(ports.config), { onUnit: (u) => ran.push(u) }));

    // Thursday 27 November 07:00, first start (horizon one day): today's 06:00 batch runs late; the
    // daily pay step finds nothing due
    expect((await s.tick()).ran.map(brief)).toEqual(['close_pay 2025-11-27T02:00:00+02:00 skipped', 'batch 2025-11-27T06:00:00+02:00 done']);
    const [nov] = await reading(dbOf(ports.store), (sql) => sql.all<{ n: number }>(`SELECT COUNT(*) AS n FROM collections WHERE period = '2025-11'`));
    expect(Number(nov!.n)).toBe(3); // the batch opened the period first (auto_execute)

    // down from Friday 28th 05:00 until Tuesday 2 December 05:00
    env.setNow('2025-12-02T05:00:00+02:00');
    const tick = await s.tick();
    expect(tick).toMatchObject({ blockedAt: null });
    expect(tick.ran.map(brief)).toEqual([
      'close_pay 2025-11-28T02:00:00+02:00 skipped',
      'batch 2025-11-28T06:00:00+02:00 skipped',
      'close_pay 2025-11-29T02:00:00+02:00 skipped',
      'close_pay 2025-11-30T02:00:00+02:00 skipped',
      'close_report 2025-12-01T02:00:00+02:00 done',
      // the day-1 pay occurrence checks the period's steps too (idempotent): nothing new, nothing due
      'close_pay 2025-12-01T02:00:00+02:00 skipped',
      'batch 2025-12-01T06:00:00+02:00 done',
      'close_invoice 2025-12-02T02:00:00+02:00 done',
      'close_pay 2025-12-02T02:00:00+02:00 skipped',
    ]);
    expect(tick.ran[1]!.detail).toEqual({ reason: 'the 2025-11 period is over (it is closed on the 1st); no batch runs in it any more' });
    expect(tick.ran[4]!.detail).toMatchObject({ period: '2025-11', through: '2025-12-01', problems: [] });
    const late = await reading(dbOf(ports.store), (sql) => sql.all(`SELECT id FROM attempts WHERE action_date = '2025-11-28'`));
    expect(late).toEqual([]);
    const out = join(env.root, 'outbox/acme/2025-11');
    expect(readdirSync(out).filter((f) => !f.endsWith('.sha256')).sort()).toEqual([
      'collections-2025-11.csv',
      'collections-2025-11.json',
      'invoice-INV-2025-11-001.json',
      'invoice-INV-2025-11-001.pdf',
      'settlement-SETTLE-2025-11-001.json',
      'settlement-SETTLE-2025-11-001.pdf',
    ]);

    // a second tick (or a restart) runs nothing again
    expect((await s.tick()).ran).toEqual([]);
    // Wednesday 3 December: the payment
    env.setNow('2025-12-03T02:30:00+02:00');
    expect((await s.tick()).ran.map(brief)).toEqual(['batch 2025-12-02T06:00:00+02:00 done', 'close_pay 2025-12-03T02:00:00+02:00 done']);
    expect(existsSync(join(env.root, 'outbox/bank/payments-20251203-001.xml'))).toBe(true);

    const rows = await reading(dbOf(ports.store), (sql) => listRuns(sql));
    expect(rows.filter((r) => r.status !== 'skipped').map((r) => `${r.step} ${r.occurrence} ${r.status} ${r.attempts}`)).toEqual([
      'batch 2025-11-27T06:00:00+02:00 done 1',
      'close_report 2025-12-01T02:00:00+02:00 done 1',
      'batch 2025-12-01T06:00:00+02:00 done 1',
      'close_invoice 2025-12-02T02:00:00+02:00 done 1',
      'batch 2025-12-02T06:00:00+02:00 done 1',
      'close_pay 2025-12-03T02:00:00+02:00 done 1',
    ]);
    expect(rows.every((r) => r.owner === s.owner && r.finished_at !== null)).toBe(true);
  });

  it('pays April 2026 on Monday 4 May (no business day in the 1st–3rd), and catches a missed payment up', async () => {
    env = await makeEnv(dialect, { tenants: { acme: { name: 'Acme Funeral Insurance Ltd', vat_number: '4100000000', bank_account: ACME_ACCOUNT } } }, '2026-04-29T07:00:00+02:00');
    const { ports } = env;
    const csv = join(env.root, 'policies-acme.csv');
    writeFileSync(csv, 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC1,R1,P1,FUN,150.00\nC2,R2,P2,FUN,99.90\n');
    expect((await importFile(ports, { tenantId: 'acme', path: csv, mode: 'copy' })).status).toBe('applied');
    const s = new Scheduler(ports, options(scheduledSteps(ports.config)));
    await s.tick();
    const paid = () => reading(dbOf(ports.store), (sql) => sql.all<{ status: string; payment_date: string }>(`SELECT status, payment_date FROM settlements WHERE period = '2026-04'`));
    env.setNow('2026-05-03T23:00:00+02:00');
    await s.tick();
    expect(await paid()).toEqual([{ status: 'pending', payment_date: '2026-05-04' }]);
    expect(existsSync(join(env.root, 'outbox/bank')) ? readdirSync(join(env.root, 'outbox/bank')).filter((f) => f.startsWith('payments-')) : []).toEqual([]);
    env.setNow('2026-05-04T02:30:00+02:00');
    expect((await s.tick()).ran.map(brief)).toEqual(['close_pay 2026-05-04T02:00:00+02:00 done']);
    expect(await paid()).toEqual([{ status: 'paid', payment_date: '2026-05-04' }]);
    expect(readdirSync(join(env.root, 'outbox/bank')).filter((f) => f.startsWith('payments-') && f.endsWith('.xml'))).toEqual(['payments-20260504-001.xml']);
    expect(readdirSync(join(env.root, 'outbox/acme/2026-04')).filter((f) => f.endsWith('.csv')).sort()).toEqual(['collections-2026-04.csv', 'settlement-SETTLE-2026-04-001.csv']);

    // a settlement left pending on its payment date (the pay step did not run): the next day's
    // occurrence pays it, in the file of its own payment date
    await reading(dbOf(ports.store), (sql) => sql.run(`UPDATE settlements SET status = 'pending', payment_file_id = NULL, paid_at = NULL WHERE period = '2026-04'`));
    await reading(dbOf(ports.store), (sql) => sql.run(`DELETE FROM payment_files`));
    rmSync(join(env.root, 'outbox/bank/payments-20260504-001.xml'));
    env.setNow('2026-05-05T02:30:00+02:00');
    const next = await s.tick();
    expect(next.ran.map(brief)).toEqual(['batch 2026-05-04T06:00:00+02:00 done', 'close_pay 2026-05-05T02:00:00+02:00 done']);
    expect(next.ran[1]!.detail).toMatchObject({ written: 1 });
    expect(await paid()).toEqual([{ status: 'paid', payment_date: '2026-05-04' }]);
    expect(existsSync(join(env.root, 'outbox/bank/payments-20260504-001.xml'))).toBe(true);
  });

  it('two schedulers on one database run each occurrence exactly once, in order', async () => {
    env = await makeEnv(dialect, {}, '2025-11-28T12:00:00+02:00');
    const db2 = openDb(dbOf(env.ports.store).target);
    extraDbs.push(db2);
    const log: string[] = [];
    const a = new Scheduler(env.ports, options([recorder('every_hour', '0 * * * *', log, 'A', 5)]));
    const b = new Scheduler({ ...env.ports, store: storeOf(db2) }, options([recorder('every_hour', '0 * * * *', log, 'B', 5)]));
    // both tick side by side until the 24 hourly occurrences of the horizon (one day) are settled
    for (let i = 0; i < 200; i++) {
      const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
      if (ra.blockedAt === null && rb.blockedAt === null && ra.ran.length === 0 && rb.ran.length === 0) break;
    }
    const occurrences = log.map((l) => l.split(' ')[1]);
    expect(occurrences).toHaveLength(24);
    expect(new Set(occurrences).size).toBe(24);
    expect(occurrences).toEqual([...occurrences].sort());
    expect(occurrences[0]).toBe('2025-11-27T13:00:00+02:00');
    expect(occurrences[23]).toBe('2025-11-28T12:00:00+02:00');
    const rows = await reading(dbOf(env.ports.store), (sql) => listRuns(sql));
    expect(rows.map((r) => r.status)).toEqual(Array(24).fill('done'));
  });

  it('a claim race: of many concurrent claims of one occurrence from two connections, one wins', async () => {
    env = await makeEnv(dialect);
    const db2 = openDb(dbOf(env.ports.store).target);
    extraDbs.push(db2);
    const claim = (db: Db, owner: string) =>
      transaction(db, (sql) =>
        claimRun(sql, { step: 'batch', occurrence: '2025-12-01T06:00:00+02:00', owner, startedAt: 'x', wallNow: '2025-12-01T04:00:00.000Z', leaseUntil: '2025-12-01T04:00:30.000Z', maxAttempts: 3 }),
      );
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => claim(i % 2 ? db2 : dbOf(env!.ports.store), `owner-${i}`)));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
  });

  it("a dead owner's occurrence blocks until its lease expires, then is taken over", async () => {
    env = await makeEnv(dialect, {}, '2025-12-01T03:00:00+02:00');
    let wall = Date.parse('2025-12-01T01:00:00Z');
    await transaction(dbOf(env.ports.store), (sql) =>
      claimRun(sql, { step: 'close_report', occurrence: '2025-12-01T02:00:00+02:00', owner: 'dead', startedAt: 'x', wallNow: new Date(wall).toISOString(), leaseUntil: new Date(wall + 30_000).toISOString(), maxAttempts: 3 }),
    );
    const log: string[] = [];
    const s = new Scheduler(env.ports, options([recorder('close_report', '0 2 1 * *', log, 'S'), recorder('batch', '30 2 * * *', log, 'S')], { wallNow: () => wall }));
    // the batch after it waits too (so a close never overtakes an earlier step elsewhere)
    expect(await s.tick()).toEqual({ ran: [], blockedAt: '2025-12-01T02:00:00+02:00' });
    expect(log).toEqual([]);
    wall += 31_000;
    expect((await s.tick()).ran.map(brief)).toEqual(['close_report 2025-12-01T02:00:00+02:00 done', 'batch 2025-12-01T02:30:00+02:00 done']);
    const [row] = await reading(dbOf(env.ports.store), (sql) => listRuns(sql, 'close_report'));
    expect(row).toMatchObject({ status: 'done', attempts: 2, owner: s.owner });
  });

  it('a failed occurrence is retried after its delay, then given up, and the steps after it go on', async () => {
    env = await makeEnv(dialect, {}, '2025-12-01T07:00:00+02:00');
    let wall = 1_000_000;
    let calls = 0;
    const failing = recorder('close_report', '0 2 1 * *', [], 'S', 0, async () => {
      calls++;
      throw new Error(`the disk is full (${calls})`);
    });
    const log: string[] = [];
    const s = new Scheduler(env.ports, options([failing, recorder('batch', '0 6 1 * *', log, 'S')], { wallNow: () => wall, retryMs: 60_000, horizonMs: 6 * HOUR }));
    expect((await s.tick())).toMatchObject({ blockedAt: '2025-12-01T02:00:00+02:00', ran: [{ status: 'failed', attempt: 1, detail: { error: 'the disk is full (1)' } }] });
    expect((await s.tick()).ran).toEqual([]); // not before its retry time; the batch waits
    expect(log).toEqual([]);
    wall += 60_000;
    expect((await s.tick()).ran.map(brief)).toEqual(['close_report 2025-12-01T02:00:00+02:00 failed', 'batch 2025-12-01T06:00:00+02:00 done']);
    expect(calls).toBe(2);
    const rows = await reading(dbOf(env.ports.store), (sql) => listRuns(sql));
    expect(rows.map((r) => [r.step, r.status, r.attempts, r.detail])).toEqual([
      ['close_report', 'failed', 2, JSON.stringify({ error: 'the disk is full (2)' })],
      ['batch', 'done', 1, JSON.stringify({})],
    ]);
  });

  it('a step interrupted for shutdown is released, not failed, and runs again at the next start', async () => {
    env = await makeEnv(dialect, {}, '2025-12-01T07:00:00+02:00');
    let runs = 0;
    const step = recorder('batch', '0 6 * * *', [], 'S', 0, async (_p, _o, ctx) => {
      runs++;
      await new Promise((r) => setTimeout(r, 200));
      if (ctx.signal.aborted) throw new StepInterrupted('stopped between chunks');
      return { status: 'done', detail: { run: runs } };
    });
    const first = new Scheduler(env.ports, options([step], { horizonMs: 2 * HOUR }));
    first.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(await first.stop(5000)).toBe('drained');
    let [row] = await reading(dbOf(env.ports.store), (sql) => listRuns(sql));
    expect(row).toMatchObject({ status: 'running', lease_until: '1970-01-01T00:00:00.000Z', owner: first.owner });
    const second = new Scheduler(env.ports as Ports, options([step], { horizonMs: 2 * HOUR }));
    expect((await second.tick()).ran.map(brief)).toEqual(['batch 2025-12-01T06:00:00+02:00 done']);
    [row] = await reading(dbOf(env.ports.store), (sql) => listRuns(sql));
    expect(row).toMatchObject({ status: 'done', attempts: 2, owner: second.owner, detail: JSON.stringify({ run: 2 }) });
  });
});

describe('scheduler without anything recorded yet', () => {
  it('an occurrence between two ticks of a fresh database is run, even with no catch-up horizon', async () => {
    env = await makeEnv('sqlite', {}, '2025-12-01T05:00:00+02:00');
    const log: string[] = [];
    const s = new Scheduler(env.ports, options([recorder('batch', '0 6 * * *', log, 'S')], { horizonMs: 0 }));
    expect((await s.tick()).ran).toEqual([]);
    env.setNow('2025-12-01T06:00:00.020+02:00');
    expect((await s.tick()).ran.map(brief)).toEqual(['batch 2025-12-01T06:00:00+02:00 done']);
  });

  it('an occurrence that falls due between a plan and the sleep that follows it is run at once, not a long sleep later', async () => {
    env = await makeEnv('sqlite', {}, '2025-12-01T05:00:00+02:00');
    // the loop's first plan reads 05:59:59.999; every later reading is 06:00 (a timer that fired a
    // hair early, or a fast simulated clock that moved while the plan ran)
    let reads = 0;
    const clock = { now: () => new Date(reads++ === 0 ? '2025-12-01T05:59:59.999+02:00' : '2025-12-01T06:00:00.000+02:00') };
    const log: string[] = [];
    const s = new Scheduler({ ...env.ports, clock }, options([recorder('batch', '0 6 * * *', log, 'S')], { horizonMs: 0, maxSleepMs: 3_600_000 }));
    s.start();
    try {
      // sleeping until the next occurrence after "now" would be an hour here (maxSleepMs)
      await waitFor('the 06:00 batch', () => log.length > 0, 10_000, 10);
      expect(log).toEqual(['batch 2025-12-01T06:00:00+02:00 S']);
    } finally {
      await s.stop(1000);
    }
  });

  it('stop() keeps its bound: a step that outlives it is released for the next start', async () => {
    env = await makeEnv('sqlite', {}, '2025-12-01T07:00:00+02:00');
    let finish: () => void = () => undefined;
    const ended = new Promise<void>((r) => (finish = r));
    const stubborn = recorder('batch', '0 6 * * *', [], 'S', 0, async () => {
      await new Promise((r) => setTimeout(r, 400)); // ignores the abort signal
      finish();
      return { status: 'done', detail: {} };
    });
    const s = new Scheduler(env.ports, options([stubborn], { horizonMs: 2 * HOUR }));
    s.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(await s.stop(50)).toBe('timeout');
    expect(s.state).toBe('stopped');
    const [row] = await reading(dbOf(env.ports.store), (sql) => listRuns(sql));
    expect(row).toMatchObject({ status: 'running', lease_until: '1970-01-01T00:00:00.000Z' });
    await ended; // (in the daemon the process exits here)
    await new Promise((r) => setTimeout(r, 50));
  });
});

describe('schedules in the configuration', () => {
  it('a bad cron string or daemon key is refused at load, every one listed; the daemon keys have defaults', () => {
    const root = mkdtempSync(join(tmpdir(), 'kasi-sched-config-'));
    try {
      mkdirSync(join(root, 'config'));
      writeFileSync(join(root, 'config/local.yaml'), 'schedules: { batch: "0 25 * * 1-5", close_pay: "0 2 3 *" }\ndaemon: { late_batches: never }\n');
      let err: unknown;
      try {
        loadConfig({ root, env: {} });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'schedules.batch: not a cron string: hour: 25 is outside 0-23',
        'schedules.close_pay: not a cron string: "0 2 3 *" has 4 fields; a cron string has 5 (minute hour day month weekday) or 6 (seconds first)',
        'daemon.late_batches: Invalid option: expected one of "run"|"today"',
      ]);
      writeFileSync(join(root, 'config/local.yaml'), 'tenants: {}\n');
      expect(loadConfig({ root, env: {} }).daemon).toEqual({
        shutdown_seconds: 30,
        catch_up_days: 35,
        lease_seconds: 30,
        step_attempts: 3,
        retry_seconds: 60,
        tick_seconds: 5,
        auto_execute: true,
        late_batches: 'run',
        batch_chunk_size: 5000,
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
