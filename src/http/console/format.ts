import { formatCents } from '../../domain/money.js';

/** How the console writes money, rates and instants: R 1 234.56, 93.4 %, 2025-11-03 08:00 SAST. */
export function rand(cents: number): string {
  const s = formatCents(Math.abs(cents));
  const [whole, dec] = s.split('.');
  return `${cents < 0 ? '−' : ''}R ${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f')}.${dec}`;
}

export function percent(bp: number | null): string {
  return bp === null ? '—' : `${(bp / 100).toFixed(1)} %`;
}

export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/** An ISO instant in SAST (UTC+2, no DST), to the minute. */
export function sast(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t + 2 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')} SAST`;
}
