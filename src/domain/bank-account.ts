/**
 * A South African bank account as configured for EFT payouts (SPEC 2, 5.3). A tenant with a
 * missing or invalid account is reported and left out of the payment file, never paid to a
 * wrong account, so validation lists every problem in words an operator can act on.
 */
export const ACCOUNT_TYPES = ['current', 'savings', 'transmission', 'bond'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

export interface BankAccount {
  holder: string;
  bank: string;
  branch_code: string;
  number: string;
  type: string;
}

/**
 * Account numbers: digits only, 7 to 11 digits. South African banks issue 9–11 digit numbers
 * today (Absa 10, FNB 11, Standard Bank 9–11, Nedbank 10, Capitec 10), older accounts can be
 * shorter, and the clearing system (ACB) carries at most 11 digits. No check-digit test: the
 * CDV rules differ per bank and branch and are the bank's to apply.
 */
const ACCOUNT_NUMBER = /^\d{7,11}$/;
/** Universal branch codes are 6 digits (e.g. 250655 FNB, 632005 Absa). */
const BRANCH_CODE = /^\d{6}$/;
/** The pain.001 account name (CdtrAcct/Nm) is at most 70 characters. */
const HOLDER_MAX = 70;
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f\ufeff\ufffd\u2028\u2029]/;

export function isAccountType(t: string): t is AccountType {
  return (ACCOUNT_TYPES as readonly string[]).includes(t);
}

/** Problems with the account, in words; an empty list means it can be paid to. */
export function validateBankAccount(acc: Partial<BankAccount> | null | undefined): string[] {
  if (acc === null || acc === undefined) return ['no bank account is configured'];
  const problems: string[] = [];
  const holder = (acc.holder ?? '').trim();
  if (holder === '') problems.push('holder is empty');
  else if (NOT_PRINTABLE.test(holder)) problems.push('holder contains a control or invisible character');
  else if ([...holder].length > HOLDER_MAX) problems.push(`holder is longer than ${HOLDER_MAX} characters`);
  if ((acc.bank ?? '').trim() === '') problems.push('bank is empty');
  else if (NOT_PRINTABLE.test(acc.bank ?? '')) problems.push('bank contains a control or invisible character');
  const branch = acc.branch_code ?? '';
  if (!BRANCH_CODE.test(branch)) problems.push(`branch_code "${branch}" is not a 6-digit universal branch code`);
  const number = acc.number ?? '';
  if (!/^\d+$/.test(number)) problems.push(`number "${number}" must be digits only (no spaces or dashes)`);
  else if (!ACCOUNT_NUMBER.test(number)) problems.push(`number "${number}" has ${number.length} digits; a South African account number has 7 to 11`);
  const type = acc.type ?? '';
  if (!isAccountType(type)) problems.push(`type "${type}" must be one of ${ACCOUNT_TYPES.join(', ')}`);
  return problems;
}

/** "62000000000" → "*******0000": enough for a person to recognise the account on a document. */
export function maskAccountNumber(number: string): string {
  return number.length <= 4 ? number : '*'.repeat(number.length - 4) + number.slice(-4);
}
