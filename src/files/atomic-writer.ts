import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { injectedWriteFault, writeCrashPoint } from '../faults/write-faults.js';

/**
 * Every file kasi writes appears atomically: written under a temporary dot-name in the same
 * folder, fsynced, renamed into place, then its `<name>.sha256` sidecar (sha256sum format) is
 * written the same way. A reader (a person, an SFTP uploader, the bank) never sees a half file.
 * Temp names start with `.` and end in `.tmp` so the inbox and uploaders ignore them. A temp file
 * a killed earlier write of the same name left behind is removed before writing again; a failed
 * write (disk full, folder unwritable) removes its own and throws, so no partial file remains.
 */
export interface WrittenFile {
  path: string;
  sha256: string;
  bytes: number;
}

export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Temp files of `path` (and of its sidecar) left by an interrupted earlier write. */
async function removeStaleTemps(path: string): Promise<void> {
  const own = new RegExp(`^\\.${basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.sha256)?\\.[0-9a-f]{8}\\.tmp$`);
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return;
  }
  for (const n of names) if (own.test(n)) await rm(join(dirname(path), n), { force: true });
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  } finally {
    await fh.close();
  }
}

/** Write `content` (bytes, text, or a stream of chunks) to `path` atomically, with a sidecar. */
export async function writeAtomic(
  path: string,
  content: string | Uint8Array | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>,
  opts: { sidecar?: boolean } = {},
): Promise<WrittenFile> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  if (!path.endsWith('.sha256')) await removeStaleTemps(path); // a sidecar's are removed with its file's
  const tmp = tempNameFor(path);
  const fault = injectedWriteFault(path);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    const source =
      typeof content === 'string' || content instanceof Uint8Array ? Readable.from([content]) : Readable.from(content);
    const out = createWriteStream(tmp, { flags: 'wx' });
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<string | Uint8Array>) {
        for await (const chunk of chunks) {
          const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
          hash.update(buf);
          bytes += buf.length;
          yield buf;
          if (fault) throw fault;
        }
      },
      out,
    );
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    writeCrashPoint('write-before-rename');
    await rename(tmp, path);
    writeCrashPoint('write-after-rename');
  } catch (err) {
    await rm(tmp, { force: true });
    // the cause in the message too: "no space left on device" is what the operator must read
    throw new Error(`could not write ${path}: ${(err as Error).message}`, { cause: err });
  }
  const sha256 = hash.digest('hex');
  if (opts.sidecar !== false) {
    await writeAtomic(`${path}.sha256`, `${sha256}  ${basename(path)}\n`, { sidecar: false });
  }
  await fsyncDir(dir);
  return { path, sha256, bytes };
}

/** True when `path` exists and its sidecar matches its content: a finished earlier write. */
export async function existsComplete(path: string): Promise<boolean> {
  try {
    await stat(path);
    const side = await readFile(`${path}.sha256`, 'utf8');
    const want = side.split(/\s+/)[0];
    const got = createHash('sha256').update(await readFile(path)).digest('hex');
    return want === got;
  } catch {
    return false;
  }
}
