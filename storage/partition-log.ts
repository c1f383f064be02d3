// One partition's log: `<data-dir>/<topic>-<partition>/` (Kafka's UnifiedLog).
// This class orchestrates; each part has one concern and its own state:
//   log/segments.ts     the ordered segments (Kafka's LogSegments)
//   log/loader.ts       loading and crash recovery (Kafka's LogLoader)
//   log/writer.ts       the write queue and the one writer loop, sealing rolled segments
//   log/flusher.ts      fsync batching (group commit), flush.ms / flush.messages
//   log/tail-cache.ts   recent batches in memory for tail reads
//   log/snapshots.ts    producer-state snapshot files
// Here: append (validation, offsets, roll), the high watermark and last stable
// offset, reads, ListOffsets, retention and DeleteRecords, truncation, close,
// failure and reload.
//
// Append (synchronous, no per-record work, one copy of the batch bytes):
//   `append(records)` takes the Produce partition's record bytes (one or more
//   RecordBatch v2), checks each header (length, magic 2, max.message.bytes,
//   no control batch from clients) and the producer state, stamps baseOffset
//   and partitionLeaderEpoch IN PLACE (and for LogAppendTime topics the
//   timestamp type, maxTimestamp and CRC), indexes the batches, queues the
//   buffer for the writer and returns the assigned offsets at once. The log
//   keeps a copy in a shared slab (log/slabs.ts), not the caller's buffer
//   (a slice of a socket read), except for appends too large for a slab,
//   which it keeps as they are: the caller must not reuse the buffer. The CRC of client batches is checked once, before this, by
//   validator.ts (Kafka's LogValidator checks); `verifyCrc` checks it here too.
//
// Writer (log/writer.ts): a batch is "written" once in the file (page cache);
//   a write error takes the log offline (appends and reads answer
//   KAFKA_STORAGE_ERROR), rejects every pending waiter, and reloads the log from
//   disk with crash recovery (again and again, with a growing pause, while the
//   reload fails: EMFILE or a full disk pass); the log then comes back online by
//   itself.
//
// Flusher (log/flusher.ts): flush.messages makes the append that crosses it
//   acknowledged only once flushed, as in Kafka where that flush runs inside the
//   append. A failed fsync rejects the durability waiters it covered; the log
//   stays online and the next flush tries again.
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
import type { FileSystem } from './fs.js';
import type { LogConfig } from './log-config.js';
import { silentLogger, systemClock, type Clock, type Logger } from './logger.js';
import { ProducerStateManager, type AppendOrigin, type CompletedTxn, type ProducerAppend } from './producer-state.js';
import { LeaderEpochCache, type EpochStart } from './leader-epochs.js';
import { buildTxnMarkerBatch, readEndTxnMarker, type TxnMarker } from './control-batch.js';
import { abortedTxnEntry, collectAborted, type AbortedTxn } from './txn-index.js';
import type { Segment, SegmentEnv } from './segment.js';
import { Flusher } from './log/flusher.js';
import { loadLog } from './log/loader.js';
import { LogSegments, type CleanedSegment, type SegmentBatch, type SegmentInfo } from './log/segments.js';
import { ProducerSnapshots } from './log/snapshots.js';
import { TailCache } from './log/tail-cache.js';
import type { LastRecord } from './cleaner/filter.js';
import { LogWriter } from './log/writer.js';
import { appendSlabs } from './log/slabs.js';

