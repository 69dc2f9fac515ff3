/**
 * Moved to src/usecases/replica.ts (issue 13: the replica identity sits below the daemon and the
 * use cases that claim work). This re-export keeps import-file and batch-chunks compiling until
 * their branches land; then their imports move and this file goes.
 */
export * from '../usecases/replica.js';
