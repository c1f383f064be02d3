// Replay of an internal topic's partition (__consumer_offsets,
// __transaction_state): every keyed record from the log start to the high
// watermark, oldest first, key and value copied out of the read buffers.
import { batchRecordsPayloadSync, iterateRecords, walkBatches } from '../../protocol/record-batch.js';
import type { PartitionLog } from '../../storage/partition-log.js';

const READ_CHUNK = 8 * 1024 * 1024;

/** Calls `visit` with each keyed record; returns how many there were. */
export async function replayPartition(log: PartitionLog, visit: (key: Buffer, value: Buffer | null) => void): Promise<number> {
  let count = 0;
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const { batches } = await log.read(offset, READ_CHUNK, true);
    if (batches.length === 0) break;
    for (const buf of batches) {
      for (const span of walkBatches(buf).batches) {
        const payload = batchRecordsPayloadSync(buf, span);
        for (const r of iterateRecords(span.header, payload)) {
          if (r.key === null) continue;
          visit(Buffer.from(r.key), r.value && Buffer.from(r.value));
          count++;
        }
        offset = Number(span.header.baseOffset) + span.header.lastOffsetDelta + 1;
      }
    }
  }
  return count;
}
