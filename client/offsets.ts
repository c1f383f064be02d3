// Offsets: a partition's earliest/latest/by-time offsets (ListOffsets, at the
// partition's leader) and a group's committed offsets (OffsetFetch and
// OffsetCommit, at the group's coordinator).
import { ListOffsetsApi } from '../protocol/messages/02-list-offsets.js';
import { OffsetFetchApi } from '../protocol/messages/09-offset-fetch.js';
import { OffsetCommitApi } from '../protocol/messages/08-offset-commit.js';
import { ErrorCode } from '../protocol/errors.js';
import { KafkaError, ProtocolError, throwIfError } from './errors.js';
import type { KafkaClient } from './kafka-client.js';
import { withRetries } from './retry.js';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

/** ListOffsets' special timestamps. */
export const EARLIEST = -2n;
export const LATEST = -1n;

export const IsolationLevel = { readUncommitted: 0, readCommitted: 1 } as const;

export interface ListedOffset {
  readonly topic: string;
  readonly partition: number;
  /** -1 when asked by timestamp and no record is that recent. */
  readonly offset: bigint;
  readonly timestamp: bigint;
}

/**
 * One offset per partition: EARLIEST, LATEST or the first offset whose
 * timestamp is at least `timestamp` (ms). Each partition is asked of its leader.
 */
export async function listOffsets(
  client: KafkaClient,
  partitions: readonly TopicPartition[],
  timestamp: bigint,
  isolationLevel = 0,
): Promise<Map<string, ListedOffset>> {
  return withRetries(
    async () => {
      const byLeader = new Map<number, TopicPartition[]>();
      for (const tp of partitions) {
        const leader = await client.leaderId(tp.topic, tp.partition);
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), tp]);
      }
      const out = new Map<string, ListedOffset>();
      await Promise.all(
        [...byLeader].map(async ([leader, tps]) => {
          const conn = await client.node(leader);
          const topics = new Map<string, number[]>();
          for (const tp of tps) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
          // v1+ answer one offset with its timestamp; v2+ carry the isolation level.
          const res = await conn.request(
            ListOffsetsApi,
            {
              replicaId: -1,
              ...(isolationLevel !== 0 ? { isolationLevel } : {}),
              topics: [...topics].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp })) })),
            },
            isolationLevel !== 0 ? 2 : 1,
          );
          for (const t of res.topics) {
            for (const p of t.partitions) {
              throwIfError(p.errorCode, `list offsets of ${t.name}-${p.partitionIndex}`);
              out.set(tpKey(t.name, p.partitionIndex), { topic: t.name, partition: p.partitionIndex, offset: p.offset, timestamp: p.timestamp });
            }
          }
        }),
      );
      for (const tp of partitions) {
        if (!out.has(tpKey(tp.topic, tp.partition))) throw new ProtocolError(`ListOffsets did not answer ${tp.topic}-${tp.partition}`);
      }
      return out;
    },
    { attempts: 5, onRetry: () => client.forgetLeaders(), retryIf: (e) => e.code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
  );
}

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  /** -1 when nothing is committed. */
  readonly offset: bigint;
  readonly metadata: string | null;
}

/** A group's committed offsets: for the given partitions, or every committed one with null. */
export async function fetchCommitted(
  client: KafkaClient,
  groupId: string,
  partitions: readonly TopicPartition[] | null,
): Promise<CommittedOffset[]> {
  return coordinatorCall(client, groupId, async (conn) => {
    // v2+: a null topic list means every committed partition.
    const v = conn.version(OffsetFetchApi, 2);
    const topics =
      partitions === null
        ? null
        : [...groupByTopic(partitions)].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    const res = await conn.send(OffsetFetchApi, v, v >= 8 ? { groups: [{ groupId, topics }] } : { groupId, topics });
    const answer = v >= 8 ? res.groups[0] : { errorCode: res.errorCode, topics: res.topics };
    if (answer === undefined) throw new ProtocolError(`OffsetFetch answered no group for "${groupId}"`);
    throwIfError(answer.errorCode, `fetch committed offsets of group "${groupId}"`);
    const out: CommittedOffset[] = [];
    for (const t of answer.topics) {
      for (const p of t.partitions) {
        throwIfError(p.errorCode, `fetch committed offset of ${t.name}-${p.partitionIndex} for group "${groupId}"`);
        out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata });
      }
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  });
}

export interface Commit extends TopicPartition {
  readonly offset: bigint;
}

export interface Generation {
  readonly generationId: number;
  readonly memberId: string;
}

/** Commits offsets; without a generation (-1, '') as an admin does for an empty group. */
export async function commitOffsets(
  client: KafkaClient,
  groupId: string,
  commits: readonly Commit[],
  generation: Generation = { generationId: -1, memberId: '' },
): Promise<void> {
  await coordinatorCall(client, groupId, async (conn) => {
    const byTopic = new Map<string, Commit[]>();
    for (const c of commits) byTopic.set(c.topic, [...(byTopic.get(c.topic) ?? []), c]);
    // v2+: no per-partition commit timestamp; the broker's retention applies.
    const res = await conn.request(
      OffsetCommitApi,
      {
        groupId,
        generationIdOrMemberEpoch: generation.generationId,
        memberId: generation.memberId,
        topics: [...byTopic].map(([name, cs]) => ({
          name,
          partitions: cs.map((c) => ({ partitionIndex: c.partition, committedOffset: c.offset, committedMetadata: null })),
        })),
      },
      2,
    );
    for (const t of res.topics) {
      for (const p of t.partitions) throwIfError(p.errorCode, `commit offset of ${t.name}-${p.partitionIndex} for group "${groupId}"`);
    }
  });
}

export function groupByTopic(partitions: readonly TopicPartition[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const tp of partitions) m.set(tp.topic, [...(m.get(tp.topic) ?? []), tp.partition]);
  return m;
}

const COORDINATOR_MOVED: ReadonlySet<number> = new Set([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE]);

/** Runs `fn` at the group's coordinator, finding it again when it moved. */
export function coordinatorCall<T>(client: KafkaClient, groupId: string, fn: (conn: Awaited<ReturnType<KafkaClient['coordinator']>>) => Promise<T>): Promise<T> {
  return withRetries(async () => fn(await client.coordinator(groupId)), {
    attempts: 8,
    onRetry: (e: KafkaError) => {
      if (COORDINATOR_MOVED.has(e.code)) client.forgetCoordinator(groupId);
    },
  });
}
