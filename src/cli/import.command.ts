import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { importFile, type IntakeOutcome } from '../usecases/intake/import-file.js';
import type { IntakeKind } from '../store/intake-file.repository.js';
import { CliError, closePorts, openPorts, type GlobalOptions } from './context.js';
import { makeProgress } from './progress.js';

export function formatOutcome(o: IntakeOutcome, root: string, maxLines = 50): string {
  const head =
    o.status === 'duplicate'
      ? `${o.file}: duplicate — the same bytes were applied before; nothing applied again`
      : o.status === 'rejected'
        ? `${o.file}: REJECTED — nothing applied`
        : `${o.file}: applied — ${o.imported} imported, ${o.failed} failed${o.warnings ? `, ${o.warnings} warning${o.warnings === 1 ? '' : 's'}` : ''}`;
  const lines = o.errors.slice(0, maxLines).map((e) => `  ${e.line ? `line ${e.line}` : 'file'}${e.column ? `, ${e.column}` : ''}: ${e.code} — ${e.message}`);
  if (o.errors.length > maxLines) lines.push(`  … ${o.errors.length - maxLines} more in the result file`);
  const where = [`  result: ${relative(process.cwd(), o.resultPath) || o.resultPath}`];
  if (o.movedTo) where.push(`  file:   ${relative(root, o.movedTo)} (under ${root})`);
  return [head, ...lines, ...where].join('\n') + '\n';
}

/** 0: applied cleanly (or a duplicate); 2: rejected or some rows failed (invalid input). */
export function exitCodeFor(o: IntakeOutcome): 0 | 2 {
  return o.status === 'rejected' || o.failed > 0 ? 2 : 0;
}

export function registerImport(program: Command, globals: () => GlobalOptions): void {
  program
    .command('import <file>')
    .description('intake one file now, exactly as if dropped in the tenant inbox (the file itself is copied, not moved)')
    .requiredOption('--tenant <id>', 'the insurer the file belongs to')
    .option('--kind <kind>', 'policies | income (default: from the name prefix)')
    .option('--json', 'print {imported, failed, errors} as JSON')
    .action(async (file: string, opts: { tenant: string; kind?: string; json?: boolean }) => {
      const path = resolve(file);
      if (!existsSync(path)) throw new CliError(`${file}: no such file`, 2);
      if (opts.kind && !['policies', 'income', 'results'].includes(opts.kind)) throw new CliError(`--kind must be policies or income, not "${opts.kind}"`, 2);
      const ports = await openPorts(globals());
      try {
        if (!ports.config.tenants[opts.tenant]) {
          throw new CliError(`unknown tenant "${opts.tenant}": add it under tenants: in the config (or run kasi init --tenant ${opts.tenant})`, 2);
        }
        const progress = makeProgress(`importing ${file}`, ports.log);
        const out = await importFile(ports, { tenantId: opts.tenant, path, kind: opts.kind as IntakeKind | undefined, mode: 'copy', source: 'inbox', onProgress: (b, t) => progress.update(b, t) });
        progress.stop();
        if (opts.json) {
          process.stdout.write(JSON.stringify({ file: out.file, status: out.status, imported: out.imported, failed: out.failed, errors: out.errors.map(({ line, column, code, message }) => ({ line, column, code, message })) }, null, 2) + '\n');
        } else process.stdout.write(formatOutcome(out, ports.config.root));
        process.exitCode = exitCodeFor(out);
      } finally {
        await closePorts(ports);
      }
    });
}
