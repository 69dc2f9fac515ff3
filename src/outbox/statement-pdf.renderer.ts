import { sastDate } from '../domain/dates.js';
import { paymentDateReason } from '../domain/payment-date.js';
import { maskAccountNumber, validateBankAccount, type BankAccount } from '../domain/bank-account.js';
import {
  amountTable,
  ensureRoom,
  keyValues,
  note,
  parties,
  percent,
  rand,
  renderPdf,
  section,
  title,
  type Party,
  type TableRow,
} from './pdf-document.js';
import { settlementFileName, type SettlementStatement } from './settlement.renderer.js';

export interface StatementPdfInput {
  statement: SettlementStatement;
  /** the provider, who collected and pays out */
  provider: Party;
  /** the insurer */
  tenant: Party;
  /** where the net amount is paid; null or invalid is shown as such (the EFT step leaves it out) */
  payee: BankAccount | null;
}

/** Adjustments listed on the PDF; the rest are in the settlement CSV, which has every line. */
const MAX_LISTED_ADJUSTMENTS = 40;

function payeeLine(acc: BankAccount | null): string {
  if (acc === null || validateBankAccount(acc).length > 0) return 'no valid bank account on file: payment withheld until corrected';
  return `${acc.holder}, ${acc.bank}, branch ${acc.branch_code}, ${acc.type} account ${maskAccountNumber(acc.number)}`;
}

/** The settlement statement as an A4 PDF; byte-identical for the same input. */
export function statementPdf(input: StatementPdfInput): Promise<Buffer> {
  const { statement: s, provider, tenant } = input;
  const a = s.amounts;
  const adjustmentsTotal = s.adjustments.reduce((sum, adj) => sum + adj.amountCents, 0);
  const rows: TableRow[] = [];
  if (s.adjustments.length > 0) {
    rows.push({ label: `Collected in ${s.periodMonth}`, amount: rand(a.totalCollections - adjustmentsTotal) });
    rows.push({ label: `Adjustments from earlier periods (${s.adjustments.length})`, amount: rand(adjustmentsTotal) });
  }
  rows.push(
    { label: 'Total collections', amount: rand(a.totalCollections), total: s.adjustments.length > 0 },
    { label: 'Distribution fee', rate: percent(s.rates.distributionRate), amount: rand(-a.distributionFee) },
    { label: 'Collections fee', rate: percent(s.rates.collectionsRate), amount: rand(-a.collectionsFee) },
    { label: 'Total fees', amount: rand(-a.totalFees), total: true },
    { label: 'VAT on fees', rate: percent(s.rates.vatRate), amount: rand(-a.vat) },
    { label: 'Net amount payable', amount: rand(a.netAmount), total: true },
  );
  return renderPdf(
    {
      title: `Settlement statement ${s.settlementNumber}`,
      author: provider.name,
      subject: `Collections settlement for ${tenant.name}, ${s.periodMonth}`,
      createdAt: s.createdAt,
    },
    (doc) => {
      title(doc, 'SETTLEMENT STATEMENT', provider.name);
      keyValues(doc, [
        ['Settlement number', s.settlementNumber],
        ['Period', s.periodMonth],
        ['Statement date', sastDate(s.createdAt)],
        ['Status', s.status],
      ]);
      parties(doc, ['From (collections provider)', provider], ['To (insurer)', tenant]);
      section(doc, 'Settlement');
      amountTable(doc, ['Description', 'Rate', 'Amount (ZAR)'], rows);
      section(doc, 'Payment');
      keyValues(doc, [
        ['Payment date', s.paymentDate],
        ['Payment reference', s.paymentReference],
        ['Paid to', payeeLine(input.payee)],
      ]);
      const reason = paymentDateReason(s.periodMonth, s.paymentDate, s.createdAt);
      if (reason) note(doc, reason);
      if (s.adjustments.length > 0) {
        section(doc, 'Adjustments from earlier periods');
        const listed = s.adjustments.slice(0, MAX_LISTED_ADJUSTMENTS);
        amountTable(
          doc,
          ['Policy', 'Period', 'Amount (ZAR)'],
          listed.map((adj) => ({ label: adj.policyNumber, rate: adj.period, amount: rand(adj.amountCents) })),
        );
        if (s.adjustments.length > listed.length) {
          ensureRoom(doc, 20);
          note(doc, `… and ${s.adjustments.length - listed.length} more adjustments, listed in the settlement CSV.`);
        }
      }
      note(
        doc,
        `Fees and VAT are rounded half-up to the cent on the statement's totals; per-policy amounts, allocated so every column adds up to these totals, are in ${settlementFileName(s.settlementNumber, 'csv')}. All amounts in South African rand (ZAR).`,
      );
    },
  );
}
