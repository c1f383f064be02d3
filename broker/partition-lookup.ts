// Resolving a (topic, partition) named in a request to the log the receiving node
// serves, with the errors Kafka answers on the way: unknown topic or partition,
// NOT_LEADER_OR_FOLLOWER when another node leads it (or none does), and the
// leader-epoch fencing checks of KIP-320. Every handler that touches a partition
// goes through here.
import { ErrorCode } from '../protocol/errors.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { endpointFor, type BrokerNode, type PartitionInfo, type TopicInfo } from './cluster.js';
import type { RequestContext } from './context.js';

export type PartitionLookup = { log: PartitionLog; errorCode: 0 } | { log?: undefined; errorCode: number };

export function lookupPartition(ctx: RequestContext, topic: TopicInfo | undefined, partition: number, currentLeaderEpoch = -1): PartitionLookup {
  const info = topic?.partitions[partition];
  if (!topic || !info) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  if (info.leaderId !== ctx.node.nodeId) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== info.leaderEpoch) {
    return { errorCode: currentLeaderEpoch < info.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH };
  }
  const log = ctx.broker.logs.logOf(topic.id, partition);
  return log ? { log, errorCode: 0 } : { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
}

/** Whether the receiving node still leads the partition (a parked request re-checks after waiting). */
export function stillLeads(ctx: RequestContext, topic: TopicInfo, partition: number): boolean {
  return ctx.broker.cluster.topicById(topic.id) === topic && topic.partitions[partition]?.leaderId === ctx.node.nodeId;
}

/** KIP-951: the leader a client should turn to, for NOT_LEADER_OR_FOLLOWER answers. */
export function currentLeaderOf(topic: TopicInfo | undefined, partition: number): { leaderId: number; leaderEpoch: number } {
  const p: PartitionInfo | undefined = topic?.partitions[partition];
  return p ? { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch } : { leaderId: -1, leaderEpoch: -1 };
}

/** KIP-951: the endpoints of the leaders named in `leaderIds`. */
export function nodeEndpoints(ctx: RequestContext, leaderIds: Iterable<number>): { nodeId: number; host: string; port: number; rack: string | null }[] {
  const out: BrokerNode[] = [];
  for (const id of new Set(leaderIds)) {
    const n = ctx.broker.cluster.node(id);
    if (n && ctx.broker.cluster.isLive(id)) out.push(n);
  }
  return out.flatMap((n) => endpointFor(n, ctx.broker.listener) ?? []);
}

/**
 * A partition as Metadata and DescribeTopicPartitions describe it (replication is not
 * simulated: the leader is the one replica). A leader without the listener the request
 * came in on is no leader to this client: `listenerNotFound` (Kafka's MetadataCache:
 * LISTENER_NOT_FOUND, or LEADER_NOT_AVAILABLE for Metadata before v6) and leader -1.
 */
export function describePartition(ctx: RequestContext, p: PartitionInfo, listenerNotFound: number = ErrorCode.LISTENER_NOT_FOUND) {
  const leader = p.leaderId < 0 ? undefined : ctx.broker.cluster.node(p.leaderId);
  const unreachable = leader !== undefined && endpointFor(leader, ctx.broker.listener) === undefined;
  return {
    // Every node that could lead it is stopped.
    errorCode: p.leaderId < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : unreachable ? listenerNotFound : ErrorCode.NONE,
    partitionIndex: p.index,
    leaderId: unreachable ? -1 : p.leaderId,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: p.replicas,
    isrNodes: p.isr,
    offlineReplicas: [] as number[],
  };
}
