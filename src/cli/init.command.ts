import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse, stringify } from 'yaml';
import { CliError, openPorts, type GlobalOptions } from './context.js';

const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** `kasi init --root DIR --tenant ID`: config with one folder tenant, the folders, a migrated database. */
export async function initRoot(root: string, tenant: string, name?: string, details: Record<string, unknown> = {}): Promise<string[]> {
  if (!TENANT_ID.test(tenant) || tenant === 'bank') {
    throw new CliError(`tenant id "${tenant}" is not valid: use 1-32 of a-z 0-9 - (not "bank")`, 2);
  }
  const made: string[] = [];
  const cfgPath = join(root, 'config/local.yaml');
  mkdirSync(join(root, 'config'), { recursive: true });
  const doc = (existsSync(cfgPath) ? (parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown> | null) : null) ?? {};
  const tenants = (doc.tenants as Record<string, unknown> | undefined) ?? {};
  if (!tenants[tenant]) {
    tenants[tenant] = { name: name ?? `${tenant} (set the insurer's legal name)`, intake: 'folder', ...details };
    doc.tenants = tenants;
    doc.database ??= 'sqlite:data/kasi.sqlite';
    writeFileSync(cfgPath, `# kasi runtime configuration (overrides config/default.yaml)\n${stringify(doc)}`);
    made.push(cfgPath);
  }
  for (const dir of [`inbox/${tenant}`, 'inbox/bank', `outbox/${tenant}`, 'outbox/bank', `archive/${tenant}`, `failed/${tenant}`, 'data']) {
    const p = join(root, dir);
    if (!existsSync(p)) {
      mkdirSync(p, { recursive: true });
      made.push(p);
    }
  }
  return made;
}

export function registerInit(program: Command, globals: () => GlobalOptions): void {
  program
    .command('init')
    .description('scaffold a runtime root: config with one folder-intake tenant, the folders, a migrated database')
    .requiredOption('--tenant <id>', 'the first tenant (insurer) id')
    .option('--name <name>', "the insurer's legal name")
    .action(async (opts: { tenant: string; name?: string }) => {
      const g = globals();
      const root = resolve(g.root ?? process.env.KASI_ROOT ?? process.cwd());
      const made = await initRoot(root, opts.tenant, opts.name);
      const ports = await openPorts({ ...g, root });
      await ports.store.close();
      process.stdout.write(
        `kasi root ready at ${root}\n` +
          (made.length ? made.map((m) => `  created ${m}\n`).join('') : '  (already set up; nothing changed)\n') +
          `Drop policy files into ${join(root, 'inbox', opts.tenant)}/ or run: kasi import <file> --tenant ${opts.tenant} --root ${root}\n`,
      );
    });
}
