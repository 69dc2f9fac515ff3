import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SftpPoller } from './poller.js';
import type { SftpLog, TenantSftpSettings } from './tenant-sftp.config.js';

/**
 * Pull throughput for `npm run bench`, against an sshd on this machine (the bench starts one with
 * test/helpers/sshd.ts): `inbound_dir` must be a local folder the server serves as the same path.
 * Intake is a no-op, so this measures the SFTP side alone: list, get, verify, rename.
 */
export interface BenchPullOptions {
  settings: TenantSftpSettings;
  smallFiles: number;
  /** Bytes of each small file. */
  smallFileBytes?: number;
  bigFileBytes?: number;
}

export interface BenchPullResult {
  smallFiles: number;
  smallSeconds: number;
  smallFilesPerSec: number;
  bigBytes: number;
  bigSeconds: number;
  bigMBps: number;
}

const quiet: SftpLog = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

export async function benchPull(opts: BenchPullOptions): Promise<BenchPullResult> {
  const settings = { ...opts.settings, settle_seconds: 0 };
  const staging = mkdtempSync(join(tmpdir(), 'kasi-bench-sftp-'));
  let taken = 0;
  const poller = new SftpPoller({
    tenant: 'bench',
    settings,
    stagingDir: staging,
    intake: async () => {
      taken++;
      return 'applied';
    },
    log: quiet,
    now: () => performance.now(),
  });
  try {
    const row = Buffer.alloc(opts.smallFileBytes ?? 2048, 'P0000001,100.00\n');
    for (let i = 0; i < opts.smallFiles; i++) writeFileSync(join(settings.inbound_dir, `policies-bench-${String(i).padStart(6, '0')}.csv`), row);
    const smallSeconds = await timed(() => poller.pollOnce());
    if (taken !== opts.smallFiles) throw new Error(`bench: took ${taken} of ${opts.smallFiles} small files`);

    const bigBytes = opts.bigFileBytes ?? 50 * 1024 * 1024;
    writeFileSync(join(settings.inbound_dir, 'policies-bench-big.csv'), randomBytes(bigBytes));
    const bigSeconds = await timed(() => poller.pollOnce());
    if (taken !== opts.smallFiles + 1) throw new Error('bench: the big file was not taken');
    return {
      smallFiles: opts.smallFiles,
      smallSeconds: round(smallSeconds),
      smallFilesPerSec: round(opts.smallFiles / smallSeconds),
      bigBytes,
      bigSeconds: round(bigSeconds),
      bigMBps: round(bigBytes / 1e6 / bigSeconds),
    };
  } finally {
    await poller.stop();
    rmSync(staging, { recursive: true, force: true });
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
