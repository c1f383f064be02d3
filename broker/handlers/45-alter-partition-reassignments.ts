// AlterPartitionReassignments (key 45), version 0.
// Answered as Kafka's controller answers it, for partitions that keep one
// replica (replication is not simulated): unknown topics and partitions are
// UNKNOWN_TOPIC_OR_PARTITION; a cancellation (null replicas) is
// NO_REASSIGNMENT_IN_PROGRESS, since a reassignment here completes at once; an
// empty list, a repeated or unregistered broker are INVALID_REPLICA_ASSIGNMENT
// with Kafka's messages. A list of one live node moves the partition to it (its
// leader epoch bumps, as Cluster.moveLeader does) and completes before the answer.
// Not done: more than one replica (INVALID_REPLICA_ASSIGNMENT, saying why), and
// reassignment to a registered node that is stopped (INVALID_REPLICA_ASSIGNMENT).
// Authorization: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED (top level and per partition).
import {
  AlterPartitionReassignmentsApi,
  type AlterPartitionReassignmentsResponseReassignablePartitionResponse,
} from '../../protocol/messages/45-alter-partition-reassignments.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import { storageFailure } from '../storage-errors.js';

type PartitionResponse = EncodeInput<AlterPartitionReassignmentsResponseReassignablePartitionResponse>;

async function reassign(ctx: RequestContext, topic: string, partitionIndex: number, replicas: readonly number[] | null): Promise<PartitionResponse> {
  const { cluster } = ctx.broker;
  const answer = (errorCode: number, errorMessage: string | null) => ({ partitionIndex, errorCode, errorMessage });
  const t = cluster.topic(topic);
  if (!t || !t.partitions[partitionIndex]) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
  if (replicas === null) return answer(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `No ongoing reassignment for ${topic}-${partitionIndex}.`);
  const invalid = (m: string) => answer(ErrorCode.INVALID_REPLICA_ASSIGNMENT, m);
  if (replicas.length === 0) return invalid('The manual partition assignment includes an empty replica list.');
  const seen = new Set<number>();
  for (const id of replicas) {
    if (!cluster.node(id)) return invalid(`The manual partition assignment includes broker ${id}, but no such broker is registered.`);
    if (seen.has(id)) return invalid(`The manual partition assignment includes the broker ${id} more than once.`);
    seen.add(id);
  }
  if (replicas.length > 1) return invalid(`kafkalite keeps one replica per partition (replication is not simulated); asked for ${replicas.length}.`);
  if (!cluster.isLive(replicas[0]!)) return invalid(`Broker ${replicas[0]} is not live, so it cannot take ${topic}-${partitionIndex}.`);
  try {
    await cluster.moveLeader(topic, partitionIndex, replicas[0]!);
  } catch (err) {
    const f = storageFailure(err, ctx, `reassigning ${topic}-${partitionIndex}`);
    return answer(f.errorCode, f.errorMessage);
  }
  return answer(ErrorCode.NONE, null);
}

export const alterPartitionReassignmentsHandler = defineHandler({
  api: AlterPartitionReassignmentsApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    if (!clusterAuthorized(ctx, AclOperation.ALTER)) {
      const denied = (partitionIndex: number) => ({ partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null });
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, responses: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => denied(p.partitionIndex)) })) };
    }
    const responses = [];
    for (const t of req.topics) {
      const partitions: PartitionResponse[] = [];
      for (const p of t.partitions) partitions.push(await reassign(ctx, t.name, p.partitionIndex, p.replicas));
      responses.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
});
