import tseslint from 'typescript-eslint';

/** SQL and the database driver belong to src/store/ (docs/architecture.md): everyone else calls its named repository functions. */
const STORE_ONLY = {
  paths: [{ name: 'knex', message: 'SQL lives in src/store/: call (or add) a named repository function there.' }],
  patterns: [{ group: ['**/store/sql', '**/store/sql.js', '**/store/sql-*'], message: 'SQL lives in src/store/: call (or add) a named repository function there.' }],
};

/**
 * Everyone outside src/store/ but the composition root is handed the repositories (`ports.store`,
 * src/store/store.ts): no value from src/store/ is imported (types are), so nothing can open,
 * hold or pass on the database itself.
 */
const STORE_HANDED = {
  paths: STORE_ONLY.paths,
  patterns: [...STORE_ONLY.patterns, { group: ['**/store/**'], allowTypeImports: true,
    message: 'A use case is handed the repositories (ports.store / the tx of ports.store.transaction): import only types from src/store/.' }],
};
/** The composition root: opens the database and builds the store (src/cli/context.ts), migrates it. */
const COMPOSITION_ROOT = ['src/cli/context.ts', 'src/cli/migrate.command.ts'];
/** Holding the database or a raw transaction: only src/store/ and the composition root do. */
const NO_DB_HANDLE = [
  { selector: "TSTypeReference > Identifier[name=/^(Db|Sql)$/]", message: 'A use case holds the Store (ports.store) or a Tx (store.transaction), never the Db or a raw Sql.' },
];

/** Adapters (STYLE: intake, outbox, sftp, bank, store) depend on domain/ and files/, not on each other nor on the rooms that use them. */
const ADAPTERS = ['intake', 'outbox', 'sftp', 'bank', 'store'];
const adapterImports = (self, base = { paths: [], patterns: [] }) => ({
  paths: base.paths,
  patterns: [...base.patterns, { group: [...ADAPTERS.filter((a) => a !== self).map((a) => `**/${a}/**`), '**/usecases/**', '**/daemon/**', '**/http/**', '**/cli/**'],
    message: 'An adapter imports domain/ and files/ only (docs/architecture.md): move what two adapters share into one of those.' }],
});

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
 * SQL text by its shape, not a keyword alone: an uppercase statement keyword followed by what makes
 * it a statement (`SELECT … FROM`, `INSERT INTO`, `UPDATE t SET`, …), so that a log line or help
 * text starting with "Update" or "Select" is not taken for SQL. esquery reads a regexp up to the
 * next slash: none may appear in it.
 */
const SQL_SHAPE = [
  String.raw`SELECT\s[\s\S]*\bFROM\s`,
  String.raw`SELECT\s+(1|COUNT|MAX|MIN|EXISTS|DISTINCT)\b`,
  String.raw`INSERT\s+INTO\s`,
  String.raw`UPDATE\s+"?\w+"?\s+SET\s`,
  String.raw`DELETE\s+FROM\s`,
  String.raw`WITH\s+(RECURSIVE\s+)?\w+(\s*\([^)]*\))?\s+AS\s+(NOT\s+)?(MATERIALIZED\s+)?\(`,
  String.raw`(CREATE|DROP|ALTER)\s+(TEMP\s+|TEMPORARY\s+|UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER|SCHEMA|DATABASE|SEQUENCE)\s`,
  String.raw`TRUNCATE\s+(TABLE\s+)?\w`,
  String.raw`COPY\s+\w+(\s*\([^)]*\))?\s+(FROM|TO)\s`,
  String.raw`ANALYZE\s+\w`,
  String.raw`PRAGMA\s+\w`,
  String.raw`(BEGIN|COMMIT|ROLLBACK)(\s+(IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION|WORK))?\s*;?\s*$`,
];
const SQL_TEXT = `/^\\s*(${SQL_SHAPE.join('|')})/`;
/** A template that interpolates what follows the keyword (`SELECT ${cols} FROM …`): its first piece is the keyword alone. */
const SQL_TEMPLATE_HEAD = String.raw`/^\s*(SELECT|INSERT\s+INTO|UPDATE|DELETE\s+FROM|WITH)\s/`;
const SQL_MESSAGE = 'SQL lives in src/store/: call (or add) a named repository function there; a use case calls it on ports.store or on the tx of ports.store.transaction.';

/** Beyond imports: no SQL text and no reaching into the database handle's query builder outside src/store/. */
const NO_SQL_SYNTAX = [
  { selector: "MemberExpression[property.name='knex'], MemberExpression[property.value='knex'], ObjectPattern > Property[key.name='knex'], Identifier[name='knexOf']", message: SQL_MESSAGE },
  { selector: `Literal[value=${SQL_TEXT}]`, message: SQL_MESSAGE },
  { selector: `TemplateLiteral[quasis.0.value.raw=${SQL_TEXT}]`, message: SQL_MESSAGE },
  { selector: `TemplateLiteral[quasis.length>1][quasis.0.value.raw=${SQL_TEMPLATE_HEAD}]`, message: SQL_MESSAGE },
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
  {
    files: ['src/**/*.ts'],
    ignores: ['src/store/**'],
    rules: { 'no-restricted-imports': ['error', STORE_ONLY], 'no-restricted-syntax': ['error', ...NO_SQL_SYNTAX] },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/store/**', 'src/domain/**', ...COMPOSITION_ROOT],
    rules: { 'no-restricted-imports': ['error', STORE_HANDED], 'no-restricted-syntax': ['error', ...NO_SQL_SYNTAX, ...NO_DB_HANDLE] },
  },
  { files: ['src/domain/**/*.ts'], rules: { 'no-restricted-imports': ['error', DOMAIN_PURE] } },
  // an adapter outside the store keeps the store's rules above (flat config: this entry replaces them)
  ...ADAPTERS.map((a) => ({ files: [`src/${a}/**/*.ts`], rules: { 'no-restricted-imports': ['error', adapterImports(a, a === 'store' ? undefined : STORE_HANDED)] } })),
);