const INT32_MAX = 0x7fffffff;
/** Pauses between attempts to reload a log that failed (doubling up to the max). */
const RELOAD_RETRY_MIN_MS = 100;
const RELOAD_RETRY_MAX_MS = 30_000;

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

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly producers: ProducerStateManager;
  private readonly fs: FileSystem;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly env: SegmentEnv;
  private readonly decompress: Decompressor | undefined;
  private readonly onLogStartOffsetChanged: ((log: PartitionLog) => void) | undefined;
  private cfg: LogConfig;

  private readonly segments: LogSegments;
  private _state: LogState = 'offline';
  private _logStartOffset = 0;
  private _nextOffset = 0;
  private hw = 0;
  /** Appends ending at or below this are acknowledged only once durable (flush.messages). */
  private syncAckOffset = 0;

  private readonly writer: LogWriter;
  private readonly flusher: Flusher;
  private readonly tailCache: TailCache;
  private readonly snapshots: ProducerSnapshots;
  /** The active segment, its size and the log end when a load found the files of a clean close (see unchangedSinceCleanLoad). */
  private asClosed: { segment: Segment; size: number; end: number } | null = null;
  private reloading: Promise<void> | null = null;
  private reloadStopped = false;
  private stopReloadWait: (() => void) | null = null;
  private maintenanceChain: Promise<unknown> = Promise.resolve();

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
    this.tailCache = new TailCache(opts.tailCacheBytes ?? 8 * 1024 * 1024);
    this.decompress = opts.decompress;
    this.onLogStartOffsetChanged = opts.onLogStartOffsetChanged;
    this.env = { fs: this.fs, dir: this.dir, logger: this.logger, files: opts.files ?? new HandlePool(this.fs, Infinity) };
    this.segments = new LogSegments(this.env);
    this.snapshots = new ProducerSnapshots(this.fs, this.dir);
    this.flusher = new Flusher({
      name: `${this.topic}-${this.partition}`,
      fs: this.fs,
      dir: this.dir,
      clock: this.clock,
      logger: this.logger,
      segments: this.segments,
      stats: this.stats,
      config: () => this.cfg,
      writtenOffset: () => this.writer.writtenOffset,
      onGroupCommitted: (durable) => this.advanceHw(durable),
    });
    this.writer = new LogWriter({
      fs: this.fs,
      segments: this.segments,
      flusher: this.flusher,
      snapshots: this.snapshots,
      stats: this.stats,
      running: () => this._state === 'online' || this._state === 'closing',
      onWritten: (seg, end) => {
        if (this.cfg.flushMode !== 'group-commit') {
          seg.visibleSize = seg.writtenSize;
          this.advanceHw(end);
        }
      },
      onError: (e) => this.fail('write', e),
    });
    this.producers = new ProducerStateManager(`${opts.topic}-${opts.partition}`, { producerIdExpirationMs: opts.producerIdExpirationMs });
  }

  /** Opens (creating if needed) and recovers the log in `opts.dir`. */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const log = new PartitionLog(opts);
    await log.load(opts.hadCleanShutdown ?? false, opts.recoveryPoint ?? 0, opts.logStartOffset ?? 0, true);
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
    return this.flusher.durableOffset;
  }
  get lastFlushMs(): number {
    return this.flusher.lastFlushMs;
  }
  /** Bytes on disk (all segments). */
  get size(): number {
    let n = 0;
    for (const s of this.segments.all) n += s.size;
    return n;
  }
  get segmentCount(): number {
    return this.segments.count;
  }
  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.baseOffsets();
  }

  updateConfig(config: LogConfig): void {
    this.cfg = config;
    this.flusher.cancelTimer();
    if (this.writer.writtenOffset > this.flusher.durableOffset) this.flusher.afterWrite();
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

    let seg = this.segments.active();
    if (this.shouldRoll(seg, total, maxTs, next - 1, now)) seg = this.roll(now);
    if (pa) {
      pa.commit();
      for (const t of pa.completed) {
        this.unreplicatedTxns.push(t);
        if (t.aborted) seg.abortedTxns.push(abortedTxnEntry(this.producers, t.producerId, t.firstOffset, t.lastOffset));
      }
    }

    // pass 2: stamp offsets in place, index, cache
    const leaderEpoch = opts.leaderEpoch ?? 0;
    const interval = cfg.indexIntervalBytes;
    let position = seg.size;
    let off = first;
    let batches = 0;
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
      off = last + 1;
      pos += size;
      position += size;
      batches++;
    }
    // the log keeps a copy in a shared slab, not the request's buffer (log/slabs.ts): one holder per cached batch, one for the writer
    const copy = appendSlabs.copy(records, batches + 1);
    const slab = copy?.slab ?? null;
    if (copy) records = copy.bytes;
    for (pos = 0, off = first; pos < total; ) {
      const size = LOG_OVERHEAD + records.readInt32BE(pos + OFF_LENGTH);
      const end = off + records.readInt32BE(pos + OFF_LAST_OFFSET_DELTA) + 1;
      this.tailCache.push(pos === 0 && size === total ? records : records.subarray(pos, pos + size), off, end, slab);
      off = end;
      pos += size;
    }
    this.leaderEpochs.append(leaderEpoch, first);
    if (seg.size === 0) seg.rollingBaseTimestamp = firstBatchTs;
    seg.size += total;
    seg.nextOffset = next;
    seg.lastModifiedMs = now;
    this._nextOffset = next;
    this.writer.enqueue(seg, records, next, slab);

    if (next - this.flusher.durableOffset >= cfg.flushMessages) {
      this.syncAckOffset = next;
      this.flusher.request(next);
    } else this.flusher.armTimer(() => this._nextOffset);
    return new AppendResult(this, first, next - 1, logAppendTime ? now : -1, this._logStartOffset, false);
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
    const old = this.segments.active();
    old.sealed = true;
    old.pendingSnapshot = this.producers.serialize();
    const seg = this.segments.roll(this._nextOffset, now, this.cfg.indexIntervalBytes);
    this.logger.debug({ baseOffset: seg.baseOffset }, 'rolled a new segment');
    return seg;
  }

  // ---- high watermark --------------------------------------------------------------------

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

  // ---- waiting for writes and fsyncs ------------------------------------------------------

  /** Resolves once every offset below `end` is in the file. */
  waitForWrite(end: number): Promise<void> {
    if (end <= this.writer.writtenOffset) return Promise.resolve();
    if (this._state === 'offline' || this._state === 'closed') return Promise.reject(storageError(`log is ${this._state}`, undefined));
    return this.writer.waitForWrite(end);
  }

  /** Resolves once every offset below `end` is fsynced. Starts a flush if none would come. */
  waitForDurable(end: number): Promise<void> {
    if (end <= this.flusher.durableOffset) return Promise.resolve();
    if (this._state === 'offline' || this._state === 'closed') return Promise.reject(storageError(`log is ${this._state}`, undefined));
    return this.flusher.waitForDurable(end);
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
    this.writer.clear();
    this.writer.rejectAll(e);
    this.flusher.rejectAll(e);
    this.flusher.cancelTimer();
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
          await this.flusher.waitIdle();
          const recoveryPoint = this.flusher.durableOffset;
          const logStart = this._logStartOffset;
          this.segments.retireAll();
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
      await this.writer.waitIdle();
      await this.flusher.waitIdle();
      if ((this._state as LogState) !== 'closing') throw storageError('write failed while truncating', undefined);
      this._state = 'offline';
      const target = Math.max(offset, this._logStartOffset);
      for (let i = this.segments.count - 1; i >= 0; i--) {
        const s = this.segments.at(i)!;
        if (s.baseOffset >= target && i > 0) {
          await s.deleteFiles();
          this.segments.removeAt(i);
          continue;
        }
        const pos = await s.findPosition(target, s.writtenSize, this.cfg.indexIntervalBytes);
        await s.withFile(async (fh) => {
          await fh.truncate(pos);
          await fh.sync();
        });
        break;
      }
      const recoveryPoint = Math.min(this.flusher.durableOffset, target);
      this.segments.retireAll();
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
    let si = this.segments.floorIndex(fetchOffset);
    if (si < 0) si = 0;
    for (; si < this.segments.count; si++) {
      if (collectAborted(this.segments.at(si)!.abortedTxns, fetchOffset, upperBound, out)) break;
    }
    return out.sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** Batches from `offset` below the high watermark (no log-start check). */
  private async readRange(offset: number, maxBytes: number, minOneBatch: boolean): Promise<Buffer[]> {
    const fromCache = this.tailCache.read(offset, maxBytes, minOneBatch, this.hw);
    if (fromCache) {
      this.stats.cacheReads++;
      return fromCache;
    }
    let si = this.segments.floorIndex(offset);
    if (si < 0) si = 0;
    for (; si < this.segments.count; si++) {
      const seg = this.segments.at(si)!;
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
   * (length, magic, CRC32C, and offsets growing from the base the index
   * look-up established, gaps allowed in any log as in Kafka: the base offset
   * is outside the CRC, so only one that rotted backwards is caught), so
   * bytes that rotted on disk, after a clean shutdown or in an old segment,
   * never reach a client, whether or not it checks CRCs. Returns the batches
   * before the first bad one; throws if that is the first. The tail cache
   * holds what was validated on append and is not re-checked.
   */
  private checkServed(seg: Segment, pos: number, expectedBase: number, batches: Buffer[]): Buffer[] {
    let at = pos;
    let expected = expectedBase;
    const end = seg === this.segments.active() ? this._nextOffset : seg.nextOffset;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      const problem = checkBatch(b, 0, b.length, true);
      const base = readInt64(b, 0);
      const last = base + b.readInt32BE(OFF_LAST_OFFSET_DELTA);
      const bad =
        problem !== null
          ? problem
          : base < expected
            ? `batch base offset ${base}, expected at least ${expected}`
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

  // ---- tail cache ------------------------------------------------------------------------

  /** Bytes of recent batches held in memory for tail reads. */
  get cachedBytes(): number {
    return this.tailCache.bytes;
  }

  /** A new size for the tail cache (the log manager shares one budget among all logs). */
  setTailCacheLimit(bytes: number): void {
    this.tailCache.setLimit(bytes);
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
      for (const s of [...this.segments.all]) {
        await s.hold(() => s.ensureTrustedTimeIndex(this.cfg.indexIntervalBytes));
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
    for (const s of [...this.segments.all]) {
      await s.hold(() => s.ensureTrustedTimeIndex(this.cfg.indexIntervalBytes));
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

  /**
   * For the cleaner: each producer not yet expired, with the offset of its last
   * data batch (null when it has none: its last entry is a marker) and epoch,
   * whose last batch a cleaning keeps (Kafka's lastRecordsOfActiveProducers).
   */
  activeProducers(now = this.clock.now()): Map<number, LastRecord> {
    this.removeExpiredProducers(now);
    const out = new Map<number, LastRecord>();
    for (const e of this.producers.entries()) out.set(e.producerId, { lastDataOffset: e.isEmpty ? null : e.lastDataOffset, producerEpoch: e.producerEpoch });
    return out;
  }

  private async doRetention(now: number): Promise<number> {
    if (this._state !== 'online') return 0;
    let deleted = await this.deleteSegmentsWhile((s, next) => next !== undefined && next.baseOffset <= this._logStartOffset);
    if (!this.cfg.cleanupPolicy.includes('delete')) return deleted;
    const retentionMs = this.cfg.retentionMs;
    if (retentionMs >= 0) {
      deleted += await this.deleteSegmentsWhile(async (s) => {
        await s.hold(() => s.ensureTrustedTimeIndex(this.cfg.indexIntervalBytes));
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
    for (let i = 0; i < this.segments.count; i++) {
      const s = this.segments.at(i)!;
      const next = this.segments.at(i + 1)!;
      const upper = next ? next.baseOffset : this._nextOffset;
      const lastAndEmpty = next === undefined && s.size === 0;
      if (this.hw >= upper && !lastAndEmpty && (await pred(s, next))) doomed.push(s);
      else break;
    }
    if (this._state !== 'online') return 0;
    // the predicate may have awaited: re-check, synchronously from here on
    let keep = 0;
    while (keep < doomed.length && this.segments.at(keep)! === doomed[keep]) {
      const next = this.segments.at(keep + 1)!;
      if (this.hw < (next ? next.baseOffset : this._nextOffset)) break;
      keep++;
    }
    doomed.length = keep;
    if (doomed.length === 0) return 0;
    if (doomed.length === this.segments.count) this.roll(this.clock.now());
    this.segments.removeHead(doomed.length);
    const newStart = Math.max(this._logStartOffset, this.segments.at(0)!.baseOffset);
    const moved = newStart > this._logStartOffset;
    this._logStartOffset = newStart;
    this.producers.truncateHead(newStart);
    for (const s of doomed) {
      this.logger.info({ baseOffset: s.baseOffset, size: s.size }, 'deleting segment');
      await s.deleteFiles();
    }
    await this.snapshots.deleteBelow(newStart);
    if (moved) this.onLogStartOffsetChanged?.(this);
    return doomed.length;
  }

  // ---- for the log cleaner (log/segments.ts) ----------------------------------------------

  /** The segments, oldest first, with sizes, offsets and times (the last one is active). */
  describeSegments(): Promise<SegmentInfo[]> {
    this.checkOnline();
    return this.segments.describe(this._nextOffset, this.cfg.indexIntervalBytes);
  }

  /** The CRC-checked batches of a segment from file position `from`. */
  segmentBatches(seg: Segment, from = 0, chunkBytes?: number): AsyncGenerator<SegmentBatch> {
    return this.segments.batches(seg, from, chunkBytes);
  }

  /** A new `<baseOffset>.log.cleaned` segment to write. */
  createCleanedSegment(baseOffset: number): CleanedSegment {
    return this.segments.createCleaned(baseOffset, this.cfg.indexIntervalBytes);
  }

  /**
   * Swaps a finished cleaned segment in for `oldSegments` (consecutive, not
   * the active one, the first at the same base offset), crash-safely, after
   * the maintenance in progress (retention, DeleteRecords, truncation). The
   * old files are unlinked `fileDeleteDelayMs` later (file.delete.delay.ms).
   * Returns false, the cleaned files deleted, if the old segments are gone
   * from the log meanwhile. An I/O error takes the log offline; its reload
   * completes or rolls back the swap (log/loader.ts).
   */
  replaceSegments(oldSegments: readonly Segment[], cleaned: CleanedSegment, fileDeleteDelayMs: number): Promise<boolean> {
    return this.maintenance(async () => {
      if (this._state !== 'online') {
        await cleaned.abort();
        return false;
      }
      try {
        const swapped = await this.segments.replaceSegments(oldSegments, cleaned, this.clock, fileDeleteDelayMs);
        // the cache must not serve the replaced bytes
        if (swapped) this.tailCache.dropBelow(cleaned.segment.nextOffset);
        return swapped;
      } catch (e) {
        this.fail('segment swap', e);
        throw storageError(`segment swap in ${this.topic}-${this.partition} failed`, e);
      }
    });
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
    this.flusher.cancelTimer();
    let clean = false;
    try {
      await this.writer.waitIdle();
      if (wasOnline && (this._state as LogState) === 'closing' && this.unchangedSinceCleanLoad()) {
        // an idle log (most of them when there are thousands): its files are already those of a clean close
        clean = true;
      } else if (wasOnline && (this._state as LogState) === 'closing') {
        const active = this.segments.active();
        if (!active.fileExists) {
          await active.withFile(async () => undefined); // creates it
          active.fileExists = true;
          this.flusher.dirDirty = true;
        }
        await this.flusher.waitIdle();
        await this.flushSegments();
        active.finalTimeIndexEntry();
        await active.writeIndexFiles();
        // as Kafka, no snapshot of a log that never held a batch: there is nothing to replay
        if (!this.neverWritten()) await this.snapshots.write(this._nextOffset, this.producers.serialize());
        await this.fs.syncDir(this.dir);
        this.flusher.dirDirty = false;
        this.flusher.durableOffset = this.writer.writtenOffset;
        clean = true;
      }
    } catch (e) {
      this.logger.error({ err: e }, 'clean close failed');
    }
    this._state = 'closed';
    const e = storageError(`log ${this.topic}-${this.partition} is closed`, undefined);
    this.writer.rejectAll(e);
    this.flusher.rejectAll(e);
    this.segments.retireAll();
    return clean;
  }

  /** Stops the log without flushing (its files are about to be deleted). */
  async discard(): Promise<void> {
    if (this._state === 'closed') return;
    this.stopReloading();
    await this.whenSettled();
    this._state = 'closing';
    this.flusher.cancelTimer();
    await this.writer.waitIdle();
    await this.flusher.waitIdle();
    this._state = 'closed';
    const e = storageError(`log ${this.topic}-${this.partition} was deleted`, undefined);
    this.writer.rejectAll(e);
    this.flusher.rejectAll(e);
    this.segments.retireAll();
  }

  /** fsyncs every segment with unsynced bytes (used by close, outside the flusher). */
  private async flushSegments(): Promise<void> {
    for (const s of this.segments.all) {
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
    this.writer.rejectAll(e);
    this.flusher.rejectAll(e);
    this.segments.reset([]);
    this.writer.clear();
    this.tailCache.clear();
    this.producers.clear();
    this.unreplicatedTxns = [];
    this.snapshots.reset([]);
    this.flusher.clearTarget();
    this.syncAckOffset = 0;
  }

  /** Loads the segments and producer state from disk (log/loader.ts). */
  private async load(hadCleanShutdown: boolean, recoveryPoint: number, logStartOffset: number, fresh = false): Promise<void> {
    // a new object has nothing to reset (and no waiters to reject: an Error per log adds up over thousands)
    if (!fresh) this.resetState();
    const loaded = await loadLog({
      env: this.env,
      config: this.cfg,
      clock: this.clock,
      producers: this.producers,
      snapshots: this.snapshots,
      hadCleanShutdown,
      recoveryPoint,
      logStartOffset,
    });
    this.segments.reset(loaded.segments);
    this._nextOffset = loaded.logEndOffset;
    this.writer.writtenOffset = loaded.logEndOffset;
    this._logStartOffset = loaded.logStartOffset;
    this.hw = loaded.logEndOffset;
    this.flusher.reset(loaded.logEndOffset, loaded.dirDirty);
    this.leaderEpochs.reset(this._nextOffset);
    this.asClosed = loaded.closedCleanly ? { segment: this.segments.active(), size: this.segments.active().writtenSize, end: loaded.logEndOffset } : null;
  }

  /** One empty segment, no producer state and no snapshot file: a partition nobody wrote to. */
  private neverWritten(): boolean {
    return this.segments.count === 1 && this.segments.active().writtenSize === 0 && this.producers.size === 0 && this.snapshots.none;
  }

  /** Nothing was appended (or truncated) since a load that found the files of a clean close: closing again writes nothing. */
  private unchangedSinceCleanLoad(): boolean {
    const a = this.asClosed;
    const active = this.segments.active();
    return a !== null && a.segment === active && a.size === active.writtenSize && a.end === this._nextOffset && a.end === this.writer.writtenOffset && !this.flusher.dirDirty;
  }
}
