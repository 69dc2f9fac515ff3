import type { Overview } from '../../../usecases/console/overview.js';
import { count, percent, rand, sast } from '../format.js';
import { html, query, type Html } from '../html.js';
import { rateChart } from './chart.js';
import { select } from './layout.js';

const STATUS_LABEL: Record<string, string> = { OPEN: 'open', PAID_FULL: 'paid in full', PAID_PARTIAL: 'paid in part', UNPAID: 'unpaid', CANCELLED: 'cancelled' };

function picker(o: Overview, tenants: string[]): Html {
  return html`<form method="get" action="/console/overview" class="filters">
${select('tenant', 'Tenant', tenants.map((t) => [t, t] as const), o.tenant)}
${select('period', 'Period', (o.periods.length ? o.periods : [o.period]).map((p) => [p, p] as const), o.period)}
<button type="submit">Show</button></form>`;
}

function figures(o: Overview): Html {
  const bp = o.dueCents > 0 ? Math.round((o.collectedCents * 10000) / o.dueCents) : null;
  return html`<dl class="figures">
<div><dt>Due</dt><dd>${rand(o.dueCents)}</dd></div>
<div><dt>Collected</dt><dd>${rand(o.collectedCents)} <small>(${percent(bp)})</small></dd></div>
<div><dt>Presentments today (${o.today})</dt><dd>${count(o.presentedToday)}</dd></div>
<div><dt>Next presentments</dt><dd class="text">${o.next ? html`${o.next.date}: up to ${count(o.next.collections)} collections` : o.closed ? 'period closed' : 'none planned'}</dd></div>
<div><dt>Likely claims (code 18)</dt><dd><a href="/console/collections${query({ tenant: o.tenant, period: o.period, reason: 'ACCOUNT_HOLDER_DECEASED' })}">${count(o.likelyClaims)}</a></dd></div>
</dl>`;
}

function states(o: Overview): Html {
  const link = (s: string) => `/console/collections${query({ tenant: o.tenant, period: o.period, status: s })}`;
  return html`<table><caption>Collections by state</caption><thead><tr><th scope="col">state</th><th scope="col" class="num">collections</th></tr></thead><tbody>
${o.byStatus.map((s) => html`<tr><th scope="row"><a href="${link(s.status)}">${STATUS_LABEL[s.status] ?? s.status}</a></th><td class="num">${count(s.count)}</td></tr>`)}
${o.byStatus.some((s) => s.status === 'OPEN') ? html`<tr><th scope="row">open: collected in full so far</th><td class="num">${count(o.openProgress.full)}</td></tr><tr><th scope="row">open: collected in part so far</th><td class="num">${count(o.openProgress.part)}</td></tr><tr><th scope="row">open: nothing yet</th><td class="num">${count(o.openProgress.none)}</td></tr>` : ''}
</tbody></table>`;
}

function failures(o: Overview): Html {
  if (o.failures.length === 0) return html`<p>No failed presentments in ${o.period}.</p>`;
  return html`<table><caption>Failed presentments by reason</caption><thead><tr><th scope="col">reason</th><th scope="col" class="num">presentments</th></tr></thead><tbody>
${o.failures.map((f) => html`<tr><th scope="row"><a href="/console/collections${query({ tenant: o.tenant, period: o.period, reason: f.reason })}">${f.reason}</a></th><td class="num">${count(f.count)}</td></tr>`)}
</tbody></table>`;
}

function held(o: Overview): Html {
  const h = o.held;
  const what = h.source === 'policy_holds' ? 'Policies on hold (a hard return code stops debits until released)' : `Policies stopped by a hard return code in ${o.period}`;
  return html`<section aria-labelledby="held-h"><h2 id="held-h">Held policies: ${count(h.total)}</h2>
<p>${what}.${h.total > h.rows.length ? html` The first ${h.rows.length} are listed.` : ''}</p>
${h.rows.length ? html`<table><caption>Held policies</caption><thead><tr><th scope="col">policy</th><th scope="col">reason</th><th scope="col">since</th></tr></thead><tbody>
${h.rows.map((r) => html`<tr><td><a href="/console/policies/${encodeURIComponent(o.tenant)}/${encodeURIComponent(r.policy_number)}">${r.policy_number}</a></td><td>${r.reason}</td><td>${r.since ?? '—'}</td></tr>`)}
</tbody></table>` : ''}</section>`;
}

export function overviewBody(o: Overview, tenants: string[]): Html {
  return html`${picker(o, tenants)}
<p class="asof">Tenant <strong>${o.tenant}</strong>, period <strong>${o.period}</strong>${o.closed ? ' (closed)' : ''}. Figures as of ${sast(o.refreshedAt)}${o.refreshedAt ? '' : html` — <strong>not summarised yet</strong>: the daemon computes them within a minute of start`}.</p>
${figures(o)}
<section aria-labelledby="rate-h"><h2 id="rate-h">Collection rate by day</h2>
${rateChart({ id: 'rate', title: `Share of the amount due collected, ${o.period} against ${o.previous}`, current: o.daily, previous: o.previousDaily, currentLabel: o.period, previousLabel: o.previous })}
</section>
<div class="cols"><section aria-labelledby="st-h"><h2 id="st-h">Open, paid, partial, unpaid</h2>${states(o)}</section>
<section aria-labelledby="fail-h"><h2 id="fail-h">Failures by reason</h2>${failures(o)}</section></div>
${held(o)}`;
}
