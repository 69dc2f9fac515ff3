import cliProgress from 'cli-progress';
import type { Log } from '../usecases/ports.js';

/**
 * Progress for long work: a bar on a terminal, plain log lines (every 10%) otherwise.
 */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function makeProgress(label: string, log: Log, minTotal = 5 * 1024 * 1024): Progress {
  let bar: cliProgress.SingleBar | null = null;
  let lastDecile = -1;
  let started = false;
  return {
    update(done, total) {
      if (total < minTotal) return;
      if (process.stderr.isTTY) {
        if (!started) {
          bar = new cliProgress.SingleBar(
            { format: `${label} [{bar}] {percentage}% | {value}/{total} MB`, stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.ceil(total / 1e6), 0);
          started = true;
        }
        bar?.update(Math.floor(done / 1e6));
        return;
      }
      const decile = Math.floor((done / total) * 10);
      if (decile > lastDecile) {
        lastDecile = decile;
        log.info({ label, percent: decile * 10, bytes: done, total }, `${label}: ${decile * 10}%`);
      }
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
