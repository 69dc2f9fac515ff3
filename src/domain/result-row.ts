import { isIsoDate, type IsoDate } from './dates.js';
import { parseAmount, type Cents } from './money.js';
import { checkText, isCellError, type CellError, type HeaderMap } from './csv-rules.js';

/** Bank result files (SPEC 3.4, file gateway). */
export const RESULT_REQUIRED = ['instruction_id', 'result', 'amount_collected', 'reason_code', 'processed_date'] as const;

export interface ResultRow {
  instructionId: string;
  result: 'PAID' | 'UNPAID';
  amountCents: Cents;
  reasonCode: string | null;
  processedDate: IsoDate;
}

export function readResultRow(cells: string[], header: HeaderMap): { ok: true; row: ResultRow } | { ok: false; errors: CellError[] } {
  const errors: CellError[] = [];
  const at = (n: string) => (cells[header.index.get(n)!] ?? '').trim();
  const id = checkText('instruction_id', at('instruction_id'), 64);
  if (isCellError(id)) errors.push(id);
  const result = at('result').toUpperCase();
  if (result !== 'PAID' && result !== 'UNPAID') errors.push({ column: 'result', code: 'INVALID_RESULT', message: `result "${at('result')}" must be PAID or UNPAID` });
  const code = at('reason_code');
  let amountCents = 0;
  if (result === 'PAID') {
    const a = parseAmount(at('amount_collected'), '.', 100_000_000_00);
    if (!a.ok) errors.push({ column: 'amount_collected', code: a.code, message: a.message.replace('collection_amount', 'amount_collected') });
    else amountCents = a.cents;
    if (code !== '') errors.push({ column: 'reason_code', code: 'REASON_ON_PAID', message: 'a PAID result has no reason_code; leave it empty' });
  } else if (result === 'UNPAID') {
    if (!/^\d{1,3}$/.test(code)) errors.push({ column: 'reason_code', code: 'INVALID_REASON_CODE', message: `reason_code "${code}" must be the bank's numeric return code (e.g. 02)` });
    const amt = at('amount_collected');
    if (amt !== '' && !/^0+([.,]0+)?$/.test(amt)) errors.push({ column: 'amount_collected', code: 'AMOUNT_ON_UNPAID', message: 'an UNPAID result collects nothing; amount_collected must be 0 or empty' });
  }
  const pd = at('processed_date');
  if (!isIsoDate(pd)) errors.push({ column: 'processed_date', code: 'INVALID_DATE', message: `processed_date "${pd}" must be a real date written YYYY-MM-DD` });
  if (errors.length || isCellError(id)) return { ok: false, errors };
  return { ok: true, row: { instructionId: id.value, result: result as 'PAID' | 'UNPAID', amountCents, reasonCode: result === 'UNPAID' ? code.padStart(2, '0') : null, processedDate: pd } };
}
