import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type { GlobalOptions } from './context.js';
import { runSimulationCli } from './simulate.command.js';
import { closeHook } from './close-hook.js';

/**
 * `kasi demo`: a `demo` tenant in a fresh runtime root, a sample book of policies and a whole
 * simulated month through the real pipeline (intake, execute, daily batches against the seeded
 * simulated bank, then the month close on the 1st–3rd), ending with the outbox listing.
 */
export function listTree(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (!n.startsWith('.')) out.push(`  ${relative(root, p)}  (${statSync(p).size} bytes)`);
    }
  };
  walk(dir);
  return out;
}

export function registerDemo(program: Command, globals: () => GlobalOptions): void {
  program
    .command('demo')
    .description('a sample tenant, sample policies and one simulated month end to end, with a summary')
    .option('--policies <n>', 'how many sample policies', '1000')
    .action(async (opts: { policies: string }) => {
      const g = globals();
      const root = resolve(g.root ?? process.env.KASI_ROOT ?? mkdtempSync(join(tmpdir(), 'kasi-demo-')));
      process.stdout.write(
        `kasi demo — runtime root ${root}\n` +
          `A month of premium collections for ${opts.policies} sample policies of "Demo Funeral Insurance Ltd",\n` +
          `debited through the seeded simulated bank, then the month close on 1–3 December.\n\n`,
      );
      process.env.KASI_LOG_LEVEL ??= 'warn';
      await runSimulationCli(
        { ...g, root },
        { from: '2025-11-01', to: '2025-12-03', policies: opts.policies, seed: '42', strategy: 'default', incomeFeed: '1' },
        root,
        { close: closeHook },
      );
      const intake = listTree(root, join(root, 'outbox', 'demo', 'intake')).filter((l) => !l.includes('.sha256'));
      const archived = listTree(root, join(root, 'archive'));
      process.stdout.write(
        `\nOutputs under ${root}:\n` +
          [...listTree(root, join(root, 'outbox', 'demo', '2025-11')), ...listTree(root, join(root, 'outbox', 'bank'))].join('\n') +
          `\n  outbox/demo/intake/  (${intake.length} intake result files)\n  archive/demo/  (${archived.length} intake files archived)\n`,
      );
      process.stdout.write(`\nDatabase: ${join(root, 'data', 'kasi.sqlite')}   Try: npx kasi status --root ${root} --period 2025-11\n`);
    });
}
