// Idempotent-producer state of one partition: per producer id, the epoch and
// the last 5 batches (first/last sequence, first/last offset, timestamp). The
// log consults it inside `append`, before any byte is written.
//
// The rules are Kafka's (ProducerStateManager / ProducerAppendInfo, 3.x+):
//   - Duplicate: a client batch whose epoch equals the producer's current epoch
//     and whose (firstSeq, lastSeq) equals one of the 5 retained batches is not
//     appended; the append answers with that batch's original offsets. This is
//     checked first, against the state before the append.
//   - Epoch: a batch with an epoch LOWER than the current one is rejected with
//     INVALID_PRODUCER_EPOCH (Kafka answers this, not PRODUCER_FENCED, since 2.7;
//     clients treat it as fencing of that producer instance). A higher epoch
//     resets the retained batches.
//   - Sequence (client appends only): with a new epoch the first sequence must
//     be 0, unless the producer was unknown (no epoch recorded), which accepts
//     any sequence. With the same epoch the first sequence must be last + 1
//     (wrapping from 2^31-1 to 0), again unless no epoch is recorded. Anything
//     else is OUT_OF_ORDER_SEQUENCE_NUMBER; this includes an old retry of a
//     batch that fell out of the 5 retained ones.
//   - UNKNOWN_PRODUCER_ID: never returned. Kafka stopped returning it for
//     produce in 2.5 (KIP-360): a producer whose state was removed (retention,
//     DeleteRecords, expiry) is treated as new and accepted at any sequence.
//   - Transactional data batches start a transaction (first offset recorded); a
//     non-transactional batch inside an open transaction is INVALID_TXN_STATE.
//     A control batch (commit/abort marker, written by the coordinator) ends it
//     (the append reports it as completed, for the LSO and the aborted index);
//     a marker from an older coordinator epoch is TRANSACTION_COORDINATOR_FENCED.
//   - A producer is forgotten when all its batches fall below the log start
//     offset, or `producer.id.expiration.ms` (default 1 day) after its last
//     batch's timestamp, unless it has an open transaction.
//
// The state survives restarts through snapshot files written at each segment
// roll and at clean shutdown (`<20-digit offset>.producer-snapshot`, a kafkalite
// format that keeps all 5 batches, CRC32C-checked), plus a replay of the batch
// headers after the snapshot; see partition-log.ts.

import { crc32c } from '../protocol/crc32c.js';
import { NO_PRODUCER_EPOCH, readInt64, writeInt64, type BatchProducerInfo } from './batch.js';
import type { EndTxnMarker } from './control-batch.js';
import { LogError } from './errors.js';

export const NUM_BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fffffff;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  /** The batch's maxTimestamp as appended (LogAppendTime if stamped). */
  timestamp: number;
}

/** A transaction a marker ended (Kafka's CompletedTxn): its first offset and the marker's. */
export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  aborted: boolean;
}

/** Who appends: a producer (full checks), the group/txn coordinator (epoch only), or a replay of the log. */
export type AppendOrigin = 'client' | 'coordinator' | 'replay';

