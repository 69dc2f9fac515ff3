/**
 * Money is integer cents from parse to render. Rates are decimal strings ("0.035") turned into
 * exact rationals, so no binary floating point ever touches an amount.
 * One rounding rule everywhere: half-up to the cent (amounts here are never negative except
 * adjustments, where half-up means "away from zero" on the absolute value, as accountants expect).
 */
export type Cents = number;

export type AmountParse =
  | { ok: true; cents: Cents }
  | { ok: false; code: AmountErrorCode; message: string };

export type AmountErrorCode =
  | 'AMOUNT_REQUIRED'
  | 'AMOUNT_NOT_A_NUMBER'
  | 'AMOUNT_AMBIGUOUS'
  | 'AMOUNT_TOO_MANY_DECIMALS'
  | 'AMOUNT_NOT_POSITIVE'
  | 'AMOUNT_OVER_CEILING';

const DOT_FORM = /^(\d+)(?:\.(\d{1,}))?$/;
const COMMA_FORM = /^(\d+)(?:,(\d{1,}))?$/;

/**
 * Parse a premium as written by an insurer. `decimal` is the file's dialect: `.` for comma-delimited
 * files, `,` for semicolon-delimited (Excel on a South African locale). A leading `R` and spaces
 * (including no-break spaces) are tolerated; a thousands separator is not, because "1,500" in a
 * dot-decimal file or "1.500" in a comma-decimal file could mean two different amounts.
 */
const PLAIN_DOT = /^(\d{1,12})(?:\.(\d{1,2}))?$/;
const PLAIN_COMMA = /^(\d{1,12})(?:,(\d{1,2}))?$/;

export function parseAmount(raw: string, decimal: '.' | ',', ceiling: Cents): AmountParse {
  // fast path: the plain form almost every row uses
  const plain = (decimal === '.' ? PLAIN_DOT : PLAIN_COMMA).exec(raw);
  if (plain) {
    const f = plain[2];
    const cents = Number(plain[1]) * 100 + (f === undefined ? 0 : f.length === 1 ? Number(f) * 10 : Number(f));
    if (cents > 0 && cents <= ceiling) return { ok: true, cents };
  }
  let s = raw.trim();
  if (s === '') return { ok: false, code: 'AMOUNT_REQUIRED', message: 'collection_amount is empty; every row needs an amount' };
  if (s[0] === 'R' || s[0] === 'r') s = s.slice(1);
  s = s.replace(/[\s\u00a0\u202f]/g, '');
  if (s.startsWith('-')) {
    return { ok: false, code: 'AMOUNT_NOT_POSITIVE', message: `collection_amount "${raw}" must be greater than 0` };
  }
  const other = decimal === '.' ? ',' : '.';
  if (s.includes(other)) {
    return {
      ok: false,
      code: 'AMOUNT_AMBIGUOUS',
      message: `collection_amount "${raw}" uses "${other}", which is ambiguous in a file with "${decimal}" decimals; write it as ${decimal === '.' ? '1500.00' : '1500,00'}`,
    };
  }
  const m = (decimal === '.' ? DOT_FORM : COMMA_FORM).exec(s);
  if (!m) return { ok: false, code: 'AMOUNT_NOT_A_NUMBER', message: `collection_amount "${raw}" is not an amount; write digits with "${decimal}" before the cents, e.g. ${decimal === '.' ? '150.00' : '150,00'}` };
  const whole = m[1]!;
  const frac = m[2] ?? '';
  if (frac.length > 2) {
    return { ok: false, code: 'AMOUNT_TOO_MANY_DECIMALS', message: `collection_amount "${raw}" has more than 2 decimals; write it in rand and cents, e.g. ${decimal === '.' ? '150.01' : '150,01'}` };
  }
  if (whole.length > 12) {
    return { ok: false, code: 'AMOUNT_OVER_CEILING', message: `collection_amount "${raw}" is above the ceiling of ${formatCents(ceiling)}; check the amount (the ceiling is intake.amount_ceiling)` };
  }
  const cents = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  if (cents <= 0) return { ok: false, code: 'AMOUNT_NOT_POSITIVE', message: `collection_amount "${raw}" must be greater than 0` };
  if (cents > ceiling) {
    return { ok: false, code: 'AMOUNT_OVER_CEILING', message: `collection_amount "${raw}" is above the ceiling of ${formatCents(ceiling)}; check the amount (the ceiling is intake.amount_ceiling)` };
  }
  return { ok: true, cents };
}

/** Parse a configured amount such as "20.00" or "100000.00"; throws on a malformed value (config bug). */
export function centsFromDecimal(text: string): Cents {
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) throw new Error(`not a decimal amount: "${text}"`);
  const c = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -c : c;
}

/** 15000 → "150.00"; -5 → "-0.05". */
export function formatCents(cents: Cents): string {
  if (!Number.isSafeInteger(cents)) throw new Error(`not integer cents: ${cents}`);
  const neg = cents < 0;
  const abs = Math.abs(cents);
  const s = `${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  return neg ? `-${s}` : s;
}

/** A decimal rate string ("0.035") as an exact fraction num/den. */
export interface Rate {
  readonly num: bigint;
  readonly den: bigint;
  readonly text: string;
}

export function parseRate(text: string): Rate {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`not a rate: "${text}"`);
  const frac = m[2] ?? '';
  return { num: BigInt(m[1]! + frac), den: 10n ** BigInt(frac.length), text };
}

/** Divide num/den rounding half-up (half away from zero for negatives). den > 0. */
export function divHalfUp(num: bigint, den: bigint): bigint {
  if (den <= 0n) throw new Error('denominator must be positive');
  const neg = num < 0n;
  const a = neg ? -num : num;
  const q = (2n * a + den) / (2n * den);
  return neg ? -q : q;
}

/** round(cents × rate) half-up to the cent: the one rounding function for fees and VAT. */
export function applyRate(cents: Cents, rate: Rate): Cents {
  return Number(divHalfUp(BigInt(cents) * rate.num, rate.den));
}
