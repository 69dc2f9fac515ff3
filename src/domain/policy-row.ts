import { parseAmount, type Cents } from './money.js';
import type { RowError } from './row-error.js';
import { checkText, isCellError, type CellError, type HeaderMap } from './csv-rules.js';

/** The policy file's columns (SPEC 3.2). */
export const POLICY_REQUIRED = ['customer_id', 'external_customer_ref', 'policy_number', 'product_code', 'collection_amount'] as const;
/**
 * `hold` (issue 12): `release` lifts the policy's hold (a debit came back with a holding code,
 * docs/money-rules.md); empty, or the column absent, changes nothing.
 */
export const POLICY_OPTIONAL = ['status', 'hold'] as const;

export type PolicyStatus = 'active' | 'cancelled';

export interface PolicyRow {
  customerId: string;
  externalCustomerRef: string;
  policyNumber: string;
  productCode: string;
  amountCents: Cents;
  status: PolicyStatus;
  /** `release`: lift the policy's hold; null: no change */
  hold: 'release' | null;
}

const PRODUCT_CODE = /^[A-Za-z0-9_-]{1,32}$/;

/** One item of a policy file as read: a validated row with its line, or the row's error. */
export type PolicyItem = { kind: 'row'; line: number; row: PolicyRow } | ({ kind: 'error' } & RowError);

export interface PolicyRowRules {
  decimal: '.' | ',';
  ceilingCents: Cents;
}

function cellOf(cells: string[], header: HeaderMap, name: string): string | undefined {
  const i = header.index.get(name);
  return i === undefined ? undefined : cells[i];
}

function textOf(cells: string[], header: HeaderMap, name: string, max: number, errors: CellError[]): string {
  const r = checkText(name, cellOf(cells, header, name), max);
  if (isCellError(r)) {
    errors.push(r);
    return '';
  }
  return r.value;
}

/** Validate one data row; every bad cell is reported, not just the first. */
export function readPolicyRow(cells: string[], header: HeaderMap, rules: PolicyRowRules): { ok: true; row: PolicyRow } | { ok: false; errors: CellError[] } {
  const errors: CellError[] = [];
  const customerId = textOf(cells, header, 'customer_id', 64, errors);
  const externalCustomerRef = textOf(cells, header, 'external_customer_ref', 64, errors);
  const policyNumber = textOf(cells, header, 'policy_number', 64, errors);
  const productCode = (cellOf(cells, header, 'product_code') ?? '').trim();
  if (productCode === '') errors.push({ column: 'product_code', code: 'REQUIRED', message: 'product_code is empty; every row needs one' });
  else if (!PRODUCT_CODE.test(productCode)) {
    errors.push({ column: 'product_code', code: 'INVALID_PRODUCT_CODE', message: productCodeMessage(productCode) });
  }
  const amount = parseAmount(cellOf(cells, header, 'collection_amount') ?? '', rules.decimal, rules.ceilingCents);
  if (!amount.ok) errors.push({ column: 'collection_amount', code: amount.code, message: amount.message });
  const statusCell = cellOf(cells, header, 'status');
  let status: PolicyStatus = 'active';
  if (statusCell !== undefined && statusCell !== '' && statusCell !== 'active') {
    const s = statusCell.trim().toLowerCase();
    if (s === 'cancelled') status = 'cancelled';
    else if (s !== 'active' && s !== '') {
      errors.push({ column: 'status', code: 'INVALID_STATUS', message: `status "${statusCell.trim()}" must be active or cancelled (empty means active)` });
    }
  }
  const holdCell = (cellOf(cells, header, 'hold') ?? '').trim().toLowerCase();
  if (holdCell !== '' && holdCell !== 'release') {
    errors.push({ column: 'hold', code: 'INVALID_HOLD', message: `hold "${cellOf(cells, header, 'hold')!.trim()}" must be release (lift the policy's hold) or empty (no change)` });
  }
  if (errors.length || !amount.ok) return { ok: false, errors };
  const hold = holdCell === 'release' ? 'release' : null;
  return { ok: true, row: { customerId, externalCustomerRef, policyNumber, productCode, amountCents: amount.cents, status, hold } };
}

/** Says which character is wrong: a lookalike (Cyrillic Е for E) is invisible otherwise. */
function productCodeMessage(code: string): string {
  const chars = [...code];
  const bad = chars.find((c) => !/^[A-Za-z0-9_-]$/.test(c));
  const what = bad === undefined ? `has ${chars.length} characters` : `has "${bad}" (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
  return `product_code "${code}" ${what}; it must be 1-32 of A-Z a-z 0-9 _ -`;
}
