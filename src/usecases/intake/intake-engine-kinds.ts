import { sastDate } from '../../domain/dates.js';
import { INCOME_REQUIRED, readIncomeRow, type IncomeRow } from '../../domain/income-row.js';
import { RESULT_REQUIRED, readResultRow, type ResultRow } from '../../domain/result-row.js';
import { classifyReturn } from '../../domain/engine/reason-codes.js';
import { formatCents } from '../../domain/money.js';
import { openRowFile } from '../../intake/policy-file.reader.js';
import { applyInTransaction } from './apply-in-transaction.js';
import { applyResults } from '../collect/apply-results.js';
import { recordCollectionEvents } from '../webhooks/collection-events.js';
import { registerKind, type KindHandler } from './intake-kinds.js';

/**
 * Income files (`income*.csv`) and bank result files (`results*.csv` in inbox/bank) through the
 * same intake as policies: same ledger, same duplicate rule, same result files.
 */
const income: KindHandler = {
  label: 'income',
  open: async (path, scan, ports) => {
    const today = sastDate(ports.clock.now());
    return openRowFile<IncomeRow>(path, scan, INCOME_REQUIRED, [], (cells, header, decimal) => readIncomeRow(cells, header, { decimal, today }));
  },
  apply: (ports, meta, items, tally, decide) =>
    applyInTransaction<IncomeRow>(ports.store, meta, items as never, tally, decide, (tx, fileId, rows) =>
      tx.income.recordIncome(
        meta.tenantId,
        fileId,
        rows.map(({ row }) => row),
      ),
    ),
};

const results: KindHandler = {
  label: 'result',
  open: (path, scan) => openRowFile<ResultRow>(path, scan, RESULT_REQUIRED, [], (cells, header) => readResultRow(cells, header)),
  apply: (ports, meta, items, tally, decide) =>
    applyInTransaction<ResultRow>(ports.store, meta, items as never, tally, decide, async (tx, fileId, rows) => {
      const now = ports.clock.now().toISOString();
      const debits = rows.map(({ row }) => ({ instructionId: row.instructionId, result: row.result, amountCollectedCents: row.amountCents, reasonCode: row.reasonCode, processedDate: row.processedDate }));
      // applyResults and recordCollectionEvents take the transaction's Sql on this branch (issue 13: `tx` once they take a Tx)
      const summary = await applyResults(tx.bridge.sql(), debits, now, fileId);
      await recordCollectionEvents(tx.bridge.sql(), ports.config, new Date(now), debits, summary);
      rows.forEach(({ line, row }, i) => {
        const outcome = summary.outcomes[i];
        if (outcome === 'unknown' || outcome === 'repeated') {
          tally.imported--;
          tally.add({
            line,
            column: 'instruction_id',
            code: outcome === 'unknown' ? 'RESULT_UNKNOWN_INSTRUCTION' : 'RESULT_REPEATED',
            message:
              outcome === 'unknown'
                ? `no debit was presented with instruction_id "${row.instructionId}"; the result was recorded and ignored`
                : `instruction "${row.instructionId}" already has a result; this one was recorded and ignored`,
            severity: 'warning',
          });
        } else if (outcome === 'excessive') {
          tally.imported--;
          tally.add({
            line,
            column: 'amount_collected',
            code: 'RESULT_MORE_THAN_PRESENTED',
            message: `amount_collected ${formatCents(row.amountCents)} is more than the debit presented as "${row.instructionId}"; the result was recorded and not applied: ask the bank for a corrected result`,
          });
        } else if (outcome === 'late') {
          tally.add({ line, column: 'instruction_id', code: 'RESULT_LATE', message: `the period of "${row.instructionId}" is closed; the result is carried into the next settlement`, severity: 'warning' });
        }
        if (row.reasonCode && classifyReturn(row.reasonCode).reason.startsWith('UNKNOWN_')) {
          tally.add({ line, column: 'reason_code', code: 'RESULT_UNKNOWN_REASON', message: `return code ${row.reasonCode} is not in the ACB table; treated as a hard failure (${classifyReturn(row.reasonCode).reason})`, severity: 'warning' });
        }
      });
    }),
};

registerKind('income', income);
registerKind('results', results);
