import { formatCents } from '../src/domain/money.js';
import { sampleBook } from '../src/domain/sample-book.js';
import { writeAtomic } from '../src/files/atomic-writer.js';

export const POLICY_HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount,status\n';

/** Write a sample policies CSV (streamed; fine for a million rows). */
export async function writeSamplePolicies(path: string, count: number, seed: number): Promise<void> {
  async function* lines(): AsyncGenerator<string> {
    yield POLICY_HEADER;
    let buf = '';
    let i = 0;
    for (const p of sampleBook(count, seed)) {
      buf += `${p.customer_id},${p.external_customer_ref},${p.policy_number},${p.product_code},${formatCents(p.collection_amount_cents)},active\n`;
      if (++i % 5000 === 0) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  }
  await writeAtomic(path, lines(), { sidecar: false });
}
