// Randomized consumer groups (KIP-848): members join (some static, some speaking
// the classic protocol as classic members of the consumer group), heartbeat
// (some slow to acknowledge revocations; classic ones rejoin when told to), leave,
// leave temporarily, crash, while the clock jumps and topics grow or appear.
// After every step:
// - no partition is in two members' assigned or pending-revocation sets;
// - memberEpoch <= assignmentEpoch <= groupEpoch, and the group epoch never goes back;
// - a live member's epoch never goes back;
// - only the error codes a real consumer must handle come back.
// At the end the live members heartbeat until the group is Stable: every
// partition is then owned exactly once, and replaying the records gives the
// same state.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsumerSim } from './consumer-sim.js';
import { consumerHeartbeat, heartbeatRequest, joinRequest, subscription, syncRequest, TestTopics } from './testing.js';
import { ErrorCode, type HeartbeatResult, type JoinGroupResult, type SyncGroupResult } from './types.js';
import { MemberState, type TopicPartitionList } from './consumer-types.js';

const G = 'rg';

type Action =
  | { t: 'add'; static: boolean; regex: boolean; classic: boolean }
  | { t: 'beat'; idx: number; ack: boolean }
  | { t: 'leave'; idx: number }
  | { t: 'away'; idx: number }
  | { t: 'crash'; idx: number }
  | { t: 'tick'; ms: number }
  | { t: 'grow'; topic: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant('add' as const), static: fc.boolean(), regex: fc.boolean(), classic: fc.boolean() }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('beat' as const), idx: fc.nat(), ack: fc.integer({ min: 0, max: 4 }).map((n) => n > 0) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('leave' as const), idx: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('away' as const), idx: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('crash' as const), idx: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 8_000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('grow' as const), topic: fc.integer({ min: 0, max: 2 }) }) },
);

const ALLOWED: ReadonlySet<number> = new Set([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.UNRELEASED_INSTANCE_ID]);

const CLASSIC_ALLOWED: ReadonlySet<number> = new Set([ErrorCode.NONE, ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION]);


interface Client {
  /** Speaks JoinGroup/SyncGroup/Heartbeat (eager: owns nothing when it rejoins). */
  classic: boolean;
  id: string;
  instanceId: string | null;
  regex: boolean;
  epoch: number;
  owned: TopicPartitionList;
  alive: boolean;
}

