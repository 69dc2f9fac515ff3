import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPage } from '../../src/store/audit.repository.js';
import { heldPolicies } from '../../src/store/console-holds.repository.js';
import { recordSftpContact, sftpContacts } from '../../src/store/console-ops.repository.js';
import { collectionsPage, filesPage } from '../../src/store/console.repository.js';
import { computeSummary, readSummary, type SummaryRow } from '../../src/store/console-summary.repository.js';
import { ConsoleAuth } from '../../src/usecases/console/auth.js';
import { buildOverview } from '../../src/usecases/console/overview.js';
import { hashPassword } from '../../src/usecases/console/password.js';
import { refreshSummaries } from '../../src/usecases/console/summaries.js';
import { makeEnv, type TestEnv } from '../helpers/env.js';
import { SMALL_MONTH, seedMonth } from './close-seed.js';
import { knexOf } from '../../src/store/db.js';
import { dbOf } from '../../src/store/store.js';

/**
 * The console's store on SQLite and PostgreSQL: the overview's summary of the golden small month
 * (exact rows), the overview built from it, keyset pages, held policies with and without the
 * policy_holds table, SFTP contact upserts, and sign-in with its lock-out and audit.
 */
const P = '2025-11';
const sorted = (rows: SummaryRow[]) => [...rows].sort((a, b) => `${a.kind}|${a.day}|${a.key}`.localeCompare(`${b.kind}|${b.day}|${b.key}`));

