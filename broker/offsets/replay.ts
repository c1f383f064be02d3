// Replay of an internal topic's partition (__consumer_offsets,
// __transaction_state): every keyed record from the log start to the high
// watermark, oldest first, key and value copied out of the read buffers.
// A record of a transactional batch carries its producer id; an end-transaction
// marker (a control batch) goes to `onMarker` instead of `visit`.
import { batchRecordsPayloadSync, iterateRecords, walkBatches } from '../../protocol/record-batch.js';
import { readEndTxnMarker } from '../../storage/control-batch.js';
import type { PartitionLog } from '../../storage/partition-log.js';

const READ_CHUNK = 8 * 1024 * 1024;

/** The producer id of a transactional batch's records; undefined for a plain batch. */
export type TxnProducer = bigint | undefined;

/** Calls `visit` with each keyed record (and `onMarker` with each transaction marker); returns how many records there were. */
export async function replayPartition(
  log: PartitionLog,
  visit: (key: Buffer, value: Buffer | null, txnProducer: TxnProducer) => void,
  onMarker?: (producerId: bigint, commit: boolean) => void,
): Promise<number> {
  let count = 0;
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const { batches } = await log.read(offset, READ_CHUNK, true);
    if (batches.length === 0) break;
    for (const buf of batches) {
      for (const span of walkBatches(buf).batches) {
        const h = span.header;
        offset = Number(h.baseOffset) + h.lastOffsetDelta + 1;
        if (h.isControl) {
          const marker = readEndTxnMarker(buf, span.start, span.end - span.start);
          if (marker !== null) onMarker?.(h.producerId, marker.commit);
          continue;
        }
        const txnProducer = h.isTransactional ? h.producerId : undefined;
        const payload = batchRecordsPayloadSync(buf, span);
        for (const r of iterateRecords(h, payload)) {
          if (r.key === null) continue;
          visit(Buffer.from(r.key), r.value && Buffer.from(r.value), txnProducer);
          count++;
        }
      }
    }
  }
  return count;
}
