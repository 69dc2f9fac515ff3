import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { HOLD_CODES } from '../domain/engine/holds.js';
import { classifyReturn } from '../domain/engine/reason-codes.js';
import { holdsOf, releaseHold } from '../usecases/collect/policy-holds.js';
import type { HoldRecord } from '../store/policy-hold.repository.js';
import { CliError, closePorts, openPorts, type GlobalOptions } from './context.js';

/**
 * `kasi policy holds [--tenant T] [--state open|released] [--json]` and
 * `kasi policy release --tenant T --policy N [--note TEXT]`: the policies held after a holding
 * return code (docs/money-rules.md), and the insurer lifting one (a new mandate, new bank details).
 */
export function registerPolicy(program: Command, globals: () => GlobalOptions): void {
  const policy = program.command('policy').description('policy holds: list them, release one');
  policy
    .command('holds')
    .description('the policies held after a holding return code (open by default)')
    .option('--tenant <id>', 'one insurer (default: all)')
    .option('--state <state>', 'open, released or all', 'open')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; state: string; json?: boolean }) => {
      if (!['open', 'released', 'all'].includes(opts.state)) throw new CliError(`--state must be open, released or all, not "${opts.state}"`, 2);
      const ports = await openPorts(globals());
      try {
        if (opts.tenant && !ports.config.tenants[opts.tenant]) throw new CliError(`unknown tenant "${opts.tenant}"`, 2);
        const state = opts.state === 'all' ? {} : { state: opts.state as 'open' | 'released' };
        const holds = await holdsOf(ports, { ...(opts.tenant ? { tenant: opts.tenant } : {}), ...state });
        if (opts.json) process.stdout.write(JSON.stringify({ holds: holds.map(holdLine) }, null, 2) + '\n');
        else process.stdout.write(holds.length ? holds.map(formatHold).join('') : `no ${opts.state === 'all' ? '' : `${opts.state} `}holds\n`);
      } finally {
        await closePorts(ports);
      }
    });
  policy
    .command('release')
    .description("lift a policy's hold: it is opened and collected again from the running period on")
    .requiredOption('--tenant <id>', 'the insurer')
    .requiredOption('--policy <number>', 'the policy number')
    .option('--note <text>', 'why (kept with the hold), e.g. "new mandate signed 2026-06-02"')
    .action(async (opts: { tenant: string; policy: string; note?: string }) => {
      const ports = await openPorts(globals());
      try {
        if (!ports.config.tenants[opts.tenant]) throw new CliError(`unknown tenant "${opts.tenant}"`, 2);
        const out = await releaseHold(ports, opts.tenant, opts.policy, `cli:${userInfo().username}`, opts.note ?? null);
        if (out.status === 'unknown_policy') throw new CliError(`${opts.tenant} has no policy "${opts.policy}"; check the number`, 2);
        if (out.status === 'not_held') throw new CliError(`policy ${opts.policy} of ${opts.tenant} is not held; nothing to release (kasi policy holds --tenant ${opts.tenant})`, 1);
        const h = out.hold;
        process.stdout.write(`released: ${opts.tenant} ${h.policy_number} (held on ${h.held_on} after code ${h.reason_code} ${classifyReturn(h.reason_code).reason}); it is collected again from the running period\n`);
      } finally {
        await closePorts(ports);
      }
    });
}

function holdLine(h: HoldRecord) {
  return {
    tenant: h.tenant_id,
    policy_number: h.policy_number,
    reason_code: h.reason_code,
    reason: classifyReturn(h.reason_code).reason,
    held_on: h.held_on,
    released_on: h.released_on,
    released_by: h.released_by,
    release_note: h.release_note,
  };
}

function formatHold(h: HoldRecord): string {
  const what = `${h.reason_code} ${classifyReturn(h.reason_code).reason}: ${HOLD_CODES[h.reason_code] ?? ''}`;
  const released = h.released_on ? `, released ${h.released_on} by ${h.released_by}${h.release_note ? ` (${h.release_note})` : ''}` : '';
  return `${h.tenant_id}  ${h.policy_number}  held ${h.held_on}  ${what}${released}\n`;
}
