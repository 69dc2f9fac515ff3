import { Command, CommanderError } from 'commander';
import { handleClosedPipes } from './closed-pipe.js';
import { CliError, logLevelFromEnv, type GlobalOptions } from './context.js';
import { registerInit } from './init.command.js';
import { registerImport } from './import.command.js';
import { registerMigrate } from './migrate.command.js';
import { registerStatus } from './status.command.js';
import { registerDaemon } from './daemon.command.js';
import { registerDemo } from './demo.command.js';
import { registerClose } from './close.command.js';
import { registerReport } from './report.command.js';
import { registerSettlement } from './settlement.command.js';
import { registerEngine } from './engine.command.js';
import { registerSimulate } from './simulate.command.js';
import { registerSftp } from './sftp.command.js';
import { registerApiKey } from './api-key.command.js';
import { registerPolicy } from './policy.command.js';
import { registerConsoleUser } from './console-user.command.js';
import { registerWebhooks } from './webhooks.command.js';

/** The composition root. Exit codes (SPEC 8): 0 ok, 1 failed, 2 bad usage or invalid input. */
handleClosedPipes();
const program = new Command();
program
  .name('kasi')
  .description('monthly insurance-premium collections as a batch file pipeline')
  .option('--config <file>', 'config file (or KASI_CONFIG)')
  .option('--root <dir>', 'runtime root with inbox/, outbox/, data/ (or KASI_ROOT)')
  .option('--db <url>', 'database URL, sqlite:<path> or postgres://… (or KASI_DATABASE_URL)')
  .exitOverride()
  .showHelpAfterError();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
registerInit(program, globals);
registerImport(program, globals);
registerMigrate(program, globals);
registerStatus(program, globals);
registerDaemon(program, globals);
registerDemo(program, globals);
registerClose(program, globals);
registerReport(program, globals);
registerSettlement(program, globals);
registerEngine(program, globals);
registerSimulate(program, globals);
registerSftp(program, globals);
registerApiKey(program, globals);
registerPolicy(program, globals);
registerConsoleUser(program, globals);
registerWebhooks(program, globals);

try {
  logLevelFromEnv(); // a bad KASI_LOG_LEVEL is bad usage (exit 2) whatever the command
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof CliError) {
    process.stderr.write(`kasi: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`kasi: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
