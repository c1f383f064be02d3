// OffsetCommit (key 8), versions 0-9.
// As KafkaApis: every partition of a topic this broker does not know, and every
// unknown partition of a known topic, answers UNKNOWN_TOPIC_OR_PARTITION; when
// nothing valid is left the answer goes back without asking the coordinator (no
// group is created, no generation checked). The rest goes to the group
// coordinator, which checks the group, generation and member (simple commits with
// generation -1 for groups without members; v9+ GROUP_ID_NOT_FOUND for a member
// commit to an unknown group, ILLEGAL_GENERATION before), the metadata size
// (offset.metadata.max.bytes -> OFFSET_METADATA_TOO_LARGE per partition), and
// appends the offsets. Results for the valid partitions are merged after the
// errors, topic by topic, as Kafka's response builder does. An empty group id is
// accepted (Kafka keeps it for backwards compatibility).
// Retention, per version as Kafka: v1 carries a commit timestamp per partition
// (-1 = now) that becomes the commit time offsets expire from; v2-v4 carry a
// retention time (-1 = offsets.retention.minutes) that fixes an expire timestamp
// of now + retention; v0 and v5+ use the broker's retention.
// v6+: leader epoch per partition. v7+: group.instance.id.
// Consumer groups (KIP-848): GenerationIdOrMemberEpoch is the member epoch; an
// older epoch answers STALE_MEMBER_EPOCH, a newer one FENCED_MEMBER_EPOCH, an
// unknown member UNKNOWN_MEMBER_ID, versions below 9 UNSUPPORTED_VERSION; epoch -1
// on a group with no members commits as an admin.
// Deliberate difference: v0 commits are kept by the coordinator like the others
// (Kafka stored v0 commits in ZooKeeper, and Kafka 4 removed v0/v1).
// On a node that does not coordinate the group (another node leads its
// __consumer_offsets partition): NOT_COORDINATOR; while its shard loads:
// COORDINATOR_LOAD_IN_PROGRESS.
// Authorization: READ on the group (else GROUP_AUTHORIZATION_FAILED for every
// partition), READ on each topic (else TOPIC_AUTHORIZATION_FAILED), as Kafka.
import { OffsetCommitApi, type OffsetCommitResponsePartition } from '../../protocol/messages/08-offset-commit.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { partitionExists, TopicPartitionResults } from '../group-service.js';
import type { OffsetCommitTopic } from '../groups/types.js';

type PartitionResult = Pick<OffsetCommitResponsePartition, 'partitionIndex' | 'errorCode'>;

export const offsetCommitHandler = defineHandler({
  api: OffsetCommitApi,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, req) {
    const { cluster, groups } = ctx.broker;
    const shard = await groups.coordinatorFor(req.groupId, ctx.node.nodeId);
    const v = ctx.apiVersion;
    const results = new TopicPartitionResults<PartitionResult>();
    const valid: OffsetCommitTopic[] = [];
    const groupReadable = authorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId);
    for (const t of req.topics) {
      const denied = !groupReadable ? ErrorCode.GROUP_AUTHORIZATION_FAILED : !authorized(ctx, AclOperation.READ, ResourceType.TOPIC, t.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : null;
      if (denied !== null) {
        for (const p of t.partitions) results.add(t.name, { partitionIndex: p.partitionIndex, errorCode: denied });
        continue;
      }
      if (cluster.topic(t.name) === undefined) {
        for (const p of t.partitions) results.add(t.name, { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
        continue;
      }
      const partitions: OffsetCommitTopic['partitions'][number][] = [];
      for (const p of t.partitions) {
        if (!partitionExists(cluster, t.name, p.partitionIndex)) {
          results.add(t.name, { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
          continue;
        }
        partitions.push({
          partitionIndex: p.partitionIndex,
          committedOffset: p.committedOffset,
          committedLeaderEpoch: p.committedLeaderEpoch,
          commitTimestamp: v === 1 ? Number(p.commitTimestamp) : -1,
          committedMetadata: p.committedMetadata,
        });
      }
      if (partitions.length > 0) valid.push({ name: t.name, partitions });
    }
    if (valid.length === 0) return { topics: results.topics() };
    if (!shard.coordinator) {
      for (const t of valid) for (const p of t.partitions) results.add(t.name, { partitionIndex: p.partitionIndex, errorCode: shard.errorCode });
      return { topics: results.topics() };
    }

    const pending = shard.coordinator.commitOffsets({
      groupId: req.groupId,
      generationIdOrMemberEpoch: req.generationIdOrMemberEpoch,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      retentionTimeMs: v >= 2 && v <= 4 ? Number(req.retentionTimeMs) : -1,
      apiVersion: v,
      topics: valid,
    });
    // The coordinator has taken the commit in request order; only its persistence
    // is awaited, and the next request on this connection may start meanwhile.
    ctx.releaseOrder();
    const res = await pending;
    results.merge(res.topics);
    return { topics: results.topics() };
  },
});
