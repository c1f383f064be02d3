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
import type { MarkerJob } from './state.js';

const RETRY_BACKOFF_MS = 100;

/** Called after a marker landed (the group coordinator settles pending transactional offsets on __consumer_offsets). */
export type MarkerListener = (topic: string, partition: number, marker: TxnMarker) => void;

/**
 * Appends one marker to a partition (acks=-1); resolves to Kafka's error code for
 * it: UNKNOWN_TOPIC_OR_PARTITION when the partition has no log here.
 */
async function writeTxnMarker(logs: LogManager, topic: string, partition: number, marker: TxnMarker, now: number, onMarker?: MarkerListener): Promise<number> {
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

export interface TxnMarkers {
  /** One marker, once (WriteTxnMarkers): Kafka's error code for the partition. */
  writeOne(topic: string, partition: number, marker: TxnMarker): Promise<number>;
  /** Every partition of the job, each retried until it lands, is skipped or fenced (the coordinator's). */
  writeJob(job: MarkerJob, coordinatorEpoch: number): Promise<void>;
}

export function txnMarkers(opts: MarkerWriterOptions): TxnMarkers {
  const sleep = (ms: number) => new Promise<void>((resolve) => opts.clock.setTimeout(resolve, ms));
  const writeOne = (topic: string, partition: number, marker: TxnMarker) => writeTxnMarker(opts.logs, topic, partition, marker, opts.clock.now(), opts.onMarker);
  const writeJob = async (job: MarkerJob, coordinatorEpoch: number) => {
    const marker: TxnMarker = { producerId: job.producerId, producerEpoch: job.producerEpoch, coordinatorEpoch, commit: job.commit };
    await Promise.all(
      job.partitions.map(async ({ topic, partition }) => {
        for (;;) {
          const code = await writeOne(topic, partition, marker);
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
  return { writeOne, writeJob };
}
