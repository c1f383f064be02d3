// KIP-890 part 1 (transaction.partition.verification.enable): before a
// producer's first transactional batch on a partition is appended, the
// partition must be in its producer's open transaction. On one node the
// leader's question to the coordinator is a function call. As Kafka's
// (UnifiedLog.maybeStartTransactionVerification), a partition where the
// producer's transaction is already open at that epoch asks nothing: later
// batches of the transaction skip the coordinator. The coordinator's answer is
// shown to Produce as Kafka's AddPartitionsToTxnManager shows it:
// TRANSACTION_ABORTABLE (INVALID_TXN_STATE below v11), PRODUCER_FENCED as
// INVALID_PRODUCER_EPOCH, a transition in progress or a loading coordinator as
// NOT_ENOUGH_REPLICAS (retriable).
import { ErrorCode } from '../../protocol/errors.js';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, OFF_ATTRIBUTES, OFF_MAGIC, OFF_PRODUCER_EPOCH, OFF_PRODUCER_ID } from '../../protocol/record-batch-layout.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import type { TransactionCoordinator } from './coordinator.js';
import type { TxnPartition } from './state.js';

/** Whether the producer has an open transaction at this epoch in the partition (its first batch was verified and appended). */
export function hasOngoingTransaction(log: Pick<PartitionLog, 'producers'> | undefined, producerId: bigint, producerEpoch: number): boolean {
  const entry = log?.producers.get(Number(producerId));
  return entry !== undefined && entry.currentTxnFirstOffset >= 0 && entry.producerEpoch === producerEpoch;
}

/** The coordinator's answer for a partition not yet known to hold the producer's transaction; NONE when it does. */
export function verifyPartitionInTransaction(
  coordinator: Pick<TransactionCoordinator, 'verify'>,
  log: Pick<PartitionLog, 'producers'> | undefined,
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
  p: TxnPartition,
): number {
  if (hasOngoingTransaction(log, producerId, producerEpoch)) return ErrorCode.NONE;
  return coordinator.verify(transactionalId, producerId, producerEpoch, p);
}

/** The error code Produce answers for a partition's records, or NONE when they may be appended. */
export function verifyTransactionalProduce(
  coordinator: Pick<TransactionCoordinator, 'verify'>,
  log: Pick<PartitionLog, 'producers'> | undefined,
  transactionalId: string,
  topic: string,
  partition: number,
  records: unknown,
  produceVersion: number,
): number {
  // Only the first batch matters: Kafka takes one batch per partition from a transactional producer.
  if (!Buffer.isBuffer(records) || records.length < OFF_PRODUCER_EPOCH + 2 || records[OFF_MAGIC] !== 2) return ErrorCode.NONE;
  // A client's control batch is storage's to refuse (INVALID_RECORD).
  const attributes = records.readInt16BE(OFF_ATTRIBUTES);
  if ((attributes & ATTR_TRANSACTIONAL) === 0 || (attributes & ATTR_CONTROL) !== 0) return ErrorCode.NONE;
  const code = verifyPartitionInTransaction(coordinator, log, transactionalId, records.readBigInt64BE(OFF_PRODUCER_ID), records.readInt16BE(OFF_PRODUCER_EPOCH), { topic, partition });
  switch (code) {
    case ErrorCode.TRANSACTION_ABORTABLE:
      return produceVersion >= 11 ? code : ErrorCode.INVALID_TXN_STATE;
    case ErrorCode.PRODUCER_FENCED:
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
      return ErrorCode.NOT_ENOUGH_REPLICAS;
    default:
      return code;
  }
}