export function incrementSequence(seq: number, increment: number): number {
  return seq > INT32_MAX - increment ? increment - (INT32_MAX - seq) - 1 : seq + increment;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export class ProducerStateEntry {
  producerEpoch = NO_PRODUCER_EPOCH;
  coordinatorEpoch = -1;
  lastTimestamp = -1;
  /** First offset of the open transaction, or -1. */
  currentTxnFirstOffset = -1;
  batches: BatchMetadata[] = [];

  constructor(readonly producerId: number) {}

  clone(): ProducerStateEntry {
    const e = new ProducerStateEntry(this.producerId);
    e.producerEpoch = this.producerEpoch;
    e.coordinatorEpoch = this.coordinatorEpoch;
    e.lastTimestamp = this.lastTimestamp;
    e.currentTxnFirstOffset = this.currentTxnFirstOffset;
    e.batches = this.batches.slice();
    return e;
  }

  get isEmpty(): boolean {
    return this.batches.length === 0;
  }

  get lastSeq(): number {
    return this.batches.length === 0 ? -1 : this.batches[this.batches.length - 1]!.lastSeq;
  }

  get lastDataOffset(): number {
    return this.batches.length === 0 ? -1 : this.batches[this.batches.length - 1]!.lastOffset;
  }

  maybeUpdateEpoch(epoch: number): void {
    if (this.producerEpoch !== epoch) {
      this.batches = [];
      this.producerEpoch = epoch;
    }
  }

  addBatch(epoch: number, meta: BatchMetadata): void {
    this.maybeUpdateEpoch(epoch);
    if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift();
    this.batches.push(meta);
    this.lastTimestamp = meta.timestamp;
  }

  findDuplicate(epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (epoch !== this.producerEpoch) return undefined;
    for (const b of this.batches) if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return b;
    return undefined;
  }
}

/**
 * The staged effect of one append (all its batches): validate with `check`,
 * then `commit` once the append is accepted. Nothing changes before commit.
 */
export class ProducerAppend {
  private readonly updated = new Map<number, ProducerStateEntry>();
  /** Transactions ended by the markers of this append, in offset order. */
  readonly completed: CompletedTxn[] = [];

  constructor(
    private readonly manager: ProducerStateManager,
    private readonly origin: AppendOrigin,
  ) {}

  /** The retained batch this one repeats, if it is a retry of one (clients only). */
  findDuplicate(b: BatchProducerInfo): BatchMetadata | undefined {
    if (this.origin !== 'client') return undefined;
    const last = this.manager.get(b.producerId);
    if (last === undefined) return undefined;
    return last.findDuplicate(b.producerEpoch, b.baseSequence, incrementSequence(b.baseSequence, b.lastOffsetDelta));
  }

  /**
   * Validates one batch (throws LogError) and stages its effect. `marker` is
   * the end-transaction marker a control batch carries (null: another control type).
   */
  appendBatch(b: BatchProducerInfo, firstOffset: number, lastOffset: number, marker: EndTxnMarker | null = null): void {
    const current = this.manager.get(b.producerId);
    let entry = this.updated.get(b.producerId);
    if (entry === undefined) {
      entry = current ? current.clone() : new ProducerStateEntry(b.producerId);
      // Kafka validates against a copy carrying no batches yet, falling back to
      // the current entry's last sequence when the epochs match.
      this.updated.set(b.producerId, entry);
    }
    const pid = b.producerId;
    if (b.producerEpoch < entry.producerEpoch && this.origin !== 'replay') {
      throw new LogError(
        'INVALID_PRODUCER_EPOCH',
        `producer ${pid} epoch ${b.producerEpoch} is older than the last seen epoch ${entry.producerEpoch} at offset ${firstOffset} in ${this.manager.partition}`,
      );
    }
    if (b.isControl) {
      if (marker === null) return;
      // Kafka's ProducerAppendInfo.appendEndTxnMarker
      if (marker.coordinatorEpoch < entry.coordinatorEpoch && this.origin !== 'replay') {
        throw new LogError(
          'TRANSACTION_COORDINATOR_FENCED',
          `marker for producer ${pid} at offset ${firstOffset} carries coordinator epoch ${marker.coordinatorEpoch}, older than ${entry.coordinatorEpoch} in ${this.manager.partition}`,
        );
      }
      entry.maybeUpdateEpoch(b.producerEpoch);
      const txnFirst = entry.currentTxnFirstOffset >= 0 ? entry.currentTxnFirstOffset : firstOffset;
      this.completed.push({ producerId: pid, firstOffset: txnFirst, lastOffset: firstOffset, aborted: !marker.commit });
      entry.currentTxnFirstOffset = -1;
      entry.coordinatorEpoch = marker.coordinatorEpoch;
      entry.lastTimestamp = b.maxTimestamp;
      return;
    }
    if (this.origin === 'client') this.checkSequence(entry, current, b, firstOffset);
    const lastSeq = incrementSequence(b.baseSequence, b.lastOffsetDelta);
    entry.addBatch(b.producerEpoch, { firstSeq: b.baseSequence, lastSeq, firstOffset, lastOffset, timestamp: b.maxTimestamp });
    if (entry.currentTxnFirstOffset >= 0 && !b.isTransactional) {
      if (this.origin !== 'replay') {
        throw new LogError('INVALID_TXN_STATE', `non-transactional batch from producer ${pid} inside its open transaction at offset ${firstOffset}`);
      }
    } else if (entry.currentTxnFirstOffset < 0 && b.isTransactional) {
      entry.currentTxnFirstOffset = firstOffset;
    }
  }

  private checkSequence(entry: ProducerStateEntry, current: ProducerStateEntry | undefined, b: BatchProducerInfo, offset: number): void {
    const pid = b.producerId;
    const seq = b.baseSequence;
    if (b.producerEpoch !== entry.producerEpoch) {
      if (seq !== 0 && entry.producerEpoch !== NO_PRODUCER_EPOCH) {
        throw new LogError(
          'OUT_OF_ORDER_SEQUENCE_NUMBER',
          `producer ${pid}: new epoch ${b.producerEpoch} must start at sequence 0, got ${seq} at offset ${offset} in ${this.manager.partition}`,
        );
      }
      return;
    }
    const currentEpoch = current?.producerEpoch ?? NO_PRODUCER_EPOCH;
    // an entry carrying batches staged by this append, or the committed one
    const lastSeq = !entry.isEmpty ? entry.lastSeq : b.producerEpoch === currentEpoch ? (current?.lastSeq ?? -1) : -1;
    if (!(currentEpoch === NO_PRODUCER_EPOCH || inSequence(lastSeq, seq))) {
      throw new LogError(
        'OUT_OF_ORDER_SEQUENCE_NUMBER',
        `producer ${pid}: sequence ${seq} does not follow ${lastSeq} at offset ${offset} in ${this.manager.partition}`,
      );
    }
  }

  commit(): void {
    for (const [pid, e] of this.updated) this.manager.put(pid, e);
  }
}

export interface ProducerStateOptions {
  /** producer.id.expiration.ms (default 86400000). */
  producerIdExpirationMs?: number;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>();
  producerIdExpirationMs: number;
  /** Cached firstUnstableOffset (undefined: recompute). */
  private unstable: number | undefined;

  constructor(
    readonly partition: string,
    opts: ProducerStateOptions = {},
  ) {
    this.producerIdExpirationMs = opts.producerIdExpirationMs ?? 86_400_000;
  }

  get(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  /** @internal (ProducerAppend.commit) */
  put(producerId: number, entry: ProducerStateEntry): void {
    const before = this.producers.get(producerId)?.currentTxnFirstOffset ?? -1;
    this.producers.set(producerId, entry);
    if (before !== entry.currentTxnFirstOffset) this.unstable = undefined;
  }

  /** First offset of the oldest open transaction, or -1 (the LSO is this, else the high watermark). */
  firstUnstableOffset(): number {
    if (this.unstable === undefined) {
      let min = -1;
      for (const e of this.producers.values()) {
        if (e.currentTxnFirstOffset >= 0 && (min < 0 || e.currentTxnFirstOffset < min)) min = e.currentTxnFirstOffset;
      }
      this.unstable = min;
    }
    return this.unstable;
  }

  /** First offset of the oldest transaction still open of a producer other than `producerId`, or -1. */
  firstUnstableOffsetExcept(producerId: number): number {
    let min = -1;
    for (const e of this.producers.values()) {
      if (e.producerId !== producerId && e.currentTxnFirstOffset >= 0 && (min < 0 || e.currentTxnFirstOffset < min)) min = e.currentTxnFirstOffset;
    }
    return min;
  }

  get size(): number {
    return this.producers.size;
  }

  entries(): IterableIterator<ProducerStateEntry> {
    return this.producers.values();
  }

  beginAppend(origin: AppendOrigin): ProducerAppend {
    return new ProducerAppend(this, origin);
  }

  clear(): void {
    this.producers.clear();
    this.unstable = undefined;
  }

  /** Forgets producers whose batches all lie below the new log start offset. */
  truncateHead(logStartOffset: number): void {
    for (const [pid, e] of this.producers) {
      if (!e.isEmpty && e.lastDataOffset < logStartOffset) this.producers.delete(pid);
    }
    this.unstable = undefined;
  }

  /** Forgets producers idle for producer.id.expiration.ms (without an open transaction). */
  removeExpired(nowMs: number): void {
    for (const [pid, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0 && nowMs - e.lastTimestamp >= this.producerIdExpirationMs) this.producers.delete(pid);
    }
  }

  // ---- snapshots ---------------------------------------------------------------

  static readonly SNAPSHOT_MAGIC = 0x4b4c5053; // "KLPS"
  static readonly SNAPSHOT_VERSION = 1;

  /**
   * Serializes the state:
   *   magic int32 "KLPS", version int16, crc uint32 (CRC32C of the rest), count int32,
   *   per producer: id int64, epoch int16, coordinatorEpoch int32, lastTimestamp int64,
   *     txnFirstOffset int64, n int8, n x (firstSeq int32, lastSeq int32,
   *     firstOffset int64, lastOffset int64, timestamp int64)
   */
  serialize(): Buffer {
    let size = 14;
    for (const e of this.producers.values()) size += 31 + 32 * e.batches.length;
    const out = Buffer.alloc(size);
    out.writeInt32BE(ProducerStateManager.SNAPSHOT_MAGIC, 0);
    out.writeInt16BE(ProducerStateManager.SNAPSHOT_VERSION, 4);
    out.writeInt32BE(this.producers.size, 10);
    let p = 14;
    for (const e of this.producers.values()) {
      writeInt64(out, p, e.producerId);
      out.writeInt16BE(e.producerEpoch, p + 8);
      out.writeInt32BE(e.coordinatorEpoch, p + 10);
      writeInt64(out, p + 14, e.lastTimestamp);
      writeInt64(out, p + 22, e.currentTxnFirstOffset);
      out.writeInt8(e.batches.length, p + 30);
      p += 31;
      for (const b of e.batches) {
        out.writeInt32BE(b.firstSeq, p);
        out.writeInt32BE(b.lastSeq, p + 4);
        writeInt64(out, p + 8, b.firstOffset);
        writeInt64(out, p + 16, b.lastOffset);
        writeInt64(out, p + 24, b.timestamp);
        p += 32;
      }
    }
    out.writeUInt32BE(crc32c(out, 10), 6);
    return out;
  }

  /** Replaces the state with a snapshot's; returns false (state untouched) if the bytes are not a valid snapshot. */
  load(buf: Buffer): boolean {
    try {
      if (buf.length < 14 || buf.readInt32BE(0) !== ProducerStateManager.SNAPSHOT_MAGIC) return false;
      if (buf.readInt16BE(4) !== ProducerStateManager.SNAPSHOT_VERSION) return false;
      if (buf.readUInt32BE(6) !== crc32c(buf, 10)) return false;
      const n = buf.readInt32BE(10);
      const loaded: ProducerStateEntry[] = [];
      let p = 14;
      for (let i = 0; i < n; i++) {
        const e = new ProducerStateEntry(readInt64(buf, p));
        e.producerEpoch = buf.readInt16BE(p + 8);
        e.coordinatorEpoch = buf.readInt32BE(p + 10);
        e.lastTimestamp = readInt64(buf, p + 14);
        e.currentTxnFirstOffset = readInt64(buf, p + 22);
        const nb = buf.readInt8(p + 30);
        p += 31;
        for (let j = 0; j < nb; j++) {
          e.batches.push({
            firstSeq: buf.readInt32BE(p),
            lastSeq: buf.readInt32BE(p + 4),
            firstOffset: readInt64(buf, p + 8),
            lastOffset: readInt64(buf, p + 16),
            timestamp: readInt64(buf, p + 24),
          });
          p += 32;
        }
        loaded.push(e);
      }
      if (p !== buf.length) return false;
      this.producers.clear();
      this.unstable = undefined;
      for (const e of loaded) this.producers.set(e.producerId, e);
      return true;
    } catch {
      return false;
    }
  }
}
