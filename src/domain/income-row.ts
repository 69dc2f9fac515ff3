import { isIsoDate, type IsoDate } from './dates.js';
import { parseAmount, type Cents } from './money.js';
import { checkText, isCellError, type CellError, type HeaderMap } from './csv-rules.js';

/**
 * Income files (SPEC 3.3): deposits seen on a customer's account. A row dated after today is
 * refused (a row error, the rest of the file applies): kasi does not take expected deposits on
 * trust, the engine acts on money seen (docs/money-rules.md); the sender sends it again once the
 * deposit has happened.
 */
export const INCOME_REQUIRED = ['customer_id', 'date', 'amount'] as const;

export interface IncomeRow {
  customerId: string;
  date: IsoDate;
  amountCents: Cents;
}

const MAX_DEPOSIT = 100_000_000_00;

export function readIncomeRow(cells: string[], header: HeaderMap, rules: { decimal: '.' | ','; today: IsoDate }): { ok: true; row: IncomeRow } | { ok: false; errors: CellError[] } {
  const errors: CellError[] = [];
  const at = (n: string) => cells[header.index.get(n)!];
  const cust = checkText('customer_id', at('customer_id'), 64);
  if (isCellError(cust)) errors.push(cust);
  const date = (at('date') ?? '').trim();
  if (!isIsoDate(date)) errors.push({ column: 'date', code: 'INVALID_DATE', message: `date "${date}" must be a real date written YYYY-MM-DD` });
  else if (date > rules.today) errors.push({ column: 'date', code: 'DATE_IN_FUTURE', message: `date ${date} is after today (${rules.today}); a deposit cannot be seen before it happens: send this row again on or after ${date}` });
  const amount = parseAmount(at('amount') ?? '', rules.decimal, MAX_DEPOSIT);
  if (!amount.ok) errors.push({ column: 'amount', code: amount.code, message: amount.message.replace('collection_amount', 'amount') });
  if (errors.length || isCellError(cust) || !amount.ok) return { ok: false, errors };
  return { ok: true, row: { customerId: cust.value, date, amountCents: amount.cents } };
}
