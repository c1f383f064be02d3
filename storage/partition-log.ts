// One partition's log: `<data-dir>/<topic>-<partition>/`, a list of segments,
// the idempotent-producer state, a tail cache, one writer and one flusher.
//
// Append (synchronous, no per-record work, no copy of the batch bytes):
//   `append(records)` takes the Produce partition's record bytes (one or more
//   RecordBatch v2), checks each header (length, magic 2, max.message.bytes,
//   no control batch from clients) and the producer state, stamps baseOffset
//   and partitionLeaderEpoch IN PLACE (and for LogAppendTime topics the
//   timestamp type, maxTimestamp and CRC), indexes the batches, queues the
//   buffer for the writer and returns the assigned offsets at once. The caller
//   must not reuse the buffer afterwards: the log keeps it (write queue, tail
//   cache). The CRC of client batches is checked once, before this, by
//   validator.ts (Kafka's LogValidator checks); `verifyCrc` checks it here too.
//
// Writer: one loop per log writes everything queued since its last write in a
//   single writev at the segment's end (group commit for writes too). A batch is
//   "written" once in the file (page cache); a write error takes the log
//   offline (appends and reads answer KAFKA_STORAGE_ERROR), rejects every
//   pending waiter, and reloads the log from disk with crash recovery (again
//   and again, with a growing pause, while the reload fails: EMFILE or a full
//   disk pass); the log then comes back online by itself.
//
// Flusher: at most one fsync in flight per log. It covers everything written
//   before it started: all waiters up to that offset resolve together. Policies
//   (log-config.ts): flush.messages (the append that crosses it is acknowledged
//   only once flushed, as in Kafka where that flush runs inside the append),
//   flush.ms (timer), segment roll (the rolled segment is flushed, as Kafka
//   does), and flush.mode=group-commit (flush whenever anything is unflushed).
//   A failed fsync rejects every durability waiter with KAFKA_STORAGE_ERROR;
//   the log stays online and the next flush tries again.
//
// High watermark (single node): in interval mode every written batch is
//   visible; in group-commit mode only fsynced batches are, so consumers never
//   see a record a crash could take back. logEndOffset counts assigned offsets.
//
// Reads return whole batches as Buffer slices: from the tail cache when the
//   offset is recent, otherwise via the sparse index and a header scan, one
//   pread for the data. A read stays within one segment, as in Kafka. Unlike
//   Kafka, every batch read from disk is checked (CRC32C, offsets) before it
//   is served: corruption answers KAFKA_STORAGE_ERROR, logged once per place.
//
// Recovery (load): Kafka's LogLoader. Clean shutdown: trust the segments (reads check them),
//   load indexes lazily (checked), find the end of the last segment from its
//   last index entry. Unclean: from the segment holding the recovery point on,
//   check every batch (length, magic, CRC32C, contiguous offsets), truncate at
//   the first bad byte, delete every later segment, rebuild indexes, then fsync.
//   Producer state: newest valid snapshot at or below the log end, then the
//   batch headers after it.
//
// Transactions: markers come from the coordinator (`appendTxnMarker`,
//   control-batch.ts). The last stable offset is the first offset of the
//   oldest open transaction (producer state), else the high watermark;
//   read_committed reads stop there and list the aborted transactions they
//   overlap, from each segment's `.txnindex` (txn-index.ts). Recovery rebuilds
//   the index of every segment it rescans, or whose file is damaged, by
//   replaying producer state from a snapshot at or below it.

import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  LOG_OVERHEAD,
  MIN_BATCH_LENGTH,
  OFF_ATTRIBUTES,
  OFF_LAST_OFFSET_DELTA,
  OFF_LEADER_EPOCH,
  OFF_LENGTH,
  OFF_MAGIC,
  OFF_MAX_TIMESTAMP,
  OFF_PRODUCER_ID,
  batchCrcMatches,
  batchMaxTimestamp,
  checkBatch,
  readInt64,
  readProducerInfo,
  restampCrc,
  visitRecordTimestamps,
  writeInt64,
  type Decompressor,
} from './batch.js';
import { LogError, isLogError, storageError } from './errors.js';
import { HandlePool } from './handle-pool.js';
import { joinPath, mkdirDurable, type FileSystem } from './fs.js';
import type { LogConfig } from './log-config.js';
import { silentLogger, systemClock, type Clock, type Logger } from './logger.js';
import { ProducerStateManager, type AppendOrigin, type CompletedTxn, type ProducerAppend } from './producer-state.js';
import { LeaderEpochCache, type EpochStart } from './leader-epochs.js';
import { buildTxnMarkerBatch, readEndTxnMarker, type TxnMarker } from './control-batch.js';
import { appendTxnIndex, collectAborted, readTxnIndex, writeTxnIndex, type AbortedTxn } from './txn-index.js';
import {
  INDEX_SUFFIX,
  LOG_SUFFIX,
  SNAPSHOT_SUFFIX,
  Segment,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  offsetFileName,
  parseOffsetFileName,
  writeAndSync,
  type SegmentEnv,
} from './segment.js';

const INT32_MAX = 0x7fffffff;
/** Longest timer Node accepts; longer flush.ms values mean "never". */
const MAX_TIMER_MS = 0x7fffffff;
const SNAPSHOTS_TO_KEEP = 3;
/** Pause before an fsync that failed is tried again for the appends it did not cover. */
const FLUSH_RETRY_MS = 10;
/** Pauses between attempts to reload a log that failed (doubling up to the max). */
const RELOAD_RETRY_MIN_MS = 100;
const RELOAD_RETRY_MAX_MS = 30_000;
const MAX_WRITE_BYTES = 32 * 1024 * 1024;
const MAX_WRITE_BUFFERS = 1024;

export interface PartitionLogOptions {
  fs: FileSystem;
  /** The partition's directory (`<data-dir>/<topic>-<partition>`). */
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  logger?: Logger;
  clock?: Clock;
  /** Bytes of recent batches kept in memory for tail reads (default 8 MiB). */
  tailCacheBytes?: number;
  /** For ListOffsets by timestamp on compressed batches (protocol/compression.ts decompress fits). */
  decompress?: Decompressor;
  producerIdExpirationMs?: number;
  /** Load parameters: clean-shutdown marker seen, recovery point and log start offset checkpoints. */
  hadCleanShutdown?: boolean;
  recoveryPoint?: number;
  logStartOffset?: number;
  /** Called when the log start offset moved (retention, DeleteRecords), to persist it. */
  onLogStartOffsetChanged?: (log: PartitionLog) => void;
  /** Open segment files, shared by the logs of a data directory (default: this log's own, unbounded). */
  files?: HandlePool;
}

export interface AppendOptions {
  /** 'client' (default): producer checks; 'coordinator': control/internal batches, epoch checks only. */
  origin?: AppendOrigin;
  /** Stamped into every batch's partitionLeaderEpoch (default 0). */
  leaderEpoch?: number;
  /** Check every batch's CRC32C here (default false: the Produce path checks it). */
  verifyCrc?: boolean;
}

export interface ReadResult {
  /** Whole batches, in offset order, the first one holding the fetch offset. */
  batches: Buffer[];
  bytes: number;
  highWatermark: number;
  logStartOffset: number;
  /** First offset of the oldest open transaction, else the high watermark. */
  lastStableOffset: number;
  /**
   * read_committed reads: the aborted transactions overlapping the returned
   * batches, sorted by first offset (an empty list when none); undefined for
   * read_uncommitted.
   */
  abortedTransactions?: { producerId: number; firstOffset: number }[];
}

export interface TimestampOffset {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

export type LogState = 'online' | 'offline' | 'closing' | 'closed';

/** The outcome of `append`. Waiting is opt-in: the promises are created on first use. */
export class AppendResult {
  constructor(
    private readonly log: PartitionLog,
    /** First offset of the append (for a duplicate: of the original batch). */
    readonly baseOffset: number,
    readonly lastOffset: number,
    /** The LogAppendTime stamped, or -1 for CreateTime topics. */
    readonly logAppendTime: number,
    readonly logStartOffset: number,
    /** A retry of a batch already in the log: nothing was appended. */
    readonly duplicate: boolean,
  ) {}

  /** Resolves once the batch is in the file (page cache). */
  get written(): Promise<void> {
    return this.log.waitForWrite(this.lastOffset + 1);
  }

  /** Resolves once an fsync covered the batch. */
  get durable(): Promise<void> {
    return this.log.waitForDurable(this.lastOffset + 1);
  }

