import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Ports } from '../../usecases/ports.js';
import type { KeyClaim, StoredResponse } from '../../store/idempotency.repository.js';
import { ApiError, invalid } from './errors.js';

/**
 * `Idempotency-Key` on every POST (issue 14). A client that did not hear the answer sends the
 * request again with the same key: it gets the first answer (status, body, Location) instead of
 * a second effect. The same key with another body is 409 KEY_REUSED; while the first request
 * still runs, 409 KEY_IN_USE with Retry-After. Keys are per tenant and kept 24 h. A 5xx is not
 * stored (the key is freed so the retry runs). Times come from the ports' clock, like the rest.
 */
export const KEY_TTL_MS = 24 * 3600 * 1000;
/** A request holding a key longer than this is taken to have died with its process. */
const LOCK_MS = 5 * 60 * 1000;
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

const held = new WeakMap<FastifyRequest, { tenant: string; key: string }>();

function keyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !KEY_SHAPE.test(raw)) {
    throw invalid('the Idempotency-Key header is 1-255 visible ASCII characters (a UUID is a good key)', [
      { field: 'header.idempotency-key', code: 'INVALID_IDEMPOTENCY_KEY', message: '1-255 characters from ! to ~' },
    ]);
  }
  return raw;
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505' || /UNIQUE constraint failed/.test(String((err as Error).message));

/**
 * Claim the request's key (if it sent one) for `body` (the request's canonical body: JSON text,
 * or a digest of an upload). Returns the stored answer to replay, or null to go on.
 */
export async function claimIdempotency(ports: Ports, request: FastifyRequest, tenant: string, body: string): Promise<StoredResponse | null> {
  const key = keyOf(request);
  if (key === undefined) return null;
  const path = request.url.split('?')[0]!;
  const fingerprint = createHash('sha256').update(`${request.method}\n${path}\n${body}`).digest('hex');
  const now = ports.clock.now().getTime();
  const input = {
    tenant,
    key,
    method: request.method,
    path,
    fingerprint,
    now: new Date(now).toISOString(),
    lockedUntil: new Date(now + LOCK_MS).toISOString(),
    expiresAt: new Date(now + KEY_TTL_MS).toISOString(),
  };
  let claim: KeyClaim;
  try {
    claim = await ports.store.transaction((tx) => tx.idempotency.claimKey(input));
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    claim = { kind: 'in_use', retryAfterSeconds: 1 }; // another replica inserted it a moment ago
  }
  switch (claim.kind) {
    case 'claimed':
      held.set(request, { tenant, key });
      return null;
    case 'replay':
      return claim.response;
    case 'reused':
      throw new ApiError('KEY_REUSED', `the Idempotency-Key "${key}" was used with another request in the last 24 h; use a new key for a new request`);
    case 'in_use':
      throw new ApiError('KEY_IN_USE', `a request with the Idempotency-Key "${key}" is still running; retry in ${claim.retryAfterSeconds} s to get its answer`, null, {
        'retry-after': String(claim.retryAfterSeconds),
      });
  }
}

export function sendStored(reply: FastifyReply, r: StoredResponse): FastifyReply {
  return reply
    .code(r.status)
    .headers({ ...r.headers, 'idempotent-replayed': 'true' })
    .send(r.body);
}

/** onSend: store the answer of a request that holds a key (before the client can see it), or free the key on a 5xx. */
export async function settleIdempotency(ports: Ports, request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
  const h = held.get(request);
  if (!h) return;
  held.delete(request);
  const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
  if (reply.statusCode >= 500 || body === null) {
    await ports.store.transaction((tx) => tx.idempotency.releaseKey(h.tenant, h.key));
    return;
  }
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'location']) {
    const v = reply.getHeader(name);
    if (v !== undefined) headers[name] = String(v);
  }
  await ports.store.transaction((tx) => tx.idempotency.completeKey(h.tenant, h.key, { status: reply.statusCode, headers, body }));
}

/** onResponse: a request that ended without an answer stored (aborted) frees its key. */
export async function abandonIdempotency(ports: Ports, request: FastifyRequest): Promise<void> {
  const h = held.get(request);
  if (!h) return;
  held.delete(request);
  await ports.store.transaction((tx) => tx.idempotency.releaseKey(h.tenant, h.key));
}
