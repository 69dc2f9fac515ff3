import { describe, expect, it } from 'vitest';
import { count, percent, rand, sast } from '../../src/http/console/format.js';
import { escapeHtml, html, query } from '../../src/http/console/html.js';
import { safeNext } from '../../src/http/console/session.js';
import { rateChart } from '../../src/http/console/views/chart.js';
import { planWhy } from '../../src/http/console/views/collections.js';
import { filesBody } from '../../src/http/console/views/files.js';
import { page } from '../../src/http/console/views/layout.js';
import { webhooksSection } from '../../src/http/console/views/operations.js';
import type { ConsoleCollectionRow } from '../../src/store/console.repository.js';
import { dailySeries } from '../../src/usecases/console/overview.js';
import { hashPassword, verifyPassword } from '../../src/usecases/console/password.js';

describe('console html', () => {
  it('escapes every interpolated text, keeps fragments, drops null/false', () => {
    const evil = `<script>alert("x")</script>&'`;
    expect(html`<td>${evil}</td>`.text).toBe('<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td>');
    expect(html`<p>${html`<b>${'a<b'}</b>`}${null}${false}${undefined}${[1, html`<i>2</i>`]}</p>`.text).toBe('<p><b>a&lt;b</b>1<i>2</i></p>');
    expect(escapeHtml('"\'')).toBe('&quot;&#39;');
  });

  it('webhook deliveries per tenant: pending with the oldest, failed, delivered; operator events named', () => {
    const out = String(
      webhooksSection([
        { tenant: 'acme', pending: 2, failed: 1, delivered: 7, oldestPendingAt: '2025-11-03T04:00:00.000Z' },
        { tenant: null, pending: 0, failed: 0, delivered: 3, oldestPendingAt: null },
      ]),
    );
    const cells = [...out.matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((m) => m[1]).slice(5);
    expect(cells).toEqual(['acme', '2', '2025-11-03 06:00 SAST', '1', '7', 'operator', '0', '—', '0', '3']);
    expect(String(webhooksSection([]))).toContain('No webhook events recorded');
  });

  it('builds query strings from the non-empty values only', () => {
    expect(query({ tenant: 'acme', status: '', after: 42, x: undefined, y: null })).toBe('?tenant=acme&after=42');
    expect(query({})).toBe('');
    expect(query({ q: 'a b&c' })).toBe('?q=a+b%26c');
  });

  it('a row error from a file reaches the page as text, never markup', () => {
    const body = filesBody(
      [{ id: 7, tenant_id: 'acme', kind: 'policies', name: 'policies-<img src=x>.csv', source: 'sftp', status: 'rejected', imported: 0, failed: 2, warnings: 0, size: 10, received_at: '2025-11-03T06:00:00.000Z', processed_at: 'x', archive_path: null, duplicate_of: null }],
      { tenants: ['acme'], next: '/console/files?before=7' },
    ).text;
    expect(body).toContain('<a href="/console/files/7">policies-&lt;img src=x&gt;.csv</a>');
    expect(body).toContain('<td>sftp</td>');
    expect(body).toContain('<a href="/console/files?before=7" rel="next">Next page →</a>');
    expect(body).not.toContain('<img');
  });

  it('the page frame: a skip link, labelled navigation with the current page marked, a logout form with the CSRF token', () => {
    const out = page('Files', html`<p>x</p>`, { user: { name: 'ana', role: 'tenant', tenant: 'acme' }, csrf: 'tok"en', section: 'files' }).text;
    expect(out).toContain('<a class="skip" href="#main">Skip to content</a>');
    expect(out).toContain('<nav aria-label="Console">');
    expect(out).toContain('<a href="/console/files" aria-current="page">Files</a>');
    expect(out).toContain('<input type="hidden" name="_csrf" value="tok&quot;en">');
    expect(out).toContain('ana (tenant acme)');
    expect(out).toContain('<html lang="en">');
  });
});

describe('console formats', () => {
  it('writes rand with thin spaces, rates and SAST instants', () => {
    expect(rand(4_250_000)).toBe('R 42\u202f500.00');
    expect(rand(-125)).toBe('−R 1.25');
    expect(rand(0)).toBe('R 0.00');
    expect(percent(1058)).toBe('10.6 %');
    expect(percent(null)).toBe('—');
    expect(count(1_000_000)).toBe('1\u202f000\u202f000');
    expect(sast('2025-11-20T08:00:00.000Z')).toBe('2025-11-20 10:00 SAST');
    expect(sast(null)).toBe('—');
  });
});

describe('the rate chart', () => {
  it('cumulates collected by day against due; late results count on the last day; days to come are null', () => {
    const rows = [
      { day: '-', kind: 'due', key: '', value: 10_000 },
      { day: '2025-11-03', kind: 'collected', key: '', value: 2_500 },
      { day: '2025-11-10', kind: 'collected', key: '', value: 2_500 },
      { day: '2025-12-01', kind: 'collected', key: '', value: 1_000 },
    ];
    const all = dailySeries(rows, '2025-11', '2025-11-30');
    expect([all[1], all[2], all[9], all[29]]).toEqual([
      { day: 2, collected: 0, rateBp: 0 },
      { day: 3, collected: 2_500, rateBp: 2500 },
      { day: 10, collected: 5_000, rateBp: 5000 },
      { day: 30, collected: 6_000, rateBp: 6000 },
    ]);
    const partial = dailySeries(rows, '2025-11', '2025-11-05');
    expect(partial.filter((p) => p.rateBp !== null)).toHaveLength(5);
  });

  it('is an SVG image with a title and a description, two lines told apart by dash and marker, and a table of every day', () => {
    const cur = dailySeries([{ day: '-', kind: 'due', key: '', value: 100 }, { day: '2025-11-05', kind: 'collected', key: '', value: 50 }], '2025-11', '2025-11-10');
    const prev = dailySeries([{ day: '-', kind: 'due', key: '', value: 100 }, { day: '2025-10-05', kind: 'collected', key: '', value: 100 }], '2025-10', '2025-10-31');
    const svg = rateChart({ id: 'r', title: 'Rate', current: cur, previous: prev, currentLabel: '2025-11', previousLabel: '2025-10' }).text;
    expect(svg).toContain('<svg viewBox="0 0 640 260" role="img" aria-labelledby="r-t r-d"');
    expect(svg).toContain('<desc id="r-d">2025-11: 50.0 % collected by day 10. 2025-10: 100.0 % by day 31.</desc>');
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain('class="cur"');
    expect(svg).toContain('class="prev"');
    expect(svg.match(/<circle /g)).toHaveLength(2); // days 5 and 10
    expect(svg.match(/<rect /g)).toHaveLength(7); // days 5, 10, …, 30 and 31
    expect(svg.match(/<tr><th scope="row">/g)).toHaveLength(30);
    expect(svg).toContain('<tr><th scope="row">11</th><td>—</td><td>100.0 %</td></tr>');
  });
});

describe('console sign-in pieces', () => {
  it('scrypt hashes verify their password only', async () => {
    const h = await hashPassword('correct horse', { N: 1024, r: 8, p: 1 });
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct horsE', h)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(await hashPassword('correct horse', { N: 1024, r: 8, p: 1 })).not.toBe(h);
  });

  it('goes back only to a console page after sign-in', () => {
    expect(safeNext('/console/files?status=rejected')).toBe('/console/files?status=rejected');
    for (const bad of ['https://evil.example/', '//evil.example/console/', '/console/login', '/v1/policies', 42, undefined]) expect(safeNext(bad)).toBe('/console/overview');
  });

  it('says why the next presentment is when it is', () => {
    const c: ConsoleCollectionRow = {
      id: 1, tenant_id: 'acme', period: '2025-11', policy_number: 'P', customer_id: 'C', external_customer_ref: 'R', product_code: 'X', amount_due: 10_000, amount_collected: 0,
      status: 'OPEN', halted_reason: null, presentments: 1, pending: 0, first_attempt_date: '2025-11-03', last_attempt_date: '2025-11-03', last_failure_reason: 'INSUFFICIENT_FUNDS', flag: null, next_check: '2025-11-26',
    };
    expect(planWhy(c, [{ date: '2025-11-25', amount: 800_000 }], 'salary (the 25th)')).toBe(
      'The engine looks at this collection again on 2025-11-26: it presents 1–2 business days after expected income, never before it (deposits seen on 2025-11-25 (R 8\u202f000.00)).',
    );
    expect(planWhy({ ...c, halted_reason: 'ACCOUNT_CLOSED' }, [], '')).toBe('No further presentment this period: stopped because of ACCOUNT_CLOSED.');
    expect(planWhy({ ...c, status: 'UNPAID' }, [], '')).toBe('The period is closed for this collection (UNPAID); nothing more is presented.');
    expect(planWhy({ ...c, pending: 1 }, [], '')).toBe('A presentment is with the bank; the next step waits for its result.');
  });
});
