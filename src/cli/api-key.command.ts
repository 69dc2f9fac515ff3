import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { sha256Hex } from '../http/api/auth.js';
import { CliError, readConfig, type GlobalOptions } from './context.js';

/**
 * `kasi api-key --tenant ID [--json]`: a new random API key for the tenant and the digest to add
 * to `tenants.<id>.api_key_sha256`. The key is printed once and stored nowhere: the
 * configuration holds only digests. Rotation: add the new digest beside the old, restart the
 * daemon, move the client over, remove the old digest.
 */
export function registerApiKey(program: Command, globals: () => GlobalOptions): void {
  program
    .command('api-key')
    .description('make a new HTTP API key for a tenant: prints the key (once) and the digest for the config')
    .requiredOption('--tenant <id>', 'the insurer the key is for')
    .option('--json', 'print {tenant, key, sha256}')
    .action((opts: { tenant: string; json?: boolean }) => {
      const config = readConfig(globals());
      const t = config.tenants[opts.tenant];
      if (!t) throw new CliError(`unknown tenant "${opts.tenant}": known tenants are ${Object.keys(config.tenants).join(', ') || '(none)'}`, 2);
      const key = `kasi_${randomBytes(24).toString('base64url')}`;
      const digest = sha256Hex(key);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ tenant: opts.tenant, key, sha256: digest }) + '\n');
        return;
      }
      const keep = t.api_key_sha256.map((d) => `"${d}", `).join('');
      process.stdout.write(
        [
          `API key for ${opts.tenant} (shown once; send it to the insurer over a safe channel):`,
          `  ${key}`,
          `Add its digest to tenants.${opts.tenant} in your config (keep the old digests until the insurer has moved over), then restart the daemon:`,
          `  api_key_sha256: [${keep}"${digest}"]`,
          '',
        ].join('\n'),
      );
    });
}
