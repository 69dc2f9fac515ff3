import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * The year in the life's world (daemon-year.test.ts): two insurers' books, the monthly policy
 * files they drop in their inbox, and read access to the daemon's store, SQLite or PostgreSQL.
 */
export const TENANTS = ['acme', 'beta'] as const;
export const POLICIES = 500;
export const HEADER = 'customer_id,external_customer_ref,policy_number,product_code,collection_amount,status,hold\n';
export const ACCOUNT = { holder: 'Insurer', bank: 'Absa', branch_code: '632005', number: '4000000000', type: 'current' };

const premium = (n: number) => `${80 + ((n * 37) % 420)}.${String((n * 13) % 100).padStart(2, '0')}`;
const row = (t: string, n: number, status = 'active', hold = '') => `${t.toUpperCase()}-C${n},R-${t}-${n},${t.toUpperCase()}-P${n},FUNERAL,${premium(n)},${status},${hold}\n`;

/** January's book: every policy of the tenant. */
export function firstBook(t: string): string {
  let body = HEADER;
  for (let n = 1; n <= POLICIES; n++) body += row(t, n);
  return body;
}

/**
 * The file of month m (2..12, 1-based): two policies cancelled (numbers 10m, 10m+1), two new ones
 * (POLICIES + 2m − 1, POLICIES + 2m), and in June the hold of `release` lifted.
 */
export function monthFile(t: string, m: number, release: string | null): string {
  let body = HEADER + row(t, 10 * m, 'cancelled') + row(t, 10 * m + 1, 'cancelled') + row(t, POLICIES + 2 * m - 1) + row(t, POLICIES + 2 * m);
  if (release) body += row(t, Number(release.split('-P')[1]), 'active', 'release');
  return body;
}

/** Drop a file into the inbox as a sender should: a temp name, then a rename. */
export function drop(root: string, t: string, name: string, content: string): void {
  const dir = join(root, 'inbox', t);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.tmp`), content);
  renameSync(join(dir, `${name}.tmp`), join(dir, name));
}

export interface Store {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** `?` placeholders for both: SQLite as is, PostgreSQL numbered. */
export async function openStore(target: string): Promise<Store> {
  if (!target.startsWith('postgres')) {
    return {
      all: async <T>(sql: string, params: unknown[] = []) => {
        const db = new Database(target, { readonly: true, fileMustExist: true });
        try {
          return db.prepare(sql).all(...params) as T[];
        } finally {
          db.close();
        }
      },
      close: async () => undefined,
    };
  }
  const pool = new pg.Pool({ connectionString: target, max: 2 });
  return {
    all: async <T>(sql: string, params: unknown[] = []) => {
      let i = 0;
      return (await pool.query(sql.replace(/\?/g, () => `$${++i}`), params)).rows as T[];
    },
    close: () => pool.end(),
  };
}