function run(actions: readonly Action[]): void {
  const topics = new TestTopics({ t0: 6 });
  // "upgrade" only: the group stays a consumer group when its last consumer-protocol member goes.
  const sim = new ConsumerSim(topics, { consumerSessionTimeoutMs: 10_000, consumerMigrationPolicy: 'upgrade' });
  const clients: Client[] = [];
  let lastGroupEpoch = 0;
  let n = 0;

  const hasMembers = () => (sim.state.consumerGroup(G)?.members.size ?? 0) > 0;
  const classicJoin = (c: Client) => {
    const request = joinRequest(G, {
      memberId: c.id,
      groupInstanceId: c.instanceId,
      protocols: [{ name: 'range', metadata: subscription(['t0', 't1']) }],
      rebalanceTimeoutMs: 5_000,
      apiVersion: 5,
    });
    let res = sim.request((handle) => ({ type: 'join', handle, request })) as JoinGroupResult;
    if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      c.id = res.memberId;
      res = sim.request((handle) => ({ type: 'join', handle, request: { ...request, memberId: c.id } })) as JoinGroupResult;
    }
    expect(CLASSIC_ALLOWED.has(res.errorCode) || res.errorCode === ErrorCode.UNRELEASED_INSTANCE_ID, `join error ${res.errorCode}`).toBe(true);
    if (res.errorCode !== ErrorCode.NONE) {
      c.alive = false;
      return;
    }
    c.id = res.memberId;
    if (c.epoch > 0) expect(res.generationId).toBeGreaterThanOrEqual(c.epoch);
    c.epoch = res.generationId;
    const sync = sim.request((handle) => ({ type: 'sync', handle, request: syncRequest(G, c.id, c.epoch, { groupInstanceId: c.instanceId }) })) as SyncGroupResult;
    expect(CLASSIC_ALLOWED.has(sync.errorCode), `sync error ${sync.errorCode}`).toBe(true);
  };
  const classicBeat = (c: Client) => {
    const res = (sim.request((handle) => ({ type: 'heartbeat', handle, request: heartbeatRequest(G, c.id, c.epoch, c.instanceId) })) as HeartbeatResult).errorCode;
    expect(CLASSIC_ALLOWED.has(res), `heartbeat error ${res}`).toBe(true);
    if (res === ErrorCode.REBALANCE_IN_PROGRESS && hasMembers()) classicJoin(c);
    else if (res === ErrorCode.UNKNOWN_MEMBER_ID || res === ErrorCode.ILLEGAL_GENERATION) c.alive = false;
  };

  const beat = (c: Client, ack: boolean) => {
    if (c.classic) {
      classicBeat(c);
      return;
    }
    const res = sim.heartbeat(
      consumerHeartbeat(G, c.id, c.epoch, {
        instanceId: c.instanceId,
        subscribedTopicNames: c.regex ? null : ['t0', 't1'],
        subscribedTopicRegex: c.regex ? 't[0-9]' : null,
        rebalanceTimeoutMs: 5_000,
        topicPartitions: c.owned,
      }),
    );
    expect(ALLOWED.has(res.errorCode), `error ${res.errorCode} ${res.errorMessage}`).toBe(true);
    if (res.errorCode === ErrorCode.NONE) {
      if (c.epoch > 0) expect(res.memberEpoch).toBeGreaterThanOrEqual(c.epoch);
      c.epoch = res.memberEpoch;
      // A slow member reports its old partitions once more before it acknowledges.
      if (res.assignment !== null && ack) c.owned = res.assignment;
    } else if (res.errorCode === ErrorCode.FENCED_MEMBER_EPOCH || res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
      c.epoch = 0;
      c.owned = [];
    }
  };

  const check = () => {
    const g = sim.state.consumerGroup(G);
    if (g === undefined) return;
    const seen = new Set<string>();
    for (const m of g.members.values()) {
      for (const map of [m.assigned, m.pendingRevocation]) {
        for (const [t, ps] of map) {
          for (const p of ps) {
            const key = `${t}:${p}`;
            expect(seen.has(key), `${key} owned twice`).toBe(false);
            seen.add(key);
          }
        }
      }
      expect(m.memberEpoch).toBeLessThanOrEqual(g.assignmentEpoch);
    }
    expect(g.assignmentEpoch).toBeLessThanOrEqual(g.groupEpoch);
    // The state kept incrementally equals the state computed from every member.
    const reconciled = [...g.members.values()].every((m) => m.memberEpoch === g.assignmentEpoch && m.state === MemberState.STABLE);
    const expected = g.dead ? 'Dead' : g.members.size === 0 ? 'Empty' : g.groupEpoch > g.assignmentEpoch ? 'Assigning' : reconciled ? 'Stable' : 'Reconciling';
    expect(g.state).toBe(expected);
    expect(g.groupEpoch).toBeGreaterThanOrEqual(lastGroupEpoch);
    lastGroupEpoch = g.groupEpoch;
  };

  const live = () => clients.filter((c) => c.alive);
  for (const a of actions) {
    const pick = (idx: number) => live()[idx % Math.max(1, live().length)];
    switch (a.t) {
      case 'add': {
        // A classic member joins a consumer group that has members (an empty one would become classic).
        const classic = a.classic && hasMembers();
        const c: Client = { classic, id: classic ? '' : `m${n}`, instanceId: a.static ? `i${n}` : null, regex: a.regex && !classic, epoch: 0, owned: [], alive: true };
        n++;
        clients.push(c);
        if (classic) classicJoin(c);
        else beat(c, true);
        break;
      }
      case 'beat': {
        const c = pick(a.idx);
        if (c !== undefined) beat(c, a.ack);
        break;
      }
      case 'leave':
      case 'away': {
        const c = pick(a.idx);
        if (c === undefined || c.epoch <= 0) break;
        if (c.classic) {
          sim.request((handle) => ({ type: 'leave', handle, request: { groupId: G, members: [{ memberId: c.id, groupInstanceId: c.instanceId }] } }));
          c.alive = false;
          break;
        }
        const epoch = a.t === 'away' && c.instanceId !== null ? -2 : -1;
        sim.heartbeat(consumerHeartbeat(G, c.id, epoch, { instanceId: c.instanceId, topicPartitions: [] }));
        c.alive = false;
        break;
      }
      case 'crash': {
        const c = pick(a.idx);
        if (c !== undefined) c.alive = false;
        break;
      }
      case 'tick':
        sim.advance(a.ms);
        break;
      case 'grow': {
        const name = `t${a.topic}`;
        topics.set(name, (topics.topicByName(name)?.numPartitions ?? 0) + 2);
        break;
      }
    }
    check();
  }

  // Everyone alive acknowledges for a while (time passes, so the dead are fenced).
  for (let round = 0; round < 12; round++) {
    sim.advance(4_000);
    for (const c of live()) beat(c, true);
    check();
  }
  const g = sim.state.consumerGroup(G);
  if (g !== undefined && g.members.size > 0) {
    expect(g.state).toBe('Stable');
    let expected = 0;
    for (const t of g.subscriptionMetadata) expected += t.numPartitions;
    let owned = 0;
    for (const owners of g.owners.values()) owned += owners.size;
    expect(owned).toBe(expected);
  }
  const replayed = sim.replay();
  expect(replayed.describeConsumerGroups([G])).toEqual(sim.state.describeConsumerGroups([G]));
  expect(replayed.consumerGroup(G)?.owners).toEqual(sim.state.consumerGroup(G)?.owners);
}

describe('consumer groups, randomized', () => {
  it('never gives a partition to two members, ends Stable with every partition owned, replays to the same state', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 1, maxLength: 80 }), (actions) => run(actions)),
      { numRuns: 150 },
    );
  });

  it('the same with classic members in a consumer group: one consumer-protocol member first, then every newcomer classic', () => {
    const first: Action = { t: 'add', static: false, regex: false, classic: false };
    const classicAdds = fc.array(actionArb, { minLength: 1, maxLength: 80, size: 'medium' }).map((xs) => xs.map((a) => (a.t === 'add' ? { ...a, classic: true } : a)));
    fc.assert(
      fc.property(classicAdds, (actions) => run([first, ...actions])),
      { numRuns: 100 },
    );
  });
});
