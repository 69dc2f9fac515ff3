import { z } from 'zod';
import { HOLD_CODES } from '../../../domain/engine/holds.js';
import { classifyReturn } from '../../../domain/engine/reason-codes.js';
import { holdsOf, releaseHold } from '../../../usecases/collect/policy-holds.js';
import type { HoldRecord } from '../../../store/policy-hold.repository.js';
import { invalid, notFound } from '../errors.js';
import { route } from '../route.js';
import { IntIdParams } from '../schemas.js';
import { STD_ERRORS, WITH_404 } from './policies.js';

/**
 * Policy holds (issue 12) by API: the tenant's holds, open or released, and the insurer lifting
 * one. A policy is held after a debit came back with a holding code (docs/money-rules.md): it is
 * not opened in later periods and never presented until released here, by `kasi policy release`
 * or by a policy file row with `hold` = release.
 */
const DateText = z.string().meta({ description: 'YYYY-MM-DD (Africa/Johannesburg)', example: '2026-03-04' });

export const Hold = z
  .object({
    id: z.number().int(),
    policy_number: z.string(),
    reason_code: z.string().meta({ description: 'the ACB/DebiCheck return code that held the policy', example: '30' }),
    reason: z.string().meta({ description: 'the code\'s reason (SPEC 4.3)', example: 'NO_AUTHORITY' }),
    meaning: z.string().meta({ description: 'what the code means for the insurer' }),
    held_on: DateText,
    state: z.enum(['open', 'released']),
    released_on: DateText.nullable(),
    released_by: z.string().nullable().meta({ description: 'api:<key>, cli:<user>, file:<policy file name>' }),
    release_note: z.string().nullable(),
  })
  .meta({ id: 'Hold' });

const HoldList = z.object({ holds: z.array(Hold) }).meta({ id: 'HoldList' });
const HoldQuery = z.strictObject({ state: z.enum(['open', 'released']).optional().meta({ description: 'open (held now) or released; both when absent' }) });
const ReleaseBody = z.strictObject({ note: z.string().max(500).optional().meta({ description: 'why the hold is lifted, e.g. "new mandate signed 2026-06-02"' }) }).meta({ id: 'HoldRelease' });

export function holdJson(h: HoldRecord) {
  return {
    id: h.id,
    policy_number: h.policy_number,
    reason_code: h.reason_code,
    reason: classifyReturn(h.reason_code).reason,
    meaning: HOLD_CODES[h.reason_code] ?? '',
    held_on: h.held_on,
    state: h.released_on === null ? ('open' as const) : ('released' as const),
    released_on: h.released_on,
    released_by: h.released_by,
    release_note: h.release_note,
  };
}

const list = route({
  method: 'GET',
  path: '/holds',
  operationId: 'listHolds',
  tag: 'Policies',
  summary: "The tenant's policy holds",
  description: 'Policies held after a holding return code (03, 04, 06, 08, 10, 12, 18, 26, 30, 32, 34, 36), oldest first; `state=open` for the ones held now.',
  query: HoldQuery,
  responses: { 200: { description: 'the holds', schema: HoldList }, ...STD_ERRORS },
  async handler({ caller, query, deps }) {
    const holds = await holdsOf(deps.ports, { tenant: caller.tenant, ...(query.state ? { state: query.state } : {}) });
    return { holds: holds.map(holdJson) };
  },
});

const release = route({
  method: 'POST',
  path: '/policies/{id}/hold/release',
  operationId: 'releasePolicyHold',
  tag: 'Policies',
  summary: "Lift a policy's hold",
  description:
    'The insurer has a new mandate (or new bank details, or has dealt with the estate): the policy is opened again from the running period on and collected as usual. 404 when the policy is unknown; 400 (NOT_HELD) when it is not held.',
  params: IntIdParams,
  body: ReleaseBody,
  responses: { 200: { description: 'the hold, released', schema: Hold }, ...WITH_404 },
  async handler({ caller, params, body, deps }) {
    const number = await deps.ports.store.policyHolds.policyNumberOf(caller.tenant, params.id);
    if (number === null) throw notFound(`policy ${params.id}`);
    const out = await releaseHold(deps.ports, caller.tenant, number, `api:key-${caller.keyId.slice(0, 12)}`, body.note ?? null);
    if (out.status === 'released') return holdJson(out.hold);
    throw invalid(`policy ${number} is not held`, [{ field: 'id', code: 'NOT_HELD', message: `policy ${number} has no open hold` }]);
  },
});

export const holdRoutes = [list, release];
