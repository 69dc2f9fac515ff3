/**
 * A file name taken from an SFTP listing is input from another party: before it becomes part of
 * any local or remote path it must be a single, plain path component (SPEC 9: names can never
 * escape their folders). Pure.
 */
export type RemoteNameCode = 'NAME_EMPTY' | 'NAME_DOT' | 'NAME_SEPARATOR' | 'NAME_CONTROL' | 'NAME_TOO_LONG' | 'NAME_UNDECODABLE';

export type RemoteNameVerdict = { ok: true } | { ok: false; code: RemoteNameCode; message: string };

/** NAME_MAX on Linux and most servers, in bytes. */
export const MAX_NAME_BYTES = 255;

// C0 controls (NUL included), DEL and the C1 controls: no legitimate sender needs them and they
// can forge log lines or terminal output.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The name quoted with every control character escaped, safe for logs and terminals. */
export function printableName(name: string): string {
  return JSON.stringify(name).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function validateRemoteName(name: string): RemoteNameVerdict {
  const shown = printableName(name);
  if (name.length === 0) return { ok: false, code: 'NAME_EMPTY', message: 'empty file name' };
  if (name === '.' || name === '..') return { ok: false, code: 'NAME_DOT', message: `${shown} is a directory reference, not a file name` };
  if (name.includes('/') || name.includes('\\')) {
    return { ok: false, code: 'NAME_SEPARATOR', message: `${shown} contains a path separator` };
  }
  if (CONTROL.test(name)) return { ok: false, code: 'NAME_CONTROL', message: `${shown} contains a control character` };
  // ssh2 decodes names as UTF-8; U+FFFD means the server sent bytes we could not decode, so the
  // name we hold would not address the same remote file.
  if (name.includes('\ufffd')) return { ok: false, code: 'NAME_UNDECODABLE', message: `${shown} is not valid UTF-8` };
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) {
    return { ok: false, code: 'NAME_TOO_LONG', message: `file name is ${bytes} bytes, over the ${MAX_NAME_BYTES}-byte limit` };
  }
  return { ok: true };
}

/**
 * A delivery's name under outbound_dir: a plain file name, or `<folder>/<name>` whose every part
 * is a plain name (intake results go to `intake/`). Never absolute, never `..`, never empty parts.
 */
export function validateRemoteRelPath(path: string): RemoteNameVerdict {
  const parts = path.split('/');
  if (parts.length > 2) return { ok: false, code: 'NAME_SEPARATOR', message: `${printableName(path)} is nested deeper than one folder` };
  for (const part of parts) {
    const v = validateRemoteName(part);
    if (!v.ok) return parts.length === 1 ? v : { ok: false, code: v.code, message: `${printableName(path)}: ${v.message}` };
  }
  return { ok: true };
}
