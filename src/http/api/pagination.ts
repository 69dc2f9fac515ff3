import { z } from 'zod';
import { invalid } from './errors.js';
import { PeriodMonth } from './schemas.js';

/**
 * Keyset pagination for the API's lists (issue 14). The cursor is opaque to clients: base64url of
 * `{"v":1,"after":<last key>,"q":"<the filters>"}`. It carries the filters it was made under, so
 * a cursor sent with other filters is refused (it would skip or repeat rows) rather than obeyed.
 */
export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;

export const listQueryFields = {
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT).meta({ description: `rows per page, 1-${MAX_LIMIT} (default ${DEFAULT_LIMIT})` }),
  cursor: z.string().max(512).optional().meta({ description: 'next_cursor of the previous page, with the same filters' }),
  period_month: PeriodMonth.optional(),
};

interface Cursor {
  v: 1;
  after: string | number;
  q: string;
}

export function encodeCursor(after: string | number, filters: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after, q: filters } satisfies Cursor)).toString('base64url');
}

/** The last key of the previous page, or undefined for the first page. */
export function decodeCursor<K extends 'string' | 'number'>(cursor: string | undefined, filters: string, keyType: K): (K extends 'string' ? string : number) | undefined {
  if (cursor === undefined) return undefined;
  let c: Partial<Cursor> | null = null;
  try {
    c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    c = null;
  }
  if (!c || c.v !== 1 || typeof c.after !== keyType) {
    throw invalid('the cursor is not one this API gave out; start again without a cursor', [{ field: 'query.cursor', code: 'INVALID_CURSOR', message: 'not a cursor of this list' }]);
  }
  if (c.q !== filters) {
    throw invalid('the cursor was made for other filters; send the same filters as the first page, or start again without a cursor', [
      { field: 'query.cursor', code: 'CURSOR_FILTER_MISMATCH', message: `made for ${c.q || 'no filters'}` },
    ]);
  }
  return c.after as K extends 'string' ? string : number;
}

/** The filters as one canonical string (the cursor's `q`). */
export const filterText = (filters: Record<string, string | undefined>): string =>
  Object.entries(filters)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');

export const pageSchema = <T extends z.ZodType>(item: T, id: string, description: string) =>
  z
    .object({
      data: z.array(item),
      next_cursor: z.string().nullable().meta({ description: 'pass as cursor for the next page; null on the last page' }),
    })
    .meta({ id, description });
