import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ClassicGroup, IllegalStateTransition } from './classic-group.js';
import { GroupCoordinator } from './coordinator.js';
import {
  decodeAssignment,
  encodeAssignment,
  flush,
  heartbeatRequest,
  joinRequest,
  protocol,
  roundRobin,
  sequentialUuids,
  syncRequest,
  track,
} from './testing.js';
import {
  DEFAULT_GROUP_COORDINATOR_CONFIG,
  ErrorCode,
  StepOutput,
  VALID_PREVIOUS_STATES,
  type CoordinatorRecord,
  type GroupCoordinatorConfig,
  type JoinGroupRequest,
  type JoinGroupResult,
} from './types.js';

const G = 'group-1';
const T0 = 1_000_000;

function setup(config: Partial<GroupCoordinatorConfig> = {}) {
  const clock = new ManualClock(T0);
  const records: CoordinatorRecord[] = [];
  const coord = new GroupCoordinator({
    clock,
    config: { initialRebalanceDelayMs: 0, ...config },
    newUuid: sequentialUuids(),
    persist: (r) => void records.push(...r),
  });
  return { clock, coord, records };
}

type Env = ReturnType<typeof setup>;

async function advance(env: Env, ms: number): Promise<void> {
  env.clock.advance(ms);
  await flush();
}

