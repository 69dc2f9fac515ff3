import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Ports } from '../../usecases/ports.js';
import type { ExecutionQueue } from '../../usecases/api/api-executions.js';
import type { IntakeOutcome } from '../../usecases/intake/import-file.js';
import type { Caller } from './auth.js';
import { fromZod } from './errors.js';
import { claimIdempotency, sendStored } from './idempotency.js';
import type { RequestClass } from './rate-limit.js';

/**
 * One API route as data: method, path, the zod schemas of its params, query and body, its
 * responses, and the handler. app.ts registers the table with Fastify (validating with the
 * schemas) and openapi.ts describes the same table: one source for both.
 */
export interface ApiDeps {
  ports: Ports;
  executions: ExecutionQueue;
  /** where uploads are streamed before intake takes them (under the runtime root) */
  uploadDir: string;
  maxUploadBytes: number;
  /** told of every file the API took through intake (the daemon counts them in /metrics) */
  onIntake?: (outcome: IntakeOutcome) => void;
}

export interface Ctx<P, Q, B> {
  caller: Caller;
  params: P;
  query: Q;
  body: B;
  request: FastifyRequest;
  reply: FastifyReply;
  deps: ApiDeps;
  /**
   * Idempotency-Key for a route whose body is only known inside the handler (an upload): call it
   * with the body's canonical text (e.g. a digest of the file); true means the stored answer was
   * sent and the handler must stop. JSON routes are keyed before their handler runs.
   */
  idempotent(body: string): Promise<boolean>;
}

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** other media types than JSON, e.g. text/csv */
  media?: Record<string, { description?: string }>;
  headers?: Record<string, string>;
}

export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST' | 'PATCH';
  /** OpenAPI style, under /v1: `/policies/{id}` */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** a multipart/form-data upload instead of a JSON body */
  multipart?: { field: string; description: string };
  responses: Record<number, ResponseDoc>;
  handler(ctx: Ctx<z.output<P>, z.output<Q>, z.output<B>>): Promise<unknown>;
}

/** Keeps each route's handler typed by its own schemas. */
export function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}

export const classOf = (method: string): RequestClass => (method === 'GET' || method === 'HEAD' ? 'read' : 'write');

function check<T extends z.ZodType>(schema: T | undefined, where: 'params' | 'query' | 'body', value: unknown): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(where === 'body' && value === undefined ? {} : value);
  if (!r.success) throw fromZod(where, r.error);
  return r.data;
}

export const fastifyPath = (path: string) => '/v1' + path.replace(/\{(\w+)\}/g, ':$1');

export function registerRoutes(app: FastifyInstance, routes: readonly RouteSpec[], deps: ApiDeps, callerOf: (req: FastifyRequest) => Caller): void {
  for (const r of routes) {
    app.route({
      method: r.method,
      url: fastifyPath(r.path),
      handler: async (request, reply) => {
        const params = check(r.params, 'params', request.params);
        const query = check(r.query, 'query', request.query);
        const body = r.multipart ? undefined : check(r.body, 'body', request.body);
        const caller = callerOf(request);
        const idempotent = async (text: string): Promise<boolean> => {
          const stored = await claimIdempotency(deps.ports, request, caller.tenant, text);
          if (stored) sendStored(reply, stored);
          return stored !== null;
        };
        if (r.method === 'POST' && !r.multipart && (await idempotent(JSON.stringify(body ?? null)))) return reply;
        const out = await r.handler({ caller, params, query, body, request, reply, deps, idempotent });
        return reply.sent ? reply : out;
      },
    });
  }
}
