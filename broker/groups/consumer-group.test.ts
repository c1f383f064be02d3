// Consumer groups (KIP-848) on the pure machine: epochs, reconciliation,
// assignors, regex subscriptions, static members, timers, errors, offsets,
// coexistence with classic groups, and replay of the records written.
import { describe, expect, it } from 'vitest';
import { ConsumerSim, SimMember as Member } from './consumer-sim.js';
import { consumerHeartbeat, flatPartitions, joinRequest, commitRequest, TestTopics } from './testing.js';
import { ErrorCode, type JoinGroupResult, type OffsetCommitResult } from './types.js';
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResult, TopicPartitionList } from './consumer-types.js';
import type { GroupCoordinatorState } from './group-coordinator-state.js';

const G = 'g';

function stabilize(members: Member[], rounds = 6): void {
  for (let i = 0; i < rounds; i++) for (const m of members) m.beat();
}

function assertExclusive(state: GroupCoordinatorState): void {
  const g = state.consumerGroup(G);
  if (g === undefined) return;
  const seen = new Map<string, string>();
  for (const m of g.members.values()) {
    for (const map of [m.assigned, m.pendingRevocation]) {
      for (const [t, ps] of map) {
        for (const p of ps) {
          const key = `${t}:${p}`;
          expect(seen.get(key), `${key} owned by two members`).toBeUndefined();
          seen.set(key, m.memberId);
        }
      }
    }
    expect(m.memberEpoch).toBeLessThanOrEqual(g.assignmentEpoch);
  }
  expect(g.assignmentEpoch).toBeLessThanOrEqual(g.groupEpoch);
}

function describeLive(state: GroupCoordinatorState) {
  return state.describeConsumerGroups([G])[0];
}

