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
import { readEndTxnMarker } from '../../storage/control-batch.js';
import type { PartitionLog } from '../../storage/partition-log.js';

const READ_CHUNK = 8 * 1024 * 1024;

/** The producer id of a transactional batch's records; undefined for a plain batch. */
export type TxnProducer = bigint | undefined;

/** The latest record of a key in the current run; its buffers point into read chunk `chunk` until copied (chunk -1). */
interface Latest {
  key: Buffer;
  value: Buffer | null;
  offset: number;
  chunk: number;
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
  let chunk = 0;
  const run = new Map<string, Latest>();
  const touched: Latest[] = [];
  /** The read buffers are reused: what the run still holds of the current chunk is copied before the next read. */
  const detach = (): void => {
    for (const e of touched) {
      if (e.chunk !== chunk) continue;
      e.key = Buffer.from(e.key);
      e.value = e.value && Buffer.from(e.value);
      e.chunk = -1;
    }
    touched.length = 0;
  };
  const flush = (): void => {
    detach();
    for (const e of run.values()) visit(e.key, e.value, undefined, e.offset);
    run.clear();
  };
  while (offset < log.highWatermark) {
    const { batches } = await log.read(offset, READ_CHUNK, true);
    if (batches.length === 0) break;
    chunk++;
    for (const buf of batches) {
      // read() served CRC-checked batches
      for (const span of walkBatches(buf, { verifyCrc: false }).batches) {
        const h = span.header;
        offset = Number(h.baseOffset) + h.lastOffsetDelta + 1;
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
        for (const r of iterateRecords(h, payload)) {
          if (r.key === null) continue;
          count++;
          const k = r.key.toString('latin1');
          let e = run.get(k);
          if (e === undefined) e = { key: r.key, value: r.value, offset: Number(r.offset), chunk };
          else {
            // re-inserted: the run keeps the order of last writes
            run.delete(k);
            e.key = r.key;
            e.value = r.value;
            e.offset = Number(r.offset);
            if (e.chunk === chunk) {
              run.set(k, e);
              continue;
            }
            e.chunk = chunk;
          }
          run.set(k, e);
          touched.push(e);
        }
      }
    }
    detach();
  }
  flush();
  return count;
}
