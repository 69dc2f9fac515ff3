import type { IsoDate } from '../domain/dates.js';
import type { Cents } from '../domain/money.js';

/** One debit to present (SPEC 4.4; the file gateway writes these as `debits-<YYYYMMDD>-<NNN>.csv`). */
export interface DebitInstruction {
  /** Unique per attempt; written as SUBMITTED before presenting, so a retry never debits twice. */
  readonly instructionId: string;
  readonly tenant: string;
  readonly policyNumber: string;
  readonly customerId: string;
  readonly externalCustomerRef: string;
  readonly amountCents: Cents;
  readonly actionDate: IsoDate;
  /** 1-based presentment number within the period. */
  readonly presentment: number;
}

export interface DebitResult {
  readonly instructionId: string;
  readonly result: 'PAID' | 'UNPAID';
  /** The full amount when PAID, 0 when UNPAID (debit orders are all or nothing). */
  readonly amountCollectedCents: Cents;
  /** ACB/DebiCheck return code when UNPAID (SPEC 4.3), else null. */
  readonly reasonCode: string | null;
  readonly processedDate: IsoDate;
}

export interface BankGateway {
  readonly name: 'simulator' | 'file';
  /**
   * Hand a batch to the bank. The simulator answers at once; the file gateway writes the batch and
   * returns [] (results arrive later as result files, SPEC 3.4).
   */
  present(batchDate: IsoDate, instructions: readonly DebitInstruction[]): Promise<DebitResult[]>;
}
