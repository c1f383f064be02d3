// The tail cache: the newest whole batches of a log, contiguous and ending at
// the log end, held in memory as the appended buffers so tail reads (consumers
// keeping up) need no disk read. Bounded in bytes; the oldest entries go first,
// but the newest batch always stays. What it holds was validated on append and
// is not re-checked when served. Entries cut from a shared slab (slabs.ts)
// release it once evicted; a slab handed to a reader is never reused.

import type { Slab } from './slabs.js';

export class TailCache {
  private bufs: (Buffer | undefined)[] = [];
  private slabs: (Slab | null)[] = [];
  private base: number[] = [];
  private end: number[] = [];
  private head = 0;
  private _bytes = 0;

  constructor(private limit: number) {}

  /** Bytes held. */
  get bytes(): number {
    return this._bytes;
  }

  /** A new byte budget (the log manager shares one among all logs). */
  setLimit(bytes: number): void {
    this.limit = bytes;
    this.trim();
  }

  /** Adds the batch `buf` holding offsets [base, end), appended at the log end; `slab` (if any) is released once it leaves. */
  push(buf: Buffer, base: number, end: number, slab: Slab | null = null): void {
    if (this.limit <= 0) {
      slab?.release();
      return;
    }
    this.bufs.push(buf);
    this.slabs.push(slab);
    this.base.push(base);
    this.end.push(end);
    this._bytes += buf.length;
    this.trim();
  }

  /** Drops the entries starting below `offset` (segments up to there were replaced: their bytes changed). */
  dropBelow(offset: number): void {
    while (this.head < this.bufs.length && this.base[this.head]! < offset) {
      this._bytes -= this.bufs[this.head]!.length;
      this.bufs[this.head] = undefined;
      this.slabs[this.head] = null; // not released: left to the GC
      this.head++;
    }
    if (this.head === this.bufs.length) this.clear();
  }

  /** Forgets everything (a reload): slabs are not released, as a write may still be reading them. */
  clear(): void {
    this.bufs = [];
    this.slabs = [];
    this.base = [];
    this.end = [];
    this.head = 0;
    this._bytes = 0;
  }

  /**
   * Whole batches from the one holding `offset`, all ending at or below
   * `upper` (the high watermark), at most `maxBytes` unless `minOneBatch` lets
   * the first one through; null when the cache does not reach back to `offset`.
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, upper: number): Buffer[] | null {
    const n = this.bufs.length;
    if (this.head >= n || this.base[this.head]! > offset) return null;
    // first entry whose end > offset
    let lo = this.head;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.end[mid]! > offset) hi = mid;
      else lo = mid + 1;
    }
    if (this.end[lo]! <= offset) return null;
    const out: Buffer[] = [];
    let bytes = 0;
    for (let i = lo; i < n && this.end[i]! <= upper; i++) {
      const b = this.bufs[i]!;
      if (bytes + b.length > maxBytes && !(out.length === 0 && minOneBatch)) break;
      out.push(b);
      bytes += b.length;
      const slab = this.slabs[i];
      if (slab) slab.lent = true;
    }
    return out;
  }

  private trim(): void {
    while (this._bytes > this.limit && this.head < this.bufs.length - 1) {
      this._bytes -= this.bufs[this.head]!.length;
      this.bufs[this.head] = undefined;
      this.slabs[this.head]?.release();
      this.slabs[this.head] = null;
      this.head++;
    }
    if (this.head > 4096 && this.head * 2 > this.bufs.length) {
      this.bufs = this.bufs.slice(this.head);
      this.slabs = this.slabs.slice(this.head);
      this.base = this.base.slice(this.head);
      this.end = this.end.slice(this.head);
      this.head = 0;
    }
  }
}
