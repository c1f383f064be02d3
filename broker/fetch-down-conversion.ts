// What Fetch does for request versions older than the log's message format, as
// Kafka's KafkaApis does for a consumer (never for a follower):
//   - a topic whose compression.type is zstd answers Fetch below v10 with
//     UNSUPPORTED_COMPRESSION_TYPE (KIP-110: older clients cannot read zstd);
//   - Fetch v0-v1 read message format v0 and v2-v3 format v1, so the batches are
//     down-converted (protocol/legacy-message-set.ts), unless the topic sets
//     message.downconversion.enable=false: then UNSUPPORTED_VERSION.
// Kafka converts lazily in chunks; here the partition's read is converted at once
// (it is bounded by the partition's max bytes, plus the first batch).
import { ErrorCode } from '../protocol/errors.js';
import { downConvert, type LegacyMagic } from '../protocol/legacy-message-set.js';
import { RecordBatchError } from '../protocol/record-batch.js';
import type { LogConfig } from '../storage/log-config.js';

/** First Fetch version that may carry zstd batches. */
const ZSTD_MIN_FETCH_VERSION = 10;

/** Message format a Fetch version reads, or null for v2 (v4+). */
export function legacyMagicFor(fetchVersion: number): LegacyMagic | null {
  return fetchVersion <= 1 ? 0 : fetchVersion <= 3 ? 1 : null;
}

/** The error a partition gets before anything is read, or null to read it. */
export function fetchVersionRefusal(fetchVersion: number, cfg: LogConfig): number | null {
  if (cfg.compressionType === 'zstd' && fetchVersion < ZSTD_MIN_FETCH_VERSION) return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
  if (legacyMagicFor(fetchVersion) !== null && !cfg.messageDownConversionEnable) return ErrorCode.UNSUPPORTED_VERSION;
  return null;
}

/** The read batches as the Fetch version's message format, or the partition's error code. */
export async function convertForFetch(fetchVersion: number, batches: Buffer, fetchOffset: number): Promise<Buffer | number> {
  const magic = legacyMagicFor(fetchVersion);
  if (magic === null || batches.length === 0) return batches;
  try {
    return await downConvert(batches, magic, BigInt(fetchOffset));
  } catch (err) {
    if (err instanceof RecordBatchError && err.kind === 'unsupported-compression') return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
    throw err;
  }
}
