import { join } from 'node:path';
import { isPeriod, sastDate, type Period } from '../../domain/dates.js';
import type { Party } from '../../outbox/pdf-document.js';
import { invoiceFileName, invoiceJson, type TaxInvoice } from '../../outbox/invoice.renderer.js';
import { invoicePdf } from '../../outbox/invoice-pdf.renderer.js';
import type { InvoiceRecord } from '../../store/invoice.repository.js';
import type { SettlementRecord } from '../../store/settlement.repository.js';
import { ensureFile, providerParty, skipped, tenantConfig, tenantParty, type StepResult } from './close-common.js';
import { loadStatement } from './close-settle.js';
import type { Ports } from '../ports.js';
import { crashPoint } from '../../faults/crash-point.js';

/**
 * Day 2 (SPEC 5): the tax invoice for a settlement's fees, `INV-<YYYY-MM>-<NNN>` (a serial per
 * settlement period across tenants, allocated in the store). Supplier and recipient, with their
 * VAT numbers, are stored as issued, so the documents can be rendered again byte for byte.
 */
export interface InvoiceParties {
  supplier: Party;
  recipient: Party;
}

export async function taxInvoiceOf(ports: Ports, inv: InvoiceRecord, rec: SettlementRecord): Promise<TaxInvoice> {
  const parties = JSON.parse(inv.parties) as InvoiceParties;
  return {
    invoiceNumber: inv.invoice_number,
    invoiceDate: inv.invoice_date,
    supplier: parties.supplier,
    recipient: parties.recipient,
    statement: await loadStatement(ports, rec, true),
    createdAt: new Date(inv.created_at),
  };
}

export async function closeInvoice(ports: Ports, tenant: string, period: Period): Promise<StepResult> {
  if (!isPeriod(period)) throw new Error(`"${period}" is not a period YYYY-MM`);
  tenantConfig(ports.config, tenant);
  const rec = await ports.store.reading((tx) => tx.settlements.findSettlement(tenant, period));
  if (!rec) return skipped(`${tenant} ${period}: no settlement yet; run the settle step first`);
  const now = ports.clock.now();
  const parties: InvoiceParties = { supplier: providerParty(ports.config), recipient: tenantParty(ports.config, tenant) };
  const { invoice, created } = await ports.store.transaction((tx) =>
    tx.invoices.createInvoice({
      settlementId: rec.id,
      tenantId: tenant,
      period,
      invoiceDate: sastDate(now),
      parties: JSON.stringify(parties),
      createdAt: now.toISOString(),
    }),
  );
  if (created) crashPoint('close-after-commit');
  const inv = await taxInvoiceOf(ports, invoice, rec);
  const dir = ports.paths.outbox(tenant, period);
  const json = join(dir, invoiceFileName(invoice.invoice_number, 'json'));
  const pdf = join(dir, invoiceFileName(invoice.invoice_number, 'pdf'));
  let wrote = await ensureFile(json, (write) => write(invoiceJson(inv)));
  wrote = (await ensureFile(pdf, async (write) => write(await invoicePdf(inv)))) || wrote;
  const problems: string[] = [];
  // reported when issued (a re-run would only repeat it): the invoice cannot be changed later
  if (created && !inv.recipient.vatNumber && inv.recipient.vatRegistered !== false) {
    problems.push(`${tenant}: no vat_number configured for the tenant; invoice ${invoice.invoice_number} says "VAT number: not supplied"`);
  }
  const log = ports.log.child({ step: 'close-invoice', tenant, period });
  if (created) log.info({ invoice: invoice.invoice_number, settlement: rec.settlement_number }, 'tax invoice issued');
  for (const p of problems) log.warn({}, p);
  return { status: created || wrote ? 'done' : 'exists', files: [json, pdf], problems };
}
