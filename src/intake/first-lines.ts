/**
 * The first line of each policy number seen in a file (SPEC 3.2: each policy once per file), in
 * flat typed arrays: ~30 bytes a number where a Map<string, number> costs ~100 (entry, key string,
 * growth copies), ~70 MB less peak RSS on a 1M-row file, and nothing for the GC to trace. Open
 * addressing on a 32-bit FNV-1a hash; a hash match is confirmed against the stored characters, so
 * the answer is exact. Characters are kept a byte each (policy numbers are Latin-1 in practice);
 * a number with a wider character is kept in a Map beside. Sized up front for the numbers a file is
 * expected to hold (growing by doubling copies every array and re-places every number each time).
 */
export class FirstLines {
  private chars: Uint8Array;
  private readonly wide = new Map<string, number>();
  private used = 0;
  private start: Int32Array;
  private len: Int32Array;
  private lines: Int32Array;
  private hashes: Int32Array;
  private count = 0;
  /** entry index + 1 per slot; 0 = empty; at most half full */
  private slots: Int32Array;

  constructor(expected = 1 << 12) {
    const n = Math.max(1 << 12, expected);
    this.chars = new Uint8Array(n * CHARS_PER_NUMBER);
    this.start = new Int32Array(n);
    this.len = new Int32Array(n);
    this.lines = new Int32Array(n);
    this.hashes = new Int32Array(n);
    this.slots = new Int32Array(2 ** Math.ceil(Math.log2(n * 2)));
  }

  get(key: string): number | undefined {
    if (isWide(key)) return this.wide.get(key);
    const h = hashOf(key);
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const id = this.slots[s]! - 1;
      if (id < 0) return undefined;
      if (this.hashes[id] === h && this.equals(id, key)) return this.lines[id];
    }
  }

  /** Record `key` (not yet present) as first seen on `line`. */
  set(key: string, line: number): void {
    if (isWide(key)) {
      this.wide.set(key, line);
      return;
    }
    if (this.count === this.start.length) this.growEntries();
    while (this.used + key.length > this.chars.length) this.chars = grown(this.chars, this.chars.length * 2);
    const id = this.count++;
    this.start[id] = this.used;
    this.len[id] = key.length;
    for (let i = 0; i < key.length; i++) this.chars[this.used++] = key.charCodeAt(i);
    this.lines[id] = line;
    this.hashes[id] = hashOf(key);
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
  }

  private equals(id: number, key: string): boolean {
    if (this.len[id] !== key.length) return false;
    const o = this.start[id]!;
    for (let i = 0; i < key.length; i++) if (this.chars[o + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let s = this.hashes[id]! & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let id = 0; id < this.count; id++) this.place(id);
  }

  private growEntries(): void {
    const n = this.start.length * 2;
    this.start = grown(this.start, n);
    this.len = grown(this.len, n);
    this.lines = grown(this.lines, n);
    this.hashes = grown(this.hashes, n);
  }
}

/** A policy number's usual length (POL-0000001 is 11): the characters' store starts at this per number. */
const CHARS_PER_NUMBER = 12;

function grown<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** A character beyond Latin-1: not storable in a byte. */
function isWide(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0xff) return true;
  return false;
}

function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}
