import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreMetrics } from '../../src/daemon/store-metrics.js';
import { metrics, registry } from '../../src/daemon/metrics.js';
import { importFile } from '../../src/usecases/intake/import-file.js';
import { REPO } from '../helpers/cli.js';
import { makeEnv, dropInInbox, type TestEnv } from '../helpers/env.js';
import { parseProm, value } from '../helpers/prom.js';
import { seedMonth, type CollectionSpec } from './close-seed.js';
import { dbOf } from '../../src/store/store.js';

/**
 * The alert rules shipped in deploy/prometheus and the /metrics they read: `promtool` (the
 * Debian prometheus package) checks the rules, runs their unit tests, and lints a scrape.
 */
const PROMTOOL = process.env.KASI_PROMTOOL ?? '/usr/bin/promtool';
const DIR = join(REPO, 'deploy/prometheus');

function promtool(args: string[], input?: string): { code: number; out: string } {
  const r = spawnSync(PROMTOOL, args, { cwd: DIR, input, encoding: 'utf8' });
  if (r.error) throw new Error(`${PROMTOOL} did not run (apt-get install prometheus): ${r.error.message}`);
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('deploy/prometheus/alerts.yml', () => {
  it('promtool check rules: clean', () => {
    const r = promtool(['check', 'rules', 'alerts.yml']);
    expect(r.out).toBe('Checking alerts.yml\n  SUCCESS: 8 rules found\n\n');
    expect(r.code).toBe(0);
  });

  it('promtool test rules: the unit tests of the rules pass', () => {
    const r = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(r.out).toBe('Unit Testing:  alerts.test.yml\n  SUCCESS\n\n');
    expect(r.code).toBe(0);
  });

  it('every metric the rules read is one kasi exports', () => {
    const rules = readFileSync(join(DIR, 'alerts.yml'), 'utf8');
    const used = [...new Set([...rules.matchAll(/\b(kasi_[a-z_]+)\b/g)].map((m) => m[1]!))].sort();
    const names = new Set(registry.getMetricsAsArray().map((m) => m.name));
    expect(used.filter((n) => !names.has(n))).toEqual([]);
  });
});

describe('/metrics from the store, linted by promtool', () => {
  let env: TestEnv;
  const paid = (policy: string, due: number, date: string, amount: number): CollectionSpec => ({
    policy,
    customer: `C${policy}`,
    ref: `R${policy}`,
    product: 'FUN',
    due,
    attempts: [{ date, requested: amount, paid: amount }],
  });
  beforeAll(async () => {
    env = await makeEnv('sqlite', { tenants: { beta: { name: 'Beta Life' } } }, '2025-12-10T09:00:00+02:00');
    await seedMonth(dbOf(env.ports.store), 'acme', '2025-11', [paid('N-1', 10_000, '2025-11-10', 10_000), paid('N-2', 10_000, '2025-11-20', 10_000)]);
    await seedMonth(dbOf(env.ports.store), 'acme', '2025-12', [paid('D-1', 10_000, '2025-12-05', 5_000), { ...paid('D-2', 10_000, '2025-12-05', 0), attempts: [] }]);
    await importFile(env.ports, { tenantId: 'acme', path: dropInInbox(env, 'policies-x.csv', 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC9,E9,X-9,FUN,10.00\n'), mode: 'move' });
  });
  afterAll(async () => env?.cleanup());

  it('the collection rate beside last month on the same day, and the last file per tenant', async () => {
    await new StoreMetrics(env.ports).refresh();
    const { samples } = parseProm(await registry.metrics());
    // December: 50.00 of 200.00 by the 10th; November by the 10th: 100.00 of 200.00
    expect(value(samples, 'kasi_collection_rate_ratio', { tenant: 'acme' })).toBe(0.25);
    expect(value(samples, 'kasi_collection_rate_last_month_same_day_ratio', { tenant: 'acme' })).toBe(0.5);
    expect(samples.filter((s) => s.name.startsWith('kasi_collection_rate') && s.labels.tenant === 'beta')).toEqual([]);
    expect(value(samples, 'kasi_intake_last_file_timestamp_seconds', { tenant: 'acme' })).toBe(Date.parse('2025-12-10T07:00:00Z') / 1000);
    expect(value(samples, 'kasi_intake_last_file_timestamp_seconds', { tenant: 'beta' })).toBe(0);
  });

  it('promtool check metrics: no warnings on the scrape (the nodejs *_total gauges are gone)', async () => {
    metrics.webhookPending.set({ tenant: 'acme' }, 1);
    metrics.webhookAttempts.inc({ tenant: 'acme', outcome: 'delivered' });
    metrics.stepOldestDue.set({ step: 'batch' }, 0);
    const text = await registry.metrics();
    expect(text).not.toContain('_total gauge');
    const r = promtool(['check', 'metrics'], text);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });
});
