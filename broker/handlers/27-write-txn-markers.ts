// WriteTxnMarkers (key 27), versions 0-1: what Kafka's coordinator sends to
// partition leaders, served for tooling. Each marker is appended to each named
// partition through the same path as the coordinator's own markers
// (transactions/markers.ts); a commit marker on a __consumer_offsets partition
// settles the producer's pending transactional offsets. Per partition: an
// unknown partition UNKNOWN_TOPIC_OR_PARTITION, another node's partition
// NOT_LEADER_OR_FOLLOWER, an epoch below the partition's producer state
// INVALID_PRODUCER_EPOCH, a stale coordinator epoch TRANSACTION_COORDINATOR_FENCED.
// Authorization: CLUSTER_ACTION on the cluster, else CLUSTER_AUTHORIZATION_FAILED
// on every partition, as Kafka.
import { WriteTxnMarkersApi } from '../../protocol/messages/27-write-txn-markers.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';

export const writeTxnMarkersHandler = defineHandler({
  api: WriteTxnMarkersApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const { cluster, transactions } = ctx.broker;
    if (!clusterAuthorized(ctx, AclOperation.CLUSTER_ACTION)) {
      const denied = (partitionIndex: number) => ({ partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED });
      return { markers: req.markers.map((m) => ({ producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map(denied) })) })) };
    }
    return {
      markers: await Promise.all(
        req.markers.map(async (m) => ({
          producerId: m.producerId,
          topics: await Promise.all(
            m.topics.map(async (t) => ({
              name: t.name,
              partitions: await Promise.all(
                t.partitionIndexes.map(async (partitionIndex) => {
                  const leader = cluster.topic(t.name)?.partitions[partitionIndex]?.leaderId;
                  if (leader === undefined) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
                  if (leader !== ctx.node.nodeId) return { partitionIndex, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
                  const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, commit: m.transactionResult };
                  return { partitionIndex, errorCode: await transactions.markers.writeOne(t.name, partitionIndex, marker) };
                }),
              ),
            })),
          ),
        })),
      ),
    };
  },
});
