import { describe, expect, it } from 'vitest';
import { REPORT_COLUMNS, type ReportRow } from '../../src/domain/collection-report.js';
import { reportCsv, reportFileName, reportJson } from '../../src/outbox/report.renderer.js';
import { collect, expectGolden } from '../fixtures/golden/golden.js';
import { PERIOD, REPORT_ROWS } from '../fixtures/golden/small-month.js';

describe('collection report', () => {
  it('has exactly the 13 SPEC 5.1 columns in order', () => {
    expect(REPORT_COLUMNS.join(',')).toBe(
      'period_month,customer_id,external_customer_ref,policy_number,product_code,collection_amount_due,collection_amount_collected,shortfall,collection_status,first_attempt_date,last_attempt_date,number_of_attempts,last_failure_reason',
    );
  });

  it('CSV matches the golden file', async () => {
    expectGolden('collections-2025-11.csv', await collect(reportCsv(REPORT_ROWS)));
  });

  it('JSON matches the golden file and parses to the SPEC shape', async () => {
    const text = await collect(reportJson(PERIOD, REPORT_ROWS));
    expectGolden('collections-2025-11.json', text);
    const doc = JSON.parse(text) as { period_month: string; results: Record<string, unknown>[] };
    expect(doc.period_month).toBe('2025-11');
    expect(doc.results).toHaveLength(5);
    expect(Object.keys(doc.results[0]!)).toEqual([...REPORT_COLUMNS]);
    expect(doc.results[3]).toMatchObject({
      collection_amount_due: '200.00',
      collection_amount_collected: '0.00',
      shortfall: '200.00',
      first_attempt_date: null,
      last_attempt_date: null,
      number_of_attempts: 0,
      last_failure_reason: null,
    });
    // JSON is not a spreadsheet: text is kept exactly as it is
    expect(doc.results[1]!.external_customer_ref).toBe("=cmd|' /C calc'!A0");
  });

  it('an empty month is a header / an empty results array', async () => {
    expect(await collect(reportCsv([]))).toBe(`${REPORT_COLUMNS.join(',')}\n`);
    const json = await collect(reportJson(PERIOD, []));
    expect(json).toBe('{"period_month":"2025-11","results":[]}\n');
    expect(JSON.parse(json)).toEqual({ period_month: '2025-11', results: [] });
  });

  it('refuses a row of another period in the JSON', async () => {
    await expect(collect(reportJson('2025-12', REPORT_ROWS))).rejects.toThrow(/report for 2025-12 was given a row of 2025-11/);
  });

  it('names the files as SPEC 5 says', () => {
    expect(reportFileName('2025-11', 'csv')).toBe('collections-2025-11.csv');
    expect(reportFileName('2025-11', 'json')).toBe('collections-2025-11.json');
  });
});

describe('streaming', () => {
  const template = REPORT_ROWS[1]!;
  /** Rows made on demand; `pulled` counts how many the renderer has taken so far. */
  function source(N: number): { rows: AsyncIterable<ReportRow>; pulled: () => number } {
    let pulled = 0;
    async function* rows(): AsyncGenerator<ReportRow> {
      for (let i = 0; i < N; i++) {
        pulled++;
        yield { ...template, policy_number: `P-${i}` };
      }
    }
    return { rows: rows(), pulled: () => pulled };
  }

  // A million CSV rows as SPEC scale demands; JSON shares the chunking, so a smaller run proves it.
  it.each([
    ['csv', 1_000_000],
    ['json', 100_000],
  ] as const)('%s, %i rows: chunks of 1,000 rows, never reading ahead of the chunk it emits', async (format, N) => {
    const src = source(N);
    const out = format === 'csv' ? reportCsv(src.rows) : reportJson(PERIOD, src.rows);
    let chunks = 0;
    let lines = 0;
    let maxAhead = 0;
    let last = '';
    for await (const chunk of out) {
      chunks++;
      lines += chunk.split('\n').length - 1;
      // the first chunk is the header / opening: data chunk k is out when exactly k × 1000 rows were read
      maxAhead = Math.max(maxAhead, src.pulled() - (chunks - 1) * 1000);
      last = chunk;
    }
    expect(src.pulled()).toBe(N);
    expect(maxAhead).toBe(0);
    expect(chunks).toBe(1 + N / 1000 + (format === 'json' ? 1 : 0));
    if (format === 'csv') {
      expect(lines).toBe(N + 1);
      expect(last.endsWith(`\n2025-11,C-2,'=cmd|' /C calc'!A0,P-${N - 1},FUNERAL_B,300.00,210.00,90.00,PAID_PARTIAL,2025-11-04,2025-11-28,3,INSUFFICIENT_FUNDS\n`)).toBe(true);
    } else {
      expect(lines).toBe(N + 2); // one per result, then the closing line
      expect(last).toBe('\n]}\n');
    }
  });
});