describe('consumer group heartbeat', () => {
  it('first join gets epoch 1, the whole topic and the heartbeat interval, and writes Kafka record sequence', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 4 }));
    const a = new Member(sim, 'a');
    const res = a.beat();
    expect(res).toMatchObject({ errorCode: 0, memberId: 'a', memberEpoch: 1, heartbeatIntervalMs: 5000 });
    expect(a.partitions).toEqual(['t:0', 't:1', 't:2', 't:3']);
    expect(sim.records.map((r) => r.type)).toEqual([
      'cg-metadata',
      'cg-member',
      'cg-partition-metadata',
      'cg-metadata',
      'cg-target-member',
      'cg-target-metadata',
      'cg-current',
    ]);
    const d = describeLive(sim.state);
    expect(d).toMatchObject({ groupState: 'Stable', groupEpoch: 1, assignmentEpoch: 1, assignorName: 'uniform' });
    expect(sim.state.listGroups([], ['consumer'])).toEqual([{ groupId: G, protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    expect(sim.state.listGroups([], ['classic'])).toEqual([]);
  });

  it('scale-out 3 -> 4 on 12 partitions moves exactly 3, each only after its owner revoked it', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 12 }));
    const old = ['a', 'b', 'c'].map((id) => new Member(sim, id));
    stabilize(old);
    expect(old.map((m) => m.partitions.length)).toEqual([4, 4, 4]);
    const before = new Map(old.map((m) => [m.id, m.partitions]));
    const d = new Member(sim, 'd');
    d.beat();
    expect(d.partitions).toEqual([]); // everything it should get is still owned
    expect(d.epoch).toBe(4);
    for (const m of old) {
      const res = m.beat();
      // Revocation first: the member stays at its epoch with only the kept partitions.
      expect(res.memberEpoch).toBe(3);
      expect(m.partitions.length).toBe(3);
      expect(before.get(m.id)!.filter((p) => m.partitions.includes(p)).length).toBe(3);
      assertExclusive(sim.state);
    }
    stabilize([...old, d]);
    expect([...old, d].map((m) => m.partitions.length)).toEqual([3, 3, 3, 3]);
    expect(new Set([...old, d].map((m) => m.epoch))).toEqual(new Set([4]));
    expect(describeLive(sim.state).groupState).toBe('Stable');
    const summary = sim.rebalances.at(-1)!;
    expect(summary).toMatchObject({ groupEpoch: 4, fromGroupEpoch: 3, causes: ['join'], outcome: 'Stable' });
    expect(summary.partitionsMoved.map((m) => m.to)).toEqual(['d', 'd', 'd']);
    expect(new Set(summary.partitionsMoved.map((m) => m.from))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('leave (-1) frees partitions at once; a later heartbeat of that member is UNKNOWN_MEMBER_ID', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 4 }));
    const [a, b] = ['a', 'b'].map((id) => new Member(sim, id));
    stabilize([a, b]);
    const res = sim.heartbeat(consumerHeartbeat(G, 'b', -1, { topicPartitions: [], subscribedTopicNames: [] }));
    expect(res).toMatchObject({ errorCode: 0, memberId: 'b', memberEpoch: -1, heartbeatIntervalMs: 0 });
    expect(sim.records.slice(-4).map((r) => [r.type, r.value === null])).toEqual([
      ['cg-current', true],
      ['cg-target-member', true],
      ['cg-member', true],
      ['cg-metadata', false],
    ]);
    a.beat();
    expect(a.partitions.length).toBe(4);
    expect(b.beat()).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, errorMessage: 'Member b is not a member of group g.' });
  });

  it('session expiry fences a silent member and the others absorb its partitions; its commit is refused', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 4 }), { consumerSessionTimeoutMs: 10_000 });
    const [a, b] = ['a', 'b'].map((id) => new Member(sim, id));
    stabilize([a, b]);
    for (let i = 0; i < 3; i++) {
      sim.advance(4_000);
      a.beat();
    }
    expect(sim.state.consumerGroup(G)!.members.has('b')).toBe(false);
    a.beat();
    expect(a.partitions.length).toBe(4);
    expect(sim.rebalances.at(-1)!.causes).toEqual(['timeout']);
    const commit = sim.request((handle) => ({
      type: 'offset-commit',
      handle,
      request: commitRequest(G, { t: { 0: 5n } }, { memberId: 'b', generationIdOrMemberEpoch: b.epoch }),
    })) as OffsetCommitResult;
    expect(commit.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a member that keeps a revoked partition is fenced after its rebalance timeout; the newcomer then gets it', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 2 }));
    const a = new Member(sim, 'a', { rebalanceTimeoutMs: 5_000 });
    a.beat();
    const b = new Member(sim, 'b');
    b.beat();
    const stubborn = a.owned;
    a.beat();
    expect(a.last!.memberEpoch).toBe(1);
    // keeps reporting both partitions
    a.owned = stubborn;
    a.beat();
    expect(sim.hasTimer({ kind: 'consumer-rebalance', groupId: G, memberId: 'a', epoch: 1 })).toBe(true);
    b.beat();
    expect(b.partitions).toEqual([]);
    sim.advance(5_000);
    expect(sim.state.consumerGroup(G)!.members.has('a')).toBe(false);
    b.beat();
    expect(b.partitions).toEqual(['t:0', 't:1']);
    expect(a.beat().errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('epoch checks: previous epoch with a subset is accepted, extra partitions or other epochs are fenced, epoch 0 rejoin is accepted', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 4 }));
    const a = new Member(sim, 'a');
    a.beat();
    new Member(sim, 'b').beat();
    a.beat(); // revoking at epoch 1
    a.beat(); // acked: epoch 2
    expect(a.epoch).toBe(2);
    const owned = a.owned;
    expect(sim.heartbeat(consumerHeartbeat(G, 'a', 1, { topicPartitions: owned })).errorCode).toBe(ErrorCode.NONE);
    const extra: TopicPartitionList = [{ topicId: sim.topics.topicByName('t')!.id, partitions: [0, 1, 2, 3] }];
    expect(sim.heartbeat(consumerHeartbeat(G, 'a', 1, { topicPartitions: extra })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect(sim.heartbeat(consumerHeartbeat(G, 'a', 0 + 3, { topicPartitions: owned })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    const rejoin = sim.heartbeat(consumerHeartbeat(G, 'a', 0, { subscribedTopicNames: ['t'] }));
    expect(rejoin.errorCode).toBe(ErrorCode.NONE);
    assertExclusive(sim.state);
  });

  it('static members: -2 keeps partitions reserved without a new epoch; a new id takes them back at once', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 4 }));
    const a = new Member(sim, 'a', { instanceId: 'i-a' });
    const b = new Member(sim, 'b', { instanceId: 'i-b' });
    stabilize([a, b]);
    const aParts = a.partitions;
    const epoch = sim.state.consumerGroup(G)!.groupEpoch;
    expect(sim.heartbeat(consumerHeartbeat(G, 'a', -2, { instanceId: 'i-a' })).memberEpoch).toBe(-2);
    expect(sim.state.consumerGroup(G)!.groupEpoch).toBe(epoch);
    b.beat();
    expect(b.partitions.length).toBe(2);
    // the instance id is still taken by a live member b
    expect(sim.heartbeat(consumerHeartbeat(G, 'x', 0, { instanceId: 'i-b', subscribedTopicNames: ['t'] })).errorCode).toBe(
      ErrorCode.UNRELEASED_INSTANCE_ID,
    );
    const a2 = new Member(sim, 'a2', { instanceId: 'i-a' });
    a2.beat();
    expect(a2.partitions).toEqual(aParts);
    expect(sim.state.consumerGroup(G)!.groupEpoch).toBe(epoch);
    expect(sim.heartbeat(consumerHeartbeat(G, 'a', 2, { instanceId: 'i-a', topicPartitions: [] })).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('a static member away past its session timeout is fenced and its partitions reassigned', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 4 }), { consumerSessionTimeoutMs: 10_000 });
    const a = new Member(sim, 'a', { instanceId: 'i-a' });
    const b = new Member(sim, 'b');
    stabilize([a, b]);
    sim.heartbeat(consumerHeartbeat(G, 'a', -2, { instanceId: 'i-a' }));
    for (let i = 0; i < 3; i++) {
      sim.advance(4_000);
      b.beat();
    }
    b.beat();
    expect(b.partitions.length).toBe(4);
  });

  it('a group\'s own session timeout and heartbeat interval, looked up at each use, win over the coordinator\'s', () => {
    const own = new Map<string, { sessionTimeoutMs?: number; heartbeatIntervalMs?: number }>([[G, { sessionTimeoutMs: 2_000 }]]);
    const sim = new ConsumerSim(new TestTopics({ t: 2 }), { consumerSessionTimeoutMs: 45_000, consumerHeartbeatIntervalMs: 5_000 }, (id) => own.get(id));
    const a = new Member(sim, 'a');
    const b = new Member(sim, 'b');
    expect(a.beat().heartbeatIntervalMs).toBe(5_000);
    own.set(G, { sessionTimeoutMs: 2_000, heartbeatIntervalMs: 700 });
    expect(b.beat().heartbeatIntervalMs).toBe(700);
    stabilize([a, b]);
    // b goes silent: fenced after the group's 2 s, not the coordinator's 45 s.
    sim.advance(1_500);
    a.beat();
    sim.advance(1_000);
    a.beat();
    expect(sim.state.consumerGroup(G)?.members.has('b')).toBe(false);
    expect(a.partitions).toEqual(['t:0', 't:1']);
    // Another group keeps the coordinator's values.
    expect(sim.heartbeat(consumerHeartbeat('other', 'x', 0, { subscribedTopicNames: ['t'], rebalanceTimeoutMs: 30_000, topicPartitions: [] })).heartbeatIntervalMs).toBe(5_000);
  });

  it('validates requests as Kafka does', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 1 }), { consumerMaxGroupSize: 1 });
    const err = (over: Partial<ConsumerGroupHeartbeatRequest>, epoch = 0, id = 'm') => {
      const r = sim.heartbeat(consumerHeartbeat(G, id, epoch, { subscribedTopicNames: ['t'], ...over }));
      return [r.errorCode, r.errorMessage];
    };
    expect(err({ groupId: ' ' })).toEqual([ErrorCode.INVALID_REQUEST, "GroupId can't be empty."]);
    expect(err({ instanceId: '' })).toEqual([ErrorCode.INVALID_REQUEST, "InstanceId can't be empty."]);
    expect(err({ rackId: '' })).toEqual([ErrorCode.INVALID_REQUEST, "RackId can't be empty."]);
    expect(err({}, 0, '')).toEqual([ErrorCode.INVALID_REQUEST, "MemberId can't be empty."]);
    expect(err({ rebalanceTimeoutMs: -1 })).toEqual([ErrorCode.INVALID_REQUEST, 'RebalanceTimeoutMs must be provided in first request.']);
    expect(err({ topicPartitions: null })).toEqual([ErrorCode.INVALID_REQUEST, 'TopicPartitions must be empty when (re-)joining.']);
    expect(err({ subscribedTopicNames: null })[0]).toBe(ErrorCode.INVALID_REQUEST);
    expect(err({}, -2)).toEqual([ErrorCode.INVALID_REQUEST, "InstanceId can't be null."]);
    expect(err({}, -3)).toEqual([ErrorCode.INVALID_REQUEST, 'MemberEpoch is invalid.']);
    expect(err({ serverAssignor: 'sticky' })[0]).toBe(ErrorCode.UNSUPPORTED_ASSIGNOR);
    expect(err({ subscribedTopicRegex: '(' })[0]).toBe(ErrorCode.INVALID_REGULAR_EXPRESSION);
    expect(err({}, 3)[0]).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    // v0: an empty member id gets one from the server
    const v0 = sim.heartbeat(consumerHeartbeat(G, '', 0, { apiVersion: 0, subscribedTopicNames: ['t'] }));
    expect(v0.errorCode).toBe(ErrorCode.NONE);
    expect(v0.memberId).toMatch(/^[0-9a-f-]{36}$/);
    expect(err({})[0]).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    expect(sim.heartbeat(consumerHeartbeat(G, v0.memberId!, 1)).errorCode).toBe(ErrorCode.NONE);
  });

  it('range assignor: contiguous ranges, co-partitioned topics, static members first; the majority picks the assignor', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 5, u: 5 }));
    const z = new Member(sim, 'z', { serverAssignor: 'range', subscribedTopicNames: ['t', 'u'], instanceId: 'first' });
    const a = new Member(sim, 'a', { serverAssignor: 'range', subscribedTopicNames: ['t', 'u'] });
    stabilize([z, a]);
    expect(describeLive(sim.state).assignorName).toBe('range');
    expect(z.partitions).toEqual(['t:0', 't:1', 't:2', 'u:0', 'u:1', 'u:2']);
    expect(a.partitions).toEqual(['t:3', 't:4', 'u:3', 'u:4']);
  });

  it('regex subscriptions match whole names and pick up a new matching topic', () => {
    const topics = new TestTopics({ foo1: 1, barfoo: 1 });
    const sim = new ConsumerSim(topics);
    const m = new Member(sim, 'm', { subscribedTopicNames: null, subscribedTopicRegex: 'foo.*' });
    m.beat();
    expect(m.partitions).toEqual(['foo1:0']);
    topics.set('foo2', 2);
    m.beat();
    m.beat();
    expect(m.partitions).toEqual(['foo1:0', 'foo2:0', 'foo2:1']);
    expect(sim.rebalances.at(-1)!.causes).toEqual(['metadata-change']);
  });

  it('a partition count change assigns the new partitions without moving the others; a deleted topic is revoked', () => {
    const topics = new TestTopics({ t: 2, u: 1 });
    const sim = new ConsumerSim(topics);
    const [a, b] = ['a', 'b'].map((id) => new Member(sim, id, { subscribedTopicNames: ['t', 'u'] }));
    stabilize([a, b]);
    const before = [a.partitions, b.partitions];
    topics.set('t', 4);
    stabilize([a, b]);
    expect(before[0].every((p) => a.partitions.includes(p))).toBe(true);
    expect(before[1].every((p) => b.partitions.includes(p))).toBe(true);
    expect(a.partitions.length + b.partitions.length).toBe(5);
    topics.delete('u');
    stabilize([a, b]);
    expect([...a.partitions, ...b.partitions].some((p) => p.startsWith('u:'))).toBe(false);
  });

  it('offset commits and fetches carry the member epoch', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 1 }));
    const a = new Member(sim, 'a');
    a.beat();
    const commit = (epoch: number, apiVersion = 9) =>
      (
        sim.request((handle) => ({
          type: 'offset-commit',
          handle,
          request: commitRequest(G, { t: { 0: 5n } }, { memberId: 'a', generationIdOrMemberEpoch: epoch, apiVersion }),
        })) as OffsetCommitResult
      ).topics[0].partitions[0].errorCode;
    expect(commit(1)).toBe(ErrorCode.NONE);
    expect(commit(0)).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(commit(2)).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect(commit(1, 8)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(sim.state.fetchOffsets({ groupId: G, topics: null, memberId: 'a', memberEpoch: 0 }).errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(sim.state.fetchOffsets({ groupId: G, topics: null, memberId: 'a', memberEpoch: 1 }).topics[0].partitions[0].committedOffset).toBe(5n);
    expect(sim.state.fetchOffsets({ groupId: G, topics: null }).errorCode).toBe(ErrorCode.NONE);
  });

  it('coexists with classic groups: offline conversion both ways keeps offsets', () => {
    const sim = new ConsumerSim(new TestTopics({ t: 1 }));
    const joinClassic = (groupId: string, memberId = '') =>
      sim.request((handle) => ({ type: 'join', handle, request: joinRequest(groupId, { memberId, apiVersion: 9 }) })) as JoinGroupResult;
    // offsets-only classic group converts, offsets kept
    sim.request((handle) => ({ type: 'offset-commit', handle, request: commitRequest(G, { t: { 0: 7n } }) }));
    const a = new Member(sim, 'a');
    expect(a.beat().errorCode).toBe(ErrorCode.NONE);
    expect(sim.state.fetchOffsets({ groupId: G, topics: null }).topics[0].partitions[0].committedOffset).toBe(7n);
    // A classic member of another protocol type cannot join a live consumer group (one of type "consumer" may: see consumer-migration.test.ts).
    const connect = sim.request((handle) => ({ type: 'join', handle, request: joinRequest(G, { protocolType: 'connect' }) })) as JoinGroupResult;
    expect(connect.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(sim.state.describeGroups([G])[0]).toMatchObject({ groupState: 'Dead', members: [] });
    // an empty consumer group becomes classic on JoinGroup
    sim.heartbeat(consumerHeartbeat(G, 'a', -1, { topicPartitions: [] }));
    expect(joinClassic(G, 'someone').errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(sim.state.consumerGroup(G)).toBeDefined();
    expect(joinClassic(G).errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(sim.state.consumerGroup(G)).toBeUndefined();
    expect(sim.state.group(G)).toBeDefined();
    expect(sim.state.describeConsumerGroups([G])[0]).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
  });

  it('replaying the records rebuilds every member, epoch, target and owner', () => {
    const topics = new TestTopics({ t: 6, u: 3 });
    const sim = new ConsumerSim(topics);
    const ms = ['a', 'b', 'c'].map((id) => new Member(sim, id, { subscribedTopicNames: ['t', 'u'] }));
    stabilize(ms);
    new Member(sim, 'd', { subscribedTopicNames: ['t'] }).beat();
    ms[0].beat(); // mid-revocation
    const replayed = sim.replay();
    expect(replayed.describeConsumerGroups([G])).toEqual(sim.state.describeConsumerGroups([G]));
    const live = sim.state.consumerGroup(G)!;
    const back = replayed.consumerGroup(G)!;
    expect([...back.members.values()]).toEqual([...live.members.values()]);
    expect(back.owners).toEqual(live.owners);
    expect(back.subscriptionMetadata).toEqual(live.subscriptionMetadata);
  });
});
