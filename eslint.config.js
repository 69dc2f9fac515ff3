import tseslint from 'typescript-eslint';

/** SQL and the database driver belong to src/store/ (docs/architecture.md): everyone else calls its named repository functions. */
const STORE_ONLY = {
  paths: [{ name: 'knex', message: 'SQL lives in src/store/: call (or add) a named repository function there.' }],
  patterns: [{ group: ['**/store/sql', '**/store/sql.js', '**/store/sql-*'], message: 'SQL lives in src/store/: call (or add) a named repository function there.' }],
};

/** src/domain/ is pure (rules on values): no files, database, network, processes, logs or clocks of other rooms. */
const IO_MODULES = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process', 'net', 'node:net', 'http', 'node:http', 'https', 'node:https',
  'worker_threads', 'node:worker_threads', 'readline', 'node:readline', 'knex', 'pg', 'pg-copy-streams', 'better-sqlite3', 'pino', 'prom-client', 'fastify', 'chokidar',
  'ssh2', 'ssh2-sftp-client', 'node-cron', 'pdfkit', 'cli-progress', 'commander'];
const DOMAIN_PURE = {
  paths: [...STORE_ONLY.paths, ...IO_MODULES.filter((n) => n !== 'knex').map((name) => ({ name, message: 'src/domain/ is pure: do the I/O in a use case (src/usecases/) and pass values in.' }))],
  patterns: [{ group: ['**/store/**', '**/outbox/**', '**/intake/**', '**/bank/**', '**/sftp/**', '**/http/**', '**/cli/**', '**/daemon/**', '**/usecases/**', '**/faults/**', '**/config.js'],
    message: 'src/domain/ imports only src/domain/ (and pure libraries).' }],
};

/**
 * Files outside src/store/ that still write SQL or hold the database handle's transaction helpers
 * (issue 13, phase 1). Phase 2 moves their SQL behind repository functions and empties this list;
 * a new file must not be added to it.
 */
const SQL_OUTSIDE_STORE_PHASE2 = [
  'src/intake/sql-apply.ts',
  'src/usecases/close/close-dispute.ts',
  'src/usecases/close/close-invoice.ts',
  'src/usecases/close/close-pay.ts',
  'src/usecases/close/close-report.ts',
  'src/usecases/close/close-settle.ts',
  'src/usecases/close/close-settlement-csv.ts',
  'src/usecases/close/close.ts',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bin/**', 'eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/**/*.ts'], ignores: ['src/store/**', ...SQL_OUTSIDE_STORE_PHASE2], rules: { 'no-restricted-imports': ['error', STORE_ONLY] } },
  { files: ['src/domain/**/*.ts'], rules: { 'no-restricted-imports': ['error', DOMAIN_PURE] } },
);
