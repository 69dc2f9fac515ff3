import type { Cents } from './money.js';
import type { SettlementAmounts } from './fees.js';

/**
 * Largest-remainder (Hamilton) allocation of a statement's totals over its rows, so every
 * column of the settlement CSV sums exactly to the statement (SPEC 5.2).
 */

/**
 * floor(a × b / d) into `q`, remainder in [0, d) into `r`; exact, d > 0. BigInt only when a × b
 * is beyond 2^53. Results go to module-level variables rather than a returned object because this
 * runs once per row per column (millions of calls) and is synchronous, so never interleaved.
 */
let q = 0;
let r = 0;
function mulDivFloor(a: number, b: number, d: number): void {
  const p = a * b;
  if (Number.isSafeInteger(p)) {
    q = Math.floor(p / d);
    r = p - q * d;
    // p / d is a float: near an integer boundary it can be off by one; the remainder fixes it.
    if (r < 0) {
      q -= 1;
      r += d;
    } else if (r >= d) {
      q += 1;
      r -= d;
    }
    return;
  }
  const P = BigInt(a) * BigInt(b);
  const D = BigInt(d);
  let Q = P / D;
  let R = P - Q * D;
  if (R < 0n) {
    Q -= 1n;
    R += D;
  }
  q = Number(Q);
  r = Number(R);
}

/**
 * The k-th smallest value of `a` (0-based; `a` is reordered): Hoare's selection, expected linear
 * time where a full sort of a million remainders costs tens of milliseconds per column.
 */
function kthSmallest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    // now a[lo..j] ≤ pivot, a[i..hi] ≥ pivot, and everything between equals the pivot
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/**
 * Split `total` cents over `weights` in proportion, returning integers that sum exactly to
 * `total`. Each row gets floor(total × w / W); the cents left over go one each to the rows with
 * the largest remainders, ties to the lower index. Deterministic for a given input order.
 *
 * - A negative total is allocated as −allocate(−total), so rounding is symmetric about zero.
 * - Zero weights always get zero (their remainder is 0, below every remainder that wins a cent).
 * - Weights may mix signs (a reversal line among collections) as long as they do not sum to 0.
 * - All weights zero (or none): only a zero total can be allocated; anything else throws.
 * Invariants: sum(result) === total (checked before returning) and |result[i] − total × w[i] / W| < 1.
 */
export function allocateLargestRemainder(total: Cents, weights: ArrayLike<Cents>): Cents[] {
  if (!Number.isSafeInteger(total)) throw new Error(`total must be integer cents, got ${total}`);
  const n = weights.length;
  let sumW = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!Number.isSafeInteger(w)) throw new Error(`weight ${i} must be integer cents, got ${w}`);
    sumW += w;
  }
  if (!Number.isSafeInteger(sumW)) throw new Error('weights sum beyond safe integer cents');
  if (sumW === 0) {
    if (total === 0) return new Array<Cents>(n).fill(0);
    throw new Error(`cannot allocate ${total} cents over weights that sum to zero`);
  }
  // Normalise to total ≥ 0 and W > 0: share = t × w / W is unchanged by flipping both signs.
  const tSign = total < 0 ? -1 : 1;
  const wSign = sumW < 0 ? -1 : 1;
  const t = Math.abs(total);
  const W = Math.abs(sumW);

  const out = new Array<Cents>(n);
  const rem = new Float64Array(n);
  let given = 0;
  for (let i = 0; i < n; i++) {
    mulDivFloor(t, wSign * weights[i]!, W);
    out[i] = q;
    rem[i] = r;
    given += q;
  }
  // 0 ≤ left < n because every remainder is below W and they add up to left × W.
  const left = t - given;
  if (left > 0) {
    // The `left` largest remainders get a cent, ties to the lower index. Rather than sorting
    // rows with a comparator (seconds for a million), find the threshold remainder (the
    // (n − left)-th smallest) by selection, then walk the rows in index order.
    const threshold = kthSmallest(Float64Array.from(rem), n - left);
    let atThreshold = left;
    for (let i = 0; i < n; i++) if (rem[i]! > threshold) atThreshold--;
    for (let i = 0; i < n; i++) {
      if (rem[i]! > threshold) out[i]! += 1;
      else if (rem[i] === threshold && atThreshold > 0) {
        out[i]! += 1;
        atThreshold--;
      }
    }
  }
  let check = 0;
  for (let i = 0; i < n; i++) {
    if (tSign < 0) out[i] = -out[i]! || 0;
    check += out[i]!;
  }
  if (check !== total) throw new Error(`allocation bug: ${check} allocated of ${total}`);
  return out;
}

export interface RowFees {
  distributionFee: Cents;
  collectionsFee: Cents;
  vat: Cents;
  netAmount: Cents;
}

/** Column form for big statements: four arrays, one entry per row, in the rows' order. */
export interface SettlementColumns {
  distributionFee: Cents[];
  collectionsFee: Cents[];
  vat: Cents[];
  netAmount: Cents[];
}

/**
 * Allocate a statement over its lines (collected policies and adjustment lines, in a stable
 * order chosen by the caller, e.g. by policy number then period):
 *   distribution_fee and collections_fee by the rows' collected amounts,
 *   vat by the rows' own total fees (so a row's VAT follows its fees, as on the invoice),
 *   net_amount = collected − fees − vat of the row.
 * Throws if the rows do not add up to the statement's total, or if the nets would not add up to
 * its net: either means the caller passed the wrong rows.
 */
export function allocateSettlementColumns(collected: ArrayLike<Cents>, settlement: SettlementAmounts): SettlementColumns {
  let sum = 0;
  for (let i = 0; i < collected.length; i++) sum += collected[i]!;
  if (sum !== settlement.totalCollections) {
    throw new Error(`settlement rows add up to ${sum} cents but the statement's total_collections is ${settlement.totalCollections}`);
  }
  const distributionFee = allocateLargestRemainder(settlement.distributionFee, collected);
  const collectionsFee = allocateLargestRemainder(settlement.collectionsFee, collected);
  const rowFees = distributionFee.map((d, i) => d + collectionsFee[i]!);
  const vat = allocateLargestRemainder(settlement.vat, rowFees);
  const netAmount = rowFees.map((f, i) => collected[i]! - f - vat[i]!);
  const netSum = netAmount.reduce((a, b) => a + b, 0);
  if (netSum !== settlement.netAmount) {
    throw new Error(`row nets add up to ${netSum} cents but the statement's net_amount is ${settlement.netAmount}`);
  }
  return { distributionFee, collectionsFee, vat, netAmount };
}

/** Row form of `allocateSettlementColumns`, for small statements and tests. */
export function allocateSettlementRows(rows: readonly { collectedCents: Cents }[], settlement: SettlementAmounts): RowFees[] {
  const c = allocateSettlementColumns(
    rows.map((r) => r.collectedCents),
    settlement,
  );
  return rows.map((_, i) => ({
    distributionFee: c.distributionFee[i]!,
    collectionsFee: c.collectionsFee[i]!,
    vat: c.vat[i]!,
    netAmount: c.netAmount[i]!,
  }));
}
