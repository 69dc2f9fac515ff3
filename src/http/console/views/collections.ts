import type { ConsoleAttemptRow, ConsoleCollectionRow, ConsolePolicyRow } from '../../../store/console.repository.js';
import { count, rand } from '../format.js';
import { html, query, type Html } from '../html.js';
import { nextLink, select } from './layout.js';

const STATUSES = [['', 'any'], ['OPEN', 'open'], ['PAID_FULL', 'paid in full'], ['PAID_PARTIAL', 'paid in part'], ['UNPAID', 'unpaid'], ['CANCELLED', 'cancelled']] as const;

export interface CollectionsFilter {
  tenant: string;
  period: string;
  status?: string;
  reason?: string;
  policy?: string;
  tenants: string[];
  periods: string[];
}

export function collectionsBody(rows: ConsoleCollectionRow[], f: CollectionsFilter, next: string | null): Html {
  return html`<form method="get" action="/console/collections" class="filters">
${select('tenant', 'Tenant', f.tenants.map((t) => [t, t] as const), f.tenant)}
${select('period', 'Period', (f.periods.length ? f.periods : [f.period]).map((p) => [p, p] as const), f.period)}
${select('status', 'Status', STATUSES, f.status)}
<label for="f-reason">Last failure reason</label> <input id="f-reason" name="reason" value="${f.reason ?? ''}" size="22">
<label for="f-policy">Policy number</label> <input id="f-policy" name="policy" value="${f.policy ?? ''}" size="16">
<button type="submit">Filter</button></form>
<table><caption>Collections of ${f.tenant}, ${f.period}</caption>
<thead><tr><th scope="col">policy</th><th scope="col">customer</th><th scope="col" class="num">due</th><th scope="col" class="num">collected</th><th scope="col">status</th><th scope="col" class="num">presentments</th><th scope="col">last failure</th><th scope="col">next look</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr><td><a href="/console/collections/${r.id}">${r.policy_number}</a></td><td>${r.customer_id}</td><td class="num">${rand(r.amount_due)}</td><td class="num">${rand(r.amount_collected)}</td><td>${r.status}${r.flag ? html` <strong>(${r.flag})</strong>` : ''}</td><td class="num">${r.presentments}</td><td>${r.last_failure_reason ?? '—'}</td><td>${r.next_check ?? '—'}</td></tr>`,
  )}</tbody></table>
${rows.length === 0 ? html`<p>No collections match.</p>` : ''}${nextLink(next)}`;
}

/** Why the next presentment is when it is, in words, from what the store knows. */
export function planWhy(c: ConsoleCollectionRow, deposits: { date: string; amount: number }[], prior: string): string {
  if (c.status !== 'OPEN') return `The period is closed for this collection (${c.status}); nothing more is presented.`;
  if (c.halted_reason) return `No further presentment this period: stopped because of ${c.halted_reason}.`;
  if (c.amount_collected >= c.amount_due) return 'Collected in full: nothing more to present.';
  if (c.pending > 0) return 'A presentment is with the bank; the next step waits for its result.';
  if (!c.next_check) return 'The engine decides at the next daily batch.';
  const seen = deposits.filter((d) => d.date <= c.next_check!);
  const basis = seen.length
    ? `deposits seen on ${seen.map((d) => `${d.date} (${rand(d.amount)})`).join(', ')}`
    : `no income seen yet for this customer; the engine expects income by its ${prior} prior`;
  return `The engine looks at this collection again on ${c.next_check}: it presents 1–2 business days after expected income, never before it (${basis}).`;
}

export function collectionBody(c: ConsoleCollectionRow, attempts: ConsoleAttemptRow[], o: { why: string; policy: ConsolePolicyRow | undefined; others: ConsoleCollectionRow[] }): Html {
  return html`<dl class="facts">
