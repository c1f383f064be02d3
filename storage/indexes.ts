// The two sparse indexes of a segment, in memory, in Kafka's file formats:
//   .index      8-byte entries: relative offset int32, position int32
//   .timeindex 12-byte entries: timestamp int64, relative offset int32
// both big-endian, relative to the segment's base offset. An offset-index
// entry maps a batch's LAST offset to the file position where that batch
// starts; a time-index entry records the largest timestamp seen so far in the
// segment and the last offset of the batch that carried it, appended only when
// the timestamp grows. One entry of each is added when more than
// `index.interval.bytes` were appended since the previous one.
//
// Files are parsed with a structural check (whole entries, strictly growing
// offsets and positions, timestamps never shrinking, everything inside the
// segment); a file that fails is rebuilt from the log, never trusted. Lookups
// are re-checked against the batch they land on by the segment (see segment.ts).

import { readInt64, writeInt64 } from './batch.js';

export const OFFSET_ENTRY_SIZE = 8;
export const TIME_ENTRY_SIZE = 12;

export class OffsetIndex {
  private rel: Int32Array;
  private pos: Int32Array;
  length = 0;

  constructor(capacity = 16) {
    this.rel = new Int32Array(capacity);
    this.pos = new Int32Array(capacity);
  }

  private grow(): void {
    const cap = this.rel.length * 2;
    const rel = new Int32Array(cap);
    rel.set(this.rel);
    const pos = new Int32Array(cap);
    pos.set(this.pos);
    this.rel = rel;
    this.pos = pos;
  }

  append(relOffset: number, position: number): void {
    if (this.length === this.rel.length) this.grow();
    this.rel[this.length] = relOffset;
    this.pos[this.length] = position;
    this.length++;
  }

  relOffsetAt(i: number): number {
    return this.rel[i]!;
  }

  positionAt(i: number): number {
    return this.pos[i]!;
  }

  /** Index of the last entry with relative offset <= `relTarget`, or -1. */
  floor(relTarget: number): number {
    let lo = 0;
    let hi = this.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= relTarget) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** Drops entries pointing at or past `position`. */
  truncateToPosition(position: number): void {
    while (this.length > 0 && this.pos[this.length - 1]! >= position) this.length--;
  }

  serialize(): Buffer {
    const out = Buffer.allocUnsafe(this.length * OFFSET_ENTRY_SIZE);
    for (let i = 0; i < this.length; i++) {
      out.writeInt32BE(this.rel[i]!, i * 8);
      out.writeInt32BE(this.pos[i]!, i * 8 + 4);
    }
    return out;
  }

  /**
   * Parses a .index file. Returns an error string when the contents cannot be
   * right: a partial entry, offsets or positions not strictly growing, a
   * position at or past `logSize`, a relative offset past `maxRelOffset`.
   */
  static parse(buf: Buffer, logSize: number, maxRelOffset: number): OffsetIndex | string {
    if (buf.length % OFFSET_ENTRY_SIZE !== 0) return `size ${buf.length} is not a multiple of ${OFFSET_ENTRY_SIZE}`;
    const n = buf.length / OFFSET_ENTRY_SIZE;
    const idx = new OffsetIndex(Math.max(16, n));
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < n; i++) {
      const rel = buf.readInt32BE(i * 8);
      const pos = buf.readInt32BE(i * 8 + 4);
      if (rel <= prevRel || rel > maxRelOffset) return `entry ${i}: relative offset ${rel} out of order or range`;
      if (pos <= prevPos || pos >= logSize) return `entry ${i}: position ${pos} out of order or range`;
      idx.append(rel, pos);
      prevRel = rel;
      prevPos = pos;
    }
    return idx;
  }
}

export class TimeIndex {
  private ts: Float64Array;
  private rel: Int32Array;
  length = 0;

  constructor(capacity = 16) {
    this.ts = new Float64Array(capacity);
    this.rel = new Int32Array(capacity);
  }

  private grow(): void {
    const cap = this.ts.length * 2;
    const ts = new Float64Array(cap);
    ts.set(this.ts);
    const rel = new Int32Array(cap);
    rel.set(this.rel);
    this.ts = ts;
    this.rel = rel;
  }

  lastTimestamp(): number {
    return this.length === 0 ? -1 : this.ts[this.length - 1]!;
  }

  lastRelOffset(): number {
    return this.length === 0 ? -1 : this.rel[this.length - 1]!;
  }

  timestampAt(i: number): number {
    return this.ts[i]!;
  }

  relOffsetAt(i: number): number {
    return this.rel[i]!;
  }

  /** Adds (timestamp, relOffset) if the timestamp is larger than the last entry's. */
  maybeAppend(timestamp: number, relOffset: number): void {
    if (timestamp <= this.lastTimestamp()) return;
    if (this.length === this.ts.length) this.grow();
    this.ts[this.length] = timestamp;
    this.rel[this.length] = relOffset;
    this.length++;
  }

  /** Index of the last entry with timestamp <= `target`, or -1. */
  floor(target: number): number {
    let lo = 0;
    let hi = this.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! <= target) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  serialize(): Buffer {
    const out = Buffer.allocUnsafe(this.length * TIME_ENTRY_SIZE);
    for (let i = 0; i < this.length; i++) {
      writeInt64(out, i * 12, this.ts[i]!);
      out.writeInt32BE(this.rel[i]!, i * 12 + 8);
    }
    return out;
  }

  /** Parses a .timeindex file; an error string when it cannot be right (see OffsetIndex.parse). */
  static parse(buf: Buffer, maxRelOffset: number): TimeIndex | string {
    if (buf.length % TIME_ENTRY_SIZE !== 0) return `size ${buf.length} is not a multiple of ${TIME_ENTRY_SIZE}`;
    const n = buf.length / TIME_ENTRY_SIZE;
    const idx = new TimeIndex(Math.max(16, n));
    let prevTs = -1;
    let prevRel = -1;
    for (let i = 0; i < n; i++) {
      const ts = readInt64(buf, i * 12);
      const rel = buf.readInt32BE(i * 12 + 8);
      if (ts <= prevTs) return `entry ${i}: timestamp ${ts} out of order`;
      if (rel < prevRel || rel < 0 || rel > maxRelOffset) return `entry ${i}: relative offset ${rel} out of order or range`;
      idx.maybeAppend(ts, rel);
      prevTs = ts;
      prevRel = rel;
    }
    return idx;
  }
}
