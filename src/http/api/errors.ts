import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodError } from 'zod';
import type { Log } from '../../usecases/ports.js';

/**
 * The API's one error shape: `{"error": {"code", "message", "details", "request_id"}}`. Handlers
 * throw ApiError for expected outcomes; anything else is a 500 INTERNAL whose message says
 * nothing of the cause (the log has it, under the same request id).
 */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  KEY_REUSED: 409,
  KEY_IN_USE: 409,
  RATE_LIMITED: 429,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One problem with a request: the field (a body key, `query.format`, a CSV column), a code, words. */
export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string) => new ApiError('NOT_FOUND', `${what} was not found`);

export function invalid(message: string, problems: FieldProblem[] = []): ApiError {
  return new ApiError('VALIDATION_ERROR', message, problems);
}

/** zod issues as field problems: `where.path` and the issue code in upper case. */
export function fromZod(where: 'body' | 'query' | 'params', err: ZodError): ApiError {
  const problems = err.issues.map((i) => {
    if (i.code === 'unrecognized_keys') return { field: where, code: 'UNKNOWN_FIELD', message: `unknown field(s): ${i.keys.join(', ')}` };
    const path = i.path.map(String).join('.');
    return { field: where === 'body' ? path || 'body' : `${where}.${path}`, code: i.code.toUpperCase(), message: i.message };
  });
  return invalid(`the request ${where === 'body' ? 'body' : where === 'query' ? 'query string' : 'path'} is not valid: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
}

/** The error code each refused request was answered with, for its log line (app.ts onResponse). */
const codes = new WeakMap<FastifyRequest, ErrorCode>();
export const errorCodeOf = (request: FastifyRequest): ErrorCode | undefined => codes.get(request);

export function sendError(reply: FastifyReply, request: FastifyRequest, err: ApiError): FastifyReply {
  codes.set(request, err.code);
  void reply.headers(err.headers);
  return reply
    .code(err.status)
    .type('application/json; charset=utf-8')
    .send({ error: { code: err.code, message: err.message, details: err.details, request_id: request.id } });
}

/**
 * Fastify's own client errors (a body that is not JSON, a wrong content type, a file over the
 * size bound) become VALIDATION_ERROR with Fastify's words; everything unexpected is INTERNAL.
 */
export function errorHandler(log: Log) {
  return (err: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ApiError) return sendError(reply, request, err);
    const status = (err as FastifyError).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendError(reply, request, invalid(err.message, [{ field: 'request', code: (err as FastifyError).code ?? 'BAD_REQUEST', message: err.message }]));
    }
    log.error({ err, request_id: request.id, method: request.method, url: request.url }, 'API request failed');
    return sendError(reply, request, new ApiError('INTERNAL', 'an internal error occurred; the operator can find it in the log by request_id'));
  };
}
