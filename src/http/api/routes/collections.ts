import { reportJsonRow } from '../../../outbox/report.renderer.js';
import type { ExecutionRecord } from '../../../store/api.repository.js';
import { ApiError, invalid, notFound } from '../errors.js';
import { route } from '../route.js';
import { Collection, ExecuteAccepted, ExecuteRequest, Execution, IntIdParams, UuidParams } from '../schemas.js';
import { WITH_404 } from './policies.js';

/**
 * Collections (issue 8): execute a period (202, run in the background by the `kasi execute`
 * job), follow an execution, read one collection as its report row.
 */
export function executionJson(e: ExecutionRecord) {
  return {
    execution_id: e.id,
    period_month: e.period,
    status: e.status,
    policies_queued: e.policies_queued,
    collections_opened: e.collections_opened,
    error: e.error,
    created_at: e.created_at,
    finished_at: e.finished_at,
  };
}

const execute = route({
  method: 'POST',
  path: '/collections/execute',
  operationId: 'executeCollections',
  tag: 'Collections',
  summary: "Open the period's collections",
  description:
    'One collection per active policy (or per listed policy), amount due frozen now; policies that already have one are left alone, so executing again is harmless. Answers at once; follow the execution at GET /collections/executions/{id}.',
  body: ExecuteRequest,
  responses: { 202: { description: 'accepted', schema: ExecuteAccepted }, ...WITH_404 },
  async handler({ caller, body, deps, reply }) {
    const { ports } = deps;
    const closed = await ports.store.edgeReads.periodClosedAt(caller.tenant, body.period_month);
    if (closed) throw invalid(`the period ${body.period_month} is closed; nothing can be executed into it`, [{ field: 'period_month', code: 'PERIOD_CLOSED', message: `closed at ${closed}` }]);
    if (body.policy_ids) {
      const ids = [...new Set(body.policy_ids)];
      const unknown = await ports.store.edgeReads.missingPolicyIds(caller.tenant, ids);
      if (unknown.length) throw new ApiError('NOT_FOUND', `no such policy: ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? ', …' : ''}`, { policy_ids: unknown });
    }
    const rec = await deps.executions.submit(caller.tenant, body.period_month, body.policy_ids ? [...new Set(body.policy_ids)] : undefined);
    return reply.code(202).header('location', `/v1/collections/executions/${rec.id}`).send({ execution_id: rec.id, status: 'processing', policies_queued: rec.policies_queued });
  },
});

const getExecution = route({
  method: 'GET',
  path: '/collections/executions/{id}',
  operationId: 'getExecution',
  tag: 'Collections',
  summary: 'An execution and its outcome',
  params: UuidParams,
  responses: { 200: { description: 'the execution', schema: Execution }, ...WITH_404 },
  async handler({ caller, params, deps }) {
    const e = await deps.ports.store.edgeReads.executionWithId(caller.tenant, params.id);
    if (!e) throw notFound(`execution ${params.id}`);
    return executionJson(e);
  },
});

const getCollection = route({
  method: 'GET',
  path: '/collections/{id}',
  operationId: 'getCollection',
  tag: 'Collections',
  summary: 'One collection: the 13 report fields plus id',
  description: 'While the period runs collection_status is OPEN; at the close it becomes the final status of the report.',
  params: IntIdParams,
  responses: { 200: { description: 'the collection', schema: Collection }, ...WITH_404 },
  async handler({ caller, params, deps, reply }) {
    const c = await deps.ports.store.edgeReads.collectionWithId(caller.tenant, params.id);
    if (!c) throw notFound(`collection ${params.id}`);
    // the report's own JSON row, so a field reads the same here as in collections-<period>.json
    return reply.type('application/json; charset=utf-8').send(`{"id":${params.id},${reportJsonRow(c).slice(1)}`);
  },
});

export const collectionRoutes = [execute, getExecution, getCollection];
