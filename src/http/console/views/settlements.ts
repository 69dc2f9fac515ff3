import type { SettlementRecord } from '../../../store/settlement.repository.js';
import { rand, sast } from '../format.js';
import { html, type Html } from '../html.js';
import { nextLink, notice, select } from './layout.js';

export interface SettlementDoc {
  kind: string;
  label: string;
  available: boolean;
}

export function settlementsBody(rows: SettlementRecord[], f: { tenant?: string; tenants: string[]; next: string | null }): Html {
  return html`<form method="get" action="/console/settlements" class="filters">
${select('tenant', 'Tenant', [['', 'every tenant'], ...f.tenants.map((t) => [t, t] as const)], f.tenant)}
<button type="submit">Filter</button></form>
<table><caption>Settlements, newest period first</caption>
<thead><tr><th scope="col">settlement</th><th scope="col">tenant</th><th scope="col">period</th><th scope="col" class="num">collections</th><th scope="col" class="num">fees + VAT</th><th scope="col" class="num">net paid to insurer</th><th scope="col">status</th><th scope="col">payment date</th></tr></thead>
<tbody>${rows.map(
    (s) => html`<tr><td><a href="/console/settlements/${s.id}">${s.settlement_number}</a></td><td>${s.tenant_id}</td><td>${s.period}</td><td class="num">${rand(s.total_collections)}</td><td class="num">${rand(s.total_fees + s.vat)}</td><td class="num">${rand(s.net_amount)}</td><td><span class="status status-${s.status}">${s.status}</span></td><td>${s.payment_date}</td></tr>`,
  )}</tbody></table>
${rows.length === 0 ? html`<p>No settlements yet: the first is made on the 1st after a period closes.</p>` : ''}${nextLink(f.next)}`;
}

export function settlementBody(s: SettlementRecord, o: { docs: SettlementDoc[]; csrf: string; message?: { kind: 'ok' | 'error'; text: string }; canDispute: boolean }): Html {
  return html`${o.message ? notice(o.message.kind, o.message.text) : ''}
<dl class="facts"><div><dt>Tenant</dt><dd>${s.tenant_id}</dd></div><div><dt>Period</dt><dd>${s.period}</dd></div>
<div><dt>Status</dt><dd><span class="status status-${s.status}">${s.status}</span>${s.paid_at ? html` (paid ${sast(s.paid_at)})` : ''}${s.disputed_at ? html` (disputed ${sast(s.disputed_at)}: ${s.dispute_reason ?? ''})` : ''}</dd></div>
<div><dt>Payment date</dt><dd>${s.payment_date}</dd></div><div><dt>Payment reference</dt><dd><code>${s.payment_reference}</code></dd></div><div><dt>Issued</dt><dd>${sast(s.created_at)}</dd></div></dl>
<table class="statement"><caption>Statement</caption><tbody>
<tr><th scope="row">Collected in the period</th><td class="num">${rand(s.collected_in_period)}</td></tr>
<tr><th scope="row">Adjustments (late results of earlier periods)</th><td class="num">${rand(s.adjustments_total)}</td></tr>
<tr><th scope="row">Total collections</th><td class="num">${rand(s.total_collections)}</td></tr>
<tr><th scope="row">Distribution fee (${s.distribution_rate})</th><td class="num">${rand(s.distribution_fee)}</td></tr>
<tr><th scope="row">Collections fee (${s.collections_rate})</th><td class="num">${rand(s.collections_fee)}</td></tr>
<tr><th scope="row">VAT (${s.vat_rate}) on fees of ${rand(s.total_fees)}</th><td class="num">${rand(s.vat)}</td></tr>
<tr class="total"><th scope="row">Net amount to the insurer</th><td class="num">${rand(s.net_amount)}</td></tr>
</tbody></table>
<section aria-labelledby="docs-h"><h2 id="docs-h">Documents</h2><ul class="downloads">
${o.docs.map((d) => (d.available ? html`<li><a href="/console/settlements/${s.id}/file/${d.kind}" download>${d.label}</a></li>` : html`<li>${d.label}: not written yet</li>`))}
</ul></section>
<section aria-labelledby="disp-h"><h2 id="disp-h">Raise a dispute</h2>
${o.canDispute && s.status !== 'disputed' ? html`<form method="post" action="/console/settlements/${s.id}/dispute">
<input type="hidden" name="_csrf" value="${o.csrf}">
<p><label for="reason">What is wrong with this settlement</label><br><textarea id="reason" name="reason" rows="3" cols="60" required></textarea></p>
<p><button type="submit">Raise the dispute</button></p></form>` : html`<p>${s.status === 'disputed' ? 'This settlement is already disputed.' : 'Disputes are raised within 30 days of the statement.'}</p>`}
</section>`;
}
