/**
 * A deterministic sample book of policies for demos, simulations and benchmarks: the same seed
 * gives the same policies. Premiums R50–R500 in whole rand or with cents, funeral and life products.
 */
export interface SamplePolicy {
  customer_id: string;
  external_customer_ref: string;
  policy_number: string;
  product_code: string;
  collection_amount_cents: number;
}

/** mulberry32: a small, fast, well-mixed PRNG; returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PRODUCTS = ['FUNERAL-BASIC', 'FUNERAL-FAMILY', 'LIFE-COVER', 'CREDIT-LIFE'];

export function samplePolicy(i: number, rand: () => number): SamplePolicy {
  const n = String(i + 1).padStart(7, '0');
  const rands = 50 + Math.floor(rand() * 451);
  const cents = rand() < 0.3 ? Math.floor(rand() * 100) : 0;
  return {
    customer_id: `C${n}`,
    external_customer_ref: `EXT-${n}`,
    policy_number: `POL-${n}`,
    product_code: PRODUCTS[Math.floor(rand() * PRODUCTS.length)]!,
    collection_amount_cents: rands * 100 + cents,
  };
}

export function* sampleBook(count: number, seed: number): Generator<SamplePolicy> {
  const rand = prng(seed);
  for (let i = 0; i < count; i++) yield samplePolicy(i, rand);
}
