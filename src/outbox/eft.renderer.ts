import { formatCents, type Cents } from '../domain/money.js';
import { compactDate, isIsoDate, type IsoDate } from '../domain/dates.js';
import { validateBankAccount, type AccountType, type BankAccount } from '../domain/bank-account.js';

/**
 * The EFT payment file (SPEC 5.3): ISO 20022 pain.001.001.03, one file per payment date with
 * one credit transfer per settlement paid that day, debited from the provider's account.
 *
 * Deterministic bytes: MsgId and PmtInfId come from the payment date and the file sequence,
 * CreDtTm is the payment date at 00:00 SAST (never later than the real creation when the pay step
 * runs on the payment date), and transactions are sorted by payment reference, so a re-run
 * writes the same file.
 *
 * Choices the schema leaves open, made once here:
 * - Accounts are domestic: `Id/Othr/Id` = account number, the bank by its universal branch code
 *   in `FinInstnId/ClrSysMmbId` (`ClrSysId/Cd` = ZANCC, `MmbId` = branch code).
 * - Account type: ISO's CashAccountType4Code has no transmission or bond account, so the type is
 *   carried as `Tp/Prtry` with the configured word in capitals (CURRENT, SAVINGS, TRANSMISSION,
 *   BOND): one scheme for all four, readable by the bank's operators.
 * - `Cdtr/Nm` is the insurer's name; `CdtrAcct/Nm` the account holder's name.
 * - `ChrgBr` DEBT: the provider bears bank charges, so the insurer receives the full net amount.
 */
export const PAIN_001_NS = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.03';
export const CLEARING_SYSTEM = 'ZANCC';

export interface EftParty {
  /** legal name (Dbtr/Nm, Cdtr/Nm) */
  name: string;
  account: BankAccount;
}

export interface EftPayment {
  settlementNumber: string;
  /** `EFT-<YYYYMMDD>-<NNN>`: the EndToEndId */
  paymentReference: string;
  amountCents: Cents;
  creditor: EftParty;
}

export interface EftFile {
  paymentDate: IsoDate;
  /** 1, 2, ... for the payments-<YYYYMMDD>-<NNN>.xml files of one day */
  sequence: number;
  debtor: EftParty;
  payments: readonly EftPayment[];
}

export function eftFileName(paymentDate: IsoDate, sequence: number): string {
  return `payments-${compactDate(paymentDate)}-${String(sequence).padStart(3, '0')}.xml`;
}

/**
 * Why a settlement cannot go into a payment file (empty = it can). The caller reports these
 * and leaves the settlement out, so nobody is ever paid to a wrong or unusable account.
 */
export function paymentProblems(p: EftPayment): string[] {
  const problems = validateBankAccount(p.creditor.account).map((m) => `bank account: ${m}`);
  if (!Number.isSafeInteger(p.amountCents) || p.amountCents <= 0) {
    problems.push(`net amount ${Number.isSafeInteger(p.amountCents) ? formatCents(p.amountCents) : p.amountCents} is not a positive amount`);
  }
  if (p.creditor.name.trim() === '') problems.push('creditor name is empty');
  return problems;
}

// XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates and U+FFFE/U+FFFF.
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Escape text for element content and attributes; a character XML cannot carry throws. */
export function xmlText(s: string): string {
  if (XML_INVALID.test(s)) throw new Error(`text cannot be written to XML: ${JSON.stringify(s)}`);
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Fit a name into a MaxNText field (counted in characters, not UTF-16 units), trimmed. */
function fit(s: string, max: number): string {
  const chars = [...s.trim().replace(/\s+/g, ' ')];
  return chars.length <= max ? chars.join('') : chars.slice(0, max).join('').trimEnd();
}

const TYPE_PRTRY: Record<AccountType, string> = {
  current: 'CURRENT',
  savings: 'SAVINGS',
  transmission: 'TRANSMISSION',
  bond: 'BOND',
};

function el(name: string, text: string): string {
  return `<${name}>${xmlText(text)}</${name}>`;
}

function account(acc: BankAccount, indent: string): string {
  return [
    `${indent}<Id><Othr><Id>${xmlText(acc.number)}</Id></Othr></Id>`,
    `${indent}<Tp><Prtry>${TYPE_PRTRY[acc.type as AccountType]}</Prtry></Tp>`,
    `${indent}<Ccy>ZAR</Ccy>`,
    `${indent}${el('Nm', fit(acc.holder, 70))}`,
  ].join('\n');
}

function agent(acc: BankAccount, indent: string): string {
  return [
    `${indent}<FinInstnId>`,
    `${indent}  <ClrSysMmbId><ClrSysId><Cd>${CLEARING_SYSTEM}</Cd></ClrSysId><MmbId>${xmlText(acc.branch_code)}</MmbId></ClrSysMmbId>`,
    `${indent}  ${el('Nm', fit(acc.bank, 140))}`,
    `${indent}</FinInstnId>`,
  ].join('\n');
}

function transaction(p: EftPayment): string {
  const i = '        ';
  return [
    `      <CdtTrfTxInf>`,
    `${i}<PmtId>${el('EndToEndId', p.paymentReference)}</PmtId>`,
    `${i}<Amt><InstdAmt Ccy="ZAR">${formatCents(p.amountCents)}</InstdAmt></Amt>`,
    `${i}<CdtrAgt>`,
    agent(p.creditor.account, `${i}  `),
    `${i}</CdtrAgt>`,
    `${i}<Cdtr>${el('Nm', fit(p.creditor.name, 140))}</Cdtr>`,
    `${i}<CdtrAcct>`,
    account(p.creditor.account, `${i}  `),
    `${i}</CdtrAcct>`,
    `${i}<RmtInf>${el('Ustrd', p.settlementNumber)}</RmtInf>`,
    `      </CdtTrfTxInf>`,
  ].join('\n');
}

function checkFile(f: EftFile): void {
  if (!isIsoDate(f.paymentDate)) throw new Error(`payment date "${f.paymentDate}" is not a date`);
  if (!Number.isInteger(f.sequence) || f.sequence < 1 || f.sequence > 999) throw new Error(`file sequence ${f.sequence} is not 1..999`);
  if (f.payments.length === 0) throw new Error('a payment file needs at least one payment');
  if (f.debtor.name.trim() === '') throw new Error("the provider's name is empty");
  const debtor = validateBankAccount(f.debtor.account);
  if (debtor.length > 0) throw new Error(`the provider's bank account is invalid: ${debtor.join('; ')}`);
  const refs = new Set<string>();
  for (const p of f.payments) {
    const problems = paymentProblems(p);
    if (problems.length > 0) throw new Error(`${p.settlementNumber} cannot be paid (check paymentProblems first): ${problems.join('; ')}`);
    for (const [what, v] of [['payment reference', p.paymentReference], ['settlement number', p.settlementNumber]] as const) {
      if (v.length < 1 || v.length > 35) throw new Error(`${what} "${v}" must be 1 to 35 characters`);
    }
    if (refs.has(p.paymentReference)) throw new Error(`payment reference ${p.paymentReference} appears twice in one file`);
    refs.add(p.paymentReference);
  }
}

/** The pain.001.001.03 document. Throws if given a payment that paymentProblems rejects. */
export function eftXml(f: EftFile): string {
  checkFile(f);
  const payments = [...f.payments].sort((a, b) => (a.paymentReference < b.paymentReference ? -1 : a.paymentReference > b.paymentReference ? 1 : 0));
  const total = payments.reduce((s, p) => s + p.amountCents, 0);
  const n = String(payments.length);
  const msgId = `KASI-${compactDate(f.paymentDate)}-${String(f.sequence).padStart(3, '0')}`;
  const sum = formatCents(total);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<Document xmlns="${PAIN_001_NS}">`,
    '  <CstmrCdtTrfInitn>',
    '    <GrpHdr>',
    `      <MsgId>${msgId}</MsgId>`,
    `      <CreDtTm>${f.paymentDate}T00:00:00+02:00</CreDtTm>`,
    `      <NbOfTxs>${n}</NbOfTxs>`,
    `      <CtrlSum>${sum}</CtrlSum>`,
    `      <InitgPty>${el('Nm', fit(f.debtor.name, 140))}</InitgPty>`,
    '    </GrpHdr>',
    '    <PmtInf>',
    `      <PmtInfId>${msgId}-1</PmtInfId>`,
    '      <PmtMtd>TRF</PmtMtd>',
    // one entry per insurer on the provider's statement, so each payout reconciles on its own
    '      <BtchBookg>false</BtchBookg>',
    `      <NbOfTxs>${n}</NbOfTxs>`,
    `      <CtrlSum>${sum}</CtrlSum>`,
    `      <ReqdExctnDt>${f.paymentDate}</ReqdExctnDt>`,
    `      <Dbtr>${el('Nm', fit(f.debtor.name, 140))}</Dbtr>`,
    '      <DbtrAcct>',
    account(f.debtor.account, '        '),
    '      </DbtrAcct>',
    '      <DbtrAgt>',
    agent(f.debtor.account, '        '),
    '      </DbtrAgt>',
    '      <ChrgBr>DEBT</ChrgBr>',
    ...payments.map(transaction),
    '    </PmtInf>',
    '  </CstmrCdtTrfInitn>',
    '</Document>',
    '',
  ].join('\n');
}
