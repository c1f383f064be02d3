// The cleaner's offset map, after Kafka's SkimpyOffsetMap: a 128-bit hash of a
// record key -> the latest offset seen for that key in the dirty section of a
// log. Kafka hashes with MD5; this uses MurmurHash3_x86_128 (key-hash.ts: as
// wide, computed in JS without a native call or an allocation per key).
//
// Kafka sizes one flat array from log.cleaner.dedupe.buffer.size (24 bytes a
// slot: a 16-byte hash and an 8-byte offset) and stops taking keys once
// floor(slots * log.cleaner.io.buffer.load.factor) are in it ("full": the
// round then cleans only up to the last offset it mapped). Keys with an equal
// 128-bit hash count as one key (Kafka accepts that risk with MD5; the odds
// are in key-hash.ts).
//
// What a round can map depends only on that fill limit, not on how the table
// is laid out, so this one keeps Kafka's limit but allocates lazily: open
// addressing on a power-of-two table (hash words in a Uint32Array, offsets in a
// Float64Array) that doubles as keys arrive, so a log with few keys costs little
// memory. `memoryBytes` is what the table holds now.

import { murmur3x86_128 } from './key-hash.js';

/** Bytes one of Kafka's slots takes: a 16-byte hash and an 8-byte offset. */
export const KAFKA_SLOT_BYTES = 24;
const WORDS = 4;
const MIN_TABLE = 1024;
/** The table doubles once more than this fraction of it is used. */
const TABLE_LOAD = 0.75;
/** Not 0: with seed 0 the empty key hashes to all zeros, which marks an empty slot here. */
const SEED = 0x9747b28c;
/** The hash of the key being looked up (one map runs at a time on a thread). */
const H = new Uint32Array(WORDS);

export class OffsetMap {
  /** Kafka's slot count for the configured buffer. */
  readonly slots: number;
  /** How many distinct keys a round may map (floor(slots * loadFactor)). */
  readonly maxEntries: number;
  private words: Uint32Array;
  private offsets: Float64Array;
  private mask: number;
  private count = 0;
  /** Largest offset mapped this round (updated per batch by the builder), -1 when none. */
  latestOffset = -1;
  /** Puts since the last clear, overwrites included (for stats). */
  puts = 0;

  constructor(bufferBytes: number, loadFactor: number) {
    this.slots = Math.floor(bufferBytes / KAFKA_SLOT_BYTES);
    this.maxEntries = Math.floor(this.slots * loadFactor);
    if (this.maxEntries < 1) {
      throw new Error(`log.cleaner.dedupe.buffer.size ${bufferBytes} with load factor ${loadFactor} leaves no room for a key`);
    }
    this.words = new Uint32Array(MIN_TABLE * WORDS);
    this.offsets = new Float64Array(MIN_TABLE);
    this.mask = MIN_TABLE - 1;
  }

  get size(): number {
    return this.count;
  }

  /** No more new keys fit this round. */
  get full(): boolean {
    return this.count >= this.maxEntries;
  }

  /** Share of the fill limit in use (Kafka's buffer utilization). */
  get utilization(): number {
    return this.count / this.slots;
  }

  /** Bytes the table holds now. */
  get memoryBytes(): number {
    return this.words.byteLength + this.offsets.byteLength;
  }

  /**
   * Maps `key` (or its bytes [start, end)) to `offset` (a key already present
   * is overwritten). Returns false, changing nothing, when the key is new and
   * the map is full.
   */
  put(key: Uint8Array, offset: number, start = 0, end = key.length): boolean {
    murmur3x86_128(key, start, end, SEED, H);
    const w0 = H[0]!;
    const w1 = H[1]!;
    const w2 = H[2]!;
    const w3 = H[3]!;
    const slot = this.find(w0, w1, w2, w3);
    if (this.occupied(slot)) {
      this.offsets[slot] = offset;
    } else {
      if (this.count >= this.maxEntries) return false;
      this.insertAt(slot, w0, w1, w2, w3, offset);
      this.count++;
      if (this.count > (this.mask + 1) * TABLE_LOAD) this.grow();
    }
    this.puts++;
    if (offset > this.latestOffset) this.latestOffset = offset;
    return true;
  }

  /** The latest offset mapped for `key` (or its bytes [start, end)), or -1. */
  get(key: Uint8Array, start = 0, end = key.length): number {
    murmur3x86_128(key, start, end, SEED, H);
    const slot = this.find(H[0]!, H[1]!, H[2]!, H[3]!);
    return this.occupied(slot) ? this.offsets[slot]! : -1;
  }

  /** Empties the map for a new round (and gives back the memory a big round took). */
  clear(): void {
    if (this.mask + 1 > MIN_TABLE) {
      this.words = new Uint32Array(MIN_TABLE * WORDS);
      this.offsets = new Float64Array(MIN_TABLE);
      this.mask = MIN_TABLE - 1;
    } else {
      this.words.fill(0);
      this.offsets.fill(0);
    }
    this.count = 0;
    this.puts = 0;
    this.latestOffset = -1;
  }

  private occupied(slot: number): boolean {
    const b = slot * WORDS;
    const w = this.words;
    return (w[b]! | w[b + 1]! | w[b + 2]! | w[b + 3]!) !== 0;
  }

  /** The slot holding this hash, or the empty slot where it would go. */
  private find(w0: number, w1: number, w2: number, w3: number): number {
    const w = this.words;
    let slot = w0 & this.mask;
    for (;;) {
      const b = slot * WORDS;
      const a0 = w[b]!;
      const a1 = w[b + 1]!;
      const a2 = w[b + 2]!;
      const a3 = w[b + 3]!;
      if ((a0 | a1 | a2 | a3) === 0) return slot;
      if (a0 === w0 && a1 === w1 && a2 === w2 && a3 === w3) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  private insertAt(slot: number, w0: number, w1: number, w2: number, w3: number, offset: number): void {
    const b = slot * WORDS;
    this.words[b] = w0;
    this.words[b + 1] = w1;
    this.words[b + 2] = w2;
    this.words[b + 3] = w3;
    this.offsets[slot] = offset;
  }

  private grow(): void {
    const oldWords = this.words;
    const oldOffsets = this.offsets;
    const cap = (this.mask + 1) * 2;
    this.words = new Uint32Array(cap * WORDS);
    this.offsets = new Float64Array(cap);
    this.mask = cap - 1;
    for (let s = 0; s < oldOffsets.length; s++) {
      const b = s * WORDS;
      const w0 = oldWords[b]!;
      const w1 = oldWords[b + 1]!;
      const w2 = oldWords[b + 2]!;
      const w3 = oldWords[b + 3]!;
      if ((w0 | w1 | w2 | w3) === 0) continue;
      this.insertAt(this.find(w0, w1, w2, w3), w0, w1, w2, w3, oldOffsets[s]!);
    }
  }
}