describe.each(['sqlite', 'pg'] as const)('the console store on %s', (dialect) => {
  let env: TestEnv;
  const knex = () => knexOf(dbOf(env.ports.store));
  beforeAll(async () => {
    const cheap = await hashPassword('right-password-1', { N: 1024, r: 8, p: 1 });
    env = await makeEnv(dialect, { console: { users: { ana: { role: 'tenant', tenant: 'acme', password_scrypt: cheap } }, max_failures: 2, lockout_seconds: 60 } }, '2025-11-20T10:00:00+02:00');
    await seedMonth(dbOf(env.ports.store), 'acme', P, SMALL_MONTH);
    // the engine's marks: P-1003 stopped by a hard code, P-1002 to be looked at again on the 29th
    await knex()('collections').where({ policy_number: 'P-1003' }).update({ halted_reason: 'ACCOUNT_CLOSED' });
    await knex()('collections').where({ policy_number: 'P-1002' }).update({ next_check: '2025-11-29' });
  });
  afterAll(async () => env?.cleanup());

  it('summarises the month: collected and presented by day, states, failures, holds, next look', async () => {
    const day = (d: string, kind: string, value: number) => ({ day: `2025-11-${d}`, kind, key: '', value });
    expect(sorted(await computeSummary(dbOf(env.ports.store), 'acme', P))).toEqual(
      sorted([
        ...[['03', 0], ['04', 10_000], ['10', 0], ['14', 11_000], ['25', 100_000], ['26', 15_000], ['27', 23_456], ['28', 0]].map(([d, v]) => day(d as string, 'collected', v as number)),
        ...['03', '04', '10', '14', '25', '26', '27', '28'].map((d) => day(d, 'presented', 1)),
        { day: '-', kind: 'failures', key: 'INSUFFICIENT_FUNDS', value: 2 },
        { day: '-', kind: 'failures', key: 'ACCOUNT_CLOSED', value: 1 },
        { day: '-', kind: 'status', key: 'OPEN', value: 5 },
        { day: '-', kind: 'progress', key: 'full', value: 2 },
        { day: '-', kind: 'progress', key: 'part', value: 1 },
        { day: '-', kind: 'progress', key: 'none', value: 2 },
        { day: '-', kind: 'due', key: '', value: 198_455 },
        { day: '-', kind: 'collected_total', key: '', value: 159_456 },
        { day: '-', kind: 'claims', key: '', value: 0 },
        { day: '-', kind: 'halted', key: 'ACCOUNT_CLOSED', value: 1 },
        day('29', 'next_check', 1),
      ]),
    );
  });

  it('the overview reads the refreshed summary: rate by day up to today, next presentments, holds', async () => {
    expect(await refreshSummaries(env.ports)).toEqual([{ tenant: 'acme', period: P }]);
    expect((await readSummary(dbOf(env.ports.store), 'acme', P)).refreshedAt).toBe('2025-11-20T08:00:00.000Z');
    const o = await buildOverview(env.ports, 'acme');
    expect([o.period, o.previous, o.dueCents, o.collectedCents, o.presentedToday, o.next, o.likelyClaims]).toEqual([P, '2025-10', 198_455, 159_456, 0, { date: '2025-11-29', collections: 1 }, 0]);
    expect(o.daily).toHaveLength(30);
    expect(o.daily.slice(2, 4)).toEqual([
      { day: 3, collected: 0, rateBp: 0 },
      { day: 4, collected: 10_000, rateBp: 504 },
    ]);
    expect(o.daily[19]).toEqual({ day: 20, collected: 21_000, rateBp: 1058 });
    expect(o.daily[20]).toEqual({ day: 21, collected: null, rateBp: null });
    expect(o.failures).toEqual([
      { reason: 'INSUFFICIENT_FUNDS', count: 2 },
      { reason: 'ACCOUNT_CLOSED', count: 1 },
    ]);
    // a collection stopped by code 12 seeded straight into the store places no hold: holds are policy_holds' rows only
    expect([o.held.total, o.held.rows]).toEqual([0, []]);
  });

  it('held policies come from policy_holds (migration 014): open holds of the tenant only, with their reason', async () => {
    await knex()('policy_holds').insert([
      { tenant_id: 'acme', policy_number: 'P-1003', reason_code: '12', held_on: '2025-11-10', collection_id: null, created_at: 'x' },
      { tenant_id: 'acme', policy_number: 'P-1002', reason_code: '04', held_on: '2025-10-10', released_on: '2025-10-20', created_at: 'x' },
      { tenant_id: 'other', policy_number: 'P-9', reason_code: '18', held_on: '2025-11-01', created_at: 'x' },
    ]);
    expect(await heldPolicies(dbOf(env.ports.store), 'acme', 10)).toEqual({ total: 1, rows: [{ policy_number: 'P-1003', reason: '12', since: '2025-11-10', collection_id: null }] });
    const o = await buildOverview(env.ports, 'acme', P);
    expect([o.held.total, o.held.rows.map((r) => r.reason)]).toEqual([1, ['12 ACCOUNT_CLOSED']]);
    await knex()('policy_holds').delete();
  });

  it('pages a period by keyset and filters by reason', async () => {
    const first = await collectionsPage(dbOf(env.ports.store), 'acme', P, { limit: 2 });
    const second = await collectionsPage(dbOf(env.ports.store), 'acme', P, { limit: 2, afterId: first[1]!.id });
    const third = await collectionsPage(dbOf(env.ports.store), 'acme', P, { limit: 2, afterId: second[1]!.id });
    expect([first, second, third].map((pg) => pg.map((r) => r.policy_number))).toEqual([['P-1001', 'P-1002'], ['P-1003', 'P-1004'], ['P-1005']]);
    expect((await collectionsPage(dbOf(env.ports.store), 'acme', P, { limit: 50, reason: 'INSUFFICIENT_FUNDS' })).map((r) => [r.policy_number, r.amount_due, r.amount_collected])).toEqual([['P-1002', 30_000, 21_000]]);
    expect(await collectionsPage(dbOf(env.ports.store), 'other', P, { limit: 50 })).toEqual([]);
  });

  it('lists intake files newest first, per tenant, by keyset', async () => {
    const row = (tenant: string, name: string, status: string) => ({ tenant_id: tenant, kind: 'policies', name, sha256: name.padEnd(64, '0'), size: 10, status, received_at: 'r', processed_at: 'p', source: 'inbox' });
    await knex()('intake_files').insert([row('acme', 'a1.csv', 'applied'), row('other', 'o1.csv', 'applied'), row('acme', 'a2.csv', 'rejected'), row('acme', 'a3.csv', 'applied')]);
    const p1 = await filesPage(dbOf(env.ports.store), { tenants: ['acme'], limit: 2 });
    const p2 = await filesPage(dbOf(env.ports.store), { tenants: ['acme'], limit: 2, beforeId: p1[1]!.id });
    expect([p1.map((f) => f.name), p2.map((f) => f.name)]).toEqual([['a3.csv', 'a2.csv'], ['a1.csv']]);
    expect((await filesPage(dbOf(env.ports.store), { tenants: null, status: 'applied', limit: 10 })).map((f) => [f.tenant_id, f.name, f.source])).toEqual([
      ['acme', 'a3.csv', 'inbox'],
      ['other', 'o1.csv', 'inbox'],
      ['acme', 'a1.csv', 'inbox'],
    ]);
  });

  it('records SFTP contact: the last exchange, the last error, files taken in total', async () => {
    await recordSftpContact(dbOf(env.ports.store), 'acme', '2025-11-20T08:00:00.000Z', null, 2);
    await recordSftpContact(dbOf(env.ports.store), 'acme', '2025-11-20T08:01:00.000Z', 'connect ECONNREFUSED', 0);
    await recordSftpContact(dbOf(env.ports.store), 'acme', '2025-11-20T08:02:00.000Z', null, 3);
    expect(await sftpContacts(dbOf(env.ports.store), ['acme'])).toEqual([
      { tenant_id: 'acme', last_contact_at: '2025-11-20T08:02:00.000Z', last_error_at: '2025-11-20T08:01:00.000Z', last_error: 'connect ECONNREFUSED', files_taken: 5 },
    ]);
  });

  it('signs in, locks a user name out after max_failures wrong passwords, and audits each', async () => {
    const auth = new ConsoleAuth(env.ports);
    const ok = await auth.login('ana', 'right-password-1', '127.0.0.1');
    expect(ok.ok && ok.session.user).toEqual({ name: 'ana', role: 'tenant', tenant: 'acme' });
    if (!ok.ok) throw new Error('login failed');
    expect((await auth.session(ok.token))?.user.name).toBe('ana');
    expect(await auth.session('not-a-token')).toBeNull();
    expect(await auth.login('ana', 'wrong', null)).toEqual({ ok: false, reason: 'wrong' });
    expect(await auth.login('ana', 'wrong', null)).toEqual({ ok: false, reason: 'locked', lockedUntil: '2025-11-20T08:01:00.000Z' });
    expect(await auth.login('ana', 'right-password-1', null)).toEqual({ ok: false, reason: 'locked', lockedUntil: '2025-11-20T08:01:00.000Z' });
    // an unknown name is counted the same way (the answer never tells which names exist)
    expect(await auth.login('nobody', 'x', null)).toEqual({ ok: false, reason: 'wrong' });
    env.setNow('2025-11-20T10:01:01+02:00');
    const again = await auth.login('ana', 'right-password-1', null);
    expect(again.ok).toBe(true);
    await auth.logout(ok.session, null);
    expect(await auth.session(ok.token)).toBeNull();
    const log = await auditPage(dbOf(env.ports.store), { limit: 10 });
    expect(log.map((a) => [a.user_name, a.action, a.outcome]).reverse()).toEqual([
      ['ana', 'login', 'ok'],
      ['ana', 'login', 'failed'],
      ['ana', 'login', 'failed'],
      ['ana', 'login', 'refused'],
      ['nobody', 'login', 'failed'],
      ['ana', 'login', 'ok'],
      ['ana', 'logout', 'ok'],
    ]);
  });
});