/** Joins `n` members (v3: no MEMBER_ID_REQUIRED round), syncs round-robin over 6 partitions. */
async function stableGroup(env: Env, n: number, over: Partial<JoinGroupRequest> = {}, partitions = 6) {
  const joins = Array.from({ length: n }, (_, i) =>
    track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}`, ...over }))),
  );
  await advance(env, 0);
  const results = joins.map((j) => {
    expect(j.settled).toBe(true);
    return j.value!;
  });
  const syncs = await syncAll(env, results, partitions);
  return { results, syncs, memberIds: results.map((r) => r.memberId), generation: results[0]!.generationId, leader: results[0]!.leader };
}

async function syncAll(env: Env, results: readonly JoinGroupResult[], partitions = 6) {
  const leader = results.find((r) => r.memberId === r.leader)!;
  const plan = roundRobin(
    leader.members.map((m) => m.memberId),
    partitions,
  );
  const syncs = results.map((r) =>
    env.coord.syncGroup(
      syncRequest(G, r.memberId, r.generationId, {
        assignments:
          r.memberId === r.leader ? [...plan].map(([memberId, ps]) => ({ memberId, assignment: encodeAssignment(ps) })) : [],
      }),
    ),
  );
  return Promise.all(syncs);
}

describe('state table', () => {
  it('is Kafka table of valid previous states', () => {
    expect(VALID_PREVIOUS_STATES).toEqual({
      Empty: ['PreparingRebalance'],
      PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
      CompletingRebalance: ['PreparingRebalance'],
      Stable: ['CompletingRebalance'],
      Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
    });
  });

  it('refuses a transition the table does not allow', () => {
    const g = new ClassicGroup('g', { config: DEFAULT_GROUP_COORDINATOR_CONFIG, newUuid: () => 'u', parseSubscription: null, parseAssignment: null }, 0);
    expect(() => g.transitionTo('Stable', 1)).toThrow(IllegalStateTransition);
    expect(() => g.transitionTo('CompletingRebalance', 1)).toThrow(IllegalStateTransition);
    g.transitionTo('PreparingRebalance', 1);
    expect(g.state).toBe('PreparingRebalance');
    expect(g.previousState).toBe('Empty');
    g.transitionTo('Dead', 2);
    g.transitionTo('Dead', 3);
    expect(() => g.transitionTo('Empty', 4)).toThrow(IllegalStateTransition);
  });

  it('a fresh group is Empty and emits nothing until asked', () => {
    const g = new ClassicGroup('g', { config: DEFAULT_GROUP_COORDINATOR_CONFIG, newUuid: () => 'u', parseSubscription: null, parseAssignment: null }, 0);
    const out = new StepOutput();
    g.onJoinTimer(5, out);
    g.onSyncTimer(5, out);
    g.onSessionTimer('nobody', 5, out);
    expect(out.isEmpty).toBe(true);
    expect(g.state).toBe('Empty');
  });
});

describe('JoinGroup', () => {
  it('first member: parked until the initial delay, leader of generation 1, Stable after its SyncGroup', async () => {
    const env = setup();
    const j = track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3 })));
    await flush();
    expect(j.settled).toBe(false);
    expect(env.coord.groupSnapshot(G)!.state).toBe('PreparingRebalance');
    // A new group is committed with an empty GroupMetadata record.
    expect(env.records).toEqual([
      {
        type: 'group-metadata',
        groupId: G,
        value: { protocolType: '', generation: 0, protocol: null, leader: null, currentStateTimestamp: T0, members: [] },
      },
    ]);

    await advance(env, 0);
    const r = j.value!;
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.memberId).toBe('client-00000000-0000-4000-8000-000000000000');
    expect(r.generationId).toBe(1);
    expect(r.leader).toBe(r.memberId);
    expect(r.protocolType).toBe('consumer');
    expect(r.protocolName).toBe('range');
    expect(r.members).toEqual([{ memberId: r.memberId, groupInstanceId: null, metadata: protocol('range').metadata }]);
    expect(env.coord.groupSnapshot(G)!.state).toBe('CompletingRebalance');

    const s = await env.coord.syncGroup(
      syncRequest(G, r.memberId, 1, { assignments: [{ memberId: r.memberId, assignment: encodeAssignment([0, 1]) }] }),
    );
    expect(s).toEqual({ errorCode: 0, protocolType: 'consumer', protocolName: 'range', assignment: encodeAssignment([0, 1]) });
    expect(env.coord.groupSnapshot(G)!.state).toBe('Stable');
    const last = env.records.at(-1)!;
    expect(last.type).toBe('group-metadata');
    expect(last.type === 'group-metadata' && last.value).toMatchObject({
      protocolType: 'consumer',
      generation: 1,
      protocol: 'range',
      leader: r.memberId,
      members: [
        {
          memberId: r.memberId,
          groupInstanceId: null,
          clientId: 'client',
          clientHost: '/127.0.0.1',
          rebalanceTimeout: 30_000,
          sessionTimeout: 10_000,
          subscription: protocol('range').metadata,
          assignment: encodeAssignment([0, 1]),
        },
      ],
    });
  });

  it('v4+: an unknown dynamic member gets MEMBER_ID_REQUIRED and a coordinator-issued id', async () => {
    const env = setup();
    const first = await env.coord.joinGroup(joinRequest(G, { apiVersion: 4, clientId: 'app' }));
    expect(first).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: 'app-00000000-0000-4000-8000-000000000000' });
    expect(env.coord.groupSnapshot(G)!.pendingMemberIds).toEqual([first.memberId]);
    expect(env.coord.groupSnapshot(G)!.state).toBe('Empty');

    const second = track(env.coord.joinGroup(joinRequest(G, { apiVersion: 4, memberId: first.memberId })));
    await advance(env, 0);
    expect(second.value).toMatchObject({ errorCode: 0, memberId: first.memberId, generationId: 1, leader: first.memberId });
    expect(env.coord.groupSnapshot(G)!.pendingMemberIds).toEqual([]);
  });

  it('a pending member holds the join phase until it rejoins, or until its session timeout', async () => {
    const env = setup();
    const { memberIds, generation } = await stableGroup(env, 1);
    const a = memberIds[0]!;
    const pending = await env.coord.joinGroup(joinRequest(G, { apiVersion: 5, clientId: 'b', sessionTimeoutMs: 8_000 }));
    expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);

    // The leader rejoins: a rebalance starts but cannot finish while b is pending.
    const ra = track(env.coord.joinGroup(joinRequest(G, { memberId: a })));
    await advance(env, 7_999);
    expect(ra.settled).toBe(false);
    expect(env.coord.groupSnapshot(G)!.state).toBe('PreparingRebalance');
    // b never comes back: its pending id expires and the rebalance completes without it.
    await advance(env, 1);
    expect(ra.value).toMatchObject({ errorCode: 0, generationId: generation + 1, leader: a });
    expect(ra.value!.members.map((m) => m.memberId)).toEqual([a]);
  });

  it('a pending member that rejoins in time is part of the next generation', async () => {
    const env = setup();
    const { memberIds, generation } = await stableGroup(env, 1);
    const pending = await env.coord.joinGroup(joinRequest(G, { apiVersion: 5, clientId: 'b' }));
    const ra = track(env.coord.joinGroup(joinRequest(G, { memberId: memberIds[0]! })));
    await advance(env, 100);
    expect(ra.settled).toBe(false);
    const rb = track(env.coord.joinGroup(joinRequest(G, { apiVersion: 5, memberId: pending.memberId })));
    await flush();
    expect(ra.value!.generationId).toBe(generation + 1);
    expect(rb.value!.generationId).toBe(generation + 1);
    expect(ra.value!.members.map((m) => m.memberId)).toEqual([memberIds[0], pending.memberId]);
  });

  it('rejects session timeouts outside [min, max] with INVALID_SESSION_TIMEOUT', async () => {
    const env = setup({ minSessionTimeoutMs: 6_000, maxSessionTimeoutMs: 300_000 });
    for (const sessionTimeoutMs of [5_999, 300_001]) {
      const r = await env.coord.joinGroup(joinRequest(G, { sessionTimeoutMs, memberId: 'm-1' }));
      expect(r).toMatchObject({ errorCode: ErrorCode.INVALID_SESSION_TIMEOUT, memberId: 'm-1', generationId: -1 });
    }
    expect(env.coord.groupSnapshot(G)).toBeUndefined();
    for (const sessionTimeoutMs of [6_000, 300_000]) {
      const r = await env.coord.joinGroup(joinRequest(G, { sessionTimeoutMs, apiVersion: 4 }));
      expect(r.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    }
  });

  it('rejects an empty group id (INVALID_GROUP_ID) and a known member id for a group that does not exist (UNKNOWN_MEMBER_ID)', async () => {
    const env = setup();
    expect((await env.coord.joinGroup(joinRequest(''))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(await env.coord.joinGroup(joinRequest('nope', { memberId: 'ghost' }))).toMatchObject({
      errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
      memberId: 'ghost',
    });
    expect(env.coord.groupSnapshot('nope')).toBeUndefined();
  });

  it('INCONSISTENT_GROUP_PROTOCOL: other protocol type, no common protocol, or no protocol at all', async () => {
    const env = setup();
    await stableGroup(env, 1, { protocols: [protocol('range'), protocol('roundrobin')] });
    const otherType = await env.coord.joinGroup(joinRequest(G, { protocolType: 'connect' }));
    expect(otherType).toMatchObject({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId: '' });
    const noCommon = await env.coord.joinGroup(joinRequest(G, { protocols: [protocol('sticky')] }));
    expect(noCommon.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const common = await env.coord.joinGroup(joinRequest(G, { protocols: [protocol('sticky'), protocol('roundrobin')], apiVersion: 4 }));
    expect(common.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    // An Empty group takes any non-empty protocol type with at least one protocol.
    expect((await env.coord.joinGroup(joinRequest('g2', { protocols: [] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await env.coord.joinGroup(joinRequest('g3', { protocolType: '' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('chooses the protocol all members support, by votes in each member order of preference', async () => {
    const env = setup();
    const prefs = [
      [protocol('range'), protocol('roundrobin'), protocol('sticky')],
      [protocol('roundrobin'), protocol('range')],
      [protocol('roundrobin'), protocol('range'), protocol('sticky')],
    ];
    const joins = prefs.map((protocols, i) => track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}`, protocols }))));
    await advance(env, 0);
    // sticky is not common; range gets 1 vote, roundrobin 2.
    for (const j of joins) expect(j.value!.protocolName).toBe('roundrobin');
    const leader = joins[0]!.value!;
    expect(leader.members.map((m) => new TextDecoder().decode(m.metadata))).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
  });

  it('breaks a tie of votes deterministically: the protocol voted for first wins', async () => {
    const env = setup();
    const joins = [
      [protocol('range'), protocol('roundrobin')],
      [protocol('roundrobin'), protocol('range')],
    ].map((protocols, i) => track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}`, protocols }))));
    await advance(env, 0);
    expect(joins.map((j) => j.value!.protocolName)).toEqual(['range', 'range']);
  });

  it('join storm: 200 members joining together during the initial delay end in one generation', async () => {
    const env = setup({ initialRebalanceDelayMs: 3_000 });
    const joins: ReturnType<typeof track<JoinGroupResult>>[] = [];
    for (let i = 0; i < 200; i++) {
      joins.push(track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}` }))));
      if (i % 20 === 19) await advance(env, 100);
    }
    await advance(env, 2_999);
    expect(joins.every((j) => j.settled)).toBe(false);
    await advance(env, 3_000);
    expect(joins.every((j) => j.settled)).toBe(true);
    const gens = new Set(joins.map((j) => j.value!.generationId));
    expect([...gens]).toEqual([1]);
    const leaders = joins.filter((j) => j.value!.members.length > 0);
    expect(leaders).toHaveLength(1);
    expect(leaders[0]!.value!.members).toHaveLength(200);
    const syncs = await syncAll(env, joins.map((j) => j.value!), 400);
    const seen = new Set<number>();
    for (const s of syncs) {
      expect(s.errorCode).toBe(0);
      for (const p of decodeAssignment(s.assignment)) {
        expect(seen.has(p)).toBe(false);
        seen.add(p);
      }
    }
    expect(seen.size).toBe(400);
    const history = env.coord.rebalanceHistory(G);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ outcome: 'Stable', generationId: 1, reasonCount: 200 });
    expect(history[0]!.reasons).toHaveLength(50);
  });

  it('initial delay: extended by the delay while members keep arriving, never past the rebalance timeout', async () => {
    const env = setup({ initialRebalanceDelayMs: 3_000 });
    const joins = [track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, rebalanceTimeoutMs: 10_000 })))];
    // A member every second: delays are 3000 (rem 7000), 3000 (rem 4000), 3000 (rem 1000), 1000 (rem 0).
    for (let t = 1; t < 10; t++) {
      await advance(env, 1_000);
      expect(joins[0]!.settled).toBe(false);
      joins.push(track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, rebalanceTimeoutMs: 10_000, clientId: `c${t}` }))));
    }
    await advance(env, 999);
    expect(joins[0]!.settled).toBe(false);
    await advance(env, 1);
    expect(joins.every((j) => j.value?.generationId === 1)).toBe(true);
    expect(env.clock.now() - T0).toBe(10_000);
  });

  it('initial delay: one late joiner extends once, then the join phase completes', async () => {
    const env = setup({ initialRebalanceDelayMs: 3_000 });
    const a = track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, rebalanceTimeoutMs: 10_000 })));
    await advance(env, 1_000);
    const b = track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, rebalanceTimeoutMs: 10_000, clientId: 'b' })));
    await advance(env, 2_000); // t = 3000: b arrived during the delay -> wait 3000 more
    expect(a.settled).toBe(false);
    await advance(env, 2_999);
    expect(a.settled).toBe(false);
    await advance(env, 1); // t = 6000
    expect(a.value!.generationId).toBe(1);
    expect(b.value!.generationId).toBe(1);
  });

  it('the leader keeps leadership when it rejoins; a follower rejoining with the same metadata just gets the generation back', async () => {
    const env = setup();
    const { memberIds, generation, leader } = await stableGroup(env, 3);
    expect(leader).toBe(memberIds[0]);
    const follower = await env.coord.joinGroup(joinRequest(G, { memberId: memberIds[1]! }));
    expect(follower).toMatchObject({ errorCode: 0, generationId: generation, leader, members: [] });
    expect(env.coord.groupSnapshot(G)!.state).toBe('Stable');

    // The leader rejoining forces a rebalance (e.g. new topic metadata).
    const rl = track(env.coord.joinGroup(joinRequest(G, { memberId: leader })));
    await flush();
    expect(env.coord.groupSnapshot(G)!.state).toBe('PreparingRebalance');
    const hb = await env.coord.heartbeat(heartbeatRequest(G, memberIds[1]!, generation));
    expect(hb.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const r1 = track(env.coord.joinGroup(joinRequest(G, { memberId: memberIds[1]! })));
    const r2 = track(env.coord.joinGroup(joinRequest(G, { memberId: memberIds[2]! })));
    await flush();
    expect(rl.value).toMatchObject({ generationId: generation + 1, leader });
    expect(rl.value!.members).toHaveLength(3);
    expect(r1.value).toMatchObject({ generationId: generation + 1, leader, members: [] });
    expect(r2.value!.leader).toBe(leader);
    await syncAll(env, [rl.value!, r1.value!, r2.value!]);
    expect(env.coord.rebalanceHistory(G).at(-1)).toMatchObject({
      outcome: 'Stable',
      fromGenerationId: generation,
      generationId: generation + 1,
      reasons: [{ kind: 'leader-rejoined', memberId: leader }],
    });
  });

  it('a follower rejoining with new metadata triggers a rebalance', async () => {
    const env = setup();
    const { memberIds, generation } = await stableGroup(env, 2);
    const r = track(env.coord.joinGroup(joinRequest(G, { memberId: memberIds[1]!, protocols: [protocol('range', 'changed')] })));
    await flush();
    expect(env.coord.groupSnapshot(G)!.state).toBe('PreparingRebalance');
    const l = track(env.coord.joinGroup(joinRequest(G, { memberId: memberIds[0]! })));
    await flush();
    expect(r.value!.generationId).toBe(generation + 1);
    expect(new TextDecoder().decode(l.value!.members[1]!.metadata)).toBe('changed');
  });

  it('CompletingRebalance: a member that lost its JoinGroup answer gets it again; new metadata restarts the rebalance', async () => {
    const env = setup();
    const joins = [0, 1].map((i) => track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}` }))));
    await advance(env, 0);
    const [a, b] = joins.map((j) => j.value!) as [JoinGroupResult, JoinGroupResult];
    const again = await env.coord.joinGroup(joinRequest(G, { memberId: a.memberId }));
    expect(again).toMatchObject({ errorCode: 0, generationId: 1, leader: a.memberId });
    expect(again.members).toHaveLength(2);
    const bSync = track(env.coord.syncGroup(syncRequest(G, b.memberId, 1)));
    await flush();
    expect(bSync.settled).toBe(false);
    const changed = track(env.coord.joinGroup(joinRequest(G, { memberId: b.memberId, protocols: [protocol('range', 'x')] })));
    await flush();
    // b's parked SyncGroup is told to rejoin.
    expect(bSync.value!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(env.coord.groupSnapshot(G)!.state).toBe('PreparingRebalance');
    const a2 = track(env.coord.joinGroup(joinRequest(G, { memberId: a.memberId })));
    await flush();
    expect(a2.value!.generationId).toBe(2);
    expect(changed.value!.generationId).toBe(2);
  });

  it('rebalance timeout: dynamic members that did not rejoin are removed; a new leader is elected if the old one is gone', async () => {
    const env = setup();
    const { memberIds, generation } = await stableGroup(env, 3, { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 20_000 });
    const [a, b, c] = memberIds as [string, string, string];
    // A new member arrives; only b rejoins, a (the leader) and c keep heartbeating but never rejoin.
    const d = track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: 'd', rebalanceTimeoutMs: 20_000 })));
    const rb = track(env.coord.joinGroup(joinRequest(G, { memberId: b, rebalanceTimeoutMs: 20_000 })));
    for (let i = 0; i < 19; i++) {
      await advance(env, 1_000);
      expect((await env.coord.heartbeat(heartbeatRequest(G, a, generation))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      expect((await env.coord.heartbeat(heartbeatRequest(G, c, generation))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    expect(rb.settled).toBe(false);
    await advance(env, 1_000);
    expect(rb.value).toMatchObject({ errorCode: 0, generationId: generation + 1, leader: b });
    expect(rb.value!.members.map((m) => m.memberId)).toEqual([b, d.value!.memberId]);
    expect(d.value!.leader).toBe(b);
    expect((await env.coord.heartbeat(heartbeatRequest(G, a, generation))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    await syncAll(env, [rb.value!, d.value!]);
    const reasons = env.coord.rebalanceHistory(G).at(-1)!.reasons.map((r) => `${r.kind}:${r.memberId}`);
    expect(reasons).toEqual([`member-joined:${d.value!.memberId}`, `not-rejoined-in-time:${a}`, `not-rejoined-in-time:${c}`]);
  });

  it('a member dying mid-rebalance is dropped at its session timeout and the rebalance completes without waiting for the rebalance timeout', async () => {
    const env = setup();
    const { memberIds, generation } = await stableGroup(env, 2, { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 60_000 });
    const [a, b] = memberIds as [string, string];
    await advance(env, 5_000);
    await env.coord.heartbeat(heartbeatRequest(G, a, generation)); // b crashed and stays silent
    const c = track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: 'c', rebalanceTimeoutMs: 60_000 })));
    const ra = track(env.coord.joinGroup(joinRequest(G, { memberId: a, rebalanceTimeoutMs: 60_000 })));
    await advance(env, 4_999); // b's session started at the sync answer (t=0) -> expires at t=10000
    expect(ra.settled).toBe(false);
    await advance(env, 1);
    expect(ra.value).toMatchObject({ generationId: generation + 1, leader: a });
    expect(ra.value!.members.map((m) => m.memberId)).toEqual([a, c.value!.memberId]);
    expect(env.clock.now() - T0).toBe(10_000);
    await syncAll(env, [ra.value!, c.value!]);
    expect(env.coord.rebalanceHistory(G).at(-1)!.reasons.map((r) => r.kind)).toEqual(['member-joined', 'session-timeout']);
    expect((await env.coord.heartbeat(heartbeatRequest(G, b, generation))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a new member whose JoinGroup stays parked too long is dropped (new member join timeout)', async () => {
    const env = setup({ newMemberJoinTimeoutMs: 5_000 });
    const { memberIds, generation } = await stableGroup(env, 1, { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 60_000 });
    const late = track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: 'late', rebalanceTimeoutMs: 60_000 })));
    // The existing member neither rejoins nor dies (heartbeats): the join phase waits for the rebalance timeout.
    for (let i = 0; i < 5; i++) {
      await advance(env, 1_000);
      await env.coord.heartbeat(heartbeatRequest(G, memberIds[0]!, generation));
    }
    expect(late.value).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId: '' });
    expect(env.coord.groupSnapshot(G)!.members.map((m) => m.memberId)).toEqual(memberIds);
  });

  it('GROUP_MAX_SIZE_REACHED: new members beyond group.max.size are refused', async () => {
    const env = setup({ maxGroupSize: 2 });
    const joins = [0, 1, 2].map((i) => track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}` }))));
    await advance(env, 0);
    expect(joins[2]!.value).toMatchObject({ errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED, memberId: '' });
    expect(joins[0]!.value!.members).toHaveLength(2);
    await syncAll(env, [joins[0]!.value!, joins[1]!.value!]);
    const more = await env.coord.joinGroup(joinRequest(G, { apiVersion: 4 }));
    expect(more.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    // Existing members are still welcome.
    const again = await env.coord.joinGroup(joinRequest(G, { memberId: joins[1]!.value!.memberId }));
    expect(again.errorCode).toBe(0);
  });

  it('a retried JoinGroup supersedes the parked one, which is answered REBALANCE_IN_PROGRESS', async () => {
    const env = setup();
    const { memberIds } = await stableGroup(env, 2);
    const first = track(env.coord.joinGroup(joinRequest(G, { memberId: memberIds[0]! })));
    const retry = track(env.coord.joinGroup(joinRequest(G, { memberId: memberIds[0]! })));
    await flush();
    expect(first.value!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(retry.settled).toBe(false);
    const other = track(env.coord.joinGroup(joinRequest(G, { memberId: memberIds[1]! })));
    await flush();
    expect(retry.value!.errorCode).toBe(0);
    expect(other.value!.errorCode).toBe(0);
  });
});

