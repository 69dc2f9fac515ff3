import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { databaseTarget, loadConfig } from '../src/config.js';
import { importFile } from '../src/usecases/intake/import-file.js';
import { SftpService } from '../src/daemon/sftp-service.js';
import { Paths, silentLog, type Ports } from '../src/usecases/ports.js';
import { benchPull } from '../src/sftp/bench-pull.js';
import { openDb } from '../src/store/db.js';
import { migrate } from '../src/store/migrate.js';
import { startSshd, type Sshd } from '../test/helpers/sshd.js';
import { measure, round, saveSection, table } from './harness.js';
import { storeOf } from '../src/store/store.js';

/**
 * The SFTP issue's benchmark, against an OpenSSH sshd on this machine (loopback):
 *   pull only      = SftpPoller with a no-op intake (list, get, verify size, rename to processed):
 *                    1,000 small files, then one 50 MB file
 *   pull + intake  = SftpService.tick with the real importFile on a fresh SQLite root:
 *                    1,000 small policy files, each applied and archived, then moved remotely
 *   intake alone   = the same files given to importFile from a local folder: the reference that
 *                    shows what the SFTP side adds to the intake's own cost
 */
export interface BenchSftpOptions {
  smallFiles?: number;
  bigFileBytes?: number;
  /** merge the figures into bench/results.json (default true) */
  save?: boolean;
}

const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount\n';

export async function benchSftp(opts: BenchSftpOptions = {}): Promise<void> {
  const smallFiles = opts.smallFiles ?? 1000;
  const bigFileBytes = opts.bigFileBytes ?? 50 * 1024 * 1024;
  const sshd = await startSshd();
  try {
    const base = join(sshd.root, 'pull');
    const settings = sshd.settings(
      { inbound: join(base, 'in'), processed: join(base, 'done'), outbound: join(base, 'out') },
      { settle_seconds: 0, timeout_seconds: 60 },
    );
    const pull = await benchPull({ settings, smallFiles, smallFileBytes: 2048, bigFileBytes });
    const intake = await pullWithIntake(sshd, smallFiles, 'sftp');
    const local = await pullWithIntake(sshd, smallFiles, 'local');

    const rows = [
      { run: 'pull only', files: pull.smallFiles, bytes_each: 2048, seconds: pull.smallSeconds, 'files/s': pull.smallFilesPerSec, 'MB/s': '' },
      { run: 'pull only', files: 1, bytes_each: pull.bigBytes, seconds: pull.bigSeconds, 'files/s': '', 'MB/s': pull.bigMBps },
      { run: 'pull + intake', files: intake.files, bytes_each: intake.bytesEach, seconds: intake.seconds, 'files/s': intake.filesPerSec, 'MB/s': '' },
      { run: 'intake alone (reference)', files: local.files, bytes_each: local.bytesEach, seconds: local.seconds, 'files/s': local.filesPerSec, 'MB/s': '' },
    ];
    console.log(`sftp: OpenSSH ${sshd.host}:${sshd.port}, loopback`);
    console.log(table(rows));
    console.log(`peak RSS: pull + intake ${intake.peakRssMb} MB, intake alone ${local.peakRssMb} MB\n`);
    if (opts.save !== false) saveSection('sftp', { pull, intake, intake_alone: local });
  } finally {
    await sshd.stop();
  }
}

async function pullWithIntake(sshd: Sshd, count: number, via: 'sftp' | 'local'): Promise<{ files: number; bytesEach: number; seconds: number; filesPerSec: number; peakRssMb: number }> {
  const root = mkdtempSync(join(tmpdir(), 'kasi-bench-sftp-root-'));
  const base = join(sshd.root, `intake-${via}`);
  const sftp = sshd.settings({ inbound: join(base, 'in'), processed: join(base, 'done'), outbound: join(base, 'out') }, { settle_seconds: 0, timeout_seconds: 60 });
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(
    join(root, 'config/local.yaml'),
    stringify({ database: 'sqlite:data/kasi.sqlite', tenants: { bench: { name: 'Bench Insurance', intake: 'sftp', sftp } } }),
  );
  const config = loadConfig({ root, env: {} });
  const db = openDb(databaseTarget(config));
  await migrate(db);
  const ports: Ports = { config, store: storeOf(db), clock: { now: () => new Date() }, log: silentLog, paths: new Paths(root) };
  const service = new SftpService(ports, { env: {} });
  try {
    let bytesEach = 0;
    for (let i = 0; i < count; i++) {
      // 10 distinct policies per file: every file is applied, none is a duplicate
      let body = HEADER;
      for (let k = 0; k < 10; k++) body += `C${i}-${k},E${i}-${k},BENCH-${String(i * 10 + k).padStart(7, '0')},FUN,${100 + k}.50\n`;
      bytesEach = Math.max(bytesEach, Buffer.byteLength(body));
      writeFileSync(join(sftp.inbound_dir, `policies-${String(i).padStart(5, '0')}.csv`), body);
    }
    const m = await measure(async () => {
      if (via === 'local') {
        for (const name of readdirSync(sftp.inbound_dir).sort()) {
          const out = await importFile(ports, { tenantId: 'bench', path: join(sftp.inbound_dir, name), name, mode: 'copy' });
          if (out.status !== 'applied') throw new Error('bench: a file was not applied');
        }
        return count;
      }
      let taken = 0;
      while (taken < count) {
        const r = await service.tick('bench');
        if (r.pollError) throw new Error(`bench: poll failed: ${r.pollError}`);
        if (r.poll!.taken.some((t) => t.outcome !== 'applied')) throw new Error('bench: a file was not applied');
        taken += r.poll!.taken.length;
      }
      return taken;
    });
    if (via === 'sftp' && readdirSync(sftp.processed_dir).length !== count) throw new Error('bench: not every file reached processed');
    return { files: count, bytesEach, seconds: round(m.seconds), filesPerSec: round(count / m.seconds), peakRssMb: m.peakRssMb };
  } finally {
    await service.stop();
    await db.close();
    rmSync(root, { recursive: true, force: true });
  }
}
