// Transaction markers: the one path by which a commit or abort reaches a
// partition, for EndTxn, the coordinator's timeouts and fences, and
// WriteTxnMarkers (key 27). Storage builds Kafka's control batch
// (PartitionLog.appendTxnMarker) and checks it against the partition's producer
// state (an epoch below the stored one is INVALID_PRODUCER_EPOCH).
//
// The coordinator (Kafka's TransactionMarkerChannelManager) writes every
// partition's marker and retries a partition whose write failed for a
// retriable reason until it lands; a deleted partition is skipped, and a fenced
// epoch gives up on that partition, as Kafka does.
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/errors.js';
import type { Clock } from '../clock.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { TxnMarker } from '../../storage/control-batch.js';
import { isLogError } from '../../storage/errors.js';
import type { MarkerWriter } from './coordinator.js';

const RETRY_BACKOFF_MS = 100;

/** Called after a marker landed (the group coordinator settles pending transactional offsets on __consumer_offsets). */
export type MarkerListener = (topic: string, partition: number, marker: TxnMarker) => void;

/**
 * Appends one marker to a partition (acks=-1); resolves to Kafka's error code for
 * it: UNKNOWN_TOPIC_OR_PARTITION when the partition has no log here.
 */
export async function writeTxnMarker(logs: LogManager, topic: string, partition: number, marker: TxnMarker, now: number, onMarker?: MarkerListener): Promise<number> {
  const log = logs.log(topic, partition);
  if (!log) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  try {
    await log.appendTxnMarker({ ...marker, timestamp: now });
  } catch (err) {
    return isLogError(err) ? ErrorCode[err.code] : ErrorCode.KAFKA_STORAGE_ERROR;
  }
  onMarker?.(topic, partition, marker);
  return ErrorCode.NONE;
}

export interface MarkerWriterOptions {
  readonly logs: LogManager;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onMarker?: MarkerListener;
}

/** The coordinator's marker writer: every partition of the job, retried until it lands, skipped or fenced. */
export function markerWriter(opts: MarkerWriterOptions): MarkerWriter {
  const sleep = (ms: number) => new Promise<void>((resolve) => opts.clock.setTimeout(resolve, ms));
  return async (job, coordinatorEpoch) => {
    const marker: TxnMarker = { producerId: job.producerId, producerEpoch: job.producerEpoch, coordinatorEpoch, commit: job.commit };
    await Promise.all(
      job.partitions.map(async ({ topic, partition }) => {
        for (;;) {
          const code = await writeTxnMarker(opts.logs, topic, partition, marker, opts.clock.now(), opts.onMarker);
          if (code === ErrorCode.NONE) return;
          if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || code === ErrorCode.INVALID_PRODUCER_EPOCH || code === ErrorCode.TRANSACTION_COORDINATOR_FENCED) {
            opts.logger.warn({ transactionalId: job.transactionalId, topic, partition, errorCode: code }, 'transaction marker not written; partition skipped');
            return;
          }
          opts.logger.warn({ transactionalId: job.transactionalId, topic, partition, errorCode: code }, 'transaction marker write failed; retrying');
          await sleep(RETRY_BACKOFF_MS);
        }
      }),
    );
  };
}
