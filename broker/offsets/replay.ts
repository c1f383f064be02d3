// Replay of an internal topic's partition (__consumer_offsets,
// __transaction_state): the keyed records from the log start to the high
// watermark, oldest first, key and value copied out of the read buffers.
// A record of a transactional batch carries its producer id; an end-transaction
// marker (a control batch) goes to `onMarker` instead of `visit`.
//
// Both topics are compacted (cleanup.policy=compact), so their state is, by
// Kafka's contract, the latest record of each key in the order of those last
// writes: a fully compacted log holds exactly that, and the coordinators replay
// compacted logs (offset gaps, tombstones kept until delete.retention.ms). The
// replay does that reduction itself, which bounds it by the live keys rather
// than by the records in the segments the cleaner may not touch yet (the
// active one, up to segment.bytes): a run of plain batches is reduced to the
// latest record per key before anything is applied. Transactional batches and
// markers are applied where they are, in log order, after the run before them:
// a transaction's records wait for their marker in the coordinator, and the
// order of its offsets against plain commits of the same partitions decides
// which one wins.
import { batchRecordsPayloadSync, iterateRecords, walkBatches } from '../../protocol/record-batch.js';
import { readEndTxnMarker, readVarint } from '../../storage/control-batch.js';
import type { PartitionLog } from '../../storage/partition-log.js';

const READ_CHUNK = 8 * 1024 * 1024;

/** The producer id of a transactional batch's records; undefined for a plain batch. */
export type TxnProducer = bigint | undefined;

/**
 * The latest record of a key in the current run. While `src` is set, key and
 * value are byte ranges of that buffer of the current read; detached, they
 * are copies.
 */
interface Latest {
  src: Buffer | null;
  keyStart: number;
  keyEnd: number;
  /** -1: a tombstone. */
  valueStart: number;
  valueEnd: number;
  key: Buffer | null;
  value: Buffer | null;
  offset: number;
  /** Order of the last write within the run. */
  seq: number;
}

/**
 * Calls `visit` with the live keyed records (and `onMarker` with each
 * transaction marker), in log order of their last writes; returns how many
 * records the log held.
 */
export async function replayPartition(
  log: PartitionLog,
  visit: (key: Buffer, value: Buffer | null, txnProducer: TxnProducer, offset: number) => void,
  onMarker?: (producerId: bigint, commit: boolean) => void,
): Promise<number> {
  let count = 0;
  let offset = log.logStartOffset;
  let seq = 0;
  const run = new Map<string, Latest>();
  const touched: Latest[] = [];
  /** The read buffers are reused: what the run still holds of the current chunk is copied out before the next read. */
  const detach = (): void => {
    for (const e of touched) {
      if (e.src === null) continue;
      e.key ??= Buffer.from(e.src.subarray(e.keyStart, e.keyEnd));
      e.value = e.valueStart < 0 ? null : Buffer.from(e.src.subarray(e.valueStart, e.valueEnd));
      e.src = null;
    }
    touched.length = 0;
  };
  const flush = (): void => {
    if (run.size === 0) return;
    detach();
    const latest = [...run.values()].sort((a, b) => a.seq - b.seq);
    run.clear();
    for (const e of latest) visit(e.key!, e.value, undefined, e.offset);
  };
  const pos = { pos: 0 };
  while (offset < log.highWatermark) {
    const { batches } = await log.read(offset, READ_CHUNK, true);
    if (batches.length === 0) break;
    for (const buf of batches) {
      // read() served CRC-checked batches
      for (const span of walkBatches(buf, { verifyCrc: false }).batches) {
        const h = span.header;
        const base = Number(h.baseOffset);
        offset = base + h.lastOffsetDelta + 1;
        if (h.isControl) {
          const marker = readEndTxnMarker(buf, span.start, span.end - span.start);
          if (marker === null) continue;
          flush();
          onMarker?.(h.producerId, marker.commit);
          continue;
        }
        const payload = batchRecordsPayloadSync(buf, span);
        if (h.isTransactional) {
          flush();
          for (const r of iterateRecords(h, payload)) {
            if (r.key === null) continue;
            visit(Buffer.from(r.key), r.value && Buffer.from(r.value), h.producerId, Number(r.offset));
            count++;
          }
          continue;
        }
        // The plain records' keys and values as byte ranges (Kafka's record v2 layout), no record objects.
        pos.pos = 0;
        const size = payload.length;
        for (let i = 0; i < h.recordCount; i++) {
          const length = readVarint(payload, pos, size);
          const end = pos.pos + length;
          if (length < 0 || end > size) throw new RangeError(`record ${i} of the batch at offset ${base} overruns it`);
          pos.pos++; // attributes
          readVarint(payload, pos, end, 10); // timestamp delta (varlong)
          const delta = readVarint(payload, pos, end);
          const keyLength = readVarint(payload, pos, end);
          if (keyLength < 0) {
            pos.pos = end;
            continue;
          }
          const keyStart = pos.pos;
          pos.pos += keyLength;
          const valueLength = readVarint(payload, pos, end);
          const valueStart = valueLength < 0 ? -1 : pos.pos;
          if (pos.pos + Math.max(valueLength, 0) > end) throw new RangeError(`record ${i} of the batch at offset ${base} overruns it`);
          pos.pos = end;
          count++;
          const k = payload.toString('latin1', keyStart, keyStart + keyLength);
          let e = run.get(k);
          if (e === undefined) {
            e = { src: null, keyStart, keyEnd: 0, valueStart, valueEnd: 0, key: null, value: null, offset: 0, seq: 0 };
            run.set(k, e);
          }
          if (e.src === null) touched.push(e);
          e.src = payload;
          e.keyStart = keyStart;
          e.keyEnd = keyStart + keyLength;
          e.valueStart = valueStart;
          e.valueEnd = valueStart + valueLength;
          e.offset = base + delta;
          e.seq = ++seq;
        }
      }
    }
    detach();
  }
  flush();
  return count;
}
