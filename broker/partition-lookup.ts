// Resolving a (topic, partition) named in a request to this broker's log, with
// the errors Kafka answers on the way: unknown topic or partition, and the
// leader-epoch fencing checks of KIP-320.
import { ErrorCode } from '../protocol/errors.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { TopicInfo } from './cluster.js';
import type { BrokerContext } from './context.js';

export type PartitionLookup = { log: PartitionLog; errorCode: 0 } | { log?: undefined; errorCode: number };

export function lookupPartition(broker: BrokerContext, topic: TopicInfo | undefined, partition: number, currentLeaderEpoch = -1): PartitionLookup {
  const info = topic?.partitions[partition];
  if (!topic || !info) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  if (info.leaderId !== broker.cluster.localNodeId) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== info.leaderEpoch) {
    return { errorCode: currentLeaderEpoch < info.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH };
  }
  const log = broker.logs.log(topic.name, partition);
  return log ? { log, errorCode: 0 } : { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
}
