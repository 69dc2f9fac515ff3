import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/**
 * Runs one benchmark case in a fresh child process, so that its peak RSS is its own (the parent
 * holds generated data and a warm heap). The child prints one JSON line: {seconds, maxRssMb, value}.
 */
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'child-main.js');

export interface ChildResult<T> {
  seconds: number;
  peakRssMb: number;
  value: T;
}

export function runChild<T>(task: string, args: Record<string, unknown>): Promise<ChildResult<T>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', CHILD, task, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench child ${task} exited ${code}`));
      const line = out.trim().split('\n').pop() ?? '';
      resolve(JSON.parse(line) as ChildResult<T>);
    });
  });
}
