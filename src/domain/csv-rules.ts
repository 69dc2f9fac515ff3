/**
 * Cell rules shared by every intake file kind. Pure functions over strings.
 */
export interface CellError {
  column: string;
  code: string;
  message: string;
}

/**
 * Never part of an id: control characters (C0, DEL, C1), the BOM, the replacement char, line and
 * paragraph separators, and the invisible format characters that make two ids look the same or
 * reorder text on screen (soft hyphen, zero-width spaces and joiners, bidi marks and overrides,
 * word joiner and invisible operators).
 */
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufffd\u2028\u2029]/;

export function checkText(column: string, raw: string | undefined, max: number): { value: string } | CellError {
  const value = (raw ?? '').trim();
  if (value === '') return { column, code: 'REQUIRED', message: `${column} is empty; every row needs one` };
  if (NOT_PRINTABLE.test(value)) {
    const bad = NOT_PRINTABLE.exec(value)![0].codePointAt(0)!;
    return {
      column,
      code: 'NOT_PRINTABLE',
      message: `${column} contains a control or invisible character (U+${bad.toString(16).toUpperCase().padStart(4, '0')}); remove it`,
    };
  }
  // UTF-16 length bounds the code-point count from above: count code points only when needed
  if (value.length > max) {
    const chars = [...value].length;
    if (chars > max) return { column, code: 'TOO_LONG', message: `${column} has ${chars} characters, more than the ${max} allowed; shorten it` };
  }
  return { value };
}

export function isCellError(v: { value: string } | CellError): v is CellError {
  return 'code' in v;
}

export type Delimiter = ',' | ';';

/**
 * The dialect from the header line: `;` means Excel on a South African locale, with decimal
 * commas; otherwise `,` with decimal points. Quoted text is not counted.
 */
export function sniffDelimiter(headerLine: string): Delimiter {
  const bare = headerLine.replace(/"[^"]*"/g, '');
  const semis = bare.split(';').length - 1;
  const commas = bare.split(',').length - 1;
  return semis > commas ? ';' : ',';
}

export interface HeaderProblem {
  code: 'HEADER_MISSING_COLUMN' | 'HEADER_DUPLICATE_COLUMN' | 'HEADER_EMPTY';
  column: string;
  message: string;
}

export interface HeaderMap {
  /** column name → cell index */
  index: Map<string, number>;
  /** header names not used by this file kind (ignored with a warning) */
  extra: string[];
}

/** Map a header row by name; names are trimmed and compared case-insensitively. */
export function mapHeader(
  cells: string[],
  required: readonly string[],
  optional: readonly string[],
): { ok: true; header: HeaderMap } | { ok: false; problems: HeaderProblem[] } {
  const problems: HeaderProblem[] = [];
  const index = new Map<string, number>();
  const extra: string[] = [];
  const known = new Set([...required, ...optional]);
  const seen = new Set<string>();
  if (cells.every((c) => c.trim() === '')) {
    return { ok: false, problems: [{ code: 'HEADER_EMPTY', column: '', message: 'the first line must be a header row naming the columns' }] };
  }
  cells.forEach((cell, i) => {
    const name = cell.trim().toLowerCase();
    if (seen.has(name) && name !== '') {
      problems.push({ code: 'HEADER_DUPLICATE_COLUMN', column: name, message: `the header names column "${name}" more than once; keep one` });
    }
    seen.add(name);
    if (known.has(name)) {
      if (!index.has(name)) index.set(name, i);
    } else extra.push(cell.trim());
  });
  for (const col of required) {
    if (!index.has(col)) {
      problems.push({
        code: 'HEADER_MISSING_COLUMN',
        column: col,
        message: `required column "${col}" is missing from the header; the header must name ${required.join(', ')}`,
      });
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, header: { index, extra } };
}
