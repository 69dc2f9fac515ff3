import type { Command } from 'commander';
import { CliError, openPorts, type GlobalOptions } from './context.js';

/**
 * `kasi webhooks retry <event-id...>`: send events that failed for good (a 4xx, or out of
 * attempts) again once the receiver is fixed: the same id and body, from the first attempt. The
 * daemon's sender picks them up in their lane's order.
 */
export function registerWebhooks(program: Command, globals: () => GlobalOptions): void {
  const cmd = program.command('webhooks').description('webhook events (docs/webhooks.md)');
  cmd
    .command('retry')
    .description('send failed webhook events again (ids from kasi status --json or GET /v1/webhooks/events?status=failed)')
    .argument('<event-id...>', 'evt_… ids')
    .action(async (ids: string[]) => {
      const bad = ids.filter((id) => !/^evt_[0-9a-f-]{36}$/.test(id));
      if (bad.length) throw new CliError(`not an event id: ${bad.join(', ')} (they look like evt_5d0c1d7e-2b1f-4f0e-9a53-7c7f3f1f2a10)`, 2);
      const ports = await openPorts(globals());
      try {
        const again = await ports.store.transaction((tx) => tx.webhooks.requeueFailed(ids, new Date().toISOString()));
        for (const id of ids) process.stdout.write(`${id}: ${again.includes(id) ? 'queued again' : 'no failed delivery (unknown, pending or delivered): left alone'}\n`);
        if (again.length < ids.length) process.exitCode = 1;
      } finally {
        await ports.store.close();
      }
    });
}