  /** What a Produce with `acks` waits for before answering (nothing for acks=0). */
  ack(acks: number): Promise<void> {
    return this.log.waitForAck(this.lastOffset + 1, acks);
  }
}

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Waiters ordered by offset; resolved in bulk when a level passes them. */
class OffsetWaiters {
  private items: Waiter[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  add(offset: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w = { offset, resolve, reject };
      const n = this.items.length;
      if (n === this.head || this.items[n - 1]!.offset <= offset) this.items.push(w);
      else {
        let i = n;
        while (i > this.head && this.items[i - 1]!.offset > offset) i--;
        this.items.splice(i, 0, w);
      }
    });
  }

  resolveUpTo(level: number): void {
    while (this.head < this.items.length && this.items[this.head]!.offset <= level) {
      const w = this.items[this.head]!;
      this.items[this.head++] = undefined as unknown as Waiter;
      w.resolve();
    }
    this.compact();
  }

  rejectAll(e: Error): void {
    const list = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    for (const w of list) w.reject(e);
  }

  /** Rejects the waiters at or below `level`; later ones keep waiting. */
  rejectUpTo(level: number, e: Error): void {
    while (this.head < this.items.length && this.items[this.head]!.offset <= level) {
      const w = this.items[this.head]!;
      this.items[this.head++] = undefined as unknown as Waiter;
      w.reject(e);
    }
    this.compact();
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

interface PendingWrite {
  seg: Segment;
  buf: Buffer;
  /** Offset after the last batch of this append. */
  end: number;
}

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly producers: ProducerStateManager;
  private readonly fs: FileSystem;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly env: SegmentEnv;
  private tailCacheLimit: number;
  private readonly decompress: Decompressor | undefined;
  private readonly onLogStartOffsetChanged: ((log: PartitionLog) => void) | undefined;
  private cfg: LogConfig;

  private segments: Segment[] = [];
  private _state: LogState = 'offline';
  private _logStartOffset = 0;
  private _nextOffset = 0;
  private writtenOffset = 0;
  private durableOffset = 0;
  private hw = 0;
  /** Appends ending at or below this are acknowledged only once durable (flush.messages). */
  private syncAckOffset = 0;

  // writer
  private pending: PendingWrite[] = [];
  private pendingHead = 0;
  private writing = false;
  private writeScheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly writeWaiters = new OffsetWaiters();

  // flusher
  private flushing = false;
  private flushTarget = 0;
  private flushIdleWaiters: (() => void)[] = [];
  private readonly durableWaiters = new OffsetWaiters();
  private flushTimer: { cancel(): void } | null = null;
  private dirDirty = false;
  private _lastFlushMs = 0;
  private reloading: Promise<void> | null = null;
  private reloadStopped = false;
  private stopReloadWait: (() => void) | null = null;
  private snapshotOffsets: number[] = [];
  private maintenanceChain: Promise<unknown> = Promise.resolve();

  // tail cache: contiguous whole batches ending at the log end
  private cacheBufs: (Buffer | undefined)[] = [];
  private cacheBase: number[] = [];
  private cacheEnd: number[] = [];
  private cacheHead = 0;
  private cacheBytes = 0;

  private readonly hwListeners = new Set<(hw: number) => void>();
  /** Transactions whose marker is appended but not below the high watermark yet, in marker order. */
  private unreplicatedTxns: CompletedTxn[] = [];
  private readonly leaderEpochs = new LeaderEpochCache((from, to) => this.scanEpochs(from, to));

  /** Counters for tests and benchmarks. */
  readonly stats = { fsyncs: 0, writes: 0, bytesWritten: 0, cacheReads: 0, diskReads: 0, crcChecks: 0 };
  /** `file:position` of corrupt batches already logged. */
  private readonly reportedCorruption = new Set<string>();

  private constructor(opts: PartitionLogOptions) {
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.dir = opts.dir;
    this.fs = opts.fs;
    this.cfg = opts.config;
    this.logger = (opts.logger ?? silentLogger).child({ partition: `${opts.topic}-${opts.partition}` });
    this.clock = opts.clock ?? systemClock;
    this.tailCacheLimit = opts.tailCacheBytes ?? 8 * 1024 * 1024;
    this.decompress = opts.decompress;
    this.onLogStartOffsetChanged = opts.onLogStartOffsetChanged;
    this.env = { fs: this.fs, dir: this.dir, logger: this.logger, files: opts.files ?? new HandlePool(this.fs, Infinity) };
    this.producers = new ProducerStateManager(`${opts.topic}-${opts.partition}`, { producerIdExpirationMs: opts.producerIdExpirationMs });
  }

  /** Opens (creating if needed) and recovers the log in `opts.dir`. */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const log = new PartitionLog(opts);
    await log.load(opts.hadCleanShutdown ?? false, opts.recoveryPoint ?? 0, opts.logStartOffset ?? 0);
    log._state = 'online';
    return log;
  }

  // ---- public state ------------------------------------------------------------------

