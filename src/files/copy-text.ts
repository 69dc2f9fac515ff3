/** PostgreSQL COPY text format (line encoding: the policy batch packs it, the store writes it): one line per row, tab-separated, `\N` for null. */
export function copyField(v: string | number | null): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

export function copyLine(fields: (string | number | null)[]): string {
  let s = copyField(fields[0] ?? null);
  for (let i = 1; i < fields.length; i++) s += '\t' + copyField(fields[i] ?? null);
  return s + '\n';
}
