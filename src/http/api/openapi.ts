import { z } from 'zod';
import type { RouteSpec } from './route.js';
import { ErrorBody } from './schemas.js';

/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas that validate
 * the requests (z.toJSONSchema; OpenAPI 3.1 schemas are JSON Schema 2020-12). Schemas with a
 * `meta({id})` become components and are referenced by $ref.
 */
type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const doc = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline' }) as Json;
  // z.toJSONSchema puts schemas with an id under $defs and references them: lift them to components
  const defs = (doc.$defs ?? {}) as Record<string, Json>;
  delete doc.$defs;
  delete doc.$schema;
  const fix = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === 'object') {
      const o: Json = {};
      for (const [k, x] of Object.entries(v as Json)) o[k] = k === '$ref' && typeof x === 'string' ? x.replace('#/$defs/', '#/components/schemas/') : fix(x);
      return o;
    }
    return v;
  };
  for (const [name, d] of Object.entries(defs)) {
    const rest = { ...d };
    delete rest.$schema;
    components[name] ??= fix(rest);
  }
  const id = (doc as { id?: string }).id;
  if (typeof id === 'string') {
    delete doc.id;
    components[id] ??= fix(doc);
    return { $ref: `#/components/schemas/${id}` };
  }
  return fix(doc) as Json;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query', components: Json): Json[] {
  if (!schema) return [];
  const s = jsonSchema(schema, 'input', components) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, p]) => {
    const { description, ...rest } = p as { description?: string } & Json;
    return { name, in: where, required: where === 'path' || (s.required ?? []).includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

const IDEMPOTENCY_KEY: Json = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: the same key with the same request within 24 h returns the first answer (header Idempotent-Replayed: true) instead of acting again; the same key with another request is 409 KEY_REUSED; while the first is still running, 409 KEY_IN_USE with Retry-After. Keys are per tenant; a UUID is a good key.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

const RETRY_AFTER: Record<string, Json | undefined> = {
  '429': { 'Retry-After': { description: 'seconds until the rate-limit window ends', schema: { type: 'integer' } } },
};

export function openApiDocument(routes: readonly RouteSpec[], info: { version: string; serverUrl?: string }): Json {
  const components: Json = {};
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const op: Json = {
      operationId: r.operationId,
      tags: [r.tag],
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      parameters: [...parameters(r.params, 'path', components), ...parameters(r.query, 'query', components), ...(r.method === 'POST' ? [IDEMPOTENCY_KEY] : [])],
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([status, d]) => {
          const content: Json = {};
          if (d.schema) content['application/json'] = { schema: jsonSchema(d.schema, 'output', components) };
          // a Media Type object has no description in OpenAPI 3.1: the words go on its schema
          for (const [type, m] of Object.entries(d.media ?? {})) content[type] = { schema: { type: 'string', ...(m.description ? { description: m.description } : {}) } };
          const headers = RETRY_AFTER[status];
          return [status, { description: d.description, ...(Object.keys(content).length ? { content } : {}), ...(headers ? { headers } : {}) }];
        }),
      ),
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input', components) } } };
    if (r.multipart) {
      op.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: { type: 'object', required: [r.multipart.field], properties: { [r.multipart.field]: { type: 'string', format: 'binary', description: r.multipart.description } } },
          },
        },
      };
    }
    if (r.method === 'POST') {
      (op.responses as Json)['409'] = {
        description: 'KEY_REUSED: the Idempotency-Key was used with another request; KEY_IN_USE: the first request with it is still running (Retry-After)',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        headers: { 'Retry-After': { description: 'KEY_IN_USE: seconds to wait before retrying', schema: { type: 'integer' } } },
      };
    }
    const key = '/v1' + r.path;
    paths[key] = { ...(paths[key] ?? {}), [r.method.toLowerCase()]: op };
  }
  jsonSchema(ErrorBody, 'output', components);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Kasi Collections API',
      version: info.version,
      description:
        'The monthly collections cycle over HTTP: import policies, execute collections, export the collection report, generate the settlement, export it. ' +
        'The same pipeline and store as the file interface. Authenticate with the X-API-Key header (one tenant per key). ' +
        'Rate limits per key: http.rate_limits (default 100 reads and 10 writes a minute); a refused request is 429 RATE_LIMITED with Retry-After. ' +
        'Amounts are strings in rand with two decimals; dates YYYY-MM-DD in Africa/Johannesburg.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    security: [{ apiKey: [] }],
    tags: [{ name: 'Policies' }, { name: 'Collections' }, { name: 'Reports' }, { name: 'Settlements' }, { name: 'Files' }, { name: 'Webhooks' }],
    paths,
    components: { schemas: components, securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
  };
}
