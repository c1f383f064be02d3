// ElectLeaders (key 43), versions 0-2.
// Answered as Kafka's controller answers it for partitions whose one replica is
// their leader (replication is not simulated, so a partition's leader is always
// its preferred replica): PREFERRED (0) and UNCLEAN (1) elections are
// ELECTION_NOT_NEEDED for a partition that has a leader, LEADER_NOT_AVAILABLE for
// one whose node is stopped; unknown topics and partitions are
// UNKNOWN_TOPIC_OR_PARTITION with Kafka's messages; another election type is
// INVALID_REQUEST for the whole request. A null partition list means every
// partition, and then (as Kafka) only partitions that needed an election are listed.
// Not done: nothing is ever elected; leadership moves with the nodes (cluster.ts).
// Authorization: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED (top level and per partition).
import { ElectLeadersApi, type ElectLeadersResponsePartitionResult } from '../../protocol/messages/43-elect-leaders.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { NO_LEADER, type Cluster } from '../cluster.js';

type PartitionResult = EncodeInput<ElectLeadersResponsePartitionResult>;

function electionResult(cluster: Cluster, topic: string, partitionId: number): PartitionResult {
  const t = cluster.topic(topic);
  const fail = (errorCode: number, errorMessage: string | null) => ({ partitionId, errorCode, errorMessage });
  if (!t) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such topic as ${topic}`);
  const p = t.partitions[partitionId];
  if (!p) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such partition as ${topic}-${partitionId}`);
  if (p.leaderId === NO_LEADER) return fail(ErrorCode.LEADER_NOT_AVAILABLE, 'Unable to find any leader for the partition.');
  return fail(ErrorCode.ELECTION_NOT_NEEDED, null);
}

export const electLeadersHandler = defineHandler({
  api: ElectLeadersApi,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req) {
    const { cluster } = ctx.broker;
    if (!clusterAuthorized(ctx, AclOperation.ALTER)) {
      const denied = (partitionId: number) => ({ partitionId, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null });
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, replicaElectionResults: (req.topicPartitions ?? []).map((tp) => ({ topic: tp.topic, partitionResult: tp.partitions.map(denied) })) };
    }
    if (req.electionType !== 0 && req.electionType !== 1) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
    }
    if (req.topicPartitions === null) {
      const replicaElectionResults = [...cluster.topics()]
        .map((t) => ({ topic: t.name, partitionResult: t.partitions.map((p) => electionResult(cluster, t.name, p.index)).filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) }))
        .filter((t) => t.partitionResult.length > 0);
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      replicaElectionResults: req.topicPartitions.map((tp) => ({ topic: tp.topic, partitionResult: tp.partitions.map((p) => electionResult(cluster, tp.topic, p)) })),
    };
  },
});
