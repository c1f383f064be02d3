// AddOffsetsToTxn (key 25), versions 0-4.
// Adds the group's __consumer_offsets partition (abs(javaHash(group)) %
// partitions, creating the topic on first use) to the transaction, so its commit
// marker settles the offsets TxnOffsetCommit leaves pending; the group need not
// exist. Answers as AddPartitionsToTxn; PRODUCER_FENCED is INVALID_PRODUCER_EPOCH
// below v2, TRANSACTION_ABORTABLE INVALID_TXN_STATE below v4.
// Authorization as Kafka: WRITE on the transactional id (else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED), READ on the group (else
// GROUP_AUTHORIZATION_FAILED).
import { AddOffsetsToTxnApi } from '../../protocol/messages/25-add-offsets-to-txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { OFFSETS_TOPIC } from '../offsets/offsets-topic.js';
import { downgradeTxnError } from '../transactions/errors.js';

export const addOffsetsToTxnHandler = defineHandler({
  api: AddOffsetsToTxnApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const { groups, transactions } = ctx.broker;
    if (!authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!authorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    if ((await groups.coordinatorNode(req.groupId)) < 0) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const partition = { topic: OFFSETS_TOPIC, partition: groups.partitionFor(req.groupId) };
    const code = await transactions.addPartitions(ctx.node.nodeId, req.transactionalId, req.producerId, req.producerEpoch, [partition]);
    return { errorCode: downgradeTxnError(code, ctx.apiVersion, { fencedFrom: 2, abortableFrom: 4 }) };
  },
});
