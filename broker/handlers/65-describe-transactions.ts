// DescribeTransactions (key 65), version 0.
// Per id: its state name, producer id and epoch, timeout, start time (-1 when no
// transaction is open) and partitions by topic; TRANSACTIONAL_ID_NOT_FOUND for an
// unknown id, NOT_COORDINATOR when another node coordinates it.
// Authorization: DESCRIBE on each transactional id, else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka.
import { DescribeTransactionsApi } from '../../protocol/messages/65-describe-transactions.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { partitionsByTopic } from '../transactions/records.js';

export const describeTransactionsHandler = defineHandler({
  api: DescribeTransactionsApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    return {
      transactionStates: await Promise.all(
        req.transactionalIds.map(async (transactionalId) => {
          const d = authorized(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, transactionalId)
            ? await ctx.broker.transactions.describe(ctx.node.nodeId, transactionalId)
            : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
          if (typeof d === 'number') return { errorCode: d, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
          return {
            errorCode: 0,
            transactionalId,
            transactionState: d.state,
            transactionTimeoutMs: d.timeoutMs,
            transactionStartTimeMs: BigInt(d.startMs),
            producerId: d.producerId,
            producerEpoch: d.producerEpoch,
            topics: partitionsByTopic(d.partitions).map(([topic, partitions]) => ({ topic, partitions })),
          };
        }),
      ),
    };
  },
});