  get state(): LogState {
    return this._state;
  }
  get config(): LogConfig {
    return this.cfg;
  }
  get logStartOffset(): number {
    return this._logStartOffset;
  }
  /** Next offset to assign (includes appends not yet written). */
  get logEndOffset(): number {
    return this._nextOffset;
  }
  /** Offsets below this are visible to consumers. */
  get highWatermark(): number {
    return this.hw;
  }
  /**
   * Offsets below this are visible to read_committed consumers: the first
   * offset of the oldest open transaction, else the high watermark.
   */
  get lastStableOffset(): number {
    let lso = this.hw;
    const open = this.producers.firstUnstableOffset();
    if (open >= 0 && open < lso) lso = open;
    // Kafka's unreplicated transactions: ended, but the marker is not visible yet
    while (this.unreplicatedTxns.length > 0 && this.unreplicatedTxns[0]!.lastOffset < this.hw) this.unreplicatedTxns.shift();
    for (const t of this.unreplicatedTxns) if (t.firstOffset < lso) lso = t.firstOffset;
    return lso;
  }
  /** Offsets below this are fsynced (Kafka's recovery point). */
  get recoveryPoint(): number {
    return this.durableOffset;
  }
  get lastFlushMs(): number {
    return this._lastFlushMs;
  }
  /** Bytes on disk (all segments). */
  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }
  get segmentCount(): number {
    return this.segments.length;
  }
  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  updateConfig(config: LogConfig): void {
    this.cfg = config;
    this.flushTimer?.cancel();
    this.flushTimer = null;
    if (this.writtenOffset > this.durableOffset) this.afterWrite();
  }

  /** Calls `fn(hw)` whenever the high watermark advances; returns the unsubscribe function. */
  onHighWatermark(fn: (hw: number) => void): () => void {
    this.hwListeners.add(fn);
    return () => this.hwListeners.delete(fn);
  }

  // ---- append ----------------------------------------------------------------------------

  private checkOnline(): void {
    if (this._state !== 'online') {
      throw new LogError('KAFKA_STORAGE_ERROR', `log ${this.topic}-${this.partition} is ${this._state}`);
    }
  }

  /**
   * Appends the record batches in `records` (see the file header). Throws
   * LogError for a request Kafka would refuse: CORRUPT_MESSAGE, INVALID_RECORD,
   * MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, OUT_OF_ORDER_SEQUENCE_NUMBER,
   * INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE, KAFKA_STORAGE_ERROR.
   */
  append(records: Buffer, opts: AppendOptions = {}): AppendResult {
    this.checkOnline();
    const cfg = this.cfg;
    const origin = opts.origin ?? 'client';
    const verifyCrc = opts.verifyCrc ?? false;
    const now = this.clock.now();
    const logAppendTime = cfg.messageTimestampType === 'LogAppendTime';
    const first = this._nextOffset;
    const total = records.length;

    // pass 1: validate every header and the producer state; nothing changes yet
    let pos = 0;
    let next = first;
    let maxTs = -1;
    let firstBatchTs = -1;
    let pa: ProducerAppend | null = null;
    while (pos < total) {
      if (total - pos < LOG_OVERHEAD + MIN_BATCH_LENGTH) throw new LogError('CORRUPT_MESSAGE', `truncated batch header at byte ${pos}`);
      const length = records.readInt32BE(pos + OFF_LENGTH);
      const size = LOG_OVERHEAD + length;
      if (length < MIN_BATCH_LENGTH || pos + size > total) throw new LogError('CORRUPT_MESSAGE', `batch length ${length} at byte ${pos} does not fit`);
      const magic = records[pos + OFF_MAGIC];
      if (magic !== 2) throw new LogError('INVALID_RECORD', `record batch magic ${magic}; only v2 batches are accepted`);
      if (size > cfg.maxMessageBytes) throw new LogError('MESSAGE_TOO_LARGE', `batch of ${size} bytes exceeds max.message.bytes ${cfg.maxMessageBytes}`);
      const delta = records.readInt32BE(pos + OFF_LAST_OFFSET_DELTA);
      if (delta < 0) throw new LogError('CORRUPT_MESSAGE', `negative lastOffsetDelta ${delta}`);
      const attributes = records.readInt16BE(pos + OFF_ATTRIBUTES);
      if ((attributes & ATTR_CONTROL) !== 0 && origin === 'client') throw new LogError('INVALID_RECORD', 'clients may not write control batches');
      if (verifyCrc && !batchCrcMatches(records, pos, size)) throw new LogError('CORRUPT_MESSAGE', `CRC mismatch in batch at byte ${pos}`);
      const last = next + delta;
      if (readInt64(records, pos + OFF_PRODUCER_ID) >= 0) {
        const info = readProducerInfo(records, pos);
        pa ??= this.producers.beginAppend(origin);
        const dup = pa.findDuplicate(info);
        if (dup) {
          return new AppendResult(this, dup.firstOffset, dup.lastOffset, logAppendTime ? dup.timestamp : -1, this._logStartOffset, true);
        }
        if (logAppendTime) info.maxTimestamp = now;
        pa.appendBatch(info, next, last, info.isControl ? readEndTxnMarker(records, pos, size) : null);
      }
      const ts = logAppendTime ? now : readInt64(records, pos + OFF_MAX_TIMESTAMP);
      if (ts > maxTs) maxTs = ts;
      if (pos === 0) firstBatchTs = ts;
      next = last + 1;
      pos += size;
    }
    if (total === 0) throw new LogError('CORRUPT_MESSAGE', 'no record batches');
    if (total > cfg.segmentBytes) throw new LogError('RECORD_LIST_TOO_LARGE', `${total} bytes exceed segment.bytes ${cfg.segmentBytes}`);

    let seg = this.activeSegment();
    if (this.shouldRoll(seg, total, maxTs, next - 1, now)) seg = this.roll(now);
    if (pa) {
      pa.commit();
      for (const t of pa.completed) {
        this.unreplicatedTxns.push(t);
        if (t.aborted) seg.abortedTxns.push(this.abortedEntry(t.producerId, t.firstOffset, t.lastOffset));
      }
    }

    // pass 2: stamp offsets in place, index, cache
    const leaderEpoch = opts.leaderEpoch ?? 0;
    const interval = cfg.indexIntervalBytes;
    let position = seg.size;
    let off = first;
    pos = 0;
    while (pos < total) {
      const size = LOG_OVERHEAD + records.readInt32BE(pos + OFF_LENGTH);
      const last = off + records.readInt32BE(pos + OFF_LAST_OFFSET_DELTA);
      writeInt64(records, pos, off);
      records.writeInt32BE(leaderEpoch, pos + OFF_LEADER_EPOCH);
      if (logAppendTime) {
        records.writeInt16BE(records.readInt16BE(pos + OFF_ATTRIBUTES) | ATTR_TIMESTAMP_TYPE_LOG_APPEND, pos + OFF_ATTRIBUTES);
        writeInt64(records, pos + OFF_MAX_TIMESTAMP, now);
        restampCrc(records, pos, size);
      }
      seg.indexBatch(position, size, last, logAppendTime ? now : readInt64(records, pos + OFF_MAX_TIMESTAMP), interval);
      this.cachePush(pos === 0 && size === total ? records : records.subarray(pos, pos + size), off, last + 1);
      off = last + 1;
      pos += size;
      position += size;
    }
    this.leaderEpochs.append(leaderEpoch, first);
    if (seg.size === 0) seg.rollingBaseTimestamp = firstBatchTs;
    seg.size += total;
    seg.nextOffset = next;
    seg.lastModifiedMs = now;
    this._nextOffset = next;
    this.pending.push({ seg, buf: records, end: next });
    this.scheduleWrite();

    if (next - this.durableOffset >= cfg.flushMessages) {
      this.syncAckOffset = next;
      this.requestFlush(next);
    } else if (cfg.flushMode !== 'group-commit' && this.flushTimer === null && cfg.flushMs < MAX_TIMER_MS) {
      this.flushTimer = this.clock.setTimeout(() => {
        this.flushTimer = null;
        this.requestFlush(this._nextOffset);
      }, cfg.flushMs);
    }
    return new AppendResult(this, first, next - 1, logAppendTime ? now : -1, this._logStartOffset, false);
  }

  /** The index entry of an aborted transaction; its LSO: the oldest other open transaction, else the marker + 1 (Kafka). */
  private abortedEntry(producerId: number, firstOffset: number, lastOffset: number): AbortedTxn {
    const other = this.producers.firstUnstableOffsetExcept(producerId);
    return { producerId, firstOffset, lastOffset, lastStableOffset: other >= 0 ? other : lastOffset + 1 };
  }

  /**
   * Writes a transaction marker (storage/control-batch.ts) for the coordinator:
   * ends the producer's open transaction here, moves the last stable offset
   * and, for an abort, indexes it. Resolves once acknowledged as an acks=-1
   * produce would be (the log's flush policy). Throws LogError:
   * INVALID_PRODUCER_EPOCH (epoch below the producer's), TRANSACTION_COORDINATOR_FENCED
   * (coordinator epoch below the last marker's), KAFKA_STORAGE_ERROR.
   */
  async appendTxnMarker(marker: TxnMarker): Promise<{ offset: bigint }> {
    const batch = buildTxnMarkerBatch(marker, marker.timestamp ?? this.clock.now());
    const r = this.append(batch, { origin: 'coordinator' });
    await r.ack(-1);
    return { offset: BigInt(r.baseOffset) };
  }

  private activeSegment(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Kafka's LogSegment.shouldRoll. */
  private shouldRoll(seg: Segment, bytes: number, maxTimestamp: number, lastOffset: number, now: number): boolean {
    const cfg = this.cfg;
    if (seg.size > 0 && seg.size > cfg.segmentBytes - bytes) return true;
    if (seg.size > 0) {
      const waited = seg.rollingBaseTimestamp >= 0 && maxTimestamp >= 0 ? maxTimestamp - seg.rollingBaseTimestamp : now - seg.createdMs;
      if (waited > cfg.segmentMs - cfg.segmentJitterMs) return true;
    }
    if (seg.isIndexFull(cfg.segmentIndexBytes)) return true;
    return lastOffset - seg.baseOffset > INT32_MAX;
  }

  /** Starts a new segment at the log end; the writer creates its file and seals the old one. */
  private roll(now: number): Segment {
    const old = this.activeSegment();
    old.sealed = true;
    old.pendingSnapshot = this.producers.serialize();
    const seg = new Segment(this.env, this._nextOffset);
    seg.resetIndexes();
    seg.createdMs = now;
    seg.lastModifiedMs = now;
    seg.indexIntervalForRebuild = this.cfg.indexIntervalBytes;
    this.segments.push(seg);
    this.logger.debug({ baseOffset: seg.baseOffset }, 'rolled a new segment');
    return seg;
  }

  // ---- writer ------------------------------------------------------------------------------

  private scheduleWrite(): void {
    if (this.writing || this.writeScheduled) return;
    this.writeScheduled = true;
    setImmediate(() => {
      this.writeScheduled = false;
      void this.writeLoop();
    });
  }

  private async writeLoop(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pendingHead < this.pending.length && (this._state === 'online' || this._state === 'closing')) {
        const seg = this.pending[this.pendingHead]!.seg;
        await this.sealBefore(seg);
        if (!seg.fileExists) {
          seg.fileExists = true; // the write creates it
          this.dirDirty = true;
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
          if (seg.abortedTxnsOnDisk === 0) this.dirDirty = true;
          await appendTxnIndex(this.fs, seg.txnIndexPath, seg.abortedTxnsOnDisk, seg.abortedTxns.slice(seg.abortedTxnsOnDisk, n));
          seg.abortedTxnsOnDisk = n;
        }
        await seg.withFile((fh) => fh.writev(bufs, seg.writtenSize));
        if (this._state !== 'online' && this._state !== 'closing') break;
        for (let k = this.pendingHead; k < i; k++) this.pending[k] = undefined as unknown as PendingWrite;
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
        this.stats.writes++;
        this.stats.bytesWritten += bytes;
        if (this.cfg.flushMode !== 'group-commit') {
          seg.visibleSize = seg.writtenSize;
          this.advanceHw(end);
        }
        this.writeWaiters.resolveUpTo(end);
        if (seg.sealed && seg.writtenSize === seg.size) await this.sealSegment(seg);
        this.afterWrite();
      }
    } catch (e) {
      this.fail('write', e);
    } finally {
      this.writing = false;
      if (this.pendingHead >= this.pending.length || (this._state !== 'online' && this._state !== 'closing')) {
        const w = this.idleWaiters;
        this.idleWaiters = [];
        for (const f of w) f();
      } else this.scheduleWrite();
    }
  }

  /** Seals (index files, snapshot) every rolled segment before `seg` whose bytes are all written. */
  private async sealBefore(seg: Segment): Promise<void> {
    let i = this.segments.length - 1;
    while (i >= 0 && this.segments[i] !== seg) i--;
    for (let k = i - 1; k >= 0; k--) {
      const s = this.segments[k]!;
      if (s.indexFilesCurrent) break;
      if (s.sealed && s.writtenSize === s.size) await this.sealSegment(s);
    }
  }

  private async sealSegment(s: Segment): Promise<void> {
    if (s.indexFilesCurrent) return;
    s.finalTimeIndexEntry();
    await s.writeIndexFiles();
    if (s.pendingSnapshot) {
      await this.writeSnapshot(s.nextOffset, s.pendingSnapshot);
      s.pendingSnapshot = null;
    }
    this.dirDirty = true;
    // Kafka flushes a rolled segment right away (asynchronously)
    this.requestFlush(s.nextOffset);
  }

  private async writeSnapshot(offset: number, data: Buffer): Promise<void> {
    await writeAndSync(this.fs, joinPath(this.dir, offsetFileName(offset, SNAPSHOT_SUFFIX)), data);
    this.dirDirty = true;
    if (!this.snapshotOffsets.includes(offset)) {
      this.snapshotOffsets.push(offset);
      this.snapshotOffsets.sort((a, b) => a - b);
    }
    while (this.snapshotOffsets.length > SNAPSHOTS_TO_KEEP) {
      const old = this.snapshotOffsets.shift()!;
      await this.fs.unlink(joinPath(this.dir, offsetFileName(old, SNAPSHOT_SUFFIX)));
    }
  }

  private afterWrite(): void {
    if (this.cfg.flushMode === 'group-commit' || this.flushTarget > this.durableOffset) this.kickFlush();
  }

  /** Resolves when nothing is queued for writing. */
  private waitWriterIdle(): Promise<void> {
    if (!this.writing && !this.writeScheduled && this.pendingHead >= this.pending.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private advanceHw(to: number): void {
    if (to <= this.hw) return;
    this.hw = to;
    for (const fn of this.hwListeners) {
      try {
        fn(to);
      } catch (e) {
        this.logger.error({ err: e }, 'high watermark listener threw');
      }
    }
  }

  // ---- flusher -----------------------------------------------------------------------------

  private requestFlush(upTo: number): void {
    if (upTo > this.flushTarget) this.flushTarget = upTo;
    this.kickFlush();
  }

  private kickFlush(): void {
    if (this.flushing) return;
    void this.flushLoop();
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    let attempted = this.durableOffset;
    try {
      for (;;) {
        const groupCommit = this.cfg.flushMode === 'group-commit';
        const want = groupCommit ? this.writtenOffset : Math.min(this.flushTarget, this.writtenOffset);
        if (want <= this.durableOffset) break;
        // capture, in one synchronous step, what this round covers
        const covered = this.writtenOffset;
        const work: { seg: Segment; size: number }[] = [];
        for (const s of this.segments) {
          if (s.baseOffset >= covered) break;
          if (s.syncedSize < s.writtenSize && s.fileExists) work.push({ seg: s, size: s.writtenSize });
        }
        attempted = covered;
        for (const { seg, size } of work) {
          seg.acquire();
          try {
            if (seg.isRetired) continue; // deleted by retention meanwhile
            await seg.withFile((fh) => fh.sync());
          } finally {
            seg.release();
          }
          this.stats.fsyncs++;
          if (size > seg.syncedSize) seg.syncedSize = size;
        }
        if (this.dirDirty) {
          this.dirDirty = false;
          try {
            await this.fs.syncDir(this.dir);
          } catch (e) {
            this.dirDirty = true;
            throw e;
          }
        }
        if (covered > this.durableOffset) this.durableOffset = covered;
        this._lastFlushMs = this.clock.now();
        if (this.cfg.flushMode === 'group-commit') {
          for (const { seg, size } of work) if (size > seg.visibleSize) seg.visibleSize = size;
          this.advanceHw(this.durableOffset);
        }
        this.durableWaiters.resolveUpTo(this.durableOffset);
      }
    } catch (e) {
      // Only the appends this fsync was to cover fail; later ones wait for the retry.
      this.logger.error({ err: e, upTo: attempted }, 'fsync failed; rejecting the durability waiters it covered');
      this.flushTarget = this.durableOffset;
      this.durableWaiters.rejectUpTo(attempted, storageError(`fsync of ${this.topic}-${this.partition} failed`, e));
      if (this.durableWaiters.size > 0) {
        this.clock.setTimeout(() => this.requestFlush(this.writtenOffset), FLUSH_RETRY_MS);
      }
    } finally {
      this.flushing = false;
      const w = this.flushIdleWaiters;
      this.flushIdleWaiters = [];
      for (const f of w) f();
    }
  }

  private waitFlushIdle(): Promise<void> {
    if (!this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.flushIdleWaiters.push(resolve));
  }

  /** Resolves once every offset below `end` is in the file. */
  waitForWrite(end: number): Promise<void> {
    if (end <= this.writtenOffset) return Promise.resolve();
    if (this._state === 'offline' || this._state === 'closed') return Promise.reject(storageError(`log is ${this._state}`, undefined));
    return this.writeWaiters.add(end);
  }

  /** Resolves once every offset below `end` is fsynced. Starts a flush if none would come. */
  waitForDurable(end: number): Promise<void> {
    if (end <= this.durableOffset) return Promise.resolve();
    if (this._state === 'offline' || this._state === 'closed') return Promise.reject(storageError(`log is ${this._state}`, undefined));
    const p = this.durableWaiters.add(end);
    this.requestFlush(end);
    return p;
  }

  /**
   * What a Produce waits for: acks=0 nothing; acks=-1 in group-commit mode an
   * fsync; otherwise the write, plus an fsync when flush.messages demanded one.
   */
  waitForAck(end: number, acks: number): Promise<void> {
    if (acks === 0) return Promise.resolve();
    if ((acks === -1 && this.cfg.flushMode === 'group-commit') || end <= this.syncAckOffset) return this.waitForDurable(end);
    return this.waitForWrite(end);
  }

  /** Makes everything appended so far durable. */
  async flush(): Promise<void> {
    await this.waitForDurable(this._nextOffset);
  }

  // ---- failure and reload -----------------------------------------------------------------

  private fail(what: string, err: unknown): void {
    if (this._state !== 'online' && this._state !== 'closing') return;
    const closing = this._state === 'closing';
    this._state = 'offline';
    this.logger.error({ err }, `${what} failed; log goes offline and reloads from disk`);
    const e = storageError(`${what} to ${this.topic}-${this.partition} failed`, err);
    this.pending = [];
    this.pendingHead = 0;
    this.writeWaiters.rejectAll(e);
    this.durableWaiters.rejectAll(e);
    this.flushTimer?.cancel();
    this.flushTimer = null;
    if (!closing) this.reloading = this.reload();
  }

  /**
   * Reloads from disk until it works: the failure may be passing (EMFILE, a
   * full disk), so a failed reload is retried with a growing pause, until close.
   */
  private async reload(): Promise<void> {
    let delay = RELOAD_RETRY_MIN_MS;
    try {
      for (;;) {
        try {
          await this.waitFlushIdle();
          const recoveryPoint = this.durableOffset;
          const logStart = this._logStartOffset;
          for (const s of this.segments) s.retire();
          await this.load(false, recoveryPoint, logStart);
          this._state = 'online';
          this.logger.info({ logEndOffset: this._nextOffset }, 'log reloaded and back online');
          return;
        } catch (e) {
          if (this.reloadStopped) return;
          this.logger.error({ err: e, retryInMs: delay }, 'reloading the log failed; it stays offline and tries again');
        }
        await new Promise<void>((resolve) => {
          const t = this.clock.setTimeout(() => {
            this.stopReloadWait = null;
            resolve();
          }, delay);
          this.stopReloadWait = () => {
            t.cancel();
            resolve();
          };
        });
        if (this.reloadStopped) return;
        delay = Math.min(delay * 2, RELOAD_RETRY_MAX_MS);
      }
    } finally {
      this.reloading = null;
    }
  }

  /** Ends a reload retry loop (close, discard): the log stays offline. */
  private stopReloading(): void {
    this.reloadStopped = true;
    this.stopReloadWait?.();
    this.stopReloadWait = null;
  }

  /** Resolves when a reload after a failure (if any) has finished. */
  async whenSettled(): Promise<void> {
    while (this.reloading) await this.reloading;
  }

  /**
   * Removes every offset at or above `offset` (the whole batch holding it),
   * then reloads the log (Kafka's truncateTo, for recovery and tooling).
   */
  truncateTo(offset: number): Promise<void> {
    return this.maintenance(() => this.doTruncateTo(offset));
  }

  private async doTruncateTo(offset: number): Promise<void> {
    await this.whenSettled();
    this.checkOnline();
    if (offset >= this._nextOffset) return;
    this._state = 'closing'; // appends refused, the writer drains
    try {
      await this.waitWriterIdle();
      await this.waitFlushIdle();
      if ((this._state as LogState) !== 'closing') throw storageError('write failed while truncating', undefined);
      this._state = 'offline';
      const target = Math.max(offset, this._logStartOffset);
      for (let i = this.segments.length - 1; i >= 0; i--) {
        const s = this.segments[i]!;
        if (s.baseOffset >= target && i > 0) {
          await s.deleteFiles();
          this.segments.splice(i, 1);
          continue;
        }
        const pos = await s.findPosition(target, s.writtenSize, this.cfg.indexIntervalBytes);
        await s.withFile(async (fh) => {
          await fh.truncate(pos);
          await fh.sync();
        });
        break;
      }
      const recoveryPoint = Math.min(this.durableOffset, target);
      for (const s of this.segments) s.retire();
      await this.load(false, recoveryPoint, this._logStartOffset);
    } finally {
      this._state = 'online';
    }
  }

  // ---- reads -----------------------------------------------------------------------------

  /**
   * Whole batches from the one holding `fetchOffset`, at most `maxBytes`
   * (except the first with `minOneBatch`), all below the high watermark.
   * OFFSET_OUT_OF_RANGE below the log start or above the log end offset.
   */
  async read(fetchOffset: number, maxBytes: number, minOneBatch = true, readCommitted = false): Promise<ReadResult> {
    this.checkOnline();
    if (fetchOffset < this._logStartOffset || fetchOffset > this._nextOffset) {
      throw new LogError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${fetchOffset} is outside [${this._logStartOffset}, ${this._nextOffset}] of ${this.topic}-${this.partition}`,
      );
    }
    // between the bound (high watermark, or LSO for read_committed) and the log end: nothing visible yet (Kafka answers empty)
    const lso = this.lastStableOffset;
    const bound = readCommitted ? lso : this.hw;
    let batches = fetchOffset >= bound ? [] : await this.readRange(fetchOffset, maxBytes, minOneBatch);
    // the LSO is a batch boundary: drop the batches at or past it
    if (readCommitted) {
      let n = batches.length;
      while (n > 0 && readInt64(batches[n - 1]!, 0) >= bound) n--;
      if (n < batches.length) batches = batches.slice(0, n);
    }
    let bytes = 0;
    for (const b of batches) bytes += b.length;
    const result: ReadResult = { batches, bytes, highWatermark: this.hw, logStartOffset: this._logStartOffset, lastStableOffset: lso };
    if (readCommitted) {
      const lastBatch = batches[batches.length - 1];
      const upper = lastBatch ? readInt64(lastBatch, 0) + lastBatch.readInt32BE(OFF_LAST_OFFSET_DELTA) + 1 : fetchOffset;
      result.abortedTransactions = this.abortedTransactions(fetchOffset, upper).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
    }
    return result;
  }

  /**
   * The aborted transactions overlapping [fetchOffset, upperBound): marker at or
   * after fetchOffset, first offset below upperBound (Kafka's
   * collectAbortedTransactions), sorted by first offset, not by marker as Kafka
   * lists them: kafkajs compares each record with the head of the list only.
   */
  abortedTransactions(fetchOffset: number, upperBound: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    if (upperBound <= fetchOffset) return out;
    let si = this.segmentIndexFor(fetchOffset);
    if (si < 0) si = 0;
    for (; si < this.segments.length; si++) {
      if (collectAborted(this.segments[si]!.abortedTxns, fetchOffset, upperBound, out)) break;
    }
    return out.sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** Batches from `offset` below the high watermark (no log-start check). */
  private async readRange(offset: number, maxBytes: number, minOneBatch: boolean): Promise<Buffer[]> {
    const fromCache = this.cacheRead(offset, maxBytes, minOneBatch);
    if (fromCache) {
      this.stats.cacheReads++;
      return fromCache;
    }
    let si = this.segmentIndexFor(offset);
    if (si < 0) si = 0;
    for (; si < this.segments.length; si++) {
      const seg = this.segments[si]!;
      seg.acquire();
      let out: Buffer[];
      let exhausted = false;
      let pos = 0;
      let base = seg.baseOffset;
      try {
        const upper = seg.visibleSize;
        if (offset > seg.baseOffset) ({ position: pos, base } = await seg.locate(offset, upper, this.cfg.indexIntervalBytes));
        out = await seg.readBatches(pos, maxBytes, upper, minOneBatch);
        exhausted = pos >= upper && seg.sealed && upper === seg.size;
      } catch (e) {
        // a header that cannot be right (length, index check) is corruption too, and either way a storage error
        if (isLogError(e)) throw e;
        throw this.corruption(seg, pos, e instanceof Error ? e.message : String(e), e);
      } finally {
        seg.release();
      }
      out = this.checkServed(seg, pos, base, out);
      this.stats.diskReads++;
      if (out.length > 0 || !exhausted) return out;
    }
    return [];
  }

  /**
   * Beyond Kafka: every batch read from disk is checked before it is served
   * (length, magic, CRC32C, and offsets following on from the base the index
   * look-up established: the base offset is outside the CRC), so bytes that rotted on disk, after a clean
   * shutdown or in an old segment, never reach a client, whether or not it
   * checks CRCs. Returns the batches before the first bad one; throws if that
   * is the first. The tail cache holds what was validated on append and is not
   * re-checked.
   */
  private checkServed(seg: Segment, pos: number, expectedBase: number, batches: Buffer[]): Buffer[] {
    let at = pos;
    let expected = expectedBase;
    const end = seg === this.activeSegment() ? this._nextOffset : seg.nextOffset;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      const problem = checkBatch(b, 0, b.length, true);
      const base = readInt64(b, 0);
      const last = base + b.readInt32BE(OFF_LAST_OFFSET_DELTA);
      const bad =
        problem !== null
          ? problem
          : base !== expected
            ? `batch base offset ${base}, expected ${expected}`
            : last >= end
              ? `offsets ${base}..${last} run past the segment's end ${end}`
              : null;
      if (bad !== null) {
        // the good batches before it are served; the read that starts at it fails
        if (i === 0) throw this.corruption(seg, at, bad, undefined);
        this.stats.crcChecks += i;
        return batches.slice(0, i);
      }
      expected = last + 1;
      at += b.length;
    }
    this.stats.crcChecks += batches.length;
    return batches;
  }

  /** The error for corrupt bytes at `seg`/`position`: KAFKA_STORAGE_ERROR, logged once per place. */
  private corruption(seg: Segment, position: number, problem: string, cause: unknown): LogError {
    const where = `${seg.logPath}:${position}`;
    if (!this.reportedCorruption.has(where)) {
      this.reportedCorruption.add(where);
      this.logger.error({ file: seg.logPath, position, problem }, 'corrupt batch on disk; reads that reach it answer KAFKA_STORAGE_ERROR');
    }
    return storageError(`corrupt batch in ${where}: ${problem}`, cause);
  }

  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  // ---- tail cache ------------------------------------------------------------------------

  /** Bytes of recent batches held in memory for tail reads. */
  get cachedBytes(): number {
    return this.cacheBytes;
  }

  /** A new size for the tail cache (the log manager shares one budget among all logs). */
  setTailCacheLimit(bytes: number): void {
    this.tailCacheLimit = bytes;
    this.cacheTrim();
  }

  private cachePush(buf: Buffer, base: number, end: number): void {
    if (this.tailCacheLimit <= 0) return;
    this.cacheBufs.push(buf);
    this.cacheBase.push(base);
    this.cacheEnd.push(end);
    this.cacheBytes += buf.length;
    this.cacheTrim();
  }

  private cacheTrim(): void {
    while (this.cacheBytes > this.tailCacheLimit && this.cacheHead < this.cacheBufs.length - 1) {
      this.cacheBytes -= this.cacheBufs[this.cacheHead]!.length;
      this.cacheBufs[this.cacheHead] = undefined;
      this.cacheHead++;
    }
    if (this.cacheHead > 4096 && this.cacheHead * 2 > this.cacheBufs.length) {
      this.cacheBufs = this.cacheBufs.slice(this.cacheHead);
      this.cacheBase = this.cacheBase.slice(this.cacheHead);
      this.cacheEnd = this.cacheEnd.slice(this.cacheHead);
      this.cacheHead = 0;
    }
  }

  private cacheClear(): void {
    this.cacheBufs = [];
    this.cacheBase = [];
    this.cacheEnd = [];
    this.cacheHead = 0;
    this.cacheBytes = 0;
  }

  private cacheRead(offset: number, maxBytes: number, minOneBatch: boolean): Buffer[] | null {
    const n = this.cacheBufs.length;
    if (this.cacheHead >= n || this.cacheBase[this.cacheHead]! > offset) return null;
    // first entry whose end > offset
    let lo = this.cacheHead;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cacheEnd[mid]! > offset) hi = mid;
      else lo = mid + 1;
    }
    if (this.cacheEnd[lo]! <= offset) return null;
    const hw = this.hw;
    const out: Buffer[] = [];
    let bytes = 0;
    for (let i = lo; i < n && this.cacheEnd[i]! <= hw; i++) {
      const b = this.cacheBufs[i]!;
      if (bytes + b.length > maxBytes && !(out.length === 0 && minOneBatch)) break;
      out.push(b);
      bytes += b.length;
    }
    return out;
  }

  // ---- ListOffsets -------------------------------------------------------------------------

  /**
   * ListOffsets by timestamp: the first offset whose record timestamp is >= `target`
   * (from the log start, below the high watermark), or null (Kafka answers -1).
   */
  async offsetForTimestamp(target: number): Promise<TimestampOffset | null> {
    this.checkOnline();
    for (let attempt = 0; attempt < 2; attempt++) {
      let seg: Segment | undefined;
      for (const s of [...this.segments]) {
        await this.withSegment(s, () => s.ensureTrustedTimeIndex(this.cfg.indexIntervalBytes));
        if (s.maxTimestamp >= target) {
          seg = s;
          break;
        }
      }
      if (!seg) return null;
      const ti = seg.timeIndex!;
      const k = ti.floor(target);
      let start = k >= 0 ? seg.baseOffset + ti.relOffsetAt(k) : seg.baseOffset;
      const checkEntry = k >= 0 && start >= this._logStartOffset ? ti.timestampAt(k) : undefined;
      if (start < this._logStartOffset) start = this._logStartOffset;
      let off = start;
      let first = true;
      let mismatch = false;
      while (off < this.hw && !mismatch) {
        const batches = await this.readRange(off, 1 << 20, true);
        if (batches.length === 0) break;
        for (const b of batches) {
          const base = readInt64(b, 0);
          const last = base + b.readInt32BE(OFF_LAST_OFFSET_DELTA);
          const bMax = batchMaxTimestamp(b);
          if (first && checkEntry !== undefined && bMax !== checkEntry) {
            mismatch = true;
            break;
          }
          first = false;
          off = last + 1;
          if (last < this._logStartOffset || bMax < target) continue;
          let found: TimestampOffset | null = null;
          await visitRecordTimestamps(b, 0, b.length, this.decompress, (delta, ts) => {
            const o = base + delta;
            if (ts >= target && o >= this._logStartOffset) {
              found = { offset: o, timestamp: ts, leaderEpoch: b.readInt32BE(OFF_LEADER_EPOCH) };
              return true;
            }
            return false;
          });
          if (found) return found;
        }
      }
      if (!mismatch) return null;
      this.logger.warn({ segment: seg.baseOffset }, 'time index entry does not match its batch; rebuilding indexes');
      await seg.rebuildIndexes(this.cfg.indexIntervalBytes);
    }
    return null;
  }

  /**
   * ListOffsets -3 (MAX_TIMESTAMP): the first record carrying the largest
   * timestamp in the log, or null for an empty log.
   */
  async maxTimestampOffset(): Promise<TimestampOffset | null> {
    this.checkOnline();
    let best: Segment | undefined;
    for (const s of [...this.segments]) {
      await this.withSegment(s, () => s.ensureTrustedTimeIndex(this.cfg.indexIntervalBytes));
      if (s.maxTimestamp >= 0 && (!best || s.maxTimestamp > best.maxTimestamp)) best = s;
    }
    if (!best) return null;
    const maxTs = best.maxTimestamp;
    // the batch may be appended but not yet visible: it will be within one write or fsync
    if (best.offsetOfMaxTimestamp >= this.hw) await this.waitForVisible(best.offsetOfMaxTimestamp + 1);
    const tryFrom = async (from: number, until: number): Promise<TimestampOffset | null> => {
      let off = Math.max(from, this._logStartOffset);
      while (off < Math.min(until, this.hw)) {
        const batches = await this.readRange(off, 1 << 20, true);
        if (batches.length === 0) return null;
        for (const b of batches) {
          const base = readInt64(b, 0);
          off = base + b.readInt32BE(OFF_LAST_OFFSET_DELTA) + 1;
          if (batchMaxTimestamp(b) !== maxTs) continue;
          let found: TimestampOffset | null = null;
          await visitRecordTimestamps(b, 0, b.length, this.decompress, (delta, ts) => {
            if (ts === maxTs) {
              found = { offset: base + delta, timestamp: ts, leaderEpoch: b.readInt32BE(OFF_LEADER_EPOCH) };
              return true;
            }
            return false;
          });
          if (found) return found;
        }
      }
      return null;
    };
    return (await tryFrom(best.offsetOfMaxTimestamp, best.nextOffset)) ?? (await tryFrom(best.baseOffset, best.nextOffset));
  }

  /** The start offset of every leader epoch in the log, oldest first (OffsetForLeaderEpoch; leader-epochs.ts). */
  leaderEpochStarts(): Promise<EpochStart[]> {
    this.checkOnline();
    return this.leaderEpochs.epochs(this._logStartOffset);
  }

  /** The partitionLeaderEpoch of each batch in [from, to), read from the batch headers. */
  private async scanEpochs(from: number, to: number): Promise<EpochStart[]> {
    const out: EpochStart[] = [];
    let off = Math.max(from, this._logStartOffset);
    while (off < to) {
      const batches = await this.readRange(off, 1 << 20, true);
      if (batches.length === 0) break;
      for (const b of batches) {
        const base = readInt64(b, 0);
        if (base >= to) return out;
        out.push({ epoch: b.readInt32BE(OFF_LEADER_EPOCH), startOffset: base });
        off = base + b.readInt32BE(OFF_LAST_OFFSET_DELTA) + 1;
      }
    }
    return out;
  }

  /** Runs `fn` holding a reference on the segment (so a concurrent deletion does not close its file). */
  private async withSegment<T>(s: Segment, fn: () => Promise<T>): Promise<T> {
    s.acquire();
    try {
      return await fn();
    } finally {
      s.release();
    }
  }

  private waitForVisible(end: number): Promise<void> {
    if (end <= this.hw) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.onHighWatermark((hw) => {
        if (hw >= end) {
          off();
          resolve();
        }
      });
    });
  }

  // ---- retention and DeleteRecords ---------------------------------------------------------

  /**
   * DeleteRecords: moves the log start offset to `offset` (-1: the high
   * watermark) and deletes the segments wholly below it. Returns the new low
   * watermark. OFFSET_OUT_OF_RANGE above the high watermark.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.maintenance(() => this.doDeleteRecordsBefore(offset));
  }

  /** Retention and DeleteRecords run one at a time. */
  private maintenance<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.maintenanceChain.then(fn, fn);
    this.maintenanceChain = run.catch(() => undefined);
    return run;
  }

  private async doDeleteRecordsBefore(offset: number): Promise<number> {
    this.checkOnline();
    const target = offset === -1 ? this.hw : offset;
    if (target < 0 || target > this.hw) {
      throw new LogError('OFFSET_OUT_OF_RANGE', `cannot delete records before ${offset}: high watermark is ${this.hw}`);
    }
    if (target > this._logStartOffset) {
      this._logStartOffset = target;
      this.producers.truncateHead(target);
      await this.deleteSegmentsWhile((s, next) => next !== undefined && next.baseOffset <= this._logStartOffset);
      this.onLogStartOffsetChanged?.(this);
    }
    return this._logStartOffset;
  }

  /**
   * One retention pass (Kafka's deleteOldSegments): segments wholly below the
   * log start offset; with cleanup.policy=delete, segments older than
   * retention.ms (by their largest timestamp) and the oldest ones while the log
   * exceeds retention.bytes. Returns the number of segments deleted.
   */
  runRetention(now = this.clock.now()): Promise<number> {
    return this.maintenance(() => this.doRetention(now));
  }

  /**
   * Forgets producer ids idle past producer.id.expiration.ms (those with an
   * open transaction stay), as Kafka's check every
   * producer.id.expiration.check.interval.ms does.
   */
  removeExpiredProducers(now = this.clock.now()): void {
    if (this._state === 'online') this.producers.removeExpired(now);
  }

  private async doRetention(now: number): Promise<number> {
    if (this._state !== 'online') return 0;
    let deleted = await this.deleteSegmentsWhile((s, next) => next !== undefined && next.baseOffset <= this._logStartOffset);
    if (!this.cfg.cleanupPolicy.includes('delete')) return deleted;
    const retentionMs = this.cfg.retentionMs;
    if (retentionMs >= 0) {
      deleted += await this.deleteSegmentsWhile(async (s) => {
        await this.withSegment(s, () => s.ensureTrustedTimeIndex(this.cfg.indexIntervalBytes));
        return now - (s.maxTimestamp >= 0 ? s.maxTimestamp : s.lastModifiedMs) > retentionMs;
      });
    }
    const retentionBytes = this.cfg.retentionBytes;
    if (retentionBytes >= 0) {
      let diff = this.size - retentionBytes;
      deleted += await this.deleteSegmentsWhile((s) => {
        if (diff - s.size >= 0) {
          diff -= s.size;
          return true;
        }
        return false;
      });
    }
    return deleted;
  }

  /** Deletes segments from the oldest while `pred` holds (Kafka's rules: only data below the high watermark, never a last empty segment). */
  private async deleteSegmentsWhile(pred: (s: Segment, next: Segment | undefined) => boolean | Promise<boolean>): Promise<number> {
    const doomed: Segment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const s = this.segments[i]!;
      const next = this.segments[i + 1];
      const upper = next ? next.baseOffset : this._nextOffset;
      const lastAndEmpty = next === undefined && s.size === 0;
      if (this.hw >= upper && !lastAndEmpty && (await pred(s, next))) doomed.push(s);
      else break;
    }
    if (this._state !== 'online') return 0;
    // the predicate may have awaited: re-check, synchronously from here on
    let keep = 0;
    while (keep < doomed.length && this.segments[keep] === doomed[keep]) {
      const next = this.segments[keep + 1];
      if (this.hw < (next ? next.baseOffset : this._nextOffset)) break;
      keep++;
    }
    doomed.length = keep;
    if (doomed.length === 0) return 0;
    if (doomed.length === this.segments.length) this.roll(this.clock.now());
    this.segments.splice(0, doomed.length);
    const newStart = Math.max(this._logStartOffset, this.segments[0]!.baseOffset);
    const moved = newStart > this._logStartOffset;
    this._logStartOffset = newStart;
    this.producers.truncateHead(newStart);
    for (const s of doomed) {
      this.logger.info({ baseOffset: s.baseOffset, size: s.size }, 'deleting segment');
      await s.deleteFiles();
    }
    // keep the newest snapshot; drop those below the new log start
    for (const off of [...this.snapshotOffsets]) {
      if (off < newStart && off !== this.snapshotOffsets[this.snapshotOffsets.length - 1]) {
        this.snapshotOffsets.splice(this.snapshotOffsets.indexOf(off), 1);
        await this.fs.unlink(joinPath(this.dir, offsetFileName(off, SNAPSHOT_SUFFIX)));
      }
    }
    if (moved) this.onLogStartOffsetChanged?.(this);
    return doomed.length;
  }

  // ---- close -------------------------------------------------------------------------------

  /**
   * Clean shutdown: drains the writer, writes the active segment's indexes,
   * fsyncs everything, writes a producer-state snapshot at the log end.
   * Returns true if the log is cleanly on disk (the caller may then write the
   * clean-shutdown marker).
   */
  async close(): Promise<boolean> {
    if (this._state === 'closed') return false;
    this.stopReloading();
    await this.whenSettled();
    await this.maintenance(async () => undefined);
    const wasOnline = this._state === 'online';
    this._state = 'closing';
    this.flushTimer?.cancel();
    this.flushTimer = null;
    let clean = false;
    try {
      await this.waitWriterIdle();
      if (wasOnline && (this._state as LogState) === 'closing') {
        const active = this.activeSegment();
        if (!active.fileExists) {
          await active.withFile(async () => undefined); // creates it
          active.fileExists = true;
          this.dirDirty = true;
        }
        await this.waitFlushIdle();
        await this.flushSegments();
        active.finalTimeIndexEntry();
        await active.writeIndexFiles();
        await this.writeSnapshot(this._nextOffset, this.producers.serialize());
        await this.fs.syncDir(this.dir);
        this.dirDirty = false;
        this.durableOffset = this.writtenOffset;
        clean = true;
      }
    } catch (e) {
      this.logger.error({ err: e }, 'clean close failed');
    }
    this._state = 'closed';
    const e = storageError(`log ${this.topic}-${this.partition} is closed`, undefined);
    this.writeWaiters.rejectAll(e);
    this.durableWaiters.rejectAll(e);
    for (const s of this.segments) s.retire();
    return clean;
  }

  /** Stops the log without flushing (its files are about to be deleted). */
  async discard(): Promise<void> {
    if (this._state === 'closed') return;
    this.stopReloading();
    await this.whenSettled();
    this._state = 'closing';
    this.flushTimer?.cancel();
    this.flushTimer = null;
    await this.waitWriterIdle();
    await this.waitFlushIdle();
    this._state = 'closed';
    const e = storageError(`log ${this.topic}-${this.partition} was deleted`, undefined);
    this.writeWaiters.rejectAll(e);
    this.durableWaiters.rejectAll(e);
    for (const s of this.segments) s.retire();
  }

  /** fsyncs every segment with unsynced bytes (used by close, outside the flusher). */
  private async flushSegments(): Promise<void> {
    for (const s of this.segments) {
      if (s.fileExists && s.syncedSize < s.writtenSize) {
        const size = s.writtenSize;
        await s.withFile((fh) => fh.sync());
        this.stats.fsyncs++;
        s.syncedSize = size;
      }
    }
  }

  // ---- load / recovery ---------------------------------------------------------------------

  private resetState(): void {
    const e = storageError(`log ${this.topic}-${this.partition} was reloaded`, undefined);
    this.writeWaiters.rejectAll(e);
    this.durableWaiters.rejectAll(e);
    this.segments = [];
    this.pending = [];
    this.pendingHead = 0;
    this.cacheClear();
    this.producers.clear();
    this.unreplicatedTxns = [];
    this.snapshotOffsets = [];
    this.flushTarget = 0;
    this.syncAckOffset = 0;
    this.dirDirty = false;
  }

  private async load(hadCleanShutdown: boolean, recoveryPointCheckpoint: number, logStartCheckpoint: number): Promise<void> {
    this.resetState();
    const fs = this.fs;
    const cfg = this.cfg;
    await mkdirDurable(fs, this.dir);
    const names = await fs.readdir(this.dir);
    const bases: number[] = [];
    const snapshots: number[] = [];
    const indexFiles: { name: string; base: number }[] = [];
    for (const name of names) {
      if (/\.(tmp|deleted|cleaned|swap)$/.test(name)) {
        await fs.unlink(joinPath(this.dir, name));
        continue;
      }
      const logBase = parseOffsetFileName(name, LOG_SUFFIX);
      if (logBase !== undefined) {
        bases.push(logBase);
        continue;
      }
      const snap = parseOffsetFileName(name, SNAPSHOT_SUFFIX);
      if (snap !== undefined) {
        snapshots.push(snap);
        continue;
      }
      const idx = parseOffsetFileName(name, INDEX_SUFFIX) ?? parseOffsetFileName(name, TIME_INDEX_SUFFIX) ?? parseOffsetFileName(name, TXN_INDEX_SUFFIX);
      if (idx !== undefined) indexFiles.push({ name, base: idx });
    }
    bases.sort((a, b) => a - b);
    const baseSet = new Set(bases);
    for (const f of indexFiles) {
      if (!baseSet.has(f.base)) {
        this.logger.warn({ file: f.name }, 'deleting an index file without its log file');
        await fs.unlink(joinPath(this.dir, f.name));
      }
    }

    const segs: Segment[] = [];
    for (const base of bases) {
      const seg = new Segment(this.env, base);
      seg.indexIntervalForRebuild = cfg.indexIntervalBytes;
      seg.fileExists = true;
      const st = await fs.stat(seg.logPath);
      seg.size = seg.writtenSize = seg.syncedSize = seg.visibleSize = st.size;
      seg.lastModifiedMs = st.mtimeMs;
      seg.createdMs = st.mtimeMs;
      seg.sealed = true;
      seg.indexFilesCurrent = true;
      segs.push(seg);
    }
    for (let i = 0; i + 1 < segs.length; i++) segs[i]!.nextOffset = segs[i + 1]!.baseOffset;

    const recovered = new Set<Segment>();
    /** Segments whose `.txnindex` is rebuilt from the log (recovered, or a damaged file). */
    const txnRebuild = new Set<Segment>();
    const dropFrom = async (i: number): Promise<void> => {
      const dropped = segs.splice(i);
      for (const s of dropped) {
        this.logger.warn({ baseOffset: s.baseOffset }, 'deleting a segment after the recovered end of the log');
        await s.deleteFiles();
      }
    };
    if (!hadCleanShutdown) {
      let i0 = 0;
      for (let i = 0; i < segs.length; i++) if (segs[i]!.baseOffset <= recoveryPointCheckpoint) i0 = i;
      for (let i = i0; i < segs.length; i++) {
        const seg = segs[i]!;
        const cut = await seg.recover(cfg.indexIntervalBytes);
        recovered.add(seg);
        txnRebuild.add(seg);
        const next = segs[i + 1];
        if (next && (cut > 0 || seg.nextOffset !== next.baseOffset)) {
          await dropFrom(i + 1);
          break;
        }
      }
    } else if (segs.length > 0) {
      // find the end of the last segment from its last index entry
      // the active segment's indexes are rebuilt from a header scan, not read:
      // it is the segment a crash could have left stale, and the scan finds its end
      const last = segs[segs.length - 1]!;
      const r = await last.scanIndexes(cfg.indexIntervalBytes);
      if (r.problem !== null || r.end !== last.writtenSize) {
        this.logger.warn({ baseOffset: last.baseOffset, problem: r.problem, position: r.end }, 'active segment is damaged despite a clean shutdown; recovering it');
        await last.recover(cfg.indexIntervalBytes);
        txnRebuild.add(last);
      } else last.adopt(r.built, r.nextOffset);
      recovered.add(last);
    }

    // a log end below the log start checkpoint: the files were lost; start over there
    if (segs.length > 0 && segs[segs.length - 1]!.nextOffset < logStartCheckpoint) {
      this.logger.warn({ logStartCheckpoint }, 'log end is below the log start offset; deleting all segments');
      await dropFrom(0);
    }
    if (segs.length === 0) {
      const seg = new Segment(this.env, logStartCheckpoint);
      seg.indexIntervalForRebuild = cfg.indexIntervalBytes;
      seg.resetIndexes();
      await seg.withFile(async () => undefined); // creates it
      seg.fileExists = true;
      seg.createdMs = seg.lastModifiedMs = this.clock.now();
      this.dirDirty = true;
      segs.push(seg);
      recovered.add(seg);
    }

    // segments not recovered: their largest timestamp from the time index (or a rebuild)
    for (const s of segs) {
      if (recovered.has(s) || s.offsetIndex) continue;
      if (!(await s.loadTimeSummary())) await s.ensureIndexes();
    }
    // recovered segments that are no longer active get their index files now
    const active = segs[segs.length - 1]!;
    for (const s of segs) if (recovered.has(s) && s !== active) await s.writeIndexFiles();
    await active.ensureIndexes();
    active.sealed = false;
    active.indexFilesCurrent = false;
    active.bytesSinceLastIndexEntry = active.offsetIndex!.length > 0 ? active.size - active.offsetIndex!.positionAt(active.offsetIndex!.length - 1) : active.size;
    active.rollingBaseTimestamp = await this.firstBatchTimestamp(active);

    this.segments = segs;
    const logEnd = active.nextOffset;
    this._nextOffset = logEnd;
    this.writtenOffset = logEnd;
    this._logStartOffset = Math.max(logStartCheckpoint, segs[0]!.baseOffset);
    if (!hadCleanShutdown) {
      // make the recovered state durable (truncations, names) before serving it
      for (const s of segs) {
        if (recovered.has(s)) {
          await s.withFile((fh) => fh.sync());
          s.syncedSize = s.writtenSize;
        }
      }
      await fs.syncDir(this.dir);
      this.dirDirty = false;
    }
    this.durableOffset = logEnd;
    this.hw = logEnd;
    this.flushTarget = logEnd;
    this._lastFlushMs = this.clock.now();

    // aborted-transaction indexes: read them, rebuild the recovered or damaged ones by the replay below
    for (const s of segs) {
      if (txnRebuild.has(s)) continue;
      const list = await readTxnIndex(fs, s.txnIndexPath, s.baseOffset, s.nextOffset);
      if (typeof list === 'string') {
        this.logger.warn({ segment: s.txnIndexPath, problem: list }, 'rebuilding a damaged transaction index');
        txnRebuild.add(s);
      } else {
        s.abortedTxns = list;
        s.abortedTxnsOnDisk = list.length;
      }
    }
    let rebuildFrom = Infinity;
    for (const s of txnRebuild) rebuildFrom = Math.min(rebuildFrom, s.baseOffset);

    // producer state: drop snapshots past the log end, load the newest valid one
    // (at or below the first segment whose transaction index is rebuilt), replay after it
    for (const off of snapshots) {
      if (off > logEnd) await fs.unlink(joinPath(this.dir, offsetFileName(off, SNAPSHOT_SUFFIX)));
    }
    const usable = snapshots.filter((o) => o <= logEnd).sort((a, b) => a - b);
    let replayFrom = segs[0]!.baseOffset;
    for (let i = usable.length - 1; i >= 0; i--) {
      const off = usable[i]!;
      if (off > rebuildFrom) continue;
      const path = joinPath(this.dir, offsetFileName(off, SNAPSHOT_SUFFIX));
      // A snapshot that cannot be READ (EMFILE, EIO, EACCES...) says nothing about
      // its contents: the load fails and the file stays. Only one read whole and
      // found invalid is deleted.
      let raw: Buffer;
      try {
        raw = await fs.readFile(path);
      } catch (e) {
        throw storageError(`cannot read producer snapshot ${path}: ${(e as Error).message}`, e);
      }
      if (this.producers.load(raw)) {
        replayFrom = Math.max(off, segs[0]!.baseOffset);
        break;
      }
      this.logger.warn({ snapshot: path }, 'deleting an invalid producer snapshot');
      await fs.unlink(path);
      usable.splice(i, 1);
    }
    this.snapshotOffsets = usable;
    await this.replayProducerState(replayFrom, txnRebuild);
    for (const s of txnRebuild) {
      await writeTxnIndex(fs, s.txnIndexPath, s.abortedTxns);
      s.abortedTxnsOnDisk = s.abortedTxns.length;
    }
    if (txnRebuild.size > 0) await fs.syncDir(this.dir);
    this.producers.truncateHead(this._logStartOffset);
    this.producers.removeExpired(this.clock.now());
    this.logger.debug({ logStartOffset: this._logStartOffset, logEndOffset: logEnd, segments: segs.length, clean: hadCleanShutdown }, 'log loaded');
    this.leaderEpochs.reset(this._nextOffset);
  }

  private async firstBatchTimestamp(seg: Segment): Promise<number> {
    if (seg.size === 0 || !seg.fileExists) return -1;
    const b = Buffer.alloc(LOG_OVERHEAD + MIN_BATCH_LENGTH);
    const n = await seg.withFile((fh) => fh.read(b, 0, b.length, 0));
    return n === b.length ? readInt64(b, OFF_MAX_TIMESTAMP) : -1;
  }

  /** Replays the batch headers from `from` into the producer state, indexing the aborts of the `rebuild` segments. */
  private async replayProducerState(from: number, rebuild: Set<Segment>): Promise<void> {
    for (const seg of this.segments) {
      if (seg.nextOffset <= from || seg.writtenSize === 0) continue;
      const start = from > seg.baseOffset ? await seg.findPosition(from, seg.writtenSize, this.cfg.indexIntervalBytes) : 0;
      const r = await seg.scan(start, seg.writtenSize, false, (buf, at, _filePos, size) => {
        if (readInt64(buf, at + OFF_PRODUCER_ID) < 0) return undefined;
        const base = readInt64(buf, at);
        const info = readProducerInfo(buf, at);
        const last = base + info.lastOffsetDelta;
        if (last < from) return undefined;
        const pa = this.producers.beginAppend('replay');
        pa.appendBatch(info, base, last, info.isControl ? readEndTxnMarker(buf, at, size) : null);
        pa.commit();
        if (rebuild.has(seg)) {
          for (const t of pa.completed) if (t.aborted) seg.abortedTxns.push(this.abortedEntry(t.producerId, t.firstOffset, t.lastOffset));
        }
        return undefined;
      });
      if (r.problem !== null) throw new Error(`replaying producer state from ${seg.logPath}: ${r.problem} at ${r.end}`);
    }
  }
}
