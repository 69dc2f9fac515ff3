import type { Command } from 'commander';
import { isPeriod, sastDate } from '../domain/dates.js';
import { formatCents } from '../domain/money.js';
import { operatorWebhooks, tenantStatus, type PeriodStatus, type TenantStatus } from '../usecases/collect/status.js';
import { CliError, openPorts, type GlobalOptions } from './context.js';

/** Likely claims listed by name in the text output; all of them are in --json and the collection report. */
const CLAIMS_SHOWN = 20;

export function registerStatus(program: Command, globals: () => GlobalOptions): void {
  program
    .command('status')
    .description('what is open, collected, failed, settled')
    .option('--period <YYYY-MM>', 'the collection period to report on (default: the current one)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { period?: string; json?: boolean }) => {
      if (opts.period !== undefined && !isPeriod(opts.period)) throw new CliError(`--period must be YYYY-MM, not "${opts.period}"`, 2);
      const ports = await openPorts(globals());
      try {
        const tenants = await tenantStatus(ports, opts.period);
        const operator = await operatorWebhooks(ports);
        if (opts.json) {
          process.stdout.write(JSON.stringify({ tenants, operator_webhooks: operator }, null, 2) + '\n');
          return;
        }
        process.stdout.write(formatStatus(tenants));
        if (operator) process.stdout.write(`operator ${formatWebhooks(operator)}`);
        if (tenants.length === 0) process.stdout.write('no tenants configured: run kasi init --tenant <id>\n');
      } finally {
        await ports.store.close();
      }
    });
}

export function formatStatus(tenants: readonly TenantStatus[]): string {
  let out = '';
  for (const t of tenants) {
    out +=
      `${t.tenant} (${t.name})\n  policies: ${t.policies.active} active, ${t.policies.cancelled} cancelled\n` +
      `  intake files: ${t.files.applied} applied, ${t.files.rejected} rejected, ${t.files.duplicate} duplicate\n`;
    for (const f of t.lastFiles) out += `    ${f.processed_at.slice(0, 19)}Z  ${f.status.padEnd(9)} ${f.name} (${f.imported} imported, ${f.failed} failed)\n`;
    out += formatPeriod(t.period);
    out += `  held policies (not collected until released: kasi policy release): ${t.held.length || 'none'}\n`;
    for (const h of t.held.slice(0, CLAIMS_SHOWN)) out += `    ${h.policyNumber}  held ${h.heldOn}  ${h.reasonCode} ${h.reason}\n`;
    if (t.held.length > CLAIMS_SHOWN) out += `    … and ${t.held.length - CLAIMS_SHOWN} more (kasi policy holds --tenant ${t.tenant})\n`;
    if (t.webhooks) out += `  ${formatWebhooks(t.webhooks)}`;
  }
  return out;
}

export function formatWebhooks(w: NonNullable<TenantStatus['webhooks']>): string {
  const oldest = w.oldestPendingAt ? ` (oldest from ${w.oldestPendingAt.slice(0, 19)}Z)` : '';
  return `webhooks: ${w.pending} pending${oldest}, ${w.failed} failed, ${w.delivered} delivered\n`;
}

function formatPeriod(p: PeriodStatus): string {
  if (p.state === 'not executed') return `  period ${p.period}: not executed (run kasi execute --period ${p.period})\n`;
  const c = p.collections;
  const o = p.openProgress;
  const state = p.state === 'open' ? 'open' : `closed ${sastDate(new Date(p.closedAt!))}`;
  let out =
    `  period ${p.period} (${state})\n` +
    `    collections: ${c.open} open (${o.collectedInFull} collected in full so far, ${o.inPart} in part, ${o.nothingYet} nothing yet), ` +
    `${c.paidFull} paid in full, ${c.paidPartial} partial, ${c.unpaid} unpaid, ${c.cancelled} cancelled\n` +
    `    due R${formatCents(p.dueCents)}, collected R${formatCents(p.collectedCents)}\n` +
    `    presentments: ${p.presentments.total} (${p.presentments.paid} paid, ${p.presentments.unpaid} unpaid, ${p.presentments.awaiting} awaiting a result)\n` +
    `    failures: ${p.failures.length ? p.failures.map((f) => `${f.reason} ${f.count}`).join(', ') : 'none'}\n` +
    `    likely claims (account holder deceased): ${p.likelyClaims.length || 'none'}\n`;
  for (const l of p.likelyClaims.slice(0, CLAIMS_SHOWN)) out += `      ${l.policyNumber}  customer ${l.customerId}\n`;
  if (p.likelyClaims.length > CLAIMS_SHOWN) out += `      … and ${p.likelyClaims.length - CLAIMS_SHOWN} more (kasi status --json, or the collection report)\n`;
  return out;
}
