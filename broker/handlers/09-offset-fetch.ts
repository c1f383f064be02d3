// OffsetFetch (key 9), versions 0-9.
// v0-v7 fetch one group; v8+ a batch of groups, each answered on its own. A null
// topic list (v2+) means every partition the group has committed; otherwise each
// requested partition is answered, with offset -1, leader epoch -1 and metadata
// '' when nothing is committed (unknown topics and partitions included, as Kafka's
// coordinator answers them). An unknown group is not an error: it has no offsets.
// requireStable (v7+) waits until every commit already accepted is durable
// (Kafka's new coordinator does the same instead of UNSTABLE_OFFSET_COMMIT).
// v2+ have a top-level error; below v2 a group error goes on each partition.
// v5+: committed leader epoch. v9: member id / epoch, which classic groups ignore
// and consumer groups check (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH; null id with
// epoch -1 reads as an admin).
// Deliberate difference: v0 reads the offsets the coordinator keeps; Kafka read
// v0 offsets from ZooKeeper, where a partition with no offset (or an unknown one)
// answered UNKNOWN_TOPIC_OR_PARTITION, and that error is kept here for v0.
// On a node that does not coordinate the group (another node leads its
// __consumer_offsets partition): NOT_COORDINATOR; while its shard loads:
// COORDINATOR_LOAD_IN_PROGRESS.
// Authorization: DESCRIBE on the group (else GROUP_AUTHORIZATION_FAILED); named
// topics without DESCRIBE answer offset -1 with TOPIC_AUTHORIZATION_FAILED, and
// "all topics" leaves them out, as Kafka.
import { OffsetFetchApi } from '../../protocol/messages/09-offset-fetch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized, authorizedGroupShard } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import type { OffsetFetchResult } from '../groups/types.js';

type Topics = readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null;

/** Topics the principal may not DESCRIBE: left out of "all", answered TOPIC_AUTHORIZATION_FAILED when named (Kafka). */
function withoutUndescribable(ctx: RequestContext, r: OffsetFetchResult, all: boolean): OffsetFetchResult {
  const topics = r.topics.flatMap((t) => {
    if (authorized(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)) return [t];
    if (all) return [];
    return [{ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }];
  });
  return { ...r, topics };
}

async function fetchGroup(
  ctx: RequestContext,
  groupId: string,
  topics: Topics,
  requireStable: boolean,
  member: { memberId: string | null; memberEpoch: number } = { memberId: null, memberEpoch: -1 },
): Promise<OffsetFetchResult> {
  const shard = await authorizedGroupShard(ctx, AclOperation.DESCRIBE, groupId);
  if (shard.coordinator) return withoutUndescribable(ctx, await shard.coordinator.fetchOffsets({ groupId, topics, requireStable, ...member }), topics === null);
  // Below v2 the group's error goes on each requested partition, so they are listed.
  const unanswered = (topics ?? []).map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE })),
  }));
  return { groupId, errorCode: shard.errorCode, topics: ctx.apiVersion < 2 ? unanswered : [] };
}

export const offsetFetchHandler = defineHandler({
  api: OffsetFetchApi,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    if (v >= 8) {
      const results = await Promise.all(req.groups.map((g) =>
          fetchGroup(ctx, g.groupId, g.topics, req.requireStable, v >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : undefined),
        ));
      return {
        groups: results.map((g) => ({
          groupId: g.groupId,
          errorCode: g.errorCode,
          topics: g.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => ({
              partitionIndex: p.partitionIndex,
              committedOffset: p.committedOffset,
              committedLeaderEpoch: p.committedLeaderEpoch,
              metadata: p.metadata,
              errorCode: p.errorCode,
            })),
          })),
        })),
      };
    }

    const g = await fetchGroup(ctx, req.groupId, req.topics, v >= 7 && req.requireStable);
    const groupError = g.errorCode;
    return {
      errorCode: v >= 2 ? groupError : ErrorCode.NONE,
      topics: g.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (v < 2 && groupError !== ErrorCode.NONE) {
            return { partitionIndex: p.partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: groupError };
          }
          const missing = v === 0 && p.committedOffset < 0n && p.errorCode === ErrorCode.NONE;
          return {
            partitionIndex: p.partitionIndex,
            committedOffset: p.committedOffset,
            committedLeaderEpoch: p.committedLeaderEpoch,
            metadata: p.metadata,
            errorCode: missing ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : p.errorCode,
          };
        }),
      })),
    };
  },
});
