import type { Command } from 'commander';
import { databaseTarget } from '../config.js';
import { openDb } from '../store/db.js';
import { migrate, SchemaTooNewError } from '../store/migrate.js';
import { CliError, describeDb, readConfig, type GlobalOptions } from './context.js';

export function registerMigrate(program: Command, globals: () => GlobalOptions): void {
  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const config = readConfig(globals());
      const db = openDb(databaseTarget(config));
      try {
        const applied = await migrate(db);
        process.stdout.write(applied.length ? `applied ${applied.join(', ')} to ${describeDb(config)}\n` : `${describeDb(config)}: schema already up to date\n`);
      } catch (err) {
        if (err instanceof SchemaTooNewError) throw new CliError(err.message, 1);
        throw err;
      } finally {
        await db.close();
      }
    });
}
