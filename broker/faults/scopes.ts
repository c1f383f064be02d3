// What a fault's topic, partition and group filters look at in a request.
// Produce, Fetch and ListOffsets are partition-scoped: a matching fault answers
// only the matched partitions with its error (a faulted Produce partition is not
// appended) and the rest of the request is served by the real handler; the answer
// then carries both. Group APIs match on the group ids they name and fail whole.
import type * as M from '../../protocol/messages/index.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
  /** Fetch v13+ names topics by id; its error entries must too. */
  readonly topicId?: string;
}

/** A partition-scoped API: list its partitions, drop some, add error entries to an answer. */
export interface PartitionScope {
  partitions(request: unknown, version: number, topicName: (id: string) => string | undefined): TopicPartitionRef[];
  /** The request without the partitions `drop` says to drop (a copy; the original is untouched). */
  without(request: unknown, version: number, drop: (tp: TopicPartitionRef) => boolean, topicName: (id: string) => string | undefined): unknown;
  /** `response` with an error entry for each of `errors` (a copy). */
  withErrors(response: unknown, version: number, errors: readonly (TopicPartitionRef & { code: number })[]): unknown;
}

/** Appends one partition entry under the topic `key` finds (or a new topic made by `topic`). */
function addEntries<T, P>(
  topics: readonly T[],
  errors: readonly (TopicPartitionRef & { code: number })[],
  sameTopic: (t: T, e: TopicPartitionRef) => boolean,
  newTopic: (e: TopicPartitionRef) => T,
  partitionsOf: (t: T) => readonly P[],
  withPartitions: (t: T, ps: P[]) => T,
  entry: (e: TopicPartitionRef & { code: number }) => P,
): T[] {
  const out = [...topics];
  for (const e of errors) {
    let i = out.findIndex((t) => sameTopic(t, e));
    if (i < 0) i = out.push(newTopic(e)) - 1;
    out[i] = withPartitions(out[i], [...partitionsOf(out[i]), entry(e)]);
  }
  return out;
}

type ProduceTopic = EncodeInput<M.ProduceResponseTopicProduceResponse>;
type FetchTopic = EncodeInput<M.FetchResponseFetchableTopicResponse>;
type ListOffsetsTopic = EncodeInput<M.ListOffsetsResponseListOffsetsTopicResponse>;

const produce: PartitionScope = {
  partitions: (req) => (req as M.ProduceRequest).topicData.flatMap((t) => t.partitionData.map((p) => ({ topic: t.name, partition: p.index }))),
  without(req, _v, drop) {
    const r = req as M.ProduceRequest;
    return {
      ...r,
      topicData: r.topicData
        .map((t) => ({ ...t, partitionData: t.partitionData.filter((p) => !drop({ topic: t.name, partition: p.index })) }))
        .filter((t) => t.partitionData.length > 0),
    };
  },
  withErrors(res, _v, errors) {
    const r = res as EncodeInput<M.ProduceResponse>;
    return {
      ...r,
      responses: addEntries<ProduceTopic, unknown>(
        r.responses ?? [],
        errors,
        (t, e) => t.name === e.topic,
        (e) => ({ name: e.topic, partitionResponses: [] }),
        (t) => t.partitionResponses ?? [],
        (t, ps) => ({ ...t, partitionResponses: ps as ProduceTopic['partitionResponses'] }),
        (e) => ({ index: e.partition, errorCode: e.code, baseOffset: -1n }),
      ),
    };
  },
};

const fetch: PartitionScope = {
  partitions: (req, v, topicName) =>
    (req as M.FetchRequest).topics.flatMap((t) => {
      const name = v >= 13 ? (topicName(t.topicId) ?? '') : t.topic;
      return t.partitions.map((p) => ({ topic: name, partition: p.partition, topicId: t.topicId }));
    }),
  without(req, v, drop, topicName) {
    const r = req as M.FetchRequest;
    const topics = r.topics
      .map((t) => {
        const name = v >= 13 ? (topicName(t.topicId) ?? '') : t.topic;
        return { ...t, partitions: t.partitions.filter((p) => !drop({ topic: name, partition: p.partition })) };
      })
      .filter((t) => t.partitions.length > 0);
    // Kafka answers at once when a partition has an error: no long poll for the rest.
    return { ...r, topics, maxWaitMs: 0 };
  },
  withErrors(res, v, errors) {
    const r = res as EncodeInput<M.FetchResponse>;
    return {
      ...r,
      responses: addEntries<FetchTopic, unknown>(
        r.responses ?? [],
        errors,
        (t, e) => (v >= 13 ? t.topicId === e.topicId : t.topic === e.topic),
        (e) => (v >= 13 ? { topicId: e.topicId, partitions: [] } : { topic: e.topic, partitions: [] }),
        (t) => t.partitions ?? [],
        (t, ps) => ({ ...t, partitions: ps as FetchTopic['partitions'] }),
        (e) => ({ partitionIndex: e.partition, errorCode: e.code, highWatermark: -1n }),
      ),
    };
  },
};

const listOffsets: PartitionScope = {
  partitions: (req) =>
    (req as M.ListOffsetsRequest).topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex }))),
  without(req, _v, drop) {
    const r = req as M.ListOffsetsRequest;
    return {
      ...r,
      topics: r.topics
        .map((t) => ({ ...t, partitions: t.partitions.filter((p) => !drop({ topic: t.name, partition: p.partitionIndex })) }))
        .filter((t) => t.partitions.length > 0),
    };
  },
  withErrors(res, _v, errors) {
    const r = res as EncodeInput<M.ListOffsetsResponse>;
    return {
      ...r,
      topics: addEntries<ListOffsetsTopic, unknown>(
        r.topics ?? [],
        errors,
        (t, e) => t.name === e.topic,
        (e) => ({ name: e.topic, partitions: [] }),
        (t) => t.partitions ?? [],
        (t, ps) => ({ ...t, partitions: ps as ListOffsetsTopic['partitions'] }),
        (e) => ({ partitionIndex: e.partition, errorCode: e.code }),
      ),
    };
  },
};

export const PARTITION_SCOPES: ReadonlyMap<number, PartitionScope> = new Map([
  [0, produce],
  [1, fetch],
  [2, listOffsets],
]);

/** APIs whose requests name consumer groups (a fault's `group` filter applies to them). */
export const GROUP_APIS: ReadonlySet<number> = new Set([8, 9, 10, 11, 12, 13, 14, 15, 42, 47]);

/** The group ids a group API request names; undefined for APIs that name none. */
export function groupsOf(apiKey: number, request: unknown, version: number): readonly string[] | undefined {
  switch (apiKey) {
    case 8: // OffsetCommit
    case 11: // JoinGroup
    case 12: // Heartbeat
    case 13: // LeaveGroup
    case 14: // SyncGroup
    case 47: // OffsetDelete
      return [(request as { groupId: string }).groupId];
    case 9: {
      const r = request as M.OffsetFetchRequest;
      return version >= 8 ? r.groups.map((g) => g.groupId) : [r.groupId];
    }
    case 10: {
      const r = request as M.FindCoordinatorRequest;
      if (r.keyType !== 0) return [];
      return version >= 4 ? r.coordinatorKeys : [r.key];
    }
    case 15:
      return (request as M.DescribeGroupsRequest).groups;
    case 42:
      return (request as M.DeleteGroupsRequest).groupsNames;
    default:
      return undefined;
  }
}
