import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process's name in the store's claims (intake files, batch chunks): host, pid and a random
 * part, so that a restarted process with a recycled pid is still someone else.
 */
export const REPLICA_ID = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;

/** A file another process (a replica) is taking, or took already: not an error, nothing to do here. */
export class TakenElsewhere extends Error {
  readonly takenElsewhere = true;
}

export function isTakenElsewhere(err: unknown): err is TakenElsewhere {
  return err instanceof TakenElsewhere;
}

/**
 * True when `owner` (a REPLICA_ID or a scheduler owner: `host/pid/...`) names a process on this
 * host that no longer runs: its claims can be taken over at once instead of after their lease (a
 * CLI or daemon killed and started again). Another host's owner, or a live pid: false (wait for
 * the lease; a recycled pid only makes us wait).
 */
export function deadHere(owner: string): boolean {
  const [host, pid] = owner.split('/');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid) || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
