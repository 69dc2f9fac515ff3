import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config.js';
import { attemptVerdict, laneOf } from '../../src/domain/webhook-events.js';
import { receiversOf } from '../../src/usecases/webhooks/record-event.js';

/** Webhook configuration (docs/webhooks.md): validated with every problem listed; who receives what. */
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function load(local: Record<string, unknown>) {
  const r = mkdtempSync(join(tmpdir(), 'kasi-cfg-hooks-'));
  roots.push(r);
  mkdirSync(join(r, 'config'));
  writeFileSync(join(r, 'config/local.yaml'), stringify(local));
  return loadConfig({ root: r, env: {} });
}

function problems(local: Record<string, unknown>): string[] {
  try {
    load(local);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems].sort();
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const hook = (over: Record<string, unknown> = {}) => ({ url: 'https://hooks.acme.example/kasi', secret_env: 'ACME_HOOK', events: ['intake.file_rejected'], ...over });

describe('webhook configuration', () => {
  it('lists every bad receiver: scheme, credentials, unknown event, operator event on a tenant, secrets', () => {
    expect(
      problems({
        tenants: {
          acme: {
            name: 'Acme',
            webhooks: [
              hook({ url: 'ftp://hooks.acme.example/kasi' }),
              hook({ url: 'https://user:pw@hooks.acme.example/' }),
              hook({ events: ['intake.file_lost'] }),
              hook({ events: ['schedule.step_failed'] }),
              hook({ secret_file: '/run/secrets/x' }),
              hook({ secret_env: undefined, url: 'not a url' }),
            ],
          },
        },
        webhooks: [hook({ events: [] })],
      }),
    ).toEqual([
      'tenants.acme.webhooks.0.url: only http:// and https:// URLs are sent to, not ftp://',
      'tenants.acme.webhooks.1.url: no user or password in the URL: the signature authenticates kasi (secret_env / secret_file)',
      expect.stringMatching(/^tenants\.acme\.webhooks\.2\.events\.0: Invalid option: expected one of "intake\.file_rejected"\|/),
      'tenants.acme.webhooks.3.events.0: schedule.step_failed is an operator event: list it under the top-level webhooks:',
      'tenants.acme.webhooks.4.secret_env: give exactly one of secret_env (an environment variable name) or secret_file (a path)',
      'tenants.acme.webhooks.5.secret_env: give exactly one of secret_env (an environment variable name) or secret_file (a path)',
      'tenants.acme.webhooks.5.url: not a URL (e.g. https://hooks.example.com/kasi)',
      'webhooks.0.events: Too small: expected array to have >=1 items',
    ]);
  });

  it('a tenant receiver gets its own events; an operator receiver gets operator events and the tenant events it lists', () => {
    const c = load({
      tenants: { acme: { name: 'Acme', webhooks: [hook({ events: ['intake.file_rejected', 'settlement.paid'] })] }, beta: { name: 'Beta' } },
      webhooks: [{ url: 'http://ops.example/hook', secret_file: '/run/secrets/ops', events: ['schedule.step_failed', 'intake.file_rejected'] }],
    });
    const urls = (tenant: string | null, type: Parameters<typeof receiversOf>[2]) => receiversOf(c, tenant, type).map((w) => w.url);
    expect(urls('acme', 'intake.file_rejected')).toEqual(['https://hooks.acme.example/kasi', 'http://ops.example/hook']);
    expect(urls('acme', 'settlement.paid')).toEqual(['https://hooks.acme.example/kasi']);
    expect(urls('beta', 'intake.file_rejected')).toEqual(['http://ops.example/hook']);
    expect(urls('beta', 'settlement.paid')).toEqual([]);
    expect(urls(null, 'schedule.step_failed')).toEqual(['http://ops.example/hook']);
    expect(c.webhook_delivery).toEqual({ timeout_seconds: 10, max_response_kb: 64, retry_base_seconds: 10, retry_cap_seconds: 86_400, max_attempts: 20, poll_seconds: 1, lanes_at_once: 4 });
  });

  it('which answers end retries', () => {
    const table = [null, 200, 204, 299, 301, 400, 401, 404, 408, 410, 422, 429, 500, 503].map((s) => [s, attemptVerdict(s)]);
    expect(table).toEqual([
      [null, 'retry'],
      [200, 'delivered'],
      [204, 'delivered'],
      [299, 'delivered'],
      [301, 'retry'],
      [400, 'failed'],
      [401, 'failed'],
      [404, 'failed'],
      [408, 'retry'],
      [410, 'failed'],
      [422, 'failed'],
      [429, 'retry'],
      [500, 'retry'],
      [503, 'retry'],
    ]);
    expect(laneOf('https://h/x', null)).toBe('https://h/x -');
  });
});
