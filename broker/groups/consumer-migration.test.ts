// Online migration between classic and consumer groups on the pure machine
// (group.consumer.migration.policy): the upgrade of a classic group with members
// when a consumer-protocol member joins, classic members served by the consumer
// group (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, commits, timers), the
// downgrade when the last consumer-protocol member goes, the policy's refusals,
// the records written for each conversion and their replay.
import { describe, expect, it } from 'vitest';
import { ConsumerSim, SimMember as Modern } from './consumer-sim.js';
import { commitRequest, joinRequest, subscription, syncRequest, heartbeatRequest, TestTopics } from './testing.js';
import { readAssignment, writeAssignment } from './consumer-protocol-bytes.js';
import {
  ErrorCode,
  type GroupCoordinatorConfig,
  type GroupMetadataValue,
  type JoinGroupResult,
  type LeaveGroupResult,
  type OffsetCommitResult,
  type SyncGroupResult,
  type HeartbeatResult,
} from './types.js';

const G = 'g';
const LEAVE = { memberEpoch: -1, topicPartitions: [] };


/** A classic consumer as kafkajs is: eager (owns nothing when it rejoins), follows REBALANCE_IN_PROGRESS. */
class Classic {
  id = '';
  generation = -1;
  owned: string[] = [];

  constructor(
    private readonly sim: ConsumerSim,
    readonly protocols = ['RoundRobinAssigner'],
    private readonly protocolType = 'consumer',
  ) {}

  joinRequest() {
    return joinRequest(G, {
      memberId: this.id,
      protocolType: this.protocolType,
      protocols: this.protocols.map((name) => ({ name, metadata: subscription(['t']) })),
      apiVersion: 5,
    });
  }

  /** JoinGroup; returns the handle (the answer may be parked). */
  sendJoin(): number {
    this.owned = [];
    return this.sim.send((handle) => ({ type: 'join', handle, request: this.joinRequest() }));
  }

  answered(handle: number): JoinGroupResult {
    const res = this.sim.answers.get(handle) as JoinGroupResult;
    if (res.errorCode === ErrorCode.NONE) {
      this.id = res.memberId;
      this.generation = res.generationId;
    }
    return res;
  }

  join(): JoinGroupResult {
    return this.answered(this.sendJoin());
  }

  sync(assignments: { memberId: string; assignment: Uint8Array }[] = []): SyncGroupResult {
    const res = this.sim.request((handle) => ({
      type: 'sync',
      handle,
      request: syncRequest(G, this.id, this.generation, { protocolName: this.protocols[0], assignments }),
    })) as SyncGroupResult;
    if (res.errorCode === ErrorCode.NONE) this.owned = [...(readAssignment(res.assignment) ?? [])].flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)).sort();
    return res;
  }

  heartbeat(): number {
    return (this.sim.request((handle) => ({ type: 'heartbeat', handle, request: heartbeatRequest(G, this.id, this.generation) })) as HeartbeatResult).errorCode;
  }

  /** Heartbeat; on REBALANCE_IN_PROGRESS rejoin and sync at once (the answer is immediate in a consumer group). */
  poll(): void {
    if (this.heartbeat() !== ErrorCode.REBALANCE_IN_PROGRESS) return;
    expect(this.join().errorCode).toBe(ErrorCode.NONE);
    expect(this.sync().errorCode).toBe(ErrorCode.NONE);
  }
}

/** A Stable classic group of `ids`, partitions of t dealt round robin, at generation 3, as loaded from its record. */
function seedClassic(sim: ConsumerSim, members: Classic[], partitions: number): void {
  const ids = members.map((_, i) => `c${i}`);
  sim.load({
    type: 'group-metadata',
    groupId: G,
    value: {
      protocolType: 'consumer',
      generation: 3,
      protocol: 'RoundRobinAssigner',
      leader: ids[0],
      currentStateTimestamp: sim.now,
      members: ids.map((memberId, i) => ({
        memberId,
        groupInstanceId: null,
        clientId: 'kafkajs',
        clientHost: '/127.0.0.1',
        rebalanceTimeout: 30_000,
        sessionTimeout: 10_000,
        subscription: subscription(['t']),
        assignment: writeAssignment([{ topic: 't', partitions: [...Array(partitions).keys()].filter((p) => p % ids.length === i) }], 1),
      })),
    },
  });
  sim.step({ type: 'load-complete' });
  members.forEach((m, i) => {
    m.id = ids[i];
    m.generation = 3;
    m.owned = [...Array(partitions).keys()].filter((p) => p % ids.length === i).map((p) => `t:${p}`);
  });
}

