// Transaction markers: the one path by which a commit or abort reaches a
// partition, for EndTxn, the coordinator's timeouts and fences, and
// WriteTxnMarkers (key 27). Storage builds Kafka's control batch
// (PartitionLog.appendTxnMarker) and checks it against the partition's producer
// state (an epoch below the stored one is INVALID_PRODUCER_EPOCH).
//
// The coordinator (Kafka's TransactionMarkerChannelManager) sends one
// WriteTxnMarkers request per partition leader and retries a partition whose
// write failed for a retriable reason until it lands; a deleted partition is
// skipped, and a fenced epoch gives up on that partition, as Kafka does. Before
// each request `beforeRequest` may hold it or answer it with an error: the test
// double's faults on WriteTxnMarkers act there (Kafka's asynchronous window
// between EndTxn and its markers).
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/errors.js';
import type { Clock } from '../clock.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { TxnMarker } from '../../storage/control-batch.js';
import { isLogError } from '../../storage/errors.js';
import type { MarkerJob, TxnPartition } from './state.js';

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

/** One of the coordinator's WriteTxnMarkers requests, as the leader would receive it. */
export interface MarkerRequest {
  /** The partitions' leader (the request's destination). */
  readonly leader: number;
  /** The coordinator's node (the sender). */
  readonly coordinator: number;
  readonly job: MarkerJob;
  readonly coordinatorEpoch: number;
  readonly partitions: readonly TxnPartition[];
}

/** Resolves to NONE to send the request, or to the error every partition of it gets instead. */
export type MarkerRequestHook = (req: MarkerRequest) => Promise<number> | number;

export interface MarkerWriterOptions {
  readonly logs: LogManager;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The partition's leader node (-1 when none). */
  readonly leaderOf: (topic: string, partition: number) => number;
  readonly onMarker?: MarkerListener;
  readonly beforeRequest?: MarkerRequestHook;
}

export interface TxnMarkers {
  /** One marker, once (WriteTxnMarkers): Kafka's error code for the partition. */
  writeOne(topic: string, partition: number, marker: TxnMarker): Promise<number>;
  /** Every partition of the job, each retried until it lands, is skipped or fenced (the coordinator's). */
  writeJob(job: MarkerJob, coordinator: { readonly node: number; readonly epoch: number }): Promise<void>;
}

export function txnMarkers(opts: MarkerWriterOptions): TxnMarkers {
  const sleep = (ms: number) => new Promise<void>((resolve) => opts.clock.setTimeout(resolve, ms));
  const writeOne = (topic: string, partition: number, marker: TxnMarker) => writeTxnMarker(opts.logs, topic, partition, marker, opts.clock.now(), opts.onMarker);
  /** Whether a partition's answer ends its marker's journey (written, skipped or fenced); false: retry. */
  const settled = (job: MarkerJob, { topic, partition }: TxnPartition, code: number): boolean => {
    if (code === ErrorCode.NONE) return true;
    if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || code === ErrorCode.INVALID_PRODUCER_EPOCH || code === ErrorCode.TRANSACTION_COORDINATOR_FENCED) {
      opts.logger.warn({ transactionalId: job.transactionalId, topic, partition, errorCode: code }, 'transaction marker not written; partition skipped');
      return true;
    }
    opts.logger.warn({ transactionalId: job.transactionalId, topic, partition, errorCode: code }, 'transaction marker write failed; retrying');
    return false;
  };
  const writeJob = async (job: MarkerJob, coordinator: { readonly node: number; readonly epoch: number }) => {
    const coordinatorEpoch = coordinator.epoch;
    const marker: TxnMarker = { producerId: job.producerId, producerEpoch: job.producerEpoch, coordinatorEpoch, commit: job.commit };
    let pending = job.partitions;
    while (pending.length > 0) {
      // One request per leader, as Kafka's marker channel queues them per destination broker.
      const byLeader = new Map<number, TxnPartition[]>();
      for (const p of pending) {
        const leader = opts.leaderOf(p.topic, p.partition);
        const list = byLeader.get(leader);
        if (list) list.push(p);
        else byLeader.set(leader, [p]);
      }
      const retry = await Promise.all(
        [...byLeader].map(async ([leader, partitions]) => {
          const injected = opts.beforeRequest ? await opts.beforeRequest({ leader, coordinator: coordinator.node, job, coordinatorEpoch, partitions }) : ErrorCode.NONE;
          const codes = await Promise.all(partitions.map((p) => (injected !== ErrorCode.NONE ? injected : writeOne(p.topic, p.partition, marker))));
          return partitions.filter((p, i) => !settled(job, p, codes[i]));
        }),
      );
      pending = retry.flat();
      if (pending.length > 0) await sleep(RETRY_BACKOFF_MS);
    }
  };
  return { writeOne, writeJob };
}
