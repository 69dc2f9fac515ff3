import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPeriod } from '../../domain/dates.js';
import type { Ports } from '../../usecases/ports.js';
import { disputeSettlement } from '../../usecases/close/close-dispute.js';
import { maySee, visibleTenants, type ConsoleAuth, type Session } from '../../usecases/console/auth.js';
import { buildOverview } from '../../usecases/console/overview.js';
import { insideRoot, schedulePlans, settlementFiles } from '../../usecases/console/pages.js';
import { html, query } from './html.js';
import { sendPage, sessionOf } from './reply.js';
import { collectionBody, collectionsBody, planWhy, policyBody } from './views/collections.js';
import { fileBody, filesBody } from './views/files.js';
import { page, type PageContext } from './views/layout.js';
import { notFoundPage } from './views/login.js';
import { operationsBody } from './views/operations.js';
import { overviewBody } from './views/overview.js';
import { settlementBody, settlementsBody } from './views/settlements.js';

type Q = Record<string, string | undefined>;

/** The console's pages. A tenant user asking for another tenant's anything gets 404, never 403: it does not learn what exists. */
export function pageRoutes(app: FastifyInstance, ports: Ports, auth: ConsoleAuth): void {
  const size = ports.config.console.page_size;
  const allTenants = () => Object.keys(ports.config.tenants).sort();
  const tenantsOf = (s: Session) => (s.user.role === 'operator' ? allTenants() : [s.user.tenant!]);
  const ctx = (s: Session, section: PageContext['section']): PageContext => ({ user: s.user, csrf: s.csrf, section });
  const int = (v: string | undefined) => (v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : undefined);
  const notFound = (reply: FastifyReply, s: Session, what = 'There is no such page, or it is not yours to see.') => sendPage(reply, notFoundPage(ctx(s, 'overview'), what), 404);
  const audit = (request: FastifyRequest, s: Session, action: string, tenant: string | null, outcome: 'ok' | 'refused' | 'failed' = 'ok', detail: string | null = null) =>
    auth.audit({ user_name: s.user.name, role: s.user.role, tenant_id: tenant, action, target: request.url, outcome, detail, remote: request.ip });

  /** The tenant a page is about: the one asked for (when this user may see it), else the user's own or the first. */
  const pickTenant = (s: Session, asked: string | undefined): string | null => {
    if (asked === undefined || asked === '') return tenantsOf(s)[0] ?? null;
    return ports.config.tenants[asked] && maySee(s.user, asked) ? asked : null;
  };

  app.get('/overview', async (request, reply) => {
    const s = sessionOf(request);
    const q = request.query as Q;
    const tenant = pickTenant(s, q.tenant);
    if (!tenant || (q.period && !isPeriod(q.period))) return notFound(reply, s);
    const o = await buildOverview(ports, tenant, q.period);
    await audit(request, s, 'view', tenant);
    return sendPage(reply, page('Overview', overviewBody(o, tenantsOf(s)), ctx(s, 'overview')));
  });

  app.get('/files', async (request, reply) => {
    const s = sessionOf(request);
    const q = request.query as Q;
    const one = q.tenant ? pickTenant(s, q.tenant) : undefined;
    if (one === null) return notFound(reply, s);
    const status = ['applied', 'rejected', 'duplicate'].includes(q.status ?? '') ? q.status : undefined;
    const rows = await ports.store.consoleReads.filesPage({ tenants: one ? [one] : visibleTenants(s.user), status, beforeId: int(q.before), limit: size });
    const next = rows.length === size ? `/console/files${query({ tenant: one, status, before: rows[rows.length - 1]!.id })}` : null;
    await audit(request, s, 'view', one ?? s.user.tenant ?? null);
    return sendPage(reply, page('Files', filesBody(rows, { tenant: one, status, tenants: tenantsOf(s), next }), ctx(s, 'files')));
  });

  const fileOf = async (request: FastifyRequest) => {
    const s = sessionOf(request);
    const id = int((request.params as Q).id);
    const f = id === undefined ? undefined : await ports.store.consoleReads.fileById(id);
    return { s, f: f && maySee(s.user, f.tenant_id) ? f : undefined };
  };

  app.get('/files/:id', async (request, reply) => {
    const { s, f } = await fileOf(request);
    if (!f) return notFound(reply, s);
    const q = request.query as Q;
    const errors = await ports.store.consoleReads.fileErrorsPage(f.id, { afterId: int(q.after), limit: 200 });
    const next = errors.length === 200 ? `/console/files/${f.id}${query({ after: errors[errors.length - 1]!.id })}` : null;
    const hasOriginal = insideRoot(ports, f.archive_path) !== null;
    const hasResult = insideRoot(ports, ports.paths.intakeResultCsv(f.tenant_id, f.name)) !== null;
    await audit(request, s, 'view', f.tenant_id);
    return sendPage(reply, page(`File ${f.name}`, fileBody(f, errors, { hasOriginal, hasResult, next }), ctx(s, 'files')));
  });

  const download = async (request: FastifyRequest, reply: FastifyReply, s: Session, tenant: string, path: string | null, type: string) => {
    if (!path) return notFound(reply, s, 'That file is not on disk.');
    await audit(request, s, 'download', tenant, 'ok', basename(path));
    return reply.type(type).header('content-disposition', `attachment; filename="${basename(path).replace(/[^\w.@-]/g, '_')}"`).send(createReadStream(path));
  };

  app.get('/files/:id/original', async (request, reply) => {
    const { s, f } = await fileOf(request);
    if (!f) return notFound(reply, s);
    return download(request, reply, s, f.tenant_id, insideRoot(ports, f.archive_path), 'text/csv; charset=utf-8');
  });

  app.get('/files/:id/result.csv', async (request, reply) => {
    const { s, f } = await fileOf(request);
    if (!f) return notFound(reply, s);
    return download(request, reply, s, f.tenant_id, insideRoot(ports, ports.paths.intakeResultCsv(f.tenant_id, f.name)), 'text/csv; charset=utf-8');
  });

  app.get('/collections', async (request, reply) => {
    const s = sessionOf(request);
    const q = request.query as Q;
    const tenant = pickTenant(s, q.tenant);
    if (!tenant || (q.period && !isPeriod(q.period))) return notFound(reply, s);
    const periods = (await ports.store.consoleSummary.periodsOf(tenant)).map((p) => p.period);
    const period = q.period ?? periods[0] ?? '';
    const f = { status: q.status || undefined, reason: q.reason?.trim() || undefined, policy: q.policy?.trim() || undefined };
    const rows = period ? await ports.store.consoleReads.collectionsPage(tenant, period, { ...f, afterId: int(q.after), limit: size }) : [];
    const next = rows.length === size ? `/console/collections${query({ tenant, period, ...f, after: rows[rows.length - 1]!.id })}` : null;
    await audit(request, s, 'view', tenant);
    return sendPage(reply, page('Collections', collectionsBody(rows, { tenant, period, ...f, tenants: tenantsOf(s), periods }, next), ctx(s, 'collections')));
  });

  app.get('/collections/:id', async (request, reply) => {
    const s = sessionOf(request);
    const id = int((request.params as Q).id);
    const c = id === undefined ? undefined : await ports.store.consoleReads.collectionById(id);
    if (!c || !maySee(s.user, c.tenant_id)) return notFound(reply, s);
    const [attempts, policy] = [await ports.store.consoleReads.attemptsOfCollection(c.id), await ports.store.consoleReads.policyByNumber(c.tenant_id, c.policy_number)];
    const periods = (await ports.store.consoleSummary.periodsOf(c.tenant_id)).map((p) => p.period);
    const others = await ports.store.consoleReads.collectionsOfPolicy(c.tenant_id, c.policy_number, periods.slice(0, 24));
    const deposits = await ports.store.consoleReads.depositsOf(c.tenant_id, c.customer_id, `${c.period}-01`);
    const why = planWhy(c, deposits, ports.config.engine.default_prior === 'salary' ? `salary (the ${ports.config.engine.salary_day}th)` : 'social grant');
    await audit(request, s, 'view', c.tenant_id);
    return sendPage(reply, page(`Collection of ${c.policy_number}, ${c.period}`, collectionBody(c, attempts, { why, policy, others }), ctx(s, 'collections')));
  });

  app.get('/policies/:tenant/:number', async (request, reply) => {
    const s = sessionOf(request);
    const p = request.params as Q;
    if (!p.tenant || !maySee(s.user, p.tenant) || !ports.config.tenants[p.tenant]) return notFound(reply, s);
    const policy = await ports.store.consoleReads.policyByNumber(p.tenant, p.number ?? '');
    if (!policy) return notFound(reply, s);
    const periods = (await ports.store.consoleSummary.periodsOf(p.tenant)).map((x) => x.period);
    const rows = await ports.store.consoleReads.collectionsOfPolicy(p.tenant, policy.policy_number, periods.slice(0, 24));
    await audit(request, s, 'view', p.tenant);
    return sendPage(reply, page(`Policy ${policy.policy_number}`, policyBody(policy, rows), ctx(s, 'collections')));
  });

  app.get('/settlements', async (request, reply) => {
    const s = sessionOf(request);
    const q = request.query as Q;
    const one = q.tenant ? pickTenant(s, q.tenant) : undefined;
    if (one === null) return notFound(reply, s);
    const [bp, bn] = (q.before ?? '').split('~');
    const before = bp && bn && isPeriod(bp) ? { period: bp, number: bn } : undefined;
    const rows = await ports.store.consoleOps.settlementsPage({ tenants: one ? [one] : visibleTenants(s.user), before, limit: size });
    const last = rows[rows.length - 1];
    const next = rows.length === size && last ? `/console/settlements${query({ tenant: one, before: `${last.period}~${last.settlement_number}` })}` : null;
    await audit(request, s, 'view', one ?? s.user.tenant ?? null);
    return sendPage(reply, page('Settlements', settlementsBody(rows, { tenant: one, tenants: tenantsOf(s), next }), ctx(s, 'settlements')));
  });

  const settlementOf = async (request: FastifyRequest) => {
    const s = sessionOf(request);
    const st = await ports.store.consoleOps.settlementById((request.params as Q).id ?? '');
    return { s, st: st && maySee(s.user, st.tenant_id) ? st : undefined };
  };

  const showSettlement = async (request: FastifyRequest, reply: FastifyReply, message?: { kind: 'ok' | 'error'; text: string }, status = 200) => {
    const { s, st } = await settlementOf(request);
    if (!st) return notFound(reply, s);
    const files = (await settlementFiles(ports, st)).filter((f) => !f.operatorOnly || s.user.role === 'operator');
    const docs = files.map((f) => ({ kind: f.kind, label: f.label, available: f.path !== null }));
    const canDispute = ports.clock.now().getTime() - Date.parse(st.created_at) <= 30 * 86_400_000;
    return sendPage(reply, page(`Settlement ${st.settlement_number}`, settlementBody(st, { docs, csrf: s.csrf, canDispute, ...(message ? { message } : {}) }), ctx(s, 'settlements')), status);
  };

  app.get('/settlements/:id', async (request, reply) => {
    const { s, st } = await settlementOf(request);
    if (st) await audit(request, s, 'view', st.tenant_id);
    return showSettlement(request, reply);
  });

  app.get('/settlements/:id/file/:kind', async (request, reply) => {
    const { s, st } = await settlementOf(request);
    if (!st) return notFound(reply, s);
    const f = (await settlementFiles(ports, st)).find((x) => x.kind === (request.params as Q).kind);
    if (!f || (f.operatorOnly && s.user.role !== 'operator')) return notFound(reply, s);
    const type = f.kind.endsWith('.pdf') ? 'application/pdf' : f.kind.endsWith('.json') ? 'application/json' : f.kind.endsWith('.xml') ? 'application/xml' : 'text/csv; charset=utf-8';
    return download(request, reply, s, st.tenant_id, f.path, type);
  });

  app.post('/settlements/:id/dispute', async (request, reply) => {
    const { s, st } = await settlementOf(request);
    if (!st) return notFound(reply, s);
    const reason = ((request.body as Q | undefined)?.reason ?? '').slice(0, 2000);
    const r = await disputeSettlement(ports, st.settlement_number, reason);
    await audit(request, s, 'dispute', st.tenant_id, r.ok ? 'ok' : 'refused', r.ok ? reason : r.message);
    if (!r.ok) return showSettlement(request, reply, { kind: 'error', text: r.message }, r.code === 'not_found' ? 404 : 409);
    return showSettlement(request, reply, { kind: 'ok', text: `${st.settlement_number} is disputed: ${reason.trim()}` });
  });

  app.get('/operations', async (request, reply) => {
    const s = sessionOf(request);
    const q = request.query as Q;
    const tenants = visibleTenants(s.user);
    const operator = s.user.role === 'operator';
    const runs = operator ? await ports.store.consoleOps.scheduleRunsPage({ before: q.before, limit: 20 }) : [];
    const runsNext = runs.length === 20 ? `/console/operations${query({ before: runs[runs.length - 1]!.occurrence })}` : null;
    const sftpTenants = tenantsOf(s).filter((t) => ports.config.tenants[t]?.intake === 'sftp');
    const contacts = await ports.store.consoleOps.sftpContacts(tenants);
    const body = operationsBody({
      plans: await schedulePlans(ports),
      runs,
      runsNext,
      sftp: sftpTenants.map((t) => ({ tenant: t, contact: contacts.find((c) => c.tenant_id === t) })),
      deliveries: await ports.store.consoleOps.pendingDeliveries({ tenants, limit: size }),
      // a tenant user sees its own events' deliveries; the operator every tenant's and the operator events
      webhooks: (await ports.store.reading((tx) => tx.webhooks.webhookBacklog())).filter((w) => (tenants ? w.tenant !== null && tenants.includes(w.tenant) : true)),
      audit: await ports.store.audit.auditPage({ ...(tenants ? { tenant: tenants[0] } : {}), limit: 20 }),
      operator,
    });
    await audit(request, s, 'view', s.user.tenant ?? null);
    return sendPage(reply, page('Operations', body, ctx(s, 'operations')));
  });

  app.setNotFoundHandler(async (_request, reply) =>
    sendPage(reply, page('Not found', html`<p>There is no console page at this address. <a href="/console/overview">Go to the overview</a>.</p>`, null), 404),
  );
}
