/**
 * Moved to src/files/atomic-writer.ts (issue 13: the bank's file gateway writes atomically too,
 * and adapters do not import each other). This re-export keeps the close/batch/intake use cases
 * compiling until their branches land; then their imports move and this file goes.
 */
export * from '../files/atomic-writer.js';
