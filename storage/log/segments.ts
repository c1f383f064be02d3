// The segments of one log, oldest first (Kafka's LogSegments): look-ups by
// offset, roll, removal from the head (retention) or the tail (truncation),
// and for the log cleaner: a description of each segment, its batches, a new
// `.cleaned` segment to write, and the crash-safe swap of cleaned segments in
// (Kafka's LocalLog.replaceSegments). The list is the one owner of which
// Segment objects make up the log; the log (partition-log.ts) decides when each
// change happens (the swap runs in its maintenance chain).
//
// The swap, crash-safe with the loader's rules (loader.ts) for what a crash leaves:
//   1. the cleaner wrote and fsynced `<base>.log.cleaned` (+ indexes), dir fsynced
//   2. new files `.cleaned` -> `.swap`, dir fsynced: from here the swap is committed
//   3. the new segment replaces the old ones in the list (one synchronous step)
//   4. old files '' -> `.deleted` (unlinked after file.delete.delay.ms)
//   5. new files `.swap` -> '', dir fsynced
// A crash before 2 completes leaves `.cleaned` files: deleted, old data intact.
// After 2: `.swap` files: the loader deletes the old segments the swap covers
// and renames `.swap` -> ''. After 5: `.deleted` files, deleted by the loader.

import { BATCH_HEADER_SIZE, LOG_OVERHEAD, OFF_ATTRIBUTES, OFF_LEADER_EPOCH, OFF_LENGTH, OFF_RECORD_COUNT, checkBatch, readInt64, readProducerInfo, type BatchProducerInfo } from '../batch.js';
import { CLEANED_SUFFIX, DELETED_SUFFIX, SWAP_SUFFIX, Segment, type SegmentEnv } from '../segment.js';
import type { Clock } from '../logger.js';
import { writeTxnIndex, type AbortedTxn } from '../txn-index.js';

/** One segment as the cleaner sees it. */
export interface SegmentInfo {
  segment: Segment;
  baseOffset: number;
  /** The offset after the segment: the next segment's base (the log end offset for the active one). */
  nextOffset: number;
  /** Bytes in the `.log` file. */
  size: number;
  lastModifiedMs: number;
  /** Kafka's LogSegment.largestTimestamp: the largest record timestamp, else the file's last modification. */
  largestTimestamp: number;
  /** The segment appends go to (never cleaned). */
  active: boolean;
}

/** One batch of a segment, read whole and CRC-checked. */
export interface SegmentBatch {
  /** File position of the batch in the segment. */
  position: number;
  /** The whole batch (LOG_OVERHEAD + length bytes), a view of a read buffer. */
  bytes: Buffer;
  baseOffset: number;
  lastOffset: number;
  partitionLeaderEpoch: number;
  attributes: number;
  recordCount: number;
  /** producerId, producerEpoch, baseSequence, lastOffsetDelta, maxTimestamp, isTransactional, isControl. */
  header: BatchProducerInfo;
}

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

  // ---- for the log cleaner ---------------------------------------------------------

  /** Every segment, oldest first, with what the cleaner chooses by (time indexes checked first). */
  async describe(logEnd: number, indexIntervalBytes: number): Promise<SegmentInfo[]> {
    const list = [...this.list];
    for (const s of list) await s.hold(() => s.ensureTrustedTimeIndex(indexIntervalBytes));
    return list.map((s, i) => ({
      segment: s,
      baseOffset: s.baseOffset,
      nextOffset: i + 1 < list.length ? list[i + 1]!.baseOffset : logEnd,
      size: s.size,
      lastModifiedMs: s.lastModifiedMs,
      largestTimestamp: s.maxTimestamp >= 0 ? s.maxTimestamp : s.lastModifiedMs,
      active: i === list.length - 1,
    }));
  }

  /**
   * The batches of `seg` from file position `from` (default the start) up to
   * what is written, read `chunkBytes` at a time, each checked (length, magic,
   * CRC32C); corruption throws. The segment stays open while iterating.
   */
  async *batches(seg: Segment, from = 0, chunkBytes = 256 * 1024): AsyncGenerator<SegmentBatch> {
    seg.acquire();
    try {
      const upper = seg.writtenSize;
      let pos = from;
      while (pos < upper) {
        const chunk = await seg.readBatches(pos, chunkBytes, upper, true);
        if (chunk.length === 0) throw new Error(`${seg.logPath}: no whole batch at position ${pos}`);
        for (const b of chunk) {
          const problem = checkBatch(b, 0, b.length, true);
          if (problem !== null) throw new Error(`${seg.logPath}: ${problem} at position ${pos}`);
          const header = readProducerInfo(b, 0);
          const baseOffset = readInt64(b, 0);
          yield {
            position: pos,
            bytes: b,
            baseOffset,
            lastOffset: baseOffset + header.lastOffsetDelta,
            partitionLeaderEpoch: b.readInt32BE(OFF_LEADER_EPOCH),
            attributes: b.readInt16BE(OFF_ATTRIBUTES),
            recordCount: b.readInt32BE(OFF_RECORD_COUNT),
            header,
          };
          pos += b.length;
        }
      }
    } finally {
      seg.release();
    }
  }

  /** A new segment `<baseOffset>.log.cleaned` (and its indexes) for the cleaner to write. */
  createCleaned(baseOffset: number, indexIntervalBytes: number): CleanedSegment {
    return new CleanedSegment(this.env, new Segment(this.env, baseOffset, CLEANED_SUFFIX), indexIntervalBytes);
  }

  /**
   * Swaps `cleaned` (finished) in for `oldSegments` (consecutive in the list,
   * the first with the same base offset), crash-safely (see the file header).
   * The old segments' files are unlinked `fileDeleteDelayMs` later; readers
   * holding them keep reading meanwhile. Returns false (nothing swapped,
   * `.cleaned` files deleted) if the old segments are no longer all in the
   * list, or include the active one. An I/O error part-way throws and leaves a
   * directory the loader repairs (the caller reloads the log).
   */
  async replaceSegments(oldSegments: readonly Segment[], cleaned: CleanedSegment, clock: Clock, fileDeleteDelayMs: number): Promise<boolean> {
    const seg = cleaned.segment;
    if (!cleaned.finished) throw new Error('replaceSegments: the cleaned segment is not finished');
    if (oldSegments.length === 0 || oldSegments[0]!.baseOffset !== seg.baseOffset) {
      throw new Error('replaceSegments: the cleaned segment must start at the first old segment');
    }
    const check = (): number => {
      const i = this.list.indexOf(oldSegments[0]!);
      const ok = i >= 0 && i + oldSegments.length < this.list.length && oldSegments.every((s, k) => this.list[i + k] === s);
      return ok ? i : -1;
    };
    if (check() < 0) {
      await cleaned.abort();
      return false;
    }
    const fs = this.env.fs;
    await seg.changeFileSuffix(SWAP_SUFFIX);
    await fs.syncDir(this.env.dir);
    const i = check();
    if (i < 0) {
      // nothing of the log changed meanwhile but its list: the swap files go
      await seg.changeFileSuffix(CLEANED_SUFFIX);
      await cleaned.abort();
      return false;
    }
    seg.nextOffset = this.list[i + oldSegments.length]!.baseOffset;
    this.list.splice(i, oldSegments.length, seg);
    for (const s of oldSegments) {
      await s.changeFileSuffix(DELETED_SUFFIX);
      s.retire();
    }
    await seg.changeFileSuffix('');
    await fs.syncDir(this.env.dir);
    clock.setTimeout(() => {
      void (async () => {
        for (const s of oldSegments) {
          await s.deleteFiles().catch((err: unknown) => this.env.logger.warn({ err, segment: s.logPath }, 'deleting a replaced segment failed'));
        }
      })();
    }, fileDeleteDelayMs);
    return true;
  }
}

