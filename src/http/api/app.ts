import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { PACKAGE_DIR } from '../../config.js';
import type { ExecutionQueue } from '../../usecases/api/api-executions.js';
import type { Log, Ports } from '../../usecases/ports.js';
import type { OpsHandler } from '../health.js';
import { KeyIndex, type Caller } from './auth.js';
import { DOCS_HTML } from './docs-page.js';
import { mountConsole } from '../console/plugin.js';
import { consoleEnabled } from '../../usecases/console/auth.js';
import { ApiError, errorCodeOf, errorHandler, sendError } from './errors.js';
import { abandonIdempotency, settleIdempotency } from './idempotency.js';
import { apiMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { RateLimiter } from './rate-limit.js';
import { classOf, registerRoutes, type ApiDeps, type RouteSpec } from './route.js';
import { collectionRoutes } from './routes/collections.js';
import { holdRoutes } from './routes/holds.js';
import { listRoutes } from './routes/lists.js';
import { policyRoutes } from './routes/policies.js';
import { reportRoutes } from './routes/reports.js';
import { settlementRoutes } from './routes/settlements.js';
import { webhookRoutes } from './routes/webhooks.js';

/**
 * The daemon's HTTP server (Fastify): the operations endpoints (/healthz, /readyz, /metrics, as
 * before, no key) and the Kasi Collections API under /v1 (issue 8): X-API-Key per tenant, rate
 * limits per key, one error shape, the OpenAPI document at /v1/openapi.json and a page rendering
 * it at /v1/docs. The handlers call the pipeline's own jobs; the API holds no state of its own
 * apart from the rate-limit windows.
 */
export const API_ROUTES: readonly RouteSpec[] = [...policyRoutes, ...holdRoutes, ...collectionRoutes, ...reportRoutes, ...settlementRoutes, ...listRoutes, ...webhookRoutes];

const PUBLIC = new Set(['/v1/openapi.json', '/v1/docs', '/v1/docs/']);

export interface AppOptions {
  ports: Ports;
  executions: ExecutionQueue;
  /** /healthz, /readyz, /metrics: plain GET handlers, served without a key */
  ops?: Record<string, OpsHandler>;
  /** the rate limiter's clock in ms (tests); default performance.now */
  now?: () => number;
  onIntake?: ApiDeps['onIntake'];
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

const callers = new WeakMap<FastifyRequest, Caller>();

/**
 * Temp files a killed process left in data/uploads (an upload cut off, an export not sent).
 * Only those older than an hour: replicas sharing a runtime root may be writing theirs now.
 */
async function sweepUploads(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const cutoff = Date.now() - 3_600_000;
  for (const n of names) {
    if (!n.startsWith('.upload-') && !n.startsWith('.export-')) continue;
    const p = join(dir, n);
    const s = await stat(p).catch(() => null);
    if (s && s.mtimeMs < cutoff) await rm(p, { force: true });
  }
}

function mountOps(app: FastifyInstance, ops: Record<string, OpsHandler>, log: Log): void {
  for (const [path, handler] of Object.entries(ops)) {
    app.get(path, async (request, reply) => {
      let r;
      try {
        r = await handler();
      } catch (err) {
        log.error({ err, path }, 'ops handler failed');
        r = { status: 500, contentType: 'application/json; charset=utf-8', body: '{"error":"internal error"}\n' };
      }
      return reply.code(r.status).header('content-type', r.contentType).header('cache-control', 'no-store').send(r.body);
    });
  }
}

/**
 * One line per response: a refused request (4xx) at info with its request id and error code, so
 * an operator can answer "why did my call fail?" from the id the client got; the rest at debug.
 * (5xx are logged at error, with the cause, by the error handler.) Never headers: they hold keys.
 */
function logResponse(log: Log, request: FastifyRequest, status: number, elapsedMs: number): void {
  const line = { request_id: request.id, method: request.method, path: request.url.split('?')[0], status, ms: Math.round(elapsedMs * 10) / 10 };
  if (status >= 400 && status < 500) log.info({ ...line, code: errorCodeOf(request) ?? null }, 'request refused');
  else log.debug(line, 'request');
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { ports } = opts;
  const http = ports.config.http;
  const log = ports.log.child({ component: 'http' });
  const deps: ApiDeps = {
    ports,
    executions: opts.executions,
    uploadDir: resolve(ports.paths.root, 'data', 'uploads'),
    maxUploadBytes: Math.floor(http.max_upload_mb * 1024 * 1024),
    onIntake: opts.onIntake,
  };
  await sweepUploads(deps.uploadDir);
  const keys = new KeyIndex(ports.config);
  const limiter = new RateLimiter(http.rate_limits, opts.now);
  const app = Fastify({ logger: false, genReqId: () => randomUUID(), forceCloseConnections: true, bodyLimit: 1024 * 1024, return503OnClosing: true });
  await app.register(multipart, { limits: { fileSize: deps.maxUploadBytes, files: 1, fields: 10, parts: 20, fieldSize: 64 * 1024 } });
  app.setErrorHandler(errorHandler(log));
  // the operator console under /console (issue 15): pages when console.users is set, else a page saying it is off
  await mountConsole(app, ports);
  const metrics = apiMetrics();
  app.addHook('onSend', async (request, reply, payload) => {
    await settleIdempotency(ports, request, reply, payload);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    await abandonIdempotency(ports, request);
    logResponse(log, request, reply.statusCode, reply.elapsedTime);
    if (!path.startsWith('/v1/')) return;
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.seconds.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, request, new ApiError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    const path = request.url.split('?')[0]!;
    if (!path.startsWith('/v1/') || PUBLIC.has(path)) return;
    const caller = keys.identify(request.headers['x-api-key']);
    if (!caller) {
      throw new ApiError('UNAUTHORIZED', request.headers['x-api-key'] ? 'the API key is not valid' : 'send your API key in the X-API-Key header');
    }
    callers.set(request, caller);
    const v = limiter.take(caller.keyId, classOf(request.method));
    if (!v.ok) {
      throw new ApiError('RATE_LIMITED', `more than ${v.limit} ${classOf(request.method)}s a minute with this key; try again in ${v.retryAfterSeconds} s`, { limit: v.limit, retry_after_seconds: v.retryAfterSeconds }, {
        'retry-after': String(v.retryAfterSeconds),
        'ratelimit-limit': String(v.limit),
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(v.retryAfterSeconds),
      });
    }
    void reply.headers({ 'ratelimit-limit': String(v.limit), 'ratelimit-remaining': String(v.remaining), 'ratelimit-reset': String(v.resetSeconds) });
  });

  mountOps(app, opts.ops ?? {}, log);
  const doc = JSON.stringify(openApiDocument(API_ROUTES, { version: version() }));
  app.get('/v1/openapi.json', async (_req, reply) => reply.type('application/json; charset=utf-8').send(doc));
  app.get('/v1/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').send(DOCS_HTML));
  registerRoutes(app, API_ROUTES, deps, (request) => {
    const c = callers.get(request);
    if (!c) throw new ApiError('UNAUTHORIZED', 'send your API key in the X-API-Key header');
    return c;
  });
  return app;
}

export interface HttpServer {
  readonly port: number;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** Listen on http.port / http.host; logs "http listening on host:port" (port 0: any free port). */
export async function startHttpServer(opts: AppOptions): Promise<HttpServer> {
  const app = await buildApp(opts);
  const { port: want, host } = opts.ports.config.http;
  try {
    await app.listen({ port: want, host });
  } catch (err) {
    await app.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : want;
  opts.ports.log.info({ port, host, api: '/v1', docs: '/v1/docs', console: consoleEnabled(opts.ports.config) ? '/console' : 'off' }, `http listening on ${host}:${port}`);
  let closing: Promise<void> | null = null;
  return {
    port,
    app,
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}
