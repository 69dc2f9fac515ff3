import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/usecases/console/password.js';
import { rand } from '../../src/http/console/format.js';
import { killAllKasi, REPO, requireBuilt, runKasi, spawnKasi, waitFor, type KasiProcess } from '../helpers/cli.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

/**
 * The operator console in a real headless browser (Debian's chromium driven by playwright-core,
 * no browser download) against the built daemon, over a quarter the simulator drove (Oct–Dec
 * 2025, 200 policies): sign in, the month's overview, a rejected file down to its row error, a
 * settlement CSV downloaded byte for byte, a dispute, log out; a tenant user cannot reach another
 * tenant's pages (404); a form without its CSRF token is refused; wrong passwords lock out.
 * Screenshots of every page go to test/artifacts/console/.
 */
const SHOTS = join(REPO, 'test/artifacts/console');
const NOW = '2025-12-04T10:00:00+02:00';
const PASSWORDS = { op: 'operator-pass-1', 'demo-user': 'demo-pass-123', 'other-user': 'other-pass-123', 'lock-me': 'lock-me-pass-1' };
let root: string;
let daemon: KasiProcess;
let base: string;
let browser: Browser;

const sqlite = () => new Database(join(root, 'data/kasi.sqlite'), { readonly: true, fileMustExist: true });
function one<T>(sql: string, ...args: unknown[]): T {
  const db = sqlite();
  try {
    return db.prepare(sql).get(...args) as T;
  } finally {
    db.close();
  }
}

