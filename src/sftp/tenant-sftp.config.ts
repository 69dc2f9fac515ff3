/**
 * A tenant's SFTP settings as the config loader hands them over (SPEC 2 key names; the lead's zod
 * schema in src/config.ts fills the defaults). Plain interface so the adapter does not depend on
 * the loader.
 */
export interface TenantSftpSettings {
  host: string;
  port: number;
  username: string;
  /** Path of an OpenSSH/PEM private key file; read at each connect so a rotated key is picked up. */
  private_key_path?: string | undefined;
  /** Name of the environment variable holding the password (never the password itself). */
  password_env?: string | undefined;
  /** Pinned host key, as OpenSSH prints it: `SHA256:<unpadded base64>`. */
  host_key_sha256?: string | undefined;
  /** Lab only: accept any host key when none is pinned (logged loudly at every connect). */
  insecure_accept_any_host_key: boolean;
  inbound_dir: string;
  processed_dir: string;
  outbound_dir: string;
  poll_seconds: number;
  /** A remote file is taken once its size and mtime have been unchanged this long. */
  settle_seconds: number;
  /** Only take `<name>` once `<name>.done` is listed beside it. */
  done_markers: boolean;
  /** Bound on every single operation (connect, list, stat, rename, end; get: without progress). */
  timeout_seconds: number;
}

/** What the adapter needs beside settings: where secrets come from, and a logger. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface SftpLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}
