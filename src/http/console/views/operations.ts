import type { AuditRecord } from '../../../store/audit.repository.js';
import type { ScheduleRunRow, SftpContactRecord } from '../../../store/console-ops.repository.js';
import type { DeliveryRecord } from '../../../store/delivery.repository.js';
import type { WebhookBacklog } from '../../../store/webhook.repository.js';
import { sast } from '../format.js';
import { html, type Html } from '../html.js';
import { nextLink } from './layout.js';

export interface StepPlan {
  step: string;
  cron: string;
  last: string | null;
  next: string | null;
  /** occurrences due since the last recorded one that have not run: the catch-up at the next tick */
  missed: string[];
}

/** A schedule_runs occurrence key (2025-12-04T06:00:00+02:00) as SAST wall time. */
const occ = (key: string | null) => (key ? `${key.slice(0, 16).replace('T', ' ')}` : '—');

function detail(d: string | null): string {
  if (!d) return '—';
  try {
    const o = JSON.parse(d) as Record<string, unknown>;
    return Object.entries(o)
      .filter(([, v]) => typeof v !== 'object' || v === null)
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join(', ')
      .slice(0, 200);
  } catch {
    return d.slice(0, 200);
  }
}

export function operationsBody(o: {
  plans: StepPlan[];
  runs: ScheduleRunRow[];
  runsNext: string | null;
  sftp: { tenant: string; contact: SftpContactRecord | undefined }[];
  deliveries: DeliveryRecord[];
  webhooks: WebhookBacklog[];
  audit: AuditRecord[];
  operator: boolean;
}): Html {
  return html`<section aria-labelledby="sch-h"><h2 id="sch-h">Schedule</h2>
<table><caption>Scheduled steps: last run, next run, catch-up</caption><thead><tr><th scope="col">step</th><th scope="col">cron (SAST)</th><th scope="col">last occurrence run (SAST)</th><th scope="col">next (SAST)</th><th scope="col">catch-up pending</th></tr></thead>
<tbody>${o.plans.map((p) => html`<tr><th scope="row">${p.step}</th><td><code>${p.cron}</code></td><td>${occ(p.last)}</td><td>${occ(p.next)}</td><td>${p.missed.length ? `${p.missed.length}: ${p.missed.slice(0, 3).map(occ).join(', ')}${p.missed.length > 3 ? ' …' : ''}` : 'none'}</td></tr>`)}</tbody></table>
${o.operator ? html`<table><caption>What ran, newest first</caption><thead><tr><th scope="col">step</th><th scope="col">occurrence (SAST)</th><th scope="col">status</th><th scope="col">attempts</th><th scope="col">started</th><th scope="col">finished</th><th scope="col">outcome</th></tr></thead>
<tbody>${o.runs.map((r) => html`<tr><td>${r.step}</td><td>${occ(r.occurrence)}</td><td><span class="status status-${r.status}">${r.status}</span></td><td class="num">${r.attempts}</td><td>${sast(r.started_at)}</td><td>${sast(r.finished_at)}</td><td>${detail(r.detail)}</td></tr>`)}</tbody></table>
${nextLink(o.runsNext, 'Older runs')}` : ''}</section>
<section aria-labelledby="sftp-h"><h2 id="sftp-h">SFTP tenants</h2>
${o.sftp.length === 0 ? html`<p>No tenant exchanges files over SFTP.</p>` : html`<table><caption>Last contact and last error per SFTP tenant</caption><thead><tr><th scope="col">tenant</th><th scope="col">last contact</th><th scope="col">files taken</th><th scope="col">last error</th></tr></thead>
<tbody>${o.sftp.map((s) => html`<tr><th scope="row">${s.tenant}</th><td>${sast(s.contact?.last_contact_at)}</td><td class="num">${s.contact?.files_taken ?? 0}</td><td>${s.contact?.last_error ? html`${sast(s.contact.last_error_at)}: ${s.contact.last_error}` : 'none'}</td></tr>`)}</tbody></table>`}</section>
<section aria-labelledby="del-h"><h2 id="del-h">Deliveries pending</h2>
${o.deliveries.length === 0 ? html`<p>Every outbox file has reached its insurer's server.</p>` : html`<table><caption>Outbox files not yet on the insurer's SFTP server</caption><thead><tr><th scope="col">tenant</th><th scope="col">file</th><th scope="col">status</th><th scope="col" class="num">attempts</th><th scope="col">last error</th><th scope="col">queued</th></tr></thead>
<tbody>${o.deliveries.map((d) => html`<tr><td>${d.tenant_id}</td><td>${d.remote_name}</td><td>${d.status}</td><td class="num">${d.attempts}</td><td>${d.last_error ?? '—'}</td><td>${sast(d.created_at)}</td></tr>`)}</tbody></table>`}</section>
${webhooksSection(o.webhooks)}
<section aria-labelledby="aud-h"><h2 id="aud-h">Console audit log (latest)</h2>
<table><caption>Who did what, when</caption><thead><tr><th scope="col">when</th><th scope="col">user</th><th scope="col">action</th><th scope="col">tenant</th><th scope="col">on</th><th scope="col">outcome</th><th scope="col">detail</th></tr></thead>
<tbody>${o.audit.map((a) => html`<tr><td>${sast(a.at)}</td><td>${a.user_name}</td><td>${a.action}</td><td>${a.tenant_id ?? '—'}</td><td>${a.target ?? '—'}</td><td>${a.outcome}</td><td>${a.detail ?? ''}</td></tr>`)}</tbody></table></section>`;
}

/** Webhook deliveries by tenant (docs/webhooks.md): what waits, what failed, since when. */
export function webhooksSection(rows: readonly WebhookBacklog[]): Html {
  return html`<section aria-labelledby="hook-h"><h2 id="hook-h">Webhook deliveries</h2>
${rows.length === 0 ? html`<p>No webhook events recorded (no receiver configured, or nothing happened yet).</p>` : html`<table><caption>Webhook events by tenant: pending, failed (kasi webhooks retry), delivered</caption><thead><tr><th scope="col">tenant</th><th scope="col" class="num">pending</th><th scope="col">oldest pending (SAST)</th><th scope="col" class="num">failed</th><th scope="col" class="num">delivered</th></tr></thead>
<tbody>${rows.map((w) => html`<tr><th scope="row">${w.tenant ?? 'operator'}</th><td class="num">${w.pending}</td><td>${w.oldestPendingAt ? sast(w.oldestPendingAt) : '—'}</td><td class="num">${w.failed}</td><td class="num">${w.delivered}</td></tr>`)}</tbody></table>`}</section>`;
}
