// The writer of one log: appends queue their (already stamped) buffers here;
// one loop writes everything queued since its last write in a single writev at
// the segment's end (group commit for writes too). A batch is "written" once
// in the file (page cache). Before a marker's bytes, the aborted transactions
// it ends are appended to the segment's `.txnindex`. When a rolled segment's
// bytes are all written, the writer seals it: final time-index entry, index
// files, the producer snapshot taken at the roll, and a flush request (Kafka
// flushes a rolled segment right away). A write error goes to the log
// (`onError`), which takes itself offline and reloads. A small write (the
// appends of one event-loop turn, up to SYNC_WRITE_MAX bytes) goes out
// synchronously when the segment's file is open: a page-cache copy of that size
// costs less than the trip through the thread pool and back, and the write
// (then an fsync in group-commit mode) starts without waiting for a pool thread
// on a busy machine. A written entry releases its slab (slabs.ts).
//
// State owned here: the write queue, the written offset, the write waiters.

import type { FileSystem } from '../fs.js';
import type { Segment } from '../segment.js';
import { appendTxnIndex } from '../txn-index.js';
import type { Flusher } from './flusher.js';
import { OffsetWaiters } from './offset-waiters.js';
import type { LogSegments } from './segments.js';
import type { ProducerSnapshots } from './snapshots.js';
import type { Slab } from './slabs.js';

const MAX_WRITE_BYTES = 32 * 1024 * 1024;
const MAX_WRITE_BUFFERS = 1024;
/** Writes up to this many bytes go out synchronously (see the header): below it the page-cache copy costs the event loop less than a thread-pool round trip. */
const SYNC_WRITE_MAX = 32 * 1024;

interface PendingWrite {
  seg: Segment;
  buf: Buffer;
  /** Offset after the last batch of this append. */
  end: number;
  /** The slab `buf` was cut from, released once written. */
  slab: Slab | null;
}

export interface WriterHost {
  readonly fs: FileSystem;
  readonly segments: LogSegments;
  readonly flusher: Flusher;
  readonly snapshots: ProducerSnapshots;
  readonly stats: { writes: number; bytesWritten: number };
  /** The log accepts writes (online, or closing while it drains). */
  running(): boolean;
  /** Offsets below `end` are in `seg`'s file. */
  onWritten(seg: Segment, end: number): void;
  onError(e: unknown): void;
}

export class LogWriter {
  /** Offsets below this are in the files. */
  writtenOffset = 0;
  private pending: PendingWrite[] = [];
  private pendingHead = 0;
  private writing = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly waiters = new OffsetWaiters();

  constructor(private readonly host: WriterHost) {}

  /** Queues `buf` (offsets up to `end`) for the end of `seg`; `slab` is released once it is written. */
  enqueue(seg: Segment, buf: Buffer, end: number, slab: Slab | null = null): void {
    this.pending.push({ seg, buf, end, slab });
    this.schedule();
  }

  /** Drops what is queued (the log failed or reloads); its slabs are not released, as a write may still be reading them. */
  clear(): void {
    this.pending = [];
    this.pendingHead = 0;
  }

  /** Resolves once every offset below `end` is in the file. */
  waitForWrite(end: number): Promise<void> {
    if (end <= this.writtenOffset) return Promise.resolve();
    return this.waiters.add(end);
  }

  rejectAll(e: Error): void {
    this.waiters.rejectAll(e);
  }

  /** Resolves when nothing is queued for writing. */
  waitIdle(): Promise<void> {
    if (!this.writing && !this.scheduled && this.pendingHead >= this.pending.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.loop();
    });
  }

  private async loop(): Promise<void> {
    const host = this.host;
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pendingHead < this.pending.length && host.running()) {
        const seg = this.pending[this.pendingHead]!.seg;
        await this.sealBefore(seg);
        if (!seg.fileExists) {
          seg.fileExists = true; // the write creates it
          host.flusher.dirDirty = true;
        }
        const bufs: Buffer[] = [];
        let bytes = 0;
        let i = this.pendingHead;
        while (i < this.pending.length && this.pending[i]!.seg === seg && bufs.length < MAX_WRITE_BUFFERS && bytes < MAX_WRITE_BYTES) {
          const b = this.pending[i]!.buf;
          bufs.push(b);
          bytes += b.length;
          i++;
        }
        const end = this.pending[i - 1]!.end;
        // an abort marker's index entry is durable before the marker is written
        if (seg.abortedTxns.length > seg.abortedTxnsOnDisk) {
          const n = seg.abortedTxns.length;
          if (seg.abortedTxnsOnDisk === 0) host.flusher.dirDirty = true;
          await appendTxnIndex(host.fs, seg.txnIndexPath, seg.abortedTxnsOnDisk, seg.abortedTxns.slice(seg.abortedTxnsOnDisk, n));
          seg.abortedTxnsOnDisk = n;
        }
        if (!(bytes <= SYNC_WRITE_MAX && seg.writevSync(bufs, seg.writtenSize))) await seg.withFile((fh) => fh.writev(bufs, seg.writtenSize));
        if (!host.running()) break;
        for (let k = this.pendingHead; k < i; k++) {
          this.pending[k]!.slab?.release();
          this.pending[k] = undefined as unknown as PendingWrite;
        }
        this.pendingHead = i;
        if (this.pendingHead === this.pending.length) {
          this.pending = [];
          this.pendingHead = 0;
        } else if (this.pendingHead > 4096) {
          this.pending = this.pending.slice(this.pendingHead);
          this.pendingHead = 0;
        }
        seg.writtenSize += bytes;
        this.writtenOffset = end;
        host.stats.writes++;
        host.stats.bytesWritten += bytes;
        host.onWritten(seg, end);
        this.waiters.resolveUpTo(end);
        if (seg.sealed && seg.writtenSize === seg.size) await this.seal(seg);
        host.flusher.afterWrite();
      }
    } catch (e) {
      host.onError(e);
    } finally {
      this.writing = false;
      if (this.pendingHead >= this.pending.length || !host.running()) {
        const w = this.idleWaiters;
        this.idleWaiters = [];
        for (const f of w) f();
      } else this.schedule();
    }
  }

  /** Seals every rolled segment before `seg` whose bytes are all written. */
  private async sealBefore(seg: Segment): Promise<void> {
    const segments = this.host.segments;
    let i = segments.count - 1;
    while (i >= 0 && segments.at(i) !== seg) i--;
    for (let k = i - 1; k >= 0; k--) {
      const s = segments.at(k)!;
      if (s.indexFilesCurrent) break;
      if (s.sealed && s.writtenSize === s.size) await this.seal(s);
    }
  }

  private async seal(s: Segment): Promise<void> {
    if (s.indexFilesCurrent) return;
    s.finalTimeIndexEntry();
    await s.writeIndexFiles();
    if (s.pendingSnapshot) {
      await this.host.snapshots.write(s.nextOffset, s.pendingSnapshot);
      s.pendingSnapshot = null;
    }
    this.host.flusher.dirDirty = true;
    // Kafka flushes a rolled segment right away (asynchronously)
    this.host.flusher.request(s.nextOffset);
  }
}
