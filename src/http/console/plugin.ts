import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PACKAGE_DIR } from '../../config.js';
import type { Ports } from '../../usecases/ports.js';
import { ConsoleAuth, consoleEnabled, sameToken } from '../../usecases/console/auth.js';
import { pageRoutes } from './pages.routes.js';
import { sendPage, sessionOf, sessions } from './reply.js';
import { LOGIN_COOKIE, SESSION_COOKIE, cookies, safeNext, secureCookie, setCookie } from './session.js';
import { page } from './views/layout.js';
import { loginPage, offPage } from './views/login.js';
import { sast } from './format.js';
import { html } from './html.js';

/**
 * The operator console under /console on the daemon's HTTP server: server-rendered pages, no
 * client script, one stylesheet from the project's assets/. Every page needs a session (a cookie
 * set at sign-in); every form carries the session's CSRF token and a POST without it is refused
 * (403); sign-in itself is guarded by a double-submit token. Responses are never cached and may
 * not be framed.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
};

function parseForm(body: unknown): Record<string, string> {
  return typeof body === 'object' && body !== null ? (body as Record<string, string>) : {};
}

export async function mountConsole(app: FastifyInstance, ports: Ports): Promise<boolean> {
  const enabled = consoleEnabled(ports.config);
  const css = readFileSync(join(PACKAGE_DIR, 'assets', 'console.css'), 'utf8');
  await app.register(
    async (scope) => {
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      });
      scope.addHook('onRequest', async (_request, reply) => {
        void reply.headers(SECURITY_HEADERS);
      });
      scope.get('/assets/console.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(css));
      if (!enabled) {
        scope.all('/*', async (_req, reply) => sendPage(reply, offPage(), 404));
        scope.get('/', async (_req, reply) => sendPage(reply, offPage(), 404));
        return;
      }
      const auth = new ConsoleAuth(ports);
      const cfg = ports.config.console;
      scope.get('/', async (_req, reply) => reply.redirect('/console/overview', 303));
      scope.get('/login', async (request, reply) => {
        const token = randomBytes(24).toString('base64url');
        setCookie(reply, LOGIN_COOKIE, token, { path: '/console/login', maxAgeSeconds: 3600, secure: secureCookie(cfg, request) });
        const q = request.query as Record<string, string | undefined>;
        return sendPage(reply, loginPage({ csrf: token, next: safeNext(q.next), ...(q.out ? { info: 'You are signed out.' } : {}) }));
      });
      scope.post('/login', async (request, reply) => {
        const form = parseForm(request.body);
        const expected = cookies(request)[LOGIN_COOKIE] ?? '';
        const user = (form.user ?? '').trim();
        if (!sameToken(form._csrf ?? '', expected)) {
          await auth.audit({ user_name: user.slice(0, 64) || '-', action: 'login', outcome: 'refused', detail: 'sign-in form without its CSRF token', remote: request.ip });
          return sendPage(reply, loginPage({ csrf: expected, user, error: 'The sign-in form had expired or was not sent by this page. Please sign in again.' }), 403);
        }
        const r = await auth.login(user, form.password ?? '', request.ip);
        if (!r.ok) {
          const msg = r.reason === 'locked' ? `Too many wrong passwords: this user name is locked until ${sast(r.lockedUntil)}. Ask an operator, or wait.` : 'The user name or the password is wrong.';
          return sendPage(reply, loginPage({ csrf: expected, user, error: msg, next: safeNext(form.next) }), r.reason === 'locked' ? 429 : 401);
        }
        setCookie(reply, SESSION_COOKIE, r.token, { path: '/console', maxAgeSeconds: cfg.session_hours * 3600, secure: secureCookie(cfg, request) });
        setCookie(reply, LOGIN_COOKIE, '', { path: '/console/login', maxAgeSeconds: 0, secure: secureCookie(cfg, request) });
        return reply.redirect(safeNext(form.next), 303);
      });
      // every other console route: a session, and a CSRF token on every POST
      scope.addHook('preHandler', async (request, reply) => {
        const path = request.url.split('?')[0]!;
        if (path === '/console/login' || path === '/console/assets/console.css' || path === '/console' || path === '/console/') return;
        const s = await auth.session(cookies(request)[SESSION_COOKIE]);
        if (!s) {
          if (request.method === 'GET') return reply.redirect(`/console/login?next=${encodeURIComponent(request.url)}`, 303);
          return sendPage(reply, page('Signed out', html`<p>Your session has ended. <a href="/console/login">Sign in again</a>.</p>`, null), 401);
        }
        if (request.method === 'POST' && !sameToken(parseForm(request.body)._csrf ?? '', s.csrf)) {
          await auth.audit({ user_name: s.user.name, role: s.user.role, tenant_id: s.user.tenant ?? null, action: 'csrf_refused', target: path, outcome: 'refused', remote: request.ip });
          return sendPage(reply, page('Refused', html`<p>This form was not sent by a console page (its security token is missing or wrong), so nothing was done. Reload the page and try again.</p>`, null), 403);
        }
        sessions.set(request, s);
      });
      scope.post('/logout', async (request, reply) => {
        await auth.logout(sessionOf(request), request.ip);
        setCookie(reply, SESSION_COOKIE, '', { path: '/console', maxAgeSeconds: 0, secure: secureCookie(cfg, request) });
        return reply.redirect('/console/login?out=1', 303);
      });
      pageRoutes(scope, ports, auth);
    },
    { prefix: '/console' },
  );
  return enabled;
}
