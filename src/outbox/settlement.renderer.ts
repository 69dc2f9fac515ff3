import { formatCents, type Cents } from '../domain/money.js';
import type { IsoDate, Period } from '../domain/dates.js';
import type { Adjustment, FeeRates, SettlementAmounts } from '../domain/fees.js';
import type { RowFees, SettlementColumns } from '../domain/allocation.js';
import { CSV_EOL, amountCell, chunkLines, headerLine, textCell } from '../files/csv.js';

/**
 * The settlement statement (JSON) and the settlement CSV (SPEC 5.2). Pure: strings out.
 * Amounts are strings with two decimals, as in the collection report.
 */
export type SettlementStatus = 'pending' | 'paid' | 'disputed';

export interface SettlementStatement {
  id: string | number;
  settlementNumber: string;
  tenant: string;
  periodMonth: Period;
  amounts: SettlementAmounts;
  /** Late results from earlier periods, already included in amounts.totalCollections. */
  adjustments: readonly Adjustment[];
  /** The fee row that applied (ratesFor(period)). */
  rates: FeeRates;
  status: SettlementStatus;
  paymentDate: IsoDate;
  paymentReference: string;
  createdAt: Date;
}

export function settlementFileName(settlementNumber: string, ext: 'json' | 'pdf' | 'csv'): string {
  return `settlement-${settlementNumber}.${ext}`;
}

export function ratesJson(r: FeeRates): Record<string, string> {
  return {
    from: r.from,
    distribution_rate: r.distributionRate.text,
    collections_rate: r.collectionsRate.text,
    vat_rate: r.vatRate.text,
  };
}

/** The statement JSON: the SPEC 5.2 fields in order, then `adjustments` and `rates`. */
export function settlementJson(s: SettlementStatement): string {
  const a = s.amounts;
  const doc = {
    id: s.id,
    settlement_number: s.settlementNumber,
    tenant: s.tenant,
    period_month: s.periodMonth,
    total_collections: formatCents(a.totalCollections),
    distribution_fee: formatCents(a.distributionFee),
    collections_fee: formatCents(a.collectionsFee),
    total_fees: formatCents(a.totalFees),
    vat: formatCents(a.vat),
    net_amount: formatCents(a.netAmount),
    status: s.status,
    payment_date: s.paymentDate,
    payment_reference: s.paymentReference,
    created_at: s.createdAt.toISOString(),
    adjustments: s.adjustments.map((adj) => ({
      period_month: adj.period,
      policy_number: adj.policyNumber,
      amount: formatCents(adj.amountCents),
    })),
    rates: ratesJson(s.rates),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

export const SETTLEMENT_CSV_COLUMNS = [
  'settlement_number',
  'period_month',
  'policy_number',
  'customer_id',
  'external_customer_ref',
  'product_code',
  'collection_amount_collected',
  'distribution_fee',
  'collections_fee',
  'vat',
  'net_amount',
] as const;

/**
 * One line of the settlement: a policy collected in the statement's period, or an adjustment.
 * An adjustment line carries the period it belongs to (earlier than the statement's) in
 * `period_month` and may be negative (a reversal); that is how a reader tells the two apart.
 */
export interface SettlementLine {
  period_month: Period;
  policy_number: string;
  customer_id: string;
  external_customer_ref: string;
  product_code: string;
  collection_amount_collected: Cents;
}

export interface SettlementCsvLine extends SettlementLine {
  fees: RowFees;
}

/**
 * Attach the allocated fees to the lines, by position. The lines must come in the same order
 * as the amounts given to allocateSettlementColumns; a count mismatch throws.
 */
export async function* withFees(
  lines: AsyncIterable<SettlementLine> | Iterable<SettlementLine>,
  columns: SettlementColumns,
): AsyncGenerator<SettlementCsvLine> {
  let i = 0;
  const n = columns.netAmount.length;
  for await (const line of lines) {
    if (i >= n) throw new Error(`more settlement lines than allocated rows (${n})`);
    yield {
      ...line,
      fees: {
        distributionFee: columns.distributionFee[i]!,
        collectionsFee: columns.collectionsFee[i]!,
        vat: columns.vat[i]!,
        netAmount: columns.netAmount[i]!,
      },
    };
    i++;
  }
  if (i !== n) throw new Error(`${i} settlement lines for ${n} allocated rows`);
}

/** One CSV line (csvLine of the 11 cells, built without the intermediate array); `num` is already a cell. */
function settlementRow(num: string, l: SettlementLine, distributionFee: Cents, collectionsFee: Cents, vat: Cents, netAmount: Cents): string {
  return (
    num + ',' +
    textCell(l.period_month) + ',' +
    textCell(l.policy_number) + ',' +
    textCell(l.customer_id) + ',' +
    textCell(l.external_customer_ref) + ',' +
    textCell(l.product_code) + ',' +
    amountCell(l.collection_amount_collected) + ',' +
    amountCell(distributionFee) + ',' +
    amountCell(collectionsFee) + ',' +
    amountCell(vat) + ',' +
    amountCell(netAmount) + CSV_EOL
  );
}

export async function* settlementCsv(
  settlementNumber: string,
  lines: AsyncIterable<SettlementCsvLine> | Iterable<SettlementCsvLine>,
  chunkRows = 1000,
): AsyncGenerator<string> {
  const num = textCell(settlementNumber);
  yield headerLine(SETTLEMENT_CSV_COLUMNS);
  yield* chunkLines(lines, (l) => settlementRow(num, l, l.fees.distributionFee, l.fees.collectionsFee, l.fees.vat, l.fees.netAmount), chunkRows);
}

/**
 * `settlementCsv(number, withFees(lines, columns))` for lines that come in pages (as the store
 * reads them): a chunk per page, the fees taken from the columns by position, the same checks.
 */
export async function* settlementCsvPages(
  settlementNumber: string,
  pages: AsyncIterable<readonly SettlementLine[]> | Iterable<readonly SettlementLine[]>,
  columns: SettlementColumns,
): AsyncGenerator<string> {
  const num = textCell(settlementNumber);
  const { distributionFee, collectionsFee, vat, netAmount } = columns;
  const n = netAmount.length;
  let i = 0;
  yield headerLine(SETTLEMENT_CSV_COLUMNS);
  for await (const page of pages) {
    if (i + page.length > n) throw new Error(`more settlement lines than allocated rows (${n})`);
    let chunk = '';
    for (const line of page) {
      chunk += settlementRow(num, line, distributionFee[i]!, collectionsFee[i]!, vat[i]!, netAmount[i]!);
      i++;
    }
    if (chunk !== '') yield chunk;
  }
  if (i !== n) throw new Error(`${i} settlement lines for ${n} allocated rows`);
}
