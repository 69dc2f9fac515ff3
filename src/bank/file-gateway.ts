import { join } from 'node:path';
import type { IsoDate } from '../domain/dates.js';
import { amountCell, csvLine, headerLine, integerCell, textCell } from '../files/csv.js';
import { existsComplete, writeAtomic } from '../files/atomic-writer.js';
import type { BankGateway, DebitInstruction, DebitResult } from './gateway.js';

/**
 * The file gateway (SPEC 4.4): a batch is `outbox/bank/debits-<YYYYMMDD>-<NNN>.csv`, its name
 * allocated in the store with the SUBMITTED attempts. Writing is idempotent: a file already
 * complete is left as it is, so a restart after a crash re-presents nothing.
 */
export const DEBIT_COLUMNS = ['instruction_id', 'tenant', 'policy_number', 'customer_id', 'external_customer_ref', 'amount', 'action_date', 'presentment'];

export function debitFileName(batchDate: IsoDate, seq: number): string {
  return `debits-${batchDate.replaceAll('-', '')}-${String(seq).padStart(3, '0')}.csv`;
}

export function debitsCsv(instructions: readonly DebitInstruction[]): string {
  let out = headerLine(DEBIT_COLUMNS);
  for (const i of instructions) {
    out += csvLine([
      textCell(i.instructionId),
      textCell(i.tenant),
      textCell(i.policyNumber),
      textCell(i.customerId),
      textCell(i.externalCustomerRef),
      amountCell(i.amountCents),
      textCell(i.actionDate),
      integerCell(i.presentment),
    ]);
  }
  return out;
}

export class FileGateway implements BankGateway {
  readonly name = 'file' as const;
  constructor(private readonly dir: string) {}

  async present(_batchDate: IsoDate, instructions: readonly DebitInstruction[], batchFile?: string): Promise<DebitResult[]> {
    if (!batchFile) throw new Error('the file gateway needs the batch file name allocated with the attempts');
    const path = join(this.dir, batchFile);
    if (!(await existsComplete(path))) await writeAtomic(path, debitsCsv(instructions));
    return [];
  }
}
