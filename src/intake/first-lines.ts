/**
 * The first line of each policy number seen in a file (SPEC 3.2: each policy once per file), in
 * flat typed arrays: ~20 bytes a number (its characters, where they end, its line) plus the hash
 * table's slots, where a Map<string, number> costs ~100 (entry, key string, growth copies), and
 * nothing for the GC to trace. Open addressing on a 32-bit FNV-1a hash; a slot is confirmed
 * against the stored characters, so the answer is exact (no hash is kept per number: a rehash
 * recomputes it from the characters). Characters are kept a byte each (policy numbers are Latin-1
 * in practice); a number with a wider character is kept in a Map beside. Sized up front for the
 * numbers a file is expected to hold (growing by doubling copies every array and re-places every
 * number each time); the slots are filled to at most MAX_LOAD, and only the arrays' used part is
 * ever touched, so an estimate above the file's real count costs address space, not memory.
 */
export class FirstLines {
  private chars: Uint8Array;
  private readonly wide = new Map<string, number>();
  /** where number `id`'s characters end in `chars` (they start where number id - 1's end) */
  private ends: Int32Array;
  private lines: Int32Array;
  private count = 0;
  /** entry index + 1 per slot; 0 = empty; at most MAX_LOAD full */
  private slots: Int32Array;

  constructor(expected = 1 << 12) {
    const n = Math.max(1 << 12, expected);
    this.chars = new Uint8Array(n * CHARS_PER_NUMBER);
    this.ends = new Int32Array(n);
    this.lines = new Int32Array(n);
    this.slots = new Int32Array(2 ** Math.ceil(Math.log2(n / MAX_LOAD)));
  }

  get(key: string): number | undefined {
    if (isWide(key)) return this.wide.get(key);
    const mask = this.slots.length - 1;
    for (let s = hashOf(key) & mask; ; s = (s + 1) & mask) {
      const id = this.slots[s]! - 1;
      if (id < 0) return undefined;
      if (this.equals(id, key)) return this.lines[id];
    }
  }

  /** Record `key` (not yet present) as first seen on `line`. */
  set(key: string, line: number): void {
    if (isWide(key)) {
      this.wide.set(key, line);
      return;
    }
    if (this.count === this.ends.length) this.growEntries();
    let used = this.count ? this.ends[this.count - 1]! : 0;
    while (used + key.length > this.chars.length) this.chars = grown(this.chars, this.chars.length * 2);
    const id = this.count++;
    for (let i = 0; i < key.length; i++) this.chars[used++] = key.charCodeAt(i);
    this.ends[id] = used;
    this.lines[id] = line;
    if (this.count > this.slots.length * MAX_LOAD) this.rehash(this.slots.length * 2);
    else this.place(id, hashOf(key));
  }

  /** Number `id`'s characters are `key`'s; compared from the end, where numbers of one file differ. */
  private equals(id: number, key: string): boolean {
    const end = this.ends[id]!;
    const start = id ? this.ends[id - 1]! : 0;
    if (end - start !== key.length) return false;
    for (let i = key.length - 1; i >= 0; i--) if (this.chars[start + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private place(id: number, hash: number): void {
    const mask = this.slots.length - 1;
    let s = hash & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    let start = 0;
    for (let id = 0; id < this.count; id++) {
      const end = this.ends[id]!;
      let h = FNV_OFFSET;
      for (let i = start; i < end; i++) h = Math.imul(h ^ this.chars[i]!, FNV_PRIME);
      this.place(id, h | 0);
      start = end;
    }
  }

  private growEntries(): void {
    const n = this.ends.length * 2;
    this.ends = grown(this.ends, n);
    this.lines = grown(this.lines, n);
  }
}

/** A policy number's usual length (POL-0000001 is 11): the characters' store starts at this per number. */
const CHARS_PER_NUMBER = 12;

/** The slots' fill at most: linear probing stays short (~2.5 probes for a new number at 0.7). */
const MAX_LOAD = 0.7;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

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
  let h = FNV_OFFSET;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
  return h | 0;
}