<div><dt>Tenant</dt><dd>${c.tenant_id}</dd></div><div><dt>Period</dt><dd>${c.period}</dd></div>
<div><dt>Policy</dt><dd><a href="/console/policies/${encodeURIComponent(c.tenant_id)}/${encodeURIComponent(c.policy_number)}">${c.policy_number}</a>${o.policy ? html` (${o.policy.status}, premium ${rand(o.policy.collection_amount)})` : ''}</dd></div>
<div><dt>Customer</dt><dd>${c.customer_id} / ${c.external_customer_ref}</dd></div><div><dt>Product</dt><dd>${c.product_code}</dd></div>
<div><dt>Due</dt><dd>${rand(c.amount_due)}</dd></div><div><dt>Collected</dt><dd>${rand(c.amount_collected)}</dd></div>
<div><dt>Status</dt><dd>${c.status}${c.flag ? html` — <strong>flagged ${c.flag}: a likely claim</strong>` : ''}</dd></div>
<div><dt>Last failure</dt><dd>${c.last_failure_reason ?? '—'}</dd></div>
<div><dt>Next planned look</dt><dd>${c.next_check ?? '—'}</dd></div>
</dl>
<p class="why"><strong>Why:</strong> ${o.why}</p>
<section aria-labelledby="att-h"><h2 id="att-h">Presentments (${attempts.length})</h2>
${attempts.length === 0 ? html`<p>None yet.</p>` : html`<table><caption>Every debit presented for this collection</caption>
<thead><tr><th scope="col" class="num">#</th><th scope="col">action date</th><th scope="col" class="num">requested</th><th scope="col" class="num">collected</th><th scope="col">result</th><th scope="col">code</th><th scope="col">reason</th><th scope="col">processed</th><th scope="col">instruction</th></tr></thead>
<tbody>${attempts.map(
        (a) => html`<tr><td class="num">${a.presentment}</td><td>${a.action_date}</td><td class="num">${rand(a.amount_requested)}</td><td class="num">${a.amount_collected === null ? '—' : rand(a.amount_collected)}</td><td>${a.status}</td><td>${a.reason_code ?? '—'}</td><td>${a.reason ?? '—'}</td><td>${a.processed_date ?? '—'}</td><td><code>${a.instruction_id}</code></td></tr>`,
      )}</tbody></table>`}</section>
${o.others.length > 1 ? html`<section aria-labelledby="hist-h"><h2 id="hist-h">This policy in other periods</h2><ul>${o.others
        .filter((x) => x.id !== c.id)
        .map((x) => html`<li><a href="/console/collections/${x.id}">${x.period}</a>: ${x.status}, ${rand(x.amount_collected)} of ${rand(x.amount_due)}</li>`)}</ul></section>` : ''}`;
}

export function policyBody(p: ConsolePolicyRow, rows: ConsoleCollectionRow[]): Html {
  return html`<dl class="facts"><div><dt>Tenant</dt><dd>${p.tenant_id}</dd></div><div><dt>Customer</dt><dd>${p.customer_id} / ${p.external_customer_ref}</dd></div>
<div><dt>Product</dt><dd>${p.product_code}</dd></div><div><dt>Premium</dt><dd>${rand(p.collection_amount)}</dd></div><div><dt>Status</dt><dd>${p.status}</dd></div></dl>
<table><caption>Collections of policy ${p.policy_number}</caption><thead><tr><th scope="col">period</th><th scope="col" class="num">due</th><th scope="col" class="num">collected</th><th scope="col">status</th><th scope="col" class="num">presentments</th><th scope="col">last failure</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td><a href="/console/collections/${r.id}">${r.period}</a></td><td class="num">${rand(r.amount_due)}</td><td class="num">${rand(r.amount_collected)}</td><td>${r.status}</td><td class="num">${count(r.presentments)}</td><td>${r.last_failure_reason ?? '—'}</td></tr>`)}</tbody></table>`;
}

export const collectionsQuery = query;
