import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/api/app.js';
import { ExecutionQueue } from '../../src/usecases/api/api-executions.js';
import { API_KEYS, digest } from '../helpers/api.js';
import { makeEnv, type TestEnv } from '../helpers/env.js';

/**
 * The OpenAPI document the daemon serves at /v1/openapi.json is valid OpenAPI 3.1 under a real
 * validator (@apidevtools/swagger-parser: the OpenAPI 3.1 JSON schema plus its own rules: unique
 * operation ids, path parameters declared, $refs that resolve), not just JSON our tests like.
 */
let env: TestEnv;
let app: FastifyInstance;

beforeAll(async () => {
  env = await makeEnv('sqlite', { tenants: { acme: { name: 'Acme Funeral Insurance Ltd', api_key_sha256: [digest(API_KEYS.acme)] } }, http: { port: 0 } });
  app = await buildApp({ ports: env.ports, executions: new ExecutionQueue(env.ports) });
});
afterAll(async () => {
  await app?.close();
  await env?.cleanup();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function served(): Promise<any> {
  const r = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
  expect([r.statusCode, r.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
  return JSON.parse(r.body);
}

describe('GET /v1/openapi.json', () => {
  it('validates as OpenAPI 3.1 with swagger-parser', async () => {
    const doc = await served();
    // validate() dereferences in place: give it a copy so the assertions below see the document as served
    const api = await SwaggerParser.validate(structuredClone(doc));
    expect(api.info.title).toBe('Kasi Collections API');
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents Idempotency-Key and 409 on every POST, and the lists\' paging and filters', async () => {
    const doc = await served();
    const posts = Object.entries(doc.paths as Record<string, Record<string, { parameters: { name: string; in: string }[]; responses: Record<string, unknown> }>>).flatMap(([path, ops]) =>
      ops.post ? [[path, ops.post.parameters.filter((p) => p.in === 'header').map((p) => p.name), '409' in ops.post.responses]] : [],
    );
    expect(posts).toEqual([
      ['/v1/policies', ['Idempotency-Key'], true],
      ['/v1/policies/import', ['Idempotency-Key'], true],
      ['/v1/collections/execute', ['Idempotency-Key'], true],
      ['/v1/settlements', ['Idempotency-Key'], true],
    ]);
    const query = (path: string) => doc.paths[path].get.parameters.map((p: { name: string }) => p.name);
    expect(query('/v1/collections')).toEqual(['limit', 'cursor', 'period_month', 'status']);
    expect(query('/v1/settlements')).toEqual(['limit', 'cursor', 'period_month', 'status']);
    expect(query('/v1/files')).toEqual(['limit', 'cursor', 'period_month', 'status']);
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(['VALIDATION_ERROR', 'UNAUTHORIZED', 'NOT_FOUND', 'KEY_REUSED', 'KEY_IN_USE', 'RATE_LIMITED', 'INTERNAL']);
  });

  it('the validator refuses what it must: a description on a media type object', async () => {
    const doc = await served();
    doc.paths['/v1/reports/collections'].get.responses['200'].content['text/csv'].description = 'not allowed here';
    await expect(SwaggerParser.validate(doc)).rejects.toThrow('#/paths/~1v1~1reports~1collections/get/responses/200/content/text~1csv must NOT have unevaluated properties');
  });
});
