// The segments of one log, oldest first (Kafka's LogSegments): look-ups by
// offset, roll, removal from the head (retention) or the tail (truncation).
// The list is the one owner of which Segment objects make up the log; the log
// (partition-log.ts) decides when each change happens.

import { Segment, type SegmentEnv } from '../segment.js';

export class LogSegments {
  private list: Segment[] = [];

  constructor(readonly env: SegmentEnv) {}

  /** The segments, oldest first (do not keep: the list is replaced on changes). */
  get all(): readonly Segment[] {
    return this.list;
  }

  get count(): number {
    return this.list.length;
  }

  at(i: number): Segment | undefined {
    return this.list[i];
  }

  /** The segment appends go to. */
  active(): Segment {
    return this.list[this.list.length - 1]!;
  }

  /** Replaces the whole list (a load). */
  reset(segments: Segment[]): void {
    this.list = segments;
  }

  /** Bytes in all segments. */
  size(): number {
    let n = 0;
    for (const s of this.list) n += s.size;
    return n;
  }

  baseOffsets(): number[] {
    return this.list.map((s) => s.baseOffset);
  }

  /** Index of the last segment whose base offset is <= `offset`, -1 if none. */
  floorIndex(offset: number): number {
    let lo = 0;
    let hi = this.list.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.list[mid]!.baseOffset <= offset) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** The offset after the segment at `i`: the next one's base, or `logEnd` for the active one. */
  upperOffset(i: number, logEnd: number): number {
    const next = this.list[i + 1];
    return next ? next.baseOffset : logEnd;
  }

  /** Starts a new active segment at `baseOffset` (the caller seals the old one). */
  roll(baseOffset: number, now: number, indexIntervalBytes: number): Segment {
    const seg = new Segment(this.env, baseOffset);
    seg.resetIndexes();
    seg.createdMs = now;
    seg.lastModifiedMs = now;
    seg.indexIntervalForRebuild = indexIntervalBytes;
    this.list.push(seg);
    return seg;
  }

  /** Takes the `n` oldest segments out of the list (their files are the caller's to delete). */
  removeHead(n: number): Segment[] {
    return this.list.splice(0, n);
  }

  /** Takes the segment at `i` out of the list. */
  removeAt(i: number): Segment {
    return this.list.splice(i, 1)[0]!;
  }

  /** Drops the log's reference on every segment (close, reload): files close once reads finish. */
  retireAll(): void {
    for (const s of this.list) s.retire();
  }
}