async function login(page: Page, user: keyof typeof PASSWORDS | string, password: string): Promise<void> {
  await page.goto(`${base}/console/login`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A locator's text once it is on the page (playwright's own matchers are not vitest's). */
async function text(l: Locator): Promise<string> {
  await l.first().waitFor({ timeout: 10_000 });
  return l.first().innerText();
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  requireBuilt();
  mkdirSync(SHOTS, { recursive: true });
  root = mkdtempSync(join(tmpdir(), 'kasi-e2e-console-'));
  const sim = await runKasi(['simulate', '--root', root, '--from', '2025-10-01', '--to', '2025-12-04', '--policies', '200', '--seed', '7']);
  expect(sim.code, sim.stderr).toBe(0);
  const cfg = parse(readFileSync(join(root, 'config/local.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  cfg.tenants!.other = { name: 'Other Life Ltd', intake: 'folder' };
  const users: Record<string, unknown> = {};
  for (const [name, pw] of Object.entries(PASSWORDS)) {
    const tenant = name === 'demo-user' ? 'demo' : name === 'other-user' ? 'other' : undefined;
    users[name] = { role: tenant ? 'tenant' : 'operator', ...(tenant ? { tenant } : {}), password_scrypt: await hashPassword(pw) };
  }
  Object.assign(cfg, {
    http: { port: 0, host: '127.0.0.1' },
    intake: { settle_seconds: 0.1 },
    schedules: { inbox_rescan_seconds: 0.2 },
    console: { users, max_failures: 3, lockout_seconds: 600, summary_refresh_seconds: 1 },
  });
  writeFileSync(join(root, 'config/local.yaml'), stringify(cfg));
  // a policy file whose rows all fail: rejected as a whole, its row errors recorded
  mkdirSync(join(root, 'inbox/demo'), { recursive: true });
  writeFileSync(join(root, 'inbox/demo/policies-bad.csv'), 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\nC1,R1,P-1,FUN,12.345\nC2,R2,P-2,FUN,abc\n');
  daemon = spawnKasi(['daemon'], { env: { KASI_ROOT: root, KASI_NOW: NOW, KASI_LOG_LEVEL: 'info' } });
  const port = await waitFor('the daemon to listen', () => /http listening on 127\.0\.0\.1:(\d+)/.exec(daemon.stderr())?.[1] ?? (daemon.child.exitCode !== null ? 'exit' : undefined), 60_000);
  expect(port, daemon.stderr()).not.toBe('exit');
  base = `http://127.0.0.1:${port}`;
  await waitFor('the bad file rejected', () => one<{ n: number }>("SELECT COUNT(*) AS n FROM intake_files WHERE name = 'policies-bad.csv' AND finished_at IS NOT NULL").n > 0, 60_000);
  await waitFor('the console summaries', () => one<{ n: number }>("SELECT COUNT(*) AS n FROM console_summaries WHERE tenant_id = 'demo' AND period = '2025-12'").n > 0, 60_000);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (daemon && daemon.child.exitCode === null) {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
  await killAllKasi();
});

describe('the operator console in a browser', () => {
  it('an operator signs in, reads the month, follows a rejected file to its row error, downloads a settlement CSV, disputes, logs out', async () => {
    const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await login(page, 'op', PASSWORDS.op);
    await expect.poll(() => page.url()).toBe(`${base}/console/overview`);
    const cookie = (await ctx.cookies()).find((c) => c.name === 'kasi_console')!;
    expect([cookie.httpOnly, cookie.sameSite, cookie.path]).toEqual([true, 'Strict', '/console']);

    // the overview of December (the running period) against November, from the store's own figures
    const dec = one<{ due: number; got: number }>("SELECT SUM(CASE WHEN status <> 'CANCELLED' THEN amount_due ELSE 0 END) AS due, SUM(amount_collected) AS got FROM collections WHERE tenant_id = 'demo' AND period = '2025-12'");
    expect(await text(page.getByRole('heading', { level: 1 }))).toBe('Overview');
    expect(await page.locator('.figures div', { hasText: 'Due' }).locator('dd').innerText()).toBe(rand(dec.due));
    expect(await page.locator('.figures div', { hasText: /^Collected/ }).locator('dd').innerText()).toContain(rand(dec.got));
    expect(await page.locator('svg[role="img"] title').textContent()).toBe('Share of the amount due collected, 2025-12 against 2025-11');
    expect(await page.locator('details.fallback tbody tr').count()).toBe(31);
    const failures = one<{ n: number }>("SELECT COUNT(*) AS n FROM attempts WHERE tenant_id = 'demo' AND period = '2025-12' AND status = 'UNPAID' AND reason = 'INSUFFICIENT_FUNDS'").n;
    expect(await page.locator('section', { hasText: 'Failures by reason' }).locator('tr', { hasText: 'INSUFFICIENT_FUNDS' }).locator('td').innerText()).toBe(String(failures));
    await shot(page, 'overview');

    // a rejected file, followed to its row error
    await page.getByRole('link', { name: 'Files' }).click();
    const row = page.locator('tr', { hasText: 'policies-bad.csv' });
    expect(await text(row.locator('.status'))).toBe('rejected');
    await shot(page, 'files');
    await row.getByRole('link', { name: 'policies-bad.csv' }).click();
    const err = one<{ line: number; column: string; code: string; message: string }>(
      "SELECT e.line, e.\"column\", e.code, e.message FROM intake_errors e JOIN intake_files f ON f.id = e.intake_file_id WHERE f.name = 'policies-bad.csv' AND e.line = 2",
    );
    const errRow = page.locator('tbody tr', { hasText: err.message });
    expect(await errRow.locator('td').allInnerTexts()).toEqual([String(err.line), err.column, err.code, 'error', err.message]);
    expect(err.column).toBe('collection_amount');
    await shot(page, 'file-rejected');

    // collections and one collection's presentments
    await page.goto(`${base}/console/collections?tenant=demo&period=2025-11&status=UNPAID`);
    await shot(page, 'collections');
    await page.locator('tbody tr a').first().click();
    await page.getByRole('heading', { level: 2, name: /Presentments/ }).waitFor();
    await shot(page, 'collection');

    // the November settlement: its CSV downloaded is the outbox file, byte for byte
    await page.getByRole('link', { name: 'Settlements' }).click();
    await shot(page, 'settlements');
    await page.getByRole('link', { name: 'SETTLE-2025-11-001' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Settlement CSV/ }).click()]);
    const got = readFileSync((await download.path())!);
    expect(got.equals(readFileSync(join(root, 'outbox/demo/2025-11/settlement-SETTLE-2025-11-001.csv')))).toBe(true);
    expect(download.suggestedFilename()).toBe('settlement-SETTLE-2025-11-001.csv');

    // raise a dispute
    await page.getByLabel('What is wrong with this settlement').fill('fees charged on a reversed debit');
    await page.getByRole('button', { name: 'Raise the dispute' }).click();
    expect(await text(page.getByRole('status'))).toContain('SETTLE-2025-11-001 is disputed: fees charged on a reversed debit');
    expect(one<{ status: string; dispute_reason: string }>("SELECT status, dispute_reason FROM settlements WHERE settlement_number = 'SETTLE-2025-11-001'")).toEqual({
      status: 'disputed',
      dispute_reason: 'fees charged on a reversed debit',
    });
    await shot(page, 'settlement-disputed');

    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('heading', { name: 'Schedule' }).waitFor();
    await shot(page, 'operations');

    // log out: the session is gone, pages send the browser back to sign in
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.url()).toContain('/console/login');
    await page.goto(`${base}/console/overview`);
    expect(page.url()).toBe(`${base}/console/login?next=${encodeURIComponent('/console/overview')}`);
    await shot(page, 'login');
    const actions = one<{ n: number }>("SELECT COUNT(*) AS n FROM console_audit WHERE user_name = 'op' AND action IN ('login', 'view', 'download', 'dispute', 'logout') AND outcome = 'ok'").n;
    expect(actions).toBeGreaterThanOrEqual(10);
    expect(one<{ action: string }>("SELECT action FROM console_audit WHERE user_name = 'op' ORDER BY id DESC LIMIT 1").action).toBe('logout');
    await ctx.close();
  });

  it("a tenant user sees its own tenant only: another tenant's pages are 404 by URL", async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await login(page, 'other-user', PASSWORDS['other-user']);
    await expect.poll(() => page.url()).toBe(`${base}/console/overview`);
    const demoSettlement = one<{ id: string }>("SELECT id FROM settlements WHERE settlement_number = 'SETTLE-2025-10-001'").id;
    const demoFile = one<{ id: number }>("SELECT id FROM intake_files WHERE name = 'policies-bad.csv'").id;
    const demoCollection = one<{ id: number }>("SELECT id FROM collections WHERE tenant_id = 'demo' LIMIT 1").id;
    for (const path of [
      '/console/overview?tenant=demo',
      `/console/settlements/${demoSettlement}`,
      `/console/settlements/${demoSettlement}/file/settlement.csv`,
      `/console/files/${demoFile}`,
      `/console/files/${demoFile}/original`,
      `/console/collections/${demoCollection}`,
      '/console/collections?tenant=demo',
      '/console/policies/demo/POL-0000001',
    ]) {
      const r = await page.goto(`${base}${path}`);
      expect([path, r!.status()]).toEqual([path, 404]);
    }
    // its own lists show none of demo's rows
    await page.goto(`${base}/console/settlements`);
    expect(await page.locator('tbody tr').count()).toBe(0);
    await page.goto(`${base}/console/files`);
    expect(await page.locator('tbody tr').count()).toBe(0);
    await ctx.close();
  });

  it('a form posted without its CSRF token is refused and changes nothing', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await login(page, 'demo-user', PASSWORDS['demo-user']);
    await expect.poll(() => page.url()).toBe(`${base}/console/overview`);
    const s = one<{ id: string; status: string }>("SELECT id, status FROM settlements WHERE settlement_number = 'SETTLE-2025-10-001'");
    const cookie = (await ctx.cookies()).find((c) => c.name === 'kasi_console')!;
    const post = (body: string) =>
      fetch(`${base}/console/settlements/${s.id}/dispute`, { method: 'POST', headers: { cookie: `kasi_console=${cookie.value}`, 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
    expect((await post('reason=forged')).status).toBe(403);
    expect((await post('reason=forged&_csrf=wrong-token')).status).toBe(403);
    expect(one<{ status: string }>('SELECT status FROM settlements WHERE id = ?', s.id).status).toBe(s.status);
    expect(one<{ n: number }>("SELECT COUNT(*) AS n FROM console_audit WHERE user_name = 'demo-user' AND action = 'csrf_refused'").n).toBe(2);
    // and a sign-in form not served by the console is refused too
    const r = await fetch(`${base}/console/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=op&password=operator-pass-1', redirect: 'manual' });
    expect(r.status).toBe(403);
    await ctx.close();
  });

  it('wrong passwords lock the user name out, even for the right password afterwards', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    for (let i = 1; i <= 2; i++) {
      await login(page, 'lock-me', 'not-the-password');
      expect(await text(page.getByRole('alert'))).toContain('The user name or the password is wrong.');
    }
    await login(page, 'lock-me', 'not-the-password');
    expect(await text(page.getByRole('alert'))).toContain('Too many wrong passwords: this user name is locked until');
    await login(page, 'lock-me', PASSWORDS['lock-me']);
    expect(await text(page.getByRole('alert'))).toContain('locked until');
    expect(page.url()).toBe(`${base}/console/login`);
    await shot(page, 'login-locked');
    const audit = sqlite();
    try {
      const rows = audit.prepare("SELECT outcome FROM console_audit WHERE user_name = 'lock-me' AND action = 'login' ORDER BY id").all() as { outcome: string }[];
      expect(rows.map((r) => r.outcome)).toEqual(['failed', 'failed', 'failed', 'refused']);
    } finally {
      audit.close();
    }
    await ctx.close();
  });
});