/**
 * A segment being written by the cleaner, `<base>.log.cleaned` and its index
 * files: batches appended in offset order (offsets kept, gaps allowed), then
 * `finish()` makes it durable, ready for `replaceSegments`.
 */
export class CleanedSegment {
  private next: number;
  finished = false;

  constructor(
    private readonly env: SegmentEnv,
    readonly segment: Segment,
    private readonly indexIntervalBytes: number,
  ) {
    segment.resetIndexes();
    segment.indexIntervalForRebuild = indexIntervalBytes;
    this.next = segment.baseOffset;
  }

  /** Bytes written so far. */
  get size(): number {
    return this.segment.size;
  }

  /** Appends whole batches (each at or after the previous one's end), indexing them as Kafka's LogSegment.append does. */
  async append(batches: readonly Buffer[]): Promise<void> {
    const seg = this.segment;
    if (this.finished) throw new Error('append to a finished cleaned segment');
    let position = seg.size;
    for (const b of batches) {
      if (b.length < BATCH_HEADER_SIZE || b.length !== LOG_OVERHEAD + b.readInt32BE(OFF_LENGTH)) throw new Error('append: not one whole batch');
      const base = readInt64(b, 0);
      const info = readProducerInfo(b, 0);
      const last = base + info.lastOffsetDelta;
      if (base < this.next) throw new Error(`append: batch at offset ${base} is below ${this.next}`);
      seg.indexBatch(position, b.length, last, info.maxTimestamp, this.indexIntervalBytes);
      position += b.length;
      this.next = last + 1;
    }
    if (!seg.fileExists) seg.fileExists = true; // the write creates it
    await seg.withFile((fh) => fh.writev(batches, seg.writtenSize));
    seg.size = seg.writtenSize = seg.visibleSize = position;
    seg.nextOffset = this.next;
  }

  /** Notes an aborted transaction whose marker this segment keeps (its `.txnindex`). */
  addAbortedTxn(t: AbortedTxn): void {
    this.segment.abortedTxns.push(t);
  }

  /**
   * Makes the segment durable: final time-index entry, index files, `.txnindex`,
   * fsync of every file and of the directory. `lastModifiedMs`: what retention
   * and the cleaner's time rules see (Kafka sets the file's mtime to the last
   * source segment's; kafkalite keeps it in memory only).
   */
  async finish(lastModifiedMs: number): Promise<void> {
    const seg = this.segment;
    if (!seg.fileExists) {
      await seg.withFile(async () => undefined); // creates it
      seg.fileExists = true;
    }
    await seg.withFile((fh) => fh.sync());
    seg.syncedSize = seg.writtenSize;
    seg.finalTimeIndexEntry();
    await seg.writeIndexFiles();
    if (seg.abortedTxns.length > 0) await writeTxnIndex(this.env.fs, seg.txnIndexPath, seg.abortedTxns);
    seg.abortedTxnsOnDisk = seg.abortedTxns.length;
    await this.env.fs.syncDir(this.env.dir);
    seg.sealed = true;
    seg.lastModifiedMs = seg.createdMs = lastModifiedMs;
    this.finished = true;
  }

  /** Gives up: deletes the `.cleaned` files. */
  async abort(): Promise<void> {
    this.finished = false;
    await this.segment.deleteFiles();
  }
}