describe('SyncGroup', () => {
  it('parks followers until the leader sends the assignment; members the leader left out get an empty assignment', async () => {
    const env = setup();
    const joins = [0, 1, 2].map((i) => track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}` }))));
    await advance(env, 0);
    const [l, f1, f2] = joins.map((j) => j.value!) as [JoinGroupResult, JoinGroupResult, JoinGroupResult];
    const s1 = track(env.coord.syncGroup(syncRequest(G, f1.memberId, 1)));
    const s2 = track(env.coord.syncGroup(syncRequest(G, f2.memberId, 1)));
    await advance(env, 1_000);
    expect(s1.settled || s2.settled).toBe(false);
    const sl = await env.coord.syncGroup(
      syncRequest(G, l.memberId, 1, {
        assignments: [
          { memberId: l.memberId, assignment: encodeAssignment([0]) },
          { memberId: f1.memberId, assignment: encodeAssignment([1, 2]) },
          { memberId: 'not-a-member', assignment: encodeAssignment([9]) },
        ],
      }),
    );
    await flush();
    expect(decodeAssignment(sl.assignment)).toEqual([0]);
    expect(decodeAssignment(s1.value!.assignment)).toEqual([1, 2]);
    expect(s2.value).toEqual({ errorCode: 0, protocolType: 'consumer', protocolName: 'range', assignment: new Uint8Array(0) });
    // A later SyncGroup in Stable returns the stored assignment.
    const again = await env.coord.syncGroup(syncRequest(G, f1.memberId, 1));
    expect(decodeAssignment(again.assignment)).toEqual([1, 2]);
  });

  it('answers errors as Kafka: unknown group, Empty group, unknown member, stale generation, rebalance, protocol mismatch', async () => {
    const env = setup();
    expect((await env.coord.syncGroup(syncRequest('nope', 'm', 1))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await env.coord.syncGroup(syncRequest('', 'm', 1))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    const { memberIds, generation } = await stableGroup(env, 2);
    const [a] = memberIds as [string];
    expect((await env.coord.syncGroup(syncRequest(G, 'ghost', generation))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await env.coord.syncGroup(syncRequest(G, a, generation - 1))).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await env.coord.syncGroup(syncRequest(G, a, generation, { protocolType: 'connect' }))).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect((await env.coord.syncGroup(syncRequest(G, a, generation, { protocolName: 'roundrobin' }))).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    // v5+ must carry both; older versions carry neither.
    expect((await env.coord.syncGroup(syncRequest(G, a, generation, { protocolName: null }))).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect(
      (await env.coord.syncGroup(syncRequest(G, a, generation, { protocolName: null, protocolType: null, apiVersion: 4 }))).errorCode,
    ).toBe(0);
    expect((await env.coord.syncGroup(syncRequest(G, a, generation, { groupInstanceId: 'who' }))).errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    void env.coord.joinGroup(joinRequest(G, { memberId: a }));
    expect((await env.coord.syncGroup(syncRequest(G, memberIds[1]!, generation))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);

    await env.coord.leaveGroup({ groupId: 'g-empty', members: [] });
    void env.coord.joinGroup(joinRequest('g-empty', { apiVersion: 4 }));
    expect((await env.coord.syncGroup(syncRequest('g-empty', 'x', 0))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('the leader leaving during CompletingRebalance: parked followers are told to rejoin, a follower becomes leader', async () => {
    const env = setup();
    const joins = [0, 1, 2].map((i) => track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}` }))));
    await advance(env, 0);
    const [l, f1, f2] = joins.map((j) => j.value!) as [JoinGroupResult, JoinGroupResult, JoinGroupResult];
    const s1 = track(env.coord.syncGroup(syncRequest(G, f1.memberId, 1)));
    await flush();
    const left = await env.coord.leaveGroup({ groupId: G, members: [{ memberId: l.memberId, groupInstanceId: null, reason: 'bye' }] });
    expect(left).toEqual({ errorCode: 0, members: [{ memberId: l.memberId, groupInstanceId: null, errorCode: 0 }] });
    await flush();
    expect(s1.value!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(env.coord.groupSnapshot(G)!.state).toBe('PreparingRebalance');
    expect(env.coord.groupSnapshot(G)!.leaderId).toBe(f1.memberId);
    const r1 = track(env.coord.joinGroup(joinRequest(G, { memberId: f1.memberId })));
    const r2 = track(env.coord.joinGroup(joinRequest(G, { memberId: f2.memberId })));
    await flush();
    expect(r1.value).toMatchObject({ generationId: 2, leader: f1.memberId });
    expect(r1.value!.members).toHaveLength(2);
    await syncAll(env, [r1.value!, r2.value!]);
    expect(env.coord.rebalanceHistory(G).at(-1)).toMatchObject({
      generationId: 2,
      fromGenerationId: 0,
      generationsUsed: 2,
      reasons: [
        { kind: 'member-joined' },
        { kind: 'member-joined' },
        { kind: 'member-joined' },
        { kind: 'member-left', memberId: l.memberId, detail: 'bye' },
      ],
    });
  });

  it('members that never send SyncGroup are removed after the rebalance timeout and the group rebalances', async () => {
    const env = setup();
    const joins = [0, 1].map((i) =>
      track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}`, rebalanceTimeoutMs: 15_000, sessionTimeoutMs: 30_000 }))),
    );
    await advance(env, 0);
    const [l, f] = joins.map((j) => j.value!) as [JoinGroupResult, JoinGroupResult];
    await env.coord.syncGroup(syncRequest(G, l.memberId, 1, { assignments: [{ memberId: l.memberId, assignment: encodeAssignment([0]) }] }));
    expect(env.coord.groupSnapshot(G)!.state).toBe('Stable');
    await advance(env, 14_999);
    expect(env.coord.groupSnapshot(G)!.members).toHaveLength(2);
    await advance(env, 1);
    expect(env.coord.groupSnapshot(G)!.members.map((m) => m.memberId)).toEqual([l.memberId]);
    expect(env.coord.groupSnapshot(G)!.state).toBe('PreparingRebalance');
    expect((await env.coord.heartbeat(heartbeatRequest(G, f.memberId, 1))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe('Heartbeat and session expiry', () => {
  it('answers NONE / REBALANCE_IN_PROGRESS / ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID / INVALID_GROUP_ID', async () => {
    const env = setup();
    const { memberIds, generation } = await stableGroup(env, 2);
    const [a, b] = memberIds as [string, string];
    expect((await env.coord.heartbeat(heartbeatRequest(G, a, generation))).errorCode).toBe(0);
    expect((await env.coord.heartbeat(heartbeatRequest(G, a, generation - 1))).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await env.coord.heartbeat(heartbeatRequest(G, a, generation + 1))).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await env.coord.heartbeat(heartbeatRequest(G, 'ghost', generation))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await env.coord.heartbeat(heartbeatRequest('nope', a, generation))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await env.coord.heartbeat(heartbeatRequest('', a, generation))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await env.coord.heartbeat(heartbeatRequest(G, a, generation, 'inst'))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);

    const ra = track(env.coord.joinGroup(joinRequest(G, { memberId: a })));
    expect((await env.coord.heartbeat(heartbeatRequest(G, b, generation))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    // A stale generation is reported before the rebalance.
    expect((await env.coord.heartbeat(heartbeatRequest(G, b, generation - 1))).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const rb = track(env.coord.joinGroup(joinRequest(G, { memberId: b })));
    await flush();
    // CompletingRebalance: members may heartbeat with the new generation.
    expect(env.coord.groupSnapshot(G)!.state).toBe('CompletingRebalance');
    expect((await env.coord.heartbeat(heartbeatRequest(G, b, generation + 1))).errorCode).toBe(0);
    expect((await env.coord.heartbeat(heartbeatRequest(G, b, generation))).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(ra.value!.generationId).toBe(rb.value!.generationId);
  });

  it('a member that stops heartbeating is removed exactly at its session timeout; heartbeats keep the others alive', async () => {
    const env = setup();
    const { memberIds, generation } = await stableGroup(env, 2, { sessionTimeoutMs: 10_000 });
    const [a, b] = memberIds as [string, string];
    for (let i = 0; i < 30; i++) {
      await advance(env, 3_000);
      if (i < 2) await env.coord.heartbeat(heartbeatRequest(G, b, generation));
      if (env.coord.groupSnapshot(G)!.state !== 'Stable') break;
      expect((await env.coord.heartbeat(heartbeatRequest(G, a, generation))).errorCode).toBe(0);
    }
    // b's last heartbeat at t=6000 -> gone at t=16000 (observed at the 18000 step).
    const snap = env.coord.groupSnapshot(G)!;
    expect(snap.members.map((m) => m.memberId)).toEqual([a]);
    expect(snap.state).toBe('PreparingRebalance');
    expect((await env.coord.heartbeat(heartbeatRequest(G, a, generation))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const ra = await env.coord.joinGroup(joinRequest(G, { memberId: a }));
    expect(ra).toMatchObject({ generationId: generation + 1, leader: a });
  });

  it('expires at the deadline, not a millisecond earlier', async () => {
    const env = setup();
    const { memberIds, generation } = await stableGroup(env, 1, { sessionTimeoutMs: 10_000 });
    await advance(env, 4_000);
    await env.coord.heartbeat(heartbeatRequest(G, memberIds[0]!, generation));
    await advance(env, 9_999);
    expect(env.coord.groupSnapshot(G)!.members).toHaveLength(1);
    await advance(env, 1);
    expect(env.coord.groupSnapshot(G)!.state).toBe('Empty');
    expect(env.coord.groupSnapshot(G)!.generationId).toBe(generation + 1);
    const last = env.records.at(-1)!;
    expect(last.type === 'group-metadata' && last.value).toMatchObject({ generation: generation + 1, protocol: null, members: [] });
    expect(env.coord.rebalanceHistory(G).at(-1)).toMatchObject({ outcome: 'Empty', pausedMs: 0, reasons: [{ kind: 'session-timeout' }] });
  });
});

describe('LeaveGroup', () => {
  it('removes a batch of members, by member id or by group.instance.id, and reports each one', async () => {
    const env = setup();
    const joins = [
      track(env.coord.joinGroup(joinRequest(G, { apiVersion: 5, clientId: 'a' }))),
      track(env.coord.joinGroup(joinRequest(G, { apiVersion: 5, groupInstanceId: 'inst-b' }))),
      track(env.coord.joinGroup(joinRequest(G, { apiVersion: 5, groupInstanceId: 'inst-c' }))),
    ];
    const pending = joins[0]!;
    await flush();
    expect(pending.value!.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const a = track(env.coord.joinGroup(joinRequest(G, { apiVersion: 5, memberId: pending.value!.memberId })));
    await advance(env, 0);
    const b = joins[1]!.value!;
    const c = joins[2]!.value!;
    expect(b.memberId.startsWith('inst-b-')).toBe(true);
    await syncAll(env, [a.value!, b, c]);

    const res = await env.coord.leaveGroup({
      groupId: G,
      members: [
        { memberId: a.value!.memberId, groupInstanceId: null },
        { memberId: '', groupInstanceId: 'inst-b' },
        { memberId: '', groupInstanceId: 'inst-zzz' },
        { memberId: 'ghost', groupInstanceId: null },
        { memberId: 'wrong-id', groupInstanceId: 'inst-c' },
      ],
    });
    expect(res).toEqual({
      errorCode: 0,
      members: [
        { memberId: a.value!.memberId, groupInstanceId: null, errorCode: 0 },
        { memberId: '', groupInstanceId: 'inst-b', errorCode: 0 },
        { memberId: '', groupInstanceId: 'inst-zzz', errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
        { memberId: 'ghost', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
        { memberId: 'wrong-id', groupInstanceId: 'inst-c', errorCode: ErrorCode.FENCED_INSTANCE_ID },
      ],
    });
    const snap = env.coord.groupSnapshot(G)!;
    expect(snap.members.map((m) => m.memberId)).toEqual([c.memberId]);
    expect(snap.state).toBe('PreparingRebalance');
  });

  it('the last member leaving empties the group (generation + 1, record written); unknown group answers per member', async () => {
    const env = setup();
    const { memberIds, generation } = await stableGroup(env, 1);
    await env.coord.leaveGroup({ groupId: G, members: [{ memberId: memberIds[0]!, groupInstanceId: null }] });
    const snap = env.coord.groupSnapshot(G)!;
    expect(snap.state).toBe('Empty');
    expect(snap.generationId).toBe(generation + 1);
    expect(env.records.at(-1)).toMatchObject({ type: 'group-metadata', value: { generation: generation + 1, members: [] } });
    expect(await env.coord.leaveGroup({ groupId: 'nope', members: [{ memberId: 'm', groupInstanceId: null }] })).toEqual({
      errorCode: 0,
      members: [{ memberId: 'm', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }],
    });
    expect((await env.coord.leaveGroup({ groupId: '', members: [] })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('a pending member may leave, which lets a waiting join phase complete', async () => {
    const env = setup();
    const { memberIds, generation } = await stableGroup(env, 1);
    const pending = await env.coord.joinGroup(joinRequest(G, { apiVersion: 4, clientId: 'p' }));
    const ra = track(env.coord.joinGroup(joinRequest(G, { memberId: memberIds[0]! })));
    await flush();
    expect(ra.settled).toBe(false);
    const res = await env.coord.leaveGroup({ groupId: G, members: [{ memberId: pending.memberId, groupInstanceId: null }] });
    expect(res.members[0]!.errorCode).toBe(0);
    await flush();
    expect(ra.value!.generationId).toBe(generation + 1);
  });

  it('a member leaving with a parked JoinGroup gets it answered UNKNOWN_MEMBER_ID', async () => {
    const env = setup();
    const { memberIds } = await stableGroup(env, 2);
    const ra = track(env.coord.joinGroup(joinRequest(G, { memberId: memberIds[0]! })));
    await env.coord.leaveGroup({ groupId: G, members: [{ memberId: memberIds[0]!, groupInstanceId: null }] });
    await flush();
    expect(ra.value).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId: '' });
  });
});

describe('static membership', () => {
  async function staticGroup(env: Env) {
    const joins = ['i-0', 'i-1', 'i-2'].map((id, i) =>
      track(env.coord.joinGroup(joinRequest(G, { groupInstanceId: id, clientId: `c${i}`, apiVersion: 5 }))),
    );
    await advance(env, 0);
    const results = joins.map((j) => j.value!);
    const syncs = await syncAll(env, results);
    return { results, syncs };
  }

  it('a restarted static member gets a new member id and its old assignment, without a rebalance', async () => {
    const env = setup();
    const { results, syncs } = await staticGroup(env);
    const old = results[1]!;
    expect(old.memberId).toBe('i-1-00000000-0000-4000-8000-000000000001');
    const recordsBefore = env.records.length;

    const rejoin = await env.coord.joinGroup(joinRequest(G, { groupInstanceId: 'i-1', apiVersion: 5, clientId: 'restarted' }));
    expect(rejoin).toMatchObject({ errorCode: 0, generationId: 1, leader: results[0]!.memberId, members: [], skipAssignment: false });
    expect(rejoin.memberId).not.toBe(old.memberId);
    expect(rejoin.memberId.startsWith('i-1-')).toBe(true);
    expect(env.coord.groupSnapshot(G)!.state).toBe('Stable');
    // The new member id is persisted.
    expect(env.records.length).toBe(recordsBefore + 1);
    const rec = env.records.at(-1)!;
    expect(rec.type === 'group-metadata' && rec.value!.members.map((m) => m.memberId)).toContain(rejoin.memberId);

    const s = await env.coord.syncGroup(syncRequest(G, rejoin.memberId, 1, { groupInstanceId: 'i-1' }));
    expect(s.assignment).toEqual(syncs[1]!.assignment);
    // The old incarnation is fenced.
    expect((await env.coord.heartbeat(heartbeatRequest(G, old.memberId, 1, 'i-1'))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await env.coord.syncGroup(syncRequest(G, old.memberId, 1, { groupInstanceId: 'i-1' }))).errorCode).toBe(
      ErrorCode.FENCED_INSTANCE_ID,
    );
    expect((await env.coord.heartbeat(heartbeatRequest(G, rejoin.memberId, 1, 'i-1'))).errorCode).toBe(0);
    expect(env.coord.rebalanceHistory(G)).toHaveLength(1);
  });

  it('a restarted static leader: v9+ gets the member list with skipAssignment, older versions see the old leader id', async () => {
    const env = setup();
    const { results } = await staticGroup(env);
    const leaderOld = results[0]!.memberId;
    const v8 = await env.coord.joinGroup(joinRequest(G, { groupInstanceId: 'i-0', apiVersion: 8 }));
    expect(v8).toMatchObject({ errorCode: 0, leader: leaderOld, members: [], skipAssignment: false });
    expect(env.coord.groupSnapshot(G)!.leaderId).toBe(v8.memberId);
    const v9 = await env.coord.joinGroup(joinRequest(G, { groupInstanceId: 'i-0', apiVersion: 9 }));
    expect(v9).toMatchObject({ errorCode: 0, leader: v9.memberId, skipAssignment: true });
    expect(v9.members).toHaveLength(3);
    expect(env.coord.groupSnapshot(G)!.state).toBe('Stable');
  });

  it('a restarted static member with a protocol change that changes the selection triggers a rebalance', async () => {
    const env = setup();
    await staticGroup(env);
    // Supporting only roundrobin would leave no common protocol: refused outright.
    const refused = await env.coord.joinGroup(joinRequest(G, { groupInstanceId: 'i-1', protocols: [protocol('roundrobin')] }));
    expect(refused.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // New metadata, same protocol: no change of selection, no rebalance.
    const same = await env.coord.joinGroup(joinRequest(G, { groupInstanceId: 'i-1', protocols: [protocol('range', 'v2')] }));
    expect(same.errorCode).toBe(0);
    expect(env.coord.groupSnapshot(G)!.state).toBe('Stable');
  });

  it('static members that do not rejoin are kept through the rebalance timeout, until their session expires', async () => {
    const env = setup();
    const joins = ['i-0', 'i-1'].map((id) =>
      track(env.coord.joinGroup(joinRequest(G, { groupInstanceId: id, sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 10_000 }))),
    );
    await advance(env, 0);
    await syncAll(env, joins.map((j) => j.value!));
    const [a, b] = joins.map((j) => j.value!) as [JoinGroupResult, JoinGroupResult];
    // A dynamic newcomer; a rejoins, b (static) is silent.
    const n = track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: 'n', rebalanceTimeoutMs: 10_000 })));
    const ra = track(env.coord.joinGroup(joinRequest(G, { memberId: a.memberId, groupInstanceId: 'i-0', rebalanceTimeoutMs: 10_000 })));
    await advance(env, 10_000);
    expect(ra.value!.generationId).toBe(2);
    expect(ra.value!.members.map((m) => m.memberId)).toEqual([a.memberId, b.memberId, n.value!.memberId]);
    await syncAll(env, [ra.value!, n.value!]);
    // b never syncs nor heartbeats: removed at its session timeout (or the sync timeout, whichever first).
    await advance(env, 60_000);
    expect(env.coord.groupSnapshot(G)!.members.map((m) => m.memberId)).not.toContain(b.memberId);
  });

  it('a duplicate group.instance.id fences the older member: its parked JoinGroup is answered FENCED_INSTANCE_ID', async () => {
    const env = setup();
    await staticGroup(env);
    const first = await env.coord.joinGroup(joinRequest(G, { groupInstanceId: 'i-2', protocols: [protocol('range', 'v2')] }));
    expect(first.errorCode).toBe(0);
    // The group is Stable; trigger a rebalance and have `first` park its JoinGroup.
    const leaderId = env.coord.groupSnapshot(G)!.leaderId!;
    void env.coord.joinGroup(joinRequest(G, { memberId: leaderId, groupInstanceId: 'i-0' }));
    const parked = track(env.coord.joinGroup(joinRequest(G, { memberId: first.memberId, groupInstanceId: 'i-2' })));
    await flush();
    expect(parked.settled).toBe(false);
    // A second process with the same instance id arrives.
    const second = track(env.coord.joinGroup(joinRequest(G, { groupInstanceId: 'i-2' })));
    await flush();
    expect(parked.value).toMatchObject({ errorCode: ErrorCode.FENCED_INSTANCE_ID, memberId: first.memberId });
    expect(second.settled).toBe(false);
    expect(
      (await env.coord.joinGroup(joinRequest(G, { memberId: first.memberId, groupInstanceId: 'i-2' }))).errorCode,
    ).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('a static member replaced during CompletingRebalance restarts the rebalance', async () => {
    const env = setup();
    const joins = ['i-0', 'i-1'].map((id) => track(env.coord.joinGroup(joinRequest(G, { groupInstanceId: id }))));
    await advance(env, 0);
    const [a, b] = joins.map((j) => j.value!) as [JoinGroupResult, JoinGroupResult];
    const parkedSync = track(env.coord.syncGroup(syncRequest(G, b.memberId, 1, { groupInstanceId: 'i-1' })));
    await flush();
    const replacement = track(env.coord.joinGroup(joinRequest(G, { groupInstanceId: 'i-1' })));
    await flush();
    expect(parkedSync.value!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(env.coord.groupSnapshot(G)!.state).toBe('PreparingRebalance');
    const ra = track(env.coord.joinGroup(joinRequest(G, { memberId: a.memberId, groupInstanceId: 'i-0' })));
    await flush();
    expect(ra.value!.generationId).toBe(2);
    expect(replacement.value!.generationId).toBe(2);
  });
});

describe('describe / list / delete groups', () => {
  it('describes groups as Kafka does (metadata only when Stable, Dead for unknown groups)', async () => {
    const env = setup();
    const joins = [0, 1].map((i) => track(env.coord.joinGroup(joinRequest(G, { apiVersion: 3, clientId: `c${i}` }))));
    await advance(env, 0);
    const during = env.coord.describeGroups([G])[0]!;
    expect(during).toMatchObject({ groupState: 'CompletingRebalance', protocolType: 'consumer', protocolData: '' });
    expect(during.members[0]!.memberMetadata).toEqual(new Uint8Array(0));
    await syncAll(env, joins.map((j) => j.value!));
    const [d, unknown] = env.coord.describeGroups([G, 'nope']);
    expect(d).toMatchObject({ errorCode: 0, groupState: 'Stable', protocolData: 'range' });
    expect(d!.members[0]).toMatchObject({ clientId: 'c0', clientHost: '/127.0.0.1', memberMetadata: protocol('range').metadata });
    expect(decodeAssignment(d!.members[0]!.memberAssignment)).toEqual([0, 2, 4]);
    expect(unknown).toEqual({ groupId: 'nope', errorCode: 0, groupState: 'Dead', protocolType: '', protocolData: '', members: [] });
  });

  it('lists groups with a case-insensitive state filter; deletes only empty groups', async () => {
    const env = setup();
    await stableGroup(env, 1);
    await env.coord.commitOffsets({
      groupId: 'simple',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      apiVersion: 8,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(env.coord.listGroups().map((g) => [g.groupId, g.groupState, g.protocolType])).toEqual([
      [G, 'Stable', 'consumer'],
      ['simple', 'Empty', ''],
    ]);
    expect(env.coord.listGroups(['STABLE']).map((g) => g.groupId)).toEqual([G]);
    expect(env.coord.listGroups(['empty', 'dead']).map((g) => g.groupId)).toEqual(['simple']);
    expect(env.coord.listGroups([], ['consumer'])).toEqual([]);
    expect(env.coord.listGroups([], ['Classic'])).toHaveLength(2);

    const before = env.records.length;
    const res = await env.coord.deleteGroups([G, 'simple', 'nope', 'simple']);
    expect(res).toEqual([
      { groupId: G, errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'simple', errorCode: 0 },
      { groupId: 'nope', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect(env.records.slice(before)).toEqual([
      { type: 'offset-commit', groupId: 'simple', topic: 't', partition: 0, value: null },
      { type: 'group-metadata', groupId: 'simple', value: null },
    ]);
    expect(env.coord.listGroups().map((g) => g.groupId)).toEqual([G]);
    expect((await env.coord.fetchOffsets({ groupId: 'simple', topics: null })).topics).toEqual([]);
  });
});

describe('rebalance log', () => {
  it('logs every completed rebalance with group, generation, reasons, members and pause', async () => {
    const lines: Record<string, unknown>[] = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const clock = new ManualClock(T0);
    const coord = new GroupCoordinator({ clock, logger, config: { initialRebalanceDelayMs: 3_000 }, newUuid: sequentialUuids() });
    const seen: number[] = [];
    const off = coord.onRebalance((s) => seen.push(s.generationId));
    const j = track(coord.joinGroup(joinRequest(G, { apiVersion: 3 })));
    clock.advance(3_000);
    await flush();
    clock.advance(250);
    await coord.syncGroup(syncRequest(G, j.value!.memberId, 1));
    off();
    expect(seen).toEqual([1]);
    const line = lines.find((l) => l['msg'] === 'group rebalance completed')!;
    expect(line).toMatchObject({
      groupId: G,
      generationId: 1,
      outcome: 'Stable',
      pausedMs: 3_250,
      memberCount: 1,
      members: [j.value!.memberId],
      reasons: [`member-joined ${j.value!.memberId}`],
      reasonCount: 1,
    });
    expect(coord.rebalanceHistory(G)[0]).toMatchObject({ startedAt: T0, completedAt: T0 + 3_250, pausedMs: 3_250 });
  });

  it('keeps a bounded history per group and drops it when the group is deleted', async () => {
    const clock = new ManualClock(T0);
    const coord = new GroupCoordinator({ clock, historyLimit: 3, config: { initialRebalanceDelayMs: 0 }, newUuid: sequentialUuids() });
    let memberId = '';
    for (let i = 0; i < 5; i++) {
      const j = track(coord.joinGroup(joinRequest(G, { apiVersion: 3, memberId })));
      clock.advance(0);
      await flush();
      memberId = j.value!.memberId;
      await coord.syncGroup(syncRequest(G, memberId, j.value!.generationId));
    }
    expect(coord.rebalanceHistory(G).map((h) => h.generationId)).toEqual([3, 4, 5]);
    await coord.leaveGroup({ groupId: G, members: [{ memberId, groupInstanceId: null }] });
    expect(coord.rebalanceHistory(G).map((h) => h.outcome)).toEqual(['Stable', 'Stable', 'Empty']);
    await coord.deleteGroups([G]);
    expect(coord.rebalanceHistory(G)).toEqual([]);
  });
});
