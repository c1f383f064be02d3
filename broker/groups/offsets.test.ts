import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { GroupCoordinator } from './coordinator.js';
import {
  bytes,
  commitRequest,
  encodeAssignment,
  flush,
  heartbeatRequest,
  joinRequest,
  sequentialUuids,
  syncRequest,
  track,
} from './testing.js';
import { ErrorCode, type CoordinatorRecord, type GroupCoordinatorConfig, type JoinGroupResult } from './types.js';

const G = 'g';
const T0 = 1_700_000_000_000;
const DAY = 24 * 60 * 60 * 1000;

/** Test subscriptions are JSON lists of topics; the real parser reads ConsumerProtocolSubscription. */
const parseSubscription = (metadata: Uint8Array): string[] | null => {
  try {
    const v = JSON.parse(new TextDecoder().decode(metadata)) as unknown;
    return Array.isArray(v) ? (v as string[]) : null;
  } catch {
    return null;
  }
};

function setup(config: Partial<GroupCoordinatorConfig> = {}, withParser = true) {
  const clock = new ManualClock(T0);
  const records: CoordinatorRecord[] = [];
  const coord = new GroupCoordinator({
    clock,
    config: { initialRebalanceDelayMs: 0, ...config },
    newUuid: sequentialUuids(),
    persist: (r) => void records.push(...r),
    parseSubscription: withParser ? parseSubscription : null,
  });
  return { clock, coord, records };
}

type Env = ReturnType<typeof setup>;

async function stable(env: Env, n: number, topics: string[] = ['t'], protocolType = 'consumer', sessionTimeoutMs = 30_000) {
  const joins = Array.from({ length: n }, (_, i) =>
    track(
      env.coord.joinGroup(
        joinRequest(G, {
          apiVersion: 3,
          clientId: `c${i}`,
          protocolType,
          protocols: [{ name: 'range', metadata: bytes(JSON.stringify(topics)) }],
          sessionTimeoutMs,
        }),
      ),
    ),
  );
  env.clock.advance(0);
  await flush();
  const results = joins.map((j) => j.value!);
  await Promise.all(
    results.map((r) =>
      env.coord.syncGroup(
        syncRequest(G, r.memberId, r.generationId, {
          protocolType,
          assignments: r.memberId === r.leader ? results.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment([]) })) : [],
        }),
      ),
    ),
  );
  return results;
}

