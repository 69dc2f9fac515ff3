/** The unit of work a use case may hold: a transaction or a consistent read, handed to repository functions (src/store/) as an opaque handle. SQL text stays in src/store/. */
export { transaction, reading, idRange } from './sql.js';
export type { Sql, Param, RowStatement } from './sql.js';
