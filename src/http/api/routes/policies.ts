import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import { formatCents } from '../../../domain/money.js';
import { applyPolicyRow, cellText, fieldsOf, validatePolicy, type PolicyFields } from '../../../usecases/api/api-policies.js';
import { importFile } from '../../../usecases/intake/import-file.js';
import type { PolicyRecord } from '../../../store/api.repository.js';
import { ApiError, invalid, notFound } from '../errors.js';
import { route, type ApiDeps } from '../route.js';
import { ErrorBody, ImportResult, IntIdParams, Policy, PolicyCreate, PolicyPatch } from '../schemas.js';
import type { RowError } from '../../../domain/row-error.js';
import type { CellError } from '../../../domain/csv-rules.js';

/**
 * Policies (issue 8): one by JSON, a file by multipart upload, a change by PATCH. Every path
 * goes through intake's rules and apply: the API adds no rule of its own.
 */
export function policyJson(p: PolicyRecord) {
  return {
    id: p.id,
    policy_number: p.policy_number,
    customer_id: p.customer_id,
    external_customer_ref: p.external_customer_ref,
    product_code: p.product_code,
    collection_amount: formatCents(p.collection_amount),
    status: p.status,
    cancelled_at: p.cancelled_at,
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

const rowProblems = (errors: readonly (CellError | RowError)[]) => errors.map((e) => ({ field: e.column || 'policy', code: e.code, message: e.message }));

function rejected(errors: readonly (CellError | RowError)[]): ApiError {
  return invalid(`the policy is not valid: ${errors.map((e) => e.message).join('; ')}`, rowProblems(errors));
}

const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { description: { 400: 'VALIDATION_ERROR', 401: 'UNAUTHORIZED', 404: 'NOT_FOUND', 429: 'RATE_LIMITED', 500: 'INTERNAL' }[c]!, schema: ErrorBody }]));

export const STD_ERRORS = errors(400, 401, 429, 500);
export const WITH_404 = errors(400, 401, 404, 429, 500);

const createPolicy = route({
  method: 'POST',
  path: '/policies',
  operationId: 'createPolicy',
  tag: 'Policies',
  summary: 'Create (or update) one policy',
  description: 'The same rules as one row of a policy file. A policy_number the tenant already has updates that policy (200); a new one is created (201).',
  body: PolicyCreate,
  responses: { 201: { description: 'created', schema: Policy }, 200: { description: 'an existing policy, updated (or unchanged)', schema: Policy }, ...STD_ERRORS },
  async handler({ caller, body, deps, reply, request }) {
    const fields: PolicyFields = { ...body, collection_amount: cellText(body.collection_amount) };
    const v = validatePolicy(deps.ports, fields);
    if (!v.ok) throw rejected(v.errors);
    const out = await applyPolicyRow(deps.ports, caller.tenant, v.row, `api:POST /v1/policies ${request.id}`);
    if (!out.ok) throw rejected(out.errors);
    return reply.code(out.created ? 201 : 200).send(policyJson(out.policy));
  },
});

const patchPolicy = route({
  method: 'PATCH',
  path: '/policies/{id}',
  operationId: 'updatePolicy',
  tag: 'Policies',
  summary: "Change a policy's premium and/or status",
  description: 'A premium change applies from the next period not yet executed; cancelled ends the policy at once (its open collection ends CANCELLED).',
  params: IntIdParams,
  body: PolicyPatch,
  responses: { 200: { description: 'the policy after the change', schema: Policy }, ...WITH_404 },
  async handler({ caller, params, body, deps, request }) {
    const p = await deps.ports.store.edgeReads.policyWithId(caller.tenant, params.id);
    if (!p) throw notFound(`policy ${params.id}`);
    const v = validatePolicy(deps.ports, fieldsOf(p, { collection_amount: cellText(body.collection_amount), status: body.status }));
    if (!v.ok) throw rejected(v.errors);
    const out = await applyPolicyRow(deps.ports, caller.tenant, v.row, `api:PATCH /v1/policies/${p.id} ${request.id}`);
    if (!out.ok) throw rejected(out.errors);
    return policyJson(out.policy);
  },
});

/** The client's file name, reduced to a safe base name (it names the archived copy and the result files). */
export function uploadName(raw: string | undefined): string {
  const name = basename((raw ?? '').replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return name && !name.startsWith('.') && name.length <= 200 ? name : 'policies-upload.csv';
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Stream the one file part to a temp file under the runtime root; never held in memory. */
async function receive(part: MultipartFile, deps: ApiDeps, requestId: string): Promise<string> {
  await mkdir(deps.uploadDir, { recursive: true });
  const path = join(deps.uploadDir, `.upload-${randomUUID()}.part`);
  try {
    await pipeline(part.file, createWriteStream(path, { flags: 'wx' }));
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  if (part.file.truncated) {
    await rm(path, { force: true });
    throw invalid(`the file is larger than http.max_upload_mb (${deps.maxUploadBytes / 1024 / 1024} MB)`, [{ field: 'file', code: 'FILE_TOO_LARGE', message: `request ${requestId}` }]);
  }
  return path;
}

const importPolicies = route({
  method: 'POST',
  path: '/policies/import',
  operationId: 'importPolicies',
  tag: 'Policies',
  summary: 'Import a policy file (multipart field `file`)',
  description:
    'Exactly as if the file were dropped in the tenant\'s inbox: the same decoding, dialects, row rules and whole-file rejections, one transaction, archived under archive/<tenant>/<date>/ with its result in outbox/<tenant>/intake/. The upload is streamed to disk, never held in memory. The same bytes sent again are reported as a duplicate and not applied twice. A rejected file answers 400 with the result as details.',
  multipart: { field: 'file', description: 'the policy CSV (any name; policies*.csv by convention)' },
  responses: { 200: { description: 'applied (good rows; bad rows listed in errors) or duplicate', schema: ImportResult }, ...STD_ERRORS },
  async handler({ caller, deps, request, reply, idempotent }) {
    if (!request.isMultipart()) throw invalid('send the file as multipart/form-data in a field named "file"', [{ field: 'file', code: 'REQUIRED', message: 'multipart/form-data expected' }]);
    const part = await request.file();
    if (!part || part.fieldname !== 'file') {
      part?.file.resume();
      throw invalid('send the file as multipart/form-data in a field named "file"', [{ field: 'file', code: 'REQUIRED', message: 'no file field "file" in the form' }]);
    }
    const path = await receive(part, deps, request.id);
    try {
      // keyed by the upload's name and bytes: the same file sent again with the key gets the first answer
      if (await idempotent(`${uploadName(part.filename)}\n${await fileDigest(path)}`)) return reply;
      const out = await importFile(deps.ports, { tenantId: caller.tenant, path, name: uploadName(part.filename), kind: 'policies', mode: 'move', source: 'api' });
      deps.onIntake?.(out);
      const result = { file: out.file, status: out.status, imported: out.imported, failed: out.failed, warnings: out.warnings, errors: out.errors };
      if (out.status === 'rejected') throw new ApiError('VALIDATION_ERROR', `the file was rejected, nothing applied: ${out.errors[0]?.message ?? ''}`, result);
      return result;
    } finally {
      await rm(path, { force: true }); // intake moved it; only a failure leaves it
    }
  },
});

export const policyRoutes = [createPolicy, importPolicies, patchPolicy];