function errors(res: { topics: readonly { name: string; partitions: readonly { partitionIndex: number; errorCode: number }[] }[] }) {
  return res.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.errorCode}`));
}

describe('OffsetCommit validation', () => {
  it('accepts a commit from a member of the current generation and stores it', async () => {
    const env = setup();
    const [m] = (await stable(env, 1)) as [JoinGroupResult];
    const res = await env.coord.commitOffsets(
      commitRequest(G, { t: { 0: 42n, 1: 7n } }, { generationIdOrMemberEpoch: m.generationId, memberId: m.memberId }),
    );
    expect(errors(res)).toEqual(['t-0:0', 't-1:0']);
    const fetched = (await env.coord.fetchOffsets({ groupId: G, topics: [{ name: 't', partitionIndexes: [0, 1, 2] }] }));
    expect(fetched.topics[0]!.partitions).toEqual([
      { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      { partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      { partitionIndex: 2, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
    expect(env.records.filter((r) => r.type === 'offset-commit')).toEqual([
      {
        type: 'offset-commit',
        groupId: G,
        topic: 't',
        partition: 0,
        value: { offset: 42n, leaderEpoch: -1, metadata: '', commitTimestamp: T0, expireTimestamp: -1 },
      },
      {
        type: 'offset-commit',
        groupId: G,
        topic: 't',
        partition: 1,
        value: { offset: 7n, leaderEpoch: -1, metadata: '', commitTimestamp: T0, expireTimestamp: -1 },
      },
    ]);
  });

  it('refuses stale generations, unknown members, fenced instances, and commits during CompletingRebalance', async () => {
    const env = setup();
    const [a, b] = (await stable(env, 2)) as [JoinGroupResult, JoinGroupResult];
    const commit = (over: Parameters<typeof commitRequest>[2]) => env.coord.commitOffsets(commitRequest(G, { t: { 0: 1n } }, over));
    expect(errors(await commit({ generationIdOrMemberEpoch: a.generationId - 1, memberId: a.memberId }))).toEqual([
      `t-0:${ErrorCode.ILLEGAL_GENERATION}`,
    ]);
    expect(errors(await commit({ generationIdOrMemberEpoch: a.generationId, memberId: 'ghost' }))).toEqual([
      `t-0:${ErrorCode.UNKNOWN_MEMBER_ID}`,
    ]);
    expect(errors(await commit({ generationIdOrMemberEpoch: a.generationId, memberId: a.memberId, groupInstanceId: 'x' }))).toEqual([
      `t-0:${ErrorCode.UNKNOWN_MEMBER_ID}`,
    ]);
    // A simple commit to a group with members.
    expect(errors(await commit({}))).toEqual([`t-0:${ErrorCode.UNKNOWN_MEMBER_ID}`]);

    // PreparingRebalance: the current generation may still commit (and that keeps its session).
    const ra = track(env.coord.joinGroup(joinRequest(G, { memberId: a.memberId, protocols: [{ name: 'range', metadata: bytes('["t"]') }] })));
    expect(errors(await commit({ generationIdOrMemberEpoch: b.generationId, memberId: b.memberId }))).toEqual(['t-0:0']);
    const rb = track(env.coord.joinGroup(joinRequest(G, { memberId: b.memberId, protocols: [{ name: 'range', metadata: bytes('["t"]') }] })));
    await flush();
    // CompletingRebalance: REBALANCE_IN_PROGRESS, even with the new generation.
    const gen = ra.value!.generationId;
    expect(rb.value!.generationId).toBe(gen);
    expect(errors(await commit({ generationIdOrMemberEpoch: gen, memberId: a.memberId }))).toEqual([
      `t-0:${ErrorCode.REBALANCE_IN_PROGRESS}`,
    ]);
    expect(errors(await commit({ generationIdOrMemberEpoch: gen - 1, memberId: a.memberId }))).toEqual([
      `t-0:${ErrorCode.ILLEGAL_GENERATION}`,
    ]);
  });

  it('FENCED_INSTANCE_ID for the old incarnation of a static member', async () => {
    const env = setup();
    const j = track(env.coord.joinGroup(joinRequest(G, { groupInstanceId: 'inst' })));
    env.clock.advance(0);
    await flush();
    const old = j.value!;
    await env.coord.syncGroup(syncRequest(G, old.memberId, 1, { groupInstanceId: 'inst' }));
    const replaced = await env.coord.joinGroup(joinRequest(G, { groupInstanceId: 'inst' }));
    const res = await env.coord.commitOffsets(
      commitRequest(G, { t: { 0: 1n } }, { generationIdOrMemberEpoch: 1, memberId: old.memberId, groupInstanceId: 'inst' }),
    );
    expect(errors(res)).toEqual([`t-0:${ErrorCode.FENCED_INSTANCE_ID}`]);
    const ok = await env.coord.commitOffsets(
      commitRequest(G, { t: { 0: 1n } }, { generationIdOrMemberEpoch: 1, memberId: replaced.memberId, groupInstanceId: 'inst' }),
    );
    expect(errors(ok)).toEqual(['t-0:0']);
  });

  it('simple commits (generation -1, no member) create a simple group; a member commit to an unknown group fails by version', async () => {
    const env = setup();
    const res = await env.coord.commitOffsets(commitRequest('simple', { t: { 3: 9n } }));
    expect(errors(res)).toEqual(['t-3:0']);
    expect(env.coord.listGroups()).toEqual([{ groupId: 'simple', protocolType: '', groupState: 'Empty', groupType: 'classic' }]);
    // Simple groups record nothing but their offsets.
    expect(env.records.map((r) => r.type)).toEqual(['offset-commit']);

    const v8 = await env.coord.commitOffsets(commitRequest('unknown', { t: { 0: 1n } }, { generationIdOrMemberEpoch: 3, memberId: 'm', apiVersion: 8 }));
    expect(errors(v8)).toEqual([`t-0:${ErrorCode.ILLEGAL_GENERATION}`]);
    const v9 = await env.coord.commitOffsets(commitRequest('unknown', { t: { 0: 1n } }, { generationIdOrMemberEpoch: 3, memberId: 'm', apiVersion: 9 }));
    expect(errors(v9)).toEqual([`t-0:${ErrorCode.GROUP_ID_NOT_FOUND}`]);
    expect(env.coord.groupSnapshot('unknown')).toBeUndefined();

    // An Empty group that had members takes simple commits too.
    const [m] = (await stable(env, 1)) as [JoinGroupResult];
    await env.coord.leaveGroup({ groupId: G, members: [{ memberId: m.memberId, groupInstanceId: null }] });
    expect(errors(await env.coord.commitOffsets(commitRequest(G, { t: { 0: 5n } })))).toEqual(['t-0:0']);
  });

  it('OFFSET_METADATA_TOO_LARGE per partition beyond offset.metadata.max.bytes; the others are committed', async () => {
    const env = setup({ offsetMetadataMaxBytes: 4096 });
    const req = commitRequest('s', { t: { 0: 1n, 1: 2n, 2: 3n } });
    const res = await env.coord.commitOffsets({
      ...req,
      topics: [
        {
          name: 't',
          partitions: [
            { ...req.topics[0]!.partitions[0]!, committedMetadata: 'x'.repeat(4096), committedLeaderEpoch: 7 },
            { ...req.topics[0]!.partitions[1]!, committedMetadata: 'x'.repeat(4097) },
            { ...req.topics[0]!.partitions[2]!, committedMetadata: 'meta' },
          ],
        },
      ],
    });
    expect(errors(res)).toEqual(['t-0:0', `t-1:${ErrorCode.OFFSET_METADATA_TOO_LARGE}`, 't-2:0']);
    const f = (await env.coord.fetchOffsets({ groupId: 's', topics: null }));
    expect(f.topics).toEqual([
      {
        name: 't',
        partitions: [
          { partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: 7, metadata: 'x'.repeat(4096), errorCode: 0 },
          { partitionIndex: 2, committedOffset: 3n, committedLeaderEpoch: -1, metadata: 'meta', errorCode: 0 },
        ],
      },
    ]);
  });

  it('v1 commit timestamps and v2-v4 retention times are kept in the record', async () => {
    const env = setup();
    const req = commitRequest('s', { t: { 0: 1n, 1: 2n } }, { retentionTimeMs: 60_000, apiVersion: 2 });
    await env.coord.commitOffsets({
      ...req,
      topics: [{ name: 't', partitions: [{ ...req.topics[0]!.partitions[0]!, commitTimestamp: 123 }, req.topics[0]!.partitions[1]!] }],
    });
    const values = env.records.map((r) => r.type === 'offset-commit' && r.value);
    expect(values).toEqual([
      { offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 123, expireTimestamp: T0 + 60_000 },
      { offset: 2n, leaderEpoch: -1, metadata: '', commitTimestamp: T0, expireTimestamp: T0 + 60_000 },
    ]);
  });

  it('a member commit refreshes its session in Stable', async () => {
    const env = setup();
    const [a] = (await stable(env, 1)) as [JoinGroupResult];
    for (let i = 0; i < 10; i++) {
      env.clock.advance(20_000);
      await env.coord.commitOffsets(commitRequest(G, { t: { 0: BigInt(i) } }, { generationIdOrMemberEpoch: a.generationId, memberId: a.memberId }));
    }
    expect(env.coord.groupSnapshot(G)!.state).toBe('Stable');
    expect((await env.coord.heartbeat(heartbeatRequest(G, a.memberId, a.generationId))).errorCode).toBe(0);
  });
});

describe('OffsetFetch', () => {
  it('returns -1 for unknown groups and unknown partitions, and everything for a null topic list', async () => {
    const env = setup();
    expect((await env.coord.fetchOffsets({ groupId: 'nope', topics: null }))).toEqual({ groupId: 'nope', errorCode: 0, topics: [] });
    expect((await env.coord.fetchOffsets({ groupId: 'nope', topics: [{ name: 't', partitionIndexes: [0] }] })).topics).toEqual([
      { name: 't', partitions: [{ partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] },
    ]);
    await env.coord.commitOffsets(commitRequest('s', { a: { 0: 1n }, b: { 1: 2n, 0: 3n } }));
    const all = (await env.coord.fetchOffsets({ groupId: 's', topics: null }));
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])])).toEqual([
      ['a', [[0, 1n]]],
      [
        'b',
        [
          [0, 3n],
          [1, 2n],
        ],
      ],
    ]);
  });
});

describe('OffsetDelete', () => {
  it('GROUP_ID_NOT_FOUND for unknown groups; NON_EMPTY_GROUP for active non-consumer groups', async () => {
    const env = setup();
    expect(await env.coord.deleteOffsets({ groupId: 'nope', topics: [{ name: 't', partitionIndexes: [0] }] })).toEqual({
      errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
      topics: [],
    });
    expect((await env.coord.deleteOffsets({ groupId: '', topics: [] })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    await stable(env, 1, ['t'], 'connect');
    expect((await env.coord.deleteOffsets({ groupId: G, topics: [{ name: 't', partitionIndexes: [0] }] })).errorCode).toBe(
      ErrorCode.NON_EMPTY_GROUP,
    );
  });

  it('GROUP_SUBSCRIBED_TO_TOPIC for topics an active consumer group subscribes to; other topics are deleted', async () => {
    const env = setup();
    const [m] = (await stable(env, 1, ['t'])) as [JoinGroupResult];
    await env.coord.commitOffsets(
      commitRequest(G, { t: { 0: 1n }, other: { 0: 2n, 1: 3n } }, { generationIdOrMemberEpoch: m.generationId, memberId: m.memberId }),
    );
    const before = env.records.length;
    const res = await env.coord.deleteOffsets({
      groupId: G,
      topics: [
        { name: 't', partitionIndexes: [0] },
        { name: 'other', partitionIndexes: [0, 5] },
      ],
    });
    expect(res).toEqual({
      errorCode: 0,
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
        {
          name: 'other',
          partitions: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 5, errorCode: 0 },
          ],
        },
      ],
    });
    // Tombstones only for partitions that had an offset.
    expect(env.records.slice(before)).toEqual([{ type: 'offset-commit', groupId: G, topic: 'other', partition: 0, value: null }]);
    expect((await env.coord.fetchOffsets({ groupId: G, topics: null })).topics.map((t) => t.name)).toEqual(['t', 'other']);
    expect((await env.coord.fetchOffsets({ groupId: G, topics: null })).topics[1]!.partitions.map((p) => p.partitionIndex)).toEqual([1]);
  });

  it('without a subscription parser, an active consumer group counts as subscribed to everything', async () => {
    const env = setup({}, false);
    await stable(env, 1, ['t']);
    const res = await env.coord.deleteOffsets({ groupId: G, topics: [{ name: 'other', partitionIndexes: [0] }] });
    expect(res.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
  });

  it('an Empty group may delete any offset', async () => {
    const env = setup();
    await env.coord.commitOffsets(commitRequest('s', { t: { 0: 1n } }));
    const res = await env.coord.deleteOffsets({ groupId: 's', topics: [{ name: 't', partitionIndexes: [0] }] });
    expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect((await env.coord.fetchOffsets({ groupId: 's', topics: null })).topics).toEqual([]);
  });
});

describe('offset expiry (offsets.retention.minutes)', () => {
  it('expires the offsets of a group empty for the retention period, then deletes the group', async () => {
    const env = setup({ offsetsRetentionMinutes: 7 * 24 * 60, offsetsRetentionCheckIntervalMs: 600_000 });
    const [m] = (await stable(env, 1, ['t'], 'consumer', 1_800_000)) as [JoinGroupResult];
    await env.coord.commitOffsets(commitRequest(G, { t: { 0: 10n } }, { generationIdOrMemberEpoch: m.generationId, memberId: m.memberId }));
    // Stay a member for 8 days (heartbeating): offsets of a subscribed, active group never expire.
    for (let i = 0; i < 8 * 24 * 3; i++) {
      env.clock.advance(20 * 60 * 1000);
      await env.coord.heartbeat(heartbeatRequest(G, m.memberId, m.generationId));
    }
    expect((await env.coord.fetchOffsets({ groupId: G, topics: null })).topics).toHaveLength(1);
    await env.coord.leaveGroup({ groupId: G, members: [{ memberId: m.memberId, groupInstanceId: null }] });
    const emptySince = env.clock.now();
    // Retention counts from when the group became Empty (not from the commit, 8 days old).
    env.clock.advance(7 * DAY - 600_000);
    expect((await env.coord.fetchOffsets({ groupId: G, topics: null })).topics).toHaveLength(1);
    env.clock.advance(600_000);
    expect(env.clock.now() - emptySince).toBeGreaterThanOrEqual(7 * DAY);
    expect((await env.coord.fetchOffsets({ groupId: G, topics: null })).topics).toEqual([]);
    expect(env.coord.listGroups()).toEqual([]);
    expect(env.records.slice(-2)).toEqual([
      { type: 'offset-commit', groupId: G, topic: 't', partition: 0, value: null },
      { type: 'group-metadata', groupId: G, value: null },
    ]);
  });

  it('simple groups expire offsets by commit time; explicit retention (v2-v4) wins', async () => {
    const env = setup({ offsetsRetentionMinutes: 60, offsetsRetentionCheckIntervalMs: 60_000 });
    await env.coord.commitOffsets(commitRequest('s', { t: { 0: 1n } }));
    env.clock.advance(30 * 60_000);
    await env.coord.commitOffsets(commitRequest('s', { t: { 1: 1n } }));
    await env.coord.commitOffsets(commitRequest('r', { t: { 0: 1n } }, { retentionTimeMs: 5 * 60_000, apiVersion: 2 }));
    env.clock.advance(5 * 60_000);
    expect((await env.coord.fetchOffsets({ groupId: 'r', topics: null })).topics).toEqual([]);
    expect(env.coord.listGroups().map((g) => g.groupId)).toEqual(['s']);
    env.clock.advance(25 * 60_000); // partition 0 is 60 min old
    expect((await env.coord.fetchOffsets({ groupId: 's', topics: null })).topics[0]!.partitions.map((p) => p.partitionIndex)).toEqual([1]);
    env.clock.advance(30 * 60_000);
    expect(env.coord.listGroups()).toEqual([]);
  });

  it('a Stable consumer group with a known subscription expires only offsets of topics it does not subscribe to', async () => {
    const env = setup({ offsetsRetentionMinutes: 60, offsetsRetentionCheckIntervalMs: 60_000 });
    const [m] = (await stable(env, 1, ['t'], 'consumer', 1_800_000)) as [JoinGroupResult];
    await env.coord.commitOffsets(
      commitRequest(G, { t: { 0: 1n }, gone: { 0: 1n } }, { generationIdOrMemberEpoch: m.generationId, memberId: m.memberId }),
    );
    for (let i = 0; i < 12; i++) {
      env.clock.advance(10 * 60_000);
      await env.coord.heartbeat(heartbeatRequest(G, m.memberId, m.generationId));
    }
    expect((await env.coord.fetchOffsets({ groupId: G, topics: null })).topics.map((t) => t.name)).toEqual(['t']);
  });

  it('groups that are not Stable consumer groups keep their offsets while they have members', async () => {
    const env = setup({ offsetsRetentionMinutes: 60, offsetsRetentionCheckIntervalMs: 60_000 }, false);
    const [m] = (await stable(env, 1, ['t'], 'consumer', 1_800_000)) as [JoinGroupResult];
    await env.coord.commitOffsets(commitRequest(G, { gone: { 0: 1n } }, { generationIdOrMemberEpoch: m.generationId, memberId: m.memberId }));
    for (let i = 0; i < 12; i++) {
      env.clock.advance(10 * 60_000);
      await env.coord.heartbeat(heartbeatRequest(G, m.memberId, m.generationId));
    }
    // No parser: the subscription is unknown, so nothing may expire.
    expect((await env.coord.fetchOffsets({ groupId: G, topics: null })).topics).toHaveLength(1);
  });

  it('an Empty group without any offsets is deleted at the next check', async () => {
    const env = setup({ offsetsRetentionCheckIntervalMs: 1_000 });
    const [m] = (await stable(env, 1)) as [JoinGroupResult];
    await env.coord.leaveGroup({ groupId: G, members: [{ memberId: m.memberId, groupInstanceId: null }] });
    expect(env.coord.listGroups()).toHaveLength(1);
    env.clock.advance(1_000);
    expect(env.coord.listGroups()).toHaveLength(0);
  });
});
