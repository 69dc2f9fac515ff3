import { createHash } from 'node:crypto';
import { POLICY_OPTIONAL, POLICY_REQUIRED, readPolicyRow, type PolicyRow } from '../../domain/policy-row.js';
import type { CellError, HeaderMap } from '../../domain/csv-rules.js';
import { centsFromDecimal, formatCents, parseRate } from '../../domain/money.js';
import { packPolicyBatch, type PolicyBatch } from '../../files/policy-batch.js';
import type { RowError } from '../../domain/row-error.js';
import { Tally } from '../../domain/tally.js';
import type { PolicyRecord } from '../../store/api.repository.js';
import type { IntakeFileMeta } from '../../store/intake-file.repository.js';
import { batchFormat, kindHandler } from '../intake/intake-kinds.js';
import type { Ports } from '../ports.js';

/**
 * One policy by API (POST /v1/policies, PATCH /v1/policies/{id}) is one row of a policy file:
 * validated by the CSV's row rules (domain/policy-row.ts) and applied by the policy file's own
 * apply (one transaction, upsert by policy number, a cancellation ends the open collection),
 * recorded in the intake ledger as an entry named after the request. Nothing here decides
 * anything the file path decides differently.
 */
export type PolicyFields = Partial<Record<(typeof POLICY_REQUIRED)[number] | (typeof POLICY_OPTIONAL)[number], string>>;

const COLUMNS = [...POLICY_REQUIRED, ...POLICY_OPTIONAL];
const HEADER: HeaderMap = { index: new Map(COLUMNS.map((c, i) => [c, i])), extra: [] };

/** JSON values as the text of CSV cells: an amount given as a number is written as JSON writes it. */
export function cellText(v: string | number | undefined): string | undefined {
  return v === undefined ? undefined : String(v);
}

/** The CSV row rules over one policy's fields (decimal point, the configured ceiling). */
export function validatePolicy(ports: Pick<Ports, 'config'>, fields: PolicyFields): { ok: true; row: PolicyRow } | { ok: false; errors: CellError[] } {
  const cells = COLUMNS.map((c) => fields[c] ?? '');
  return readPolicyRow(cells, HEADER, { decimal: '.', ceilingCents: centsFromDecimal(ports.config.intake.amount_ceiling) });
}

/** The fields of a stored policy with `changes` applied, for PATCH. */
export function fieldsOf(p: PolicyRecord, changes: PolicyFields): PolicyFields {
  return {
    customer_id: p.customer_id,
    external_customer_ref: p.external_customer_ref,
    policy_number: p.policy_number,
    product_code: p.product_code,
    collection_amount: formatCents(p.collection_amount),
    status: p.status,
    ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)),
  };
}

export type ApplyOutcome = { ok: true; policy: PolicyRecord; created: boolean } | { ok: false; errors: RowError[] };

/** Apply one validated row as a one-row policy file; `source` names it in the intake ledger. */
export async function applyPolicyRow(ports: Ports, tenant: string, row: PolicyRow, source: string): Promise<ApplyOutcome> {
  const before = await ports.store.edgeReads.policyWithNumber(tenant, row.policyNumber);
  const now = ports.clock.now().toISOString();
  const text = JSON.stringify(row);
  const meta: IntakeFileMeta = {
    tenantId: tenant,
    kind: 'policies',
    name: source,
    // unique per request: the ledger's "same bytes applied once" rule is for files, not API calls
    sha256: createHash('sha256').update(`${source}\n${now}\n${text}`).digest('hex'),
    size: Buffer.byteLength(text),
    encoding: 'utf-8',
    delimiter: null,
    receivedAt: now,
    processedAt: now,
    source: 'api',
  };
  const tally = new Tally();
  async function* items(): AsyncGenerator<PolicyBatch> {
    yield packPolicyBatch([{ kind: 'row', line: 1, row }], batchFormat(ports), 0);
  }
  const share = parseRate(ports.config.intake.max_failed_share);
  const res = await kindHandler('policies').apply(ports, meta, items(), tally, () => tally.verdict(share, 'policy'));
  if (res.reject) {
    const rowErrors = tally.sorted().filter((e) => e.severity !== 'warning');
    return { ok: false, errors: rowErrors.length ? rowErrors : [res.reject] };
  }
  await ports.store.intakeFiles.markFinished(res.fileId, null, now);
  const policy = await ports.store.edgeReads.policyWithNumber(tenant, row.policyNumber);
  if (!policy) throw new Error(`policy ${row.policyNumber} of ${tenant} is missing right after it was applied`);
  ports.log.info({ tenant, policy: row.policyNumber, source, created: !before }, before ? 'policy updated by API' : 'policy created by API');
  return { ok: true, policy, created: !before };
}
