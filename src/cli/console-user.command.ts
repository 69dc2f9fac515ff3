import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { hashPassword } from '../usecases/console/password.js';
import { CliError, readConfig, type GlobalOptions } from './context.js';

/**
 * `kasi console-user --name N --role operator|tenant [--tenant T]`: reads a password (from stdin
 * when it is not a terminal, else asked twice without echo) and prints the config line for
 * `console.users` with its scrypt hash. The password itself is stored nowhere.
 */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.replace(/\r?\n$/, '');
  }
  const ask = (q: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      const out = rl as unknown as { _writeToOutput: (s: string) => void };
      out._writeToOutput = (s: string) => {
        if (s.startsWith(q)) process.stderr.write(q);
      };
      rl.question(q, (a) => {
        rl.close();
        process.stderr.write('\n');
        resolve(a);
      });
    });
  const a = await ask('Password: ');
  if ((await ask('Again: ')) !== a) throw new CliError('the two passwords differ; nothing printed', 2);
  return a;
}

export function registerConsoleUser(program: Command, globals: () => GlobalOptions): void {
  program
    .command('console-user')
    .description('make a console user: reads the password (stdin or prompt) and prints the line for console.users')
    .requiredOption('--name <name>', 'the user name (1-64 of A-Z a-z 0-9 . _ @ -)')
    .requiredOption('--role <role>', 'operator (every tenant) or tenant (one tenant)')
    .option('--tenant <id>', 'the tenant a tenant user sees')
    .action(async (opts: { name: string; role: string; tenant?: string }) => {
      if (!/^[A-Za-z0-9._@-]{1,64}$/.test(opts.name)) throw new CliError(`"${opts.name}" is not a user name: use 1-64 of A-Z a-z 0-9 . _ @ -`, 2);
      if (opts.role !== 'operator' && opts.role !== 'tenant') throw new CliError(`--role must be operator or tenant, not "${opts.role}"`, 2);
      if (opts.role === 'tenant' && !opts.tenant) throw new CliError('--tenant is required with --role tenant', 2);
      if (opts.role === 'operator' && opts.tenant) throw new CliError('an operator sees every tenant: leave --tenant out', 2);
      if (opts.tenant) {
        const config = readConfig(globals());
        if (!config.tenants[opts.tenant]) throw new CliError(`unknown tenant "${opts.tenant}": known tenants are ${Object.keys(config.tenants).join(', ') || '(none)'}`, 2);
      }
      const password = await readPassword();
      if (password.length < 10) throw new CliError('the password is too short: use at least 10 characters', 2);
      const hash = await hashPassword(password);
      const tenant = opts.tenant ? `, tenant: ${opts.tenant}` : '';
      process.stdout.write(
        [`# under console.users in your config (config/local.yaml), then restart the daemon:`, `${opts.name}: { role: ${opts.role}${tenant}, password_scrypt: "${hash}" }`, ''].join('\n'),
      );
    });
}
