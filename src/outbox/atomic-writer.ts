import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

/**
 * Every file kasi writes appears atomically: written under a temporary dot-name in the same
 * folder, fsynced, renamed into place, then its `<name>.sha256` sidecar (sha256sum format) is
 * written the same way. A reader (a person, an SFTP uploader, the bank) never sees a half file.
 * Temp names start with `.` and end in `.tmp` so the inbox and uploaders ignore them.
 */
export interface WrittenFile {
  path: string;
  sha256: string;
  bytes: number;
}

export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
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
  const tmp = tempNameFor(path);
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
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(`could not write ${path}`, { cause: err });
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
