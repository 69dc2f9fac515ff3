/**
 * Moved to src/files/csv.ts (issue 13: the bank's file gateway writes CSV cells too, and adapters
 * do not import each other). This re-export keeps the close/batch/intake use cases compiling
 * until their branches land; then their imports move and this file goes.
 */
export * from '../files/csv.js';
