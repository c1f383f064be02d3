// KIP-890 part 1 (transaction.partition.verification.enable): before a
// transactional batch is appended, the partition must be in its producer's open
// transaction. On one node the leader's question to the coordinator is a function
// call. The coordinator's answer is shown to Produce as Kafka's
// AddPartitionsToTxnManager shows it: TRANSACTION_ABORTABLE (INVALID_TXN_STATE
// below v11), PRODUCER_FENCED as INVALID_PRODUCER_EPOCH, a transition in progress
// or a loading coordinator as NOT_ENOUGH_REPLICAS (retriable).
import { ErrorCode } from '../../protocol/errors.js';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL, OFF_ATTRIBUTES, OFF_MAGIC, OFF_PRODUCER_EPOCH, OFF_PRODUCER_ID } from '../../protocol/record-batch-layout.js';
import type { TransactionCoordinator } from './coordinator.js';

/** The error code Produce answers for a partition's records, or NONE when they may be appended. */
export function verifyTransactionalProduce(coordinator: TransactionCoordinator, transactionalId: string, topic: string, partition: number, records: unknown, produceVersion: number): number {
  // Only the first batch matters: Kafka takes one batch per partition from a transactional producer.
  if (!Buffer.isBuffer(records) || records.length < OFF_PRODUCER_EPOCH + 2 || records[OFF_MAGIC] !== 2) return ErrorCode.NONE;
  // A client's control batch is storage's to refuse (INVALID_RECORD).
  const attributes = records.readInt16BE(OFF_ATTRIBUTES);
  if ((attributes & ATTR_TRANSACTIONAL) === 0 || (attributes & ATTR_CONTROL) !== 0) return ErrorCode.NONE;
  const code = coordinator.verify(transactionalId, records.readBigInt64BE(OFF_PRODUCER_ID), records.readInt16BE(OFF_PRODUCER_EPOCH), { topic, partition });
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
