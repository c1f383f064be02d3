// AddPartitionsToTxn (key 24), versions 0-5.
// v0-3 (clients): one transaction. A partition that does not exist gets
// UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, with nothing
// added; otherwise the coordinator's one answer goes to every partition (the
// first add moves Empty/Complete* to Ongoing; Prepare* is CONCURRENT_TRANSACTIONS;
// a wrong producer id INVALID_PRODUCER_ID_MAPPING, a wrong epoch PRODUCER_FENCED,
// INVALID_PRODUCER_EPOCH below v2).
// v4+ (brokers): a batch of transactions with a top-level error; a VerifyOnly
// transaction adds nothing and gets, per partition, whether it is in the open
// transaction (TRANSACTION_ABORTABLE when not), as Kafka's KIP-890 check.
// TRANSACTION_ABORTABLE is INVALID_TXN_STATE below v5.
// Authorization as Kafka: v4+ (broker to coordinator) needs CLUSTER_ACTION on
// the cluster; each transaction WRITE on its id (else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and on each topic (else
// TOPIC_AUTHORIZATION_FAILED, the other partitions OPERATION_NOT_ATTEMPTED).
import { AddPartitionsToTxnApi } from '../../protocol/messages/24-add-partitions-to-txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized, clusterAuthorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import { downgradeTxnError } from '../transactions/errors.js';
import type { TxnPartition } from '../transactions/state.js';

interface Topics {
  name: string;
  partitions: number[];
}

type TopicResult = { name: string; resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[] };

function results(topics: readonly Topics[], code: (p: TxnPartition) => number): TopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partition) => ({ partitionIndex: partition, partitionErrorCode: code({ topic: t.name, partition }) })) }));
}

async function addToTransaction(ctx: RequestContext, id: string, producerId: bigint, producerEpoch: number, topics: readonly Topics[], verifyOnly: boolean): Promise<TopicResult[]> {
  const { cluster, transactions } = ctx.broker;
  const down = (code: number) => downgradeTxnError(code, ctx.apiVersion, { fencedFrom: 2, abortableFrom: 5 });
  if (!authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, id)) return results(topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  if (verifyOnly) return results(topics, (p) => down(transactions.verify(id, producerId, producerEpoch, p)));
  const exists = (p: TxnPartition) => (cluster.topic(p.topic)?.partitions.length ?? 0) > p.partition && p.partition >= 0;
  const all = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  const writable = new Set(topics.filter((t) => authorized(ctx, AclOperation.WRITE, ResourceType.TOPIC, t.name)).map((t) => t.name));
  if (writable.size < new Set(topics.map((t) => t.name)).size) {
    return results(topics, (p) => (!writable.has(p.topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : exists(p) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  }
  if (!all.every(exists)) return results(topics, (p) => (exists(p) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  const code = down(await transactions.addPartitions(ctx.node.nodeId, id, producerId, producerEpoch, all));
  return results(topics, () => code);
}

export const addPartitionsToTxnHandler = defineHandler({
  api: AddPartitionsToTxnApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    if (ctx.apiVersion >= 4 && !clusterAuthorized(ctx, AclOperation.CLUSTER_ACTION)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] };
    if (ctx.apiVersion < 4) {
      return { resultsByTopicV3AndBelow: await addToTransaction(ctx, req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, req.v3AndBelowTopics, false) };
    }
    return {
      errorCode: ErrorCode.NONE,
      resultsByTransaction: await Promise.all(
        req.transactions.map(async (t) => ({ transactionalId: t.transactionalId, topicResults: await addToTransaction(ctx, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly) })),
      ),
    };
  },
});
