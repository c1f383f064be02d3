// OffsetForLeaderEpoch (key 23), versions 0-4.
// Clients ask it after a leader change (KIP-320) to learn where the epoch they
// fetched under ended, and so detect a truncated log. Per partition: the
// partition lookup's checks (UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER,
// and with current_leader_epoch (v2+) FENCED_LEADER_EPOCH /
// UNKNOWN_LEADER_EPOCH), then Kafka's leader answer: the current epoch ends at
// the log end offset; an older epoch ends where the next greater epoch starts,
// answered with the largest epoch not above it that the log holds; an epoch
// above the current one is (-1, -1). The epochs are the partitionLeaderEpoch
// the log stamps into batches (storage/leader-epochs.ts). v0 has no epoch in
// its answer. The replica id (v3+) is not checked: there are no followers.
// Authorization: DESCRIBE on each topic (or CLUSTER_ACTION on the cluster), else
// TOPIC_AUTHORIZATION_FAILED, as Kafka.
import { OffsetForLeaderEpochApi, type OffsetForLeaderEpochResponseEpochEndOffset } from '../../protocol/messages/23-offset-for-leader-epoch.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { AclOperation, ResourceType, authorized, visible } from '../security/authorize.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';
import { CLUSTER_NAME } from '../security/acl.js';
import { lookupPartition } from '../partition-lookup.js';
import { storageFailure } from '../storage-errors.js';
import { endOffsetForEpoch } from '../../storage/leader-epochs.js';
import type { RequestContext } from '../context.js';

type Result = EncodeInput<OffsetForLeaderEpochResponseEpochEndOffset>;

async function endOffset(ctx: RequestContext, topicName: string, partition: number, currentLeaderEpoch: number, leaderEpoch: number): Promise<Result> {
  const withEpoch = ctx.apiVersion >= 1;
  const answer = (errorCode: number, epoch: number, end: number): Result => ({
    errorCode,
    partition,
    ...(withEpoch ? { leaderEpoch: epoch } : {}),
    endOffset: BigInt(end),
  });
  const topic = ctx.broker.cluster.topic(topicName);
  const found = lookupPartition(ctx, topic, partition, currentLeaderEpoch);
  if (!found.log) return answer(found.errorCode, -1, -1);
  try {
    const epochs = await found.log.leaderEpochStarts();
    const r = endOffsetForEpoch(epochs, leaderEpoch, topic!.partitions[partition]!.leaderEpoch, found.log.logEndOffset);
    return answer(ErrorCode.NONE, r.epoch, r.endOffset);
  } catch (err) {
    return answer(storageFailure(err, ctx, `OffsetForLeaderEpoch on ${topicName}-${partition}`).errorCode, -1, -1);
  }
}

export const offsetForLeaderEpochHandler = defineHandler({
  api: OffsetForLeaderEpochApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const topics = [];
    const clusterAction = visible(ctx, AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, CLUSTER_NAME);
    for (const t of req.topics) {
      const partitions: Result[] = [];
      const describable = clusterAction || authorized(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.topic);
      for (const p of t.partitions) {
        partitions.push(describable
          ? await endOffset(ctx, t.topic, p.partition, p.currentLeaderEpoch, p.leaderEpoch)
          : { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, partition: p.partition, ...(ctx.apiVersion >= 1 ? { leaderEpoch: -1 } : {}), endOffset: -1n });
      }
      topics.push({ topic: t.topic, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
});
