import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { importFile } from '../jobs/import-file.js';
import { writeSamplePolicies } from '../jobs/sample-files.js';
import { tenantStatus } from '../jobs/status.js';
import { openPorts, type GlobalOptions } from './context.js';
import { initRoot } from './init.command.js';
import { formatOutcome } from './import.command.js';

/**
 * `kasi demo`: scaffold a runtime root for a `demo` tenant, generate a sample policies file,
 * take it through intake exactly as the daemon would, and show where everything went.
 */
export function registerDemo(program: Command, globals: () => GlobalOptions): void {
  program
    .command('demo')
    .description('a sample tenant, sample policies, taken through the pipeline, with a summary')
    .option('--policies <n>', 'how many sample policies', '1000')
    .action(async (opts: { policies: string }) => {
      const g = globals();
      const root = resolve(g.root ?? process.env.KASI_ROOT ?? mkdtempSync(join(tmpdir(), 'kasi-demo-')));
      await initRoot(root, 'demo', 'Demo Funeral Insurance Ltd');
      const ports = await openPorts({ ...g, root, config: g.config && existsSync(g.config) ? g.config : undefined });
      try {
        const inbox = ports.paths.inbox('demo');
        const file = join(inbox, 'policies-demo.csv');
        await writeSamplePolicies(file, Number(opts.policies), 7);
        process.stdout.write(`kasi demo — runtime root ${root}\n\n1. wrote ${relative(root, file)} (${opts.policies} sample policies)\n`);
        const out = await importFile(ports, { tenantId: 'demo', path: file, mode: 'move' });
        process.stdout.write(`2. intake:\n${formatOutcome(out, root)}\n`);
        const [st] = await tenantStatus(ports);
        if (st) process.stdout.write(`3. store: ${st.policies.active} active policies for ${st.name}\n`);
        process.stdout.write(`\nOutputs:\n  archive:  ${join(root, 'archive', 'demo')}\n  results:  ${ports.paths.intakeResults('demo')}\n  database: ${join(root, 'data', 'kasi.sqlite')}\n`);
      } finally {
        await ports.db.close();
      }
    });
}