/** No partition held by two members, as the coordinator sees it and as the clients do. */
function assertExclusive(sim: ConsumerSim, classics: Classic[], moderns: Modern[]): void {
  const g = sim.state.consumerGroup(G);
  if (g !== undefined) {
    const seen = new Set<string>();
    for (const m of g.members.values()) {
      for (const map of [m.assigned, m.pendingRevocation]) {
        for (const [t, ps] of map) for (const p of ps) {
          expect(seen.has(`${t}:${p}`), `${t}:${p} owned twice`).toBe(false);
          seen.add(`${t}:${p}`);
        }
      }
    }
  }
  const held = [...classics.flatMap((c) => c.owned), ...moderns.flatMap((m) => m.partitions)];
  expect(new Set(held).size, `client-side ${held.join(',')}`).toBe(held.length);
}

function isBufferJson(v: unknown): v is { data: number[] } {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer';
}

function newSim(config: Partial<GroupCoordinatorConfig> = {}, partitions = 6): ConsumerSim {
  return new ConsumerSim(new TestTopics({ t: partitions }), { initialRebalanceDelayMs: 0, ...config });
}

describe('online migration between classic and consumer groups', () => {
  it('a consumer-protocol member upgrades a live classic group; classic members rejoin and hand partitions over; replay agrees', () => {
    const sim = newSim();
    const classics = [new Classic(sim), new Classic(sim)];
    seedClassic(sim, classics, 6);
    const before = sim.records.length;
    const m = new Modern(sim, 'm');
    const res = m.beat();
    expect(res).toMatchObject({ errorCode: 0, memberEpoch: 4 });
    expect(m.partitions).toEqual([]); // every partition is still owned by a classic member
    // Kafka's conversion records: the classic group's tombstone, then the consumer group, then the join.
    expect(sim.records.slice(before, before + 9).map((r) => `${r.type}${r.value === null ? ' tombstone' : ''}`)).toEqual([
      'group-metadata tombstone',
      'cg-member',
      'cg-member',
      'cg-metadata',
      'cg-target-member',
      'cg-target-member',
      'cg-target-metadata',
      'cg-current',
      'cg-current',
    ]);
    const g = sim.state.consumerGroup(G)!;
    expect(g.members.get('c0')).toMatchObject({ memberEpoch: 3, classicMemberMetadata: { sessionTimeoutMs: 10_000 } });
    expect(sim.state.group(G)).toBeUndefined();
    assertExclusive(sim, classics, [m]);

    // Classic members learn of the new epoch from their heartbeat, rejoin owning nothing and get the kept part.
    for (const c of classics) {
      expect(c.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      expect(c.join()).toMatchObject({ errorCode: 0, generationId: 4, protocolName: 'RoundRobinAssigner', leader: '', members: [] });
      expect(c.sync().errorCode).toBe(ErrorCode.NONE);
      expect(c.owned.length).toBe(2);
      assertExclusive(sim, classics, [m]);
    }
    m.beat();
    expect(m.partitions.length).toBe(2);
    for (const c of classics) expect(c.heartbeat()).toBe(ErrorCode.NONE);
    assertExclusive(sim, classics, [m]);
    expect(sim.state.describeConsumerGroups([G])[0]).toMatchObject({ groupState: 'Stable', groupEpoch: 4, assignmentEpoch: 4 });
    expect(new Set([...classics.flatMap((c) => c.owned), ...m.partitions]).size).toBe(6);

    const replayed = sim.replay();
    expect(replayed.describeConsumerGroups([G])).toEqual(sim.state.describeConsumerGroups([G]));
    const plain = (ms: Iterable<object>) => JSON.parse(JSON.stringify([...ms], (_k, v: unknown) => (isBufferJson(v) ? v.data : v instanceof Uint8Array ? [...v] : v instanceof Set ? [...v] : v instanceof Map ? [...v] : v)));
    expect(plain(replayed.consumerGroup(G)!.members.values())).toEqual(plain(g.members.values()));
  });

  it('the last consumer-protocol member leaving downgrades the group; the classic members rebalance among themselves', () => {
    const sim = newSim();
    const classics = [new Classic(sim), new Classic(sim)];
    seedClassic(sim, classics, 6);
    const m = new Modern(sim, 'm');
    m.beat();
    for (let i = 0; i < 2; i++) {
      for (const c of classics) c.poll();
      m.beat();
    }
    expect(m.partitions.length).toBe(2);
    const epoch = sim.state.consumerGroup(G)!.groupEpoch;
    const before = sim.records.length;
    expect(m.beat(LEAVE)).toMatchObject({ errorCode: 0, memberEpoch: -1 });
    expect(sim.state.consumerGroup(G)).toBeUndefined();
    const classic = sim.state.group(G)!;
    expect(classic).toMatchObject({ state: 'PreparingRebalance', generationId: epoch, protocolType: 'consumer', protocolName: 'RoundRobinAssigner' });
    const written = sim.records.slice(before).map((r) => `${r.type}${r.value === null ? ' tombstone' : ''}`);
    expect(written).toEqual([
      ...Array(3).fill('cg-current tombstone'),
      ...Array(3).fill('cg-target-member tombstone'),
      'cg-target-metadata tombstone',
      ...Array(3).fill('cg-member tombstone'),
      'cg-partition-metadata tombstone',
      'cg-metadata tombstone',
      'group-metadata',
    ]);
    // Each member's target assignment is kept in the record, at its subscription's version.
    const value = sim.records.at(-1)!.value as GroupMetadataValue;
    expect(value.members.map((x) => [...(readAssignment(x.assignment)!.get('t') ?? [])].length)).toEqual([2, 2]);

    // The classic rebalance: both rejoin, the leader assigns, both sync.
    for (const c of classics) expect(c.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const h0 = classics[0].sendJoin();
    const h1 = classics[1].sendJoin();
    const j0 = classics[0].answered(h0);
    const j1 = classics[1].answered(h1);
    expect([j0.generationId, j1.generationId]).toEqual([epoch + 1, epoch + 1]);
    const leader = [j0, j1].find((j) => j.members.length > 0)!;
    expect(leader.memberId).toBe(leader.leader);
    const assignments = leader.members.map((x, i) => ({
      memberId: x.memberId,
      assignment: writeAssignment([{ topic: 't', partitions: [0, 1, 2, 3, 4, 5].filter((p) => p % 2 === i) }], 1),
    }));
    const leaderClient = classics.find((c) => c.id === leader.memberId)!;
    const other = classics.find((c) => c !== leaderClient)!;
    const otherSync = sim.send((handle) => ({ type: 'sync', handle, request: syncRequest(G, other.id, other.generation, { protocolName: 'RoundRobinAssigner' }) }));
    expect(leaderClient.sync(assignments).errorCode).toBe(ErrorCode.NONE);
    expect((sim.answers.get(otherSync) as SyncGroupResult).errorCode).toBe(ErrorCode.NONE);
    expect(sim.state.group(G)!.state).toBe('Stable');
    expect(sim.replay().group(G)).toMatchObject({ generationId: epoch + 1, state: 'Stable' });
  });

  it('with the policy refusing, or a group that cannot convert, the heartbeat answers GROUP_ID_NOT_FOUND and the group stays classic', () => {
    for (const policy of ['disabled', 'downgrade'] as const) {
      const sim = newSim({ consumerMigrationPolicy: policy });
      seedClassic(sim, [new Classic(sim)], 2);
      expect(new Modern(sim, 'm').beat()).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${G} is not a consumer group.` });
      expect(sim.state.group(G)).toMatchObject({ state: 'Stable' });
    }
    const small = newSim({ consumerMaxGroupSize: 1 });
    seedClassic(small, [new Classic(small), new Classic(small)], 2);
    expect(new Modern(small, 'm').beat().errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    const full = newSim({ consumerMaxGroupSize: 2 });
    seedClassic(full, [new Classic(full), new Classic(full)], 2);
    expect(new Modern(full, 'm').beat().errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    expect(full.state.group(G)).toMatchObject({ state: 'Stable' });
    // A classic group of another protocol type never converts.
    const connect = newSim();
    const worker = new Classic(connect, ['default'], 'connect');
    const h = worker.sendJoin();
    expect(worker.answered(h).errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    worker.id = (connect.answers.get(h) as JoinGroupResult).memberId;
    worker.sendJoin();
    connect.advance(0);
    expect(connect.state.group(G)!.members.size).toBe(1);
    expect(new Modern(connect, 'm').beat().errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('policy "upgrade" keeps the group a consumer group when the last consumer-protocol member leaves', () => {
    const sim = newSim({ consumerMigrationPolicy: 'upgrade' }, 2);
    const classics = [new Classic(sim)];
    seedClassic(sim, classics, 2);
    const m = new Modern(sim, 'm');
    m.beat();
    m.beat(LEAVE);
    expect(sim.state.group(G)).toBeUndefined();
    expect(sim.state.consumerGroup(G)!.members.size).toBe(1);
    classics[0].poll();
    expect(classics[0].owned).toEqual(['t:0', 't:1']);
  });

  it('a classic static member taking the place of the last consumer-protocol member downgrades the group without a rebalance', () => {
    const sim = newSim({}, 4);
    const classics = [new Classic(sim)];
    seedClassic(sim, classics, 4);
    const m = new Modern(sim, 'm', { instanceId: 'i1' });
    m.beat();
    for (let i = 0; i < 3; i++) {
      classics[0].poll();
      m.beat();
    }
    expect(m.partitions.length).toBe(2);
    const epoch = sim.state.consumerGroup(G)!.groupEpoch;
    const res = sim.request((handle) => ({
      type: 'join',
      handle,
      request: joinRequest(G, { groupInstanceId: 'i1', protocols: [{ name: 'RoundRobinAssigner', metadata: subscription(['t']) }], apiVersion: 5 }),
    })) as JoinGroupResult;
    expect(res).toMatchObject({ errorCode: 0, generationId: epoch, protocolName: 'RoundRobinAssigner' });
    expect(sim.state.consumerGroup(G)).toBeUndefined();
    const classic = sim.state.group(G)!;
    expect(classic).toMatchObject({ state: 'Stable', generationId: epoch });
    expect([...classic.members.keys()].sort()).toEqual([classics[0].id, res.memberId].sort());
    // The newcomer syncs into the classic group and gets the partitions m had.
    const sync = sim.request((handle) => ({
      type: 'sync',
      handle,
      request: syncRequest(G, res.memberId, res.generationId, { groupInstanceId: 'i1', protocolName: 'RoundRobinAssigner' }),
    })) as SyncGroupResult;
    expect(sync.errorCode).toBe(ErrorCode.NONE);
    expect([...(readAssignment(sync.assignment)!.get('t') ?? [])].map((p) => `t:${p}`).sort()).toEqual(m.partitions);
    expect(sim.replay().group(G)).toMatchObject({ state: 'Stable', generationId: epoch });
  });

  it('a session expiry of the consumer-protocol member downgrades too', () => {
    const sim = newSim();
    const classics = [new Classic(sim), new Classic(sim)];
    seedClassic(sim, classics, 4);
    const start = sim.now;
    new Modern(sim, 'm').beat();
    for (let i = 0; i < 10; i++) {
      sim.advance(5_000);
      if (sim.state.consumerGroup(G) === undefined) break;
      for (const c of classics) c.poll();
    }
    expect(sim.now - start).toBeGreaterThanOrEqual(45_000);
    expect(sim.state.group(G)).toMatchObject({ state: 'PreparingRebalance', members: new Map(classics.map((c) => [c.id, expect.anything()])) });
  });

  it('classic members of a consumer group get Kafka answers: protocols, ids, generations, commits, leave, join and sync timeouts', () => {
    const sim = newSim({}, 4);
    const m = new Modern(sim, 'm');
    m.beat();
    const c = new Classic(sim);
    // Wrong protocol type; then no protocol shared with the classic members already in.
    expect(new Classic(sim, ['range'], 'connect').join().errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const required = c.join();
    expect(required.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    c.id = required.memberId;
    expect(c.join()).toMatchObject({ errorCode: 0, generationId: 2 });
    expect(new Classic(sim, ['range']).join().errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // Sync: wrong generation, wrong protocol name, then the assignment it may take now (nothing yet: m owns all).
    const badGen = sim.request((handle) => ({ type: 'sync', handle, request: syncRequest(G, c.id, 9, { protocolName: 'RoundRobinAssigner' }) })) as SyncGroupResult;
    expect(badGen.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const badName = sim.request((handle) => ({ type: 'sync', handle, request: syncRequest(G, c.id, 2, { protocolName: 'range' }) })) as SyncGroupResult;
    expect(badName.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(c.sync().errorCode).toBe(ErrorCode.NONE);
    expect(c.owned).toEqual([]);
    // m revokes; c's partitions are then free: its heartbeat asks it to rejoin, and it gets them.
    m.beat();
    m.beat();
    expect(c.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    c.poll();
    c.join();
    c.sync();
    expect(c.owned.length).toBe(2);
    expect(m.partitions.length).toBe(2);
    assertExclusive(sim, [c], [m]);
    // Commits: the generation (member epoch) of a classic member, any version.
    const commit = (generation: number) =>
      (sim.request((handle) => ({
        type: 'offset-commit',
        handle,
        request: commitRequest(G, { t: { 0: 1n } }, { memberId: c.id, generationIdOrMemberEpoch: generation, apiVersion: 7 }),
      })) as OffsetCommitResult).topics[0].partitions[0].errorCode;
    expect(commit(c.generation)).toBe(ErrorCode.NONE);
    expect(commit(c.generation - 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    // A consumer-protocol member is unknown to the classic APIs.
    expect((sim.request((handle) => ({ type: 'heartbeat', handle, request: heartbeatRequest(G, 'm', m.epoch) })) as HeartbeatResult).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // Leave bumps the epoch once; m then gets everything.
    const epoch = sim.state.consumerGroup(G)!.groupEpoch;
    const left = sim.request((handle) => ({ type: 'leave', handle, request: { groupId: G, members: [{ memberId: c.id, groupInstanceId: null }, { memberId: 'nobody', groupInstanceId: null }] } })) as LeaveGroupResult;
    expect(left.members.map((x) => x.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(sim.state.consumerGroup(G)!.groupEpoch).toBe(epoch + 1);
    m.beat();
    expect(m.partitions.length).toBe(4);

    // A classic member that joins and never syncs is fenced after its rebalance timeout; one told to rejoin that does not, too.
    const late = new Classic(sim);
    late.id = 'late';
    late.join();
    expect(sim.state.consumerGroup(G)!.members.has('late')).toBe(true);
    sim.advance(30_000);
    expect(sim.state.consumerGroup(G)!.members.has('late')).toBe(false);
    const idle = new Classic(sim);
    idle.id = 'idle';
    idle.join();
    idle.sync();
    new Modern(sim, 'm2').beat();
    expect(idle.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    sim.advance(9_000);
    expect(idle.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS); // the join timer is not pushed back
    sim.advance(21_000);
    expect(sim.state.consumerGroup(G)!.members.has('idle')).toBe(false);
  });
});
