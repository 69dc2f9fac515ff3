import type { ConsoleFileRow, ConsoleRowError } from '../../../store/console.repository.js';
import { count, sast } from '../format.js';
import { html, query, type Html } from '../html.js';
import { nextLink, select } from './layout.js';

const STATUSES = [['', 'any'], ['applied', 'applied'], ['rejected', 'rejected'], ['duplicate', 'duplicate']] as const;

export function filesBody(rows: ConsoleFileRow[], f: { tenant?: string; status?: string; tenants: string[]; next: string | null }): Html {
  return html`<form method="get" action="/console/files" class="filters">
${select('tenant', 'Tenant', [['', 'every tenant'], ...f.tenants.map((t) => [t, t] as const)], f.tenant)}
${select('status', 'Status', STATUSES, f.status)}
<button type="submit">Filter</button></form>
<table><caption>Intake files, newest first</caption>
<thead><tr><th scope="col">file</th><th scope="col">tenant</th><th scope="col">source</th><th scope="col">kind</th><th scope="col">status</th><th scope="col" class="num">imported</th><th scope="col" class="num">failed</th><th scope="col">received</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr><td><a href="/console/files/${r.id}">${r.name}</a></td><td>${r.tenant_id}</td><td>${r.source ?? '—'}</td><td>${r.kind}</td><td><span class="status status-${r.status}">${r.status}</span></td><td class="num">${count(r.imported)}</td><td class="num">${count(r.failed)}</td><td>${sast(r.received_at)}</td></tr>`,
  )}</tbody></table>
${rows.length === 0 ? html`<p>No files.</p>` : ''}${nextLink(f.next)}`;
}

export function fileBody(r: ConsoleFileRow, errors: ConsoleRowError[], o: { hasOriginal: boolean; hasResult: boolean; next: string | null }): Html {
  return html`<dl class="facts">
<div><dt>Tenant</dt><dd>${r.tenant_id}</dd></div><div><dt>Source</dt><dd>${r.source ?? '—'}</dd></div>
<div><dt>Kind</dt><dd>${r.kind}</dd></div><div><dt>Status</dt><dd><span class="status status-${r.status}">${r.status}</span>${r.duplicate_of !== null ? html` (same bytes as <a href="/console/files/${r.duplicate_of}">file ${r.duplicate_of}</a>)` : ''}</dd></div>
<div><dt>Rows imported</dt><dd>${count(r.imported)}</dd></div><div><dt>Rows failed</dt><dd>${count(r.failed)}</dd></div><div><dt>Warnings</dt><dd>${count(r.warnings)}</dd></div>
<div><dt>Size</dt><dd>${count(r.size)} bytes</dd></div><div><dt>Received</dt><dd>${sast(r.received_at)}</dd></div><div><dt>Processed</dt><dd>${sast(r.processed_at)}</dd></div>
</dl>
<ul class="downloads">
${o.hasOriginal ? html`<li><a href="/console/files/${r.id}/original" download>Download the original file</a></li>` : html`<li>The original file is no longer on disk.</li>`}
${o.hasResult ? html`<li><a href="/console/files/${r.id}/result.csv" download>Download the result CSV (its row errors)</a></li>` : ''}
</ul>
<section aria-labelledby="err-h"><h2 id="err-h">Row errors and warnings</h2>
${errors.length === 0 ? html`<p>None: every row was taken.</p>` : html`<table><caption>What is wrong, where, and what to do</caption>
<thead><tr><th scope="col" class="num">line</th><th scope="col">column</th><th scope="col">code</th><th scope="col">severity</th><th scope="col">message</th></tr></thead>
<tbody>${errors.map((e) => html`<tr id="err-${e.id}"><td class="num">${e.line}</td><td>${e.column}</td><td><code>${e.code}</code></td><td>${e.severity}</td><td>${e.message}</td></tr>`)}</tbody></table>`}
${nextLink(o.next, 'More errors')}</section>`;
}

export const filesQuery = query;
