// Consumer groups with unmodified kafkajs consumers over real TCP (issue 4, "Done
// when"): partitions shared out and every message consumed once, a member joining
// moves partitions without two members of one generation reading the same one, a
// member killed without LeaveGroup loses its partitions once its session times
// out, a restarted group resumes from its committed offsets; and the admin calls
// on groups answer as Kafka would.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Kafka, logLevel, AssignerProtocol, type Admin, type Consumer, type Producer } from 'kafkajs';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';
import { awaitStableGroup, Condition, spawnGroupMember } from '../support/groups.js';
import { parseConsumerAssignment } from '../../broker/group-service.js';

interface Member {
  readonly name: string;
  readonly consumer: Consumer;
  memberId: string | null;
  /** Partitions of the scenario's topic in the latest assignment. */
  assignment: number[];
}

interface Consumed {
  member: string;
  partition: number;
  offset: string;
  value: string;
  /** Whether the partition was in the member's current assignment when it read it. */
  owned: boolean;
}

describe('kafkajs consumer groups', () => {
  let broker: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let sessionMs: number;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    broker = await testBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '500' } });
    // Against Apache Kafka the session timeout cannot go below its 6 s minimum.
    sessionMs = broker.kafkalite ? 1_500 : 6_000;
    kafka = new Kafka({ clientId: 'compat-groups', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.close();
  });

  async function startMember(name: string, groupId: string, topic: string, cond: Condition, consumed: Consumed[]): Promise<Member> {
    const consumer = kafka.consumer({ groupId, sessionTimeout: sessionMs, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
    const m: Member = { name, consumer, memberId: null, assignment: [] };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      m.memberId = e.payload.memberId;
      m.assignment = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
      cond.changed();
    });
    cleanups.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        consumed.push({ member: name, partition, offset: message.offset, value: message.value!.toString(), owned: m.assignment.includes(partition) });
        cond.changed();
      },
    });
    return m;
  }

  async function produce(topic: string, partitions: number, perPartition: number, tag: string): Promise<string[]> {
    const values: string[] = [];
    const messages = [];
    for (let p = 0; p < partitions; p++) {
      for (let i = 0; i < perPartition; i++) {
        const value = `${tag}-${p}-${i}`;
        values.push(value);
        messages.push({ partition: p, value });
      }
    }
    await producer.send({ topic, messages });
    return values;
  }

  /** Every partition in exactly one member's assignment. */
  function partitionOwners(members: readonly Member[], partitions: number): Map<number, string> | null {
    const owners = new Map<number, string>();
    for (const m of members) {
      for (const p of m.assignment) {
        if (owners.has(p)) return null;
        owners.set(p, m.name);
      }
    }
    return owners.size === partitions ? owners : null;
  }

  const count = (consumed: readonly Consumed[], prefix: string) => new Set(consumed.filter((c) => c.value.startsWith(prefix)).map((c) => c.value)).size;

  it('3 consumers share 6 partitions 2 each and read every message once; a 4th joining moves partitions, never to two members of a generation', async () => {
    const topic = uniqueTopic('grp-share');
    const groupId = `g-${topic}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    const cond = new Condition();
    const consumed: Consumed[] = [];

    // On kafkalite, record every Stable generation's assignment as the broker handed it out.
    const generations = new Map<number, Map<string, number[]>>();
    const stop = broker.kafkalite?.groups.onRebalance((s) => {
      if (s.groupId !== groupId || s.outcome !== 'Stable') return;
      const snap = broker.kafkalite!.groups.groupSnapshot(groupId)!;
      generations.set(s.generationId, new Map(snap.members.map((mm) => [mm.memberId, parseConsumerAssignment(mm.assignment)?.get(topic) ?? []])));
    });

    const members: Member[] = [];
    for (const name of ['c1', 'c2', 'c3']) members.push(await startMember(name, groupId, topic, cond, consumed));
    await awaitStableGroup(broker, admin, groupId, 3);
    await cond.until(() => partitionOwners(members, 6) !== null && members.every((m) => m.assignment.length === 2), '3 members with 2 partitions each');
    const before = partitionOwners(members, 6)!;

    const phaseA = await produce(topic, 6, 50, 'a');
    await cond.until(() => count(consumed, 'a-') === phaseA.length, 'all of phase a consumed');
    const a = consumed.filter((c) => c.value.startsWith('a-'));
    expect(a).toHaveLength(phaseA.length); // no message read twice
    expect(new Set(a.map((c) => `${c.partition}:${c.offset}`)).size).toBe(phaseA.length);
    for (const c of a) expect(before.get(c.partition)).toBe(c.member);

    // A 4th member joins while messages keep coming.
    let producing = true;
    const background = (async () => {
      for (let i = 0; producing && i < 30; i++) await produce(topic, 6, 2, `b${i}`);
    })();
    members.push(await startMember('c4', groupId, topic, cond, consumed));
    await awaitStableGroup(broker, admin, groupId, 4);
    await cond.until(
      () => partitionOwners(members, 6) !== null && members.map((m) => m.assignment.length).sort().join() === '1,1,2,2',
      '4 members sharing 6 partitions',
    );
    producing = false;
    await background;
    const after = partitionOwners(members, 6)!;
    const moved = [...after].filter(([p, owner]) => before.get(p) !== owner);
    expect(moved.length).toBeGreaterThanOrEqual(1);
    expect(after.get(members[3]!.assignment[0]!)).toBe('c4');

    const phaseC = await produce(topic, 6, 50, 'c');
    await cond.until(() => count(consumed, 'c-') === phaseC.length, 'all of phase c consumed');
    const c = consumed.filter((x) => x.value.startsWith('c-'));
    expect(c).toHaveLength(phaseC.length);
    for (const x of c) expect(after.get(x.partition)).toBe(x.member);
    // Nothing produced during the rebalance is lost.
    await cond.until(() => consumed.some((x) => x.value.startsWith('b')), 'phase b consumed');
    // No member ever read a partition outside its current generation's assignment.
    expect(consumed.filter((x) => !x.owned)).toEqual([]);

    if (broker.kafkalite) {
      stop?.();
      expect(generations.size).toBeGreaterThanOrEqual(2);
      for (const [gen, byMember] of generations) {
        const all = [...byMember.values()].flat();
        expect(new Set(all).size, `generation ${gen} hands a partition to two members`).toBe(all.length);
      }
    }
  });

  it('a consumer killed without LeaveGroup loses its partitions to the others once its session times out', async () => {
    const topic = uniqueTopic('grp-kill');
    const groupId = `g-${topic}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const cond = new Condition();
    const consumed: Consumed[] = [];

    const victim = await spawnGroupMember({
      library: 'kafkajs',
      bootstrap: broker.bootstrap,
      groupId,
      topic,
      clientId: 'victim',
      sessionMs,
      cond,
    });
    cleanups.push(async () => victim.process.kill('SIGKILL'));

    const survivor = await startMember('survivor', groupId, topic, cond, consumed);
    await awaitStableGroup(broker, admin, groupId, 2);
    await cond.until(
      () => victim.lastJoin !== null && survivor.assignment.length === 2 && (victim.lastJoin.assignment[topic] ?? []).length === 2,
      'both members with 2 partitions',
    );
    const victimPartitions = victim.lastJoin!.assignment[topic]!;
    const victimMemberId = victim.lastJoin!.memberId;

    const killedAt = Date.now();
    victim.process.kill('SIGKILL');
    await awaitStableGroup(broker, admin, groupId, 1, 30_000);
    const noticedAfter = Date.now() - killedAt;
    // The broker cannot know before the session timeout (less the last heartbeat interval).
    expect(noticedAfter).toBeGreaterThanOrEqual(sessionMs - 200);
    await cond.until(() => survivor.assignment.length === 4, 'survivor owning all 4 partitions');
    expect(survivor.assignment).toEqual([0, 1, 2, 3]);

    if (broker.kafkalite) {
      const last = broker.kafkalite.groups.rebalanceHistory(groupId).at(-1)!;
      expect(last.reasons).toContainEqual(expect.objectContaining({ kind: 'session-timeout', memberId: victimMemberId }));
    }

    const values = await produce(topic, 4, 5, 'k');
    await cond.until(() => count(consumed, 'k-') === values.length, 'survivor reading every partition');
    expect(new Set(consumed.filter((c) => c.value.startsWith('k-')).map((c) => c.partition))).toEqual(new Set([0, 1, 2, 3]));
    expect(consumed.filter((c) => victimPartitions.includes(c.partition) && c.value.startsWith('k-')).every((c) => c.member === 'survivor')).toBe(true);
  });

  it('a group stopped and restarted resumes from its committed offsets', async () => {
    const topic = uniqueTopic('grp-resume');
    const groupId = `g-${topic}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    const cond = new Condition();
    const consumed: Consumed[] = [];

    const first = await produce(topic, 3, 10, 'first');
    const m1 = await startMember('first', groupId, topic, cond, consumed);
    await cond.until(() => count(consumed, 'first-') === first.length, 'first batch consumed');
    await m1.consumer.disconnect();

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets[0]!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '10'],
      [1, '10'],
      [2, '10'],
    ]);

    const second = await produce(topic, 3, 7, 'second');
    const m2 = await startMember('second', groupId, topic, cond, consumed);
    await cond.until(() => count(consumed, 'second-') === second.length, 'second batch consumed');
    // Resumed where the group left off: nothing of the first batch again.
    expect(consumed.filter((c) => c.member === 'second' && c.value.startsWith('first-'))).toEqual([]);
    expect(consumed.filter((c) => c.member === 'second')).toHaveLength(second.length);
    await m2.consumer.disconnect();
  });

  it('admin: listGroups, describeGroups, fetchOffsets, setOffsets, resetOffsets and deleteGroups', async () => {
    const topic = uniqueTopic('grp-admin');
    const groupId = `g-${topic}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const cond = new Condition();
    const consumed: Consumed[] = [];
    await produce(topic, 2, 5, 'x');
    const m = await startMember('admin-member', groupId, topic, cond, consumed);
    await awaitStableGroup(broker, admin, groupId, 1);
    await cond.until(() => consumed.length === 10, 'messages consumed');

    const { groups } = await admin.listGroups();
    expect(groups).toContainEqual({ groupId, protocolType: 'consumer' });

    const described = (await admin.describeGroups([groupId, 'no-such-group'])).groups;
    const d = described.find((g) => g.groupId === groupId)!;
    expect(d).toMatchObject({ errorCode: 0, state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
    expect(d.members).toHaveLength(1);
    expect(d.members[0]).toMatchObject({ memberId: m.memberId, clientId: 'compat-groups' });
    expect(d.members[0]!.clientHost).toMatch(/^\//);
    const assignment = AssignerProtocol.MemberAssignment.decode(d.members[0]!.memberAssignment);
    expect(assignment?.assignment).toEqual({ [topic]: [0, 1] });
    const metadata = AssignerProtocol.MemberMetadata.decode(d.members[0]!.memberMetadata);
    expect(metadata?.topics).toEqual([topic]);
    expect(described.find((g) => g.groupId === 'no-such-group')).toMatchObject({ errorCode: 0, state: 'Dead', members: [] });

    // Offsets cannot be set while the group has members; nor can it be deleted.
    await expect(admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] })).rejects.toThrow(/no running instances/);
    await expect(admin.deleteGroups([groupId])).rejects.toMatchObject({
      groups: [expect.objectContaining({ groupId, errorCode: 68, error: expect.objectContaining({ type: 'NON_EMPTY_GROUP' }) })],
    });

    await m.consumer.disconnect();
    expect((await admin.describeGroups([groupId])).groups[0]!.state).toBe('Empty');
    const fetched = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(fetched).toEqual([{ topic, partitions: [{ partition: 0, offset: '5', metadata: null }, { partition: 1, offset: '5', metadata: null }] }]);

    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '4' }] });
    const set = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(set[0]!.partitions.map((p) => p.offset)).toEqual(['2', '4']);

    // kafkajs commits the earliest sentinel (-2) itself; resolving it needs ListOffsets.
    await admin.resetOffsets({ groupId, topic, earliest: true });
    const reset = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(reset[0]!.partitions.map((p) => p.offset)).toEqual(['-2', '-2']);
    const resolved = await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true });
    expect(resolved[0]!.partitions.map((p) => p.offset)).toEqual(['0', '0']);
    expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => p.offset)).toEqual(['0', '0']);

    expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }]);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId);
    await expect(admin.deleteGroups([groupId])).rejects.toMatchObject({
      groups: [expect.objectContaining({ groupId, errorCode: 69, error: expect.objectContaining({ type: 'GROUP_ID_NOT_FOUND' }) })],
    });
    const gone = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(gone[0]!.partitions.map((p) => p.offset)).toEqual(['-1', '-1']);
  });
});

describe.skipIf(!!process.env.KAFKA_BROKERS)('kafkajs consumer groups across a kafkalite restart', () => {
  it('a broker restart keeps the committed offsets, and the group resumes from them', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { startBroker } = await import('../../broker/broker.js');
    const dataDir = await mkdtemp(join(tmpdir(), 'kafkalite-groups-'));
    const config = { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '500' };
    const topic = uniqueTopic('grp-restart');
    const groupId = `g-${topic}`;
    try {
      const first = await startBroker({ dataDir, config });
      const k1 = new Kafka({ clientId: 'restart-1', brokers: [first.bootstrap], logLevel: logLevel.NOTHING });
      const admin1 = k1.admin();
      await admin1.connect();
      await admin1.createTopics({ topics: [{ topic, numPartitions: 2 }] });
      const p1 = k1.producer();
      await p1.connect();
      await p1.send({ topic, messages: [0, 1, 0, 1, 0].map((partition, i) => ({ partition, value: `before-${i}` })) });
      const c1 = k1.consumer({ groupId, sessionTimeout: 1_500, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
      const cond = new Condition();
      const seen: string[] = [];
      await c1.connect();
      await c1.subscribe({ topic, fromBeginning: true });
      await c1.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          cond.changed();
        },
      });
      await cond.until(() => seen.length === 5, 'first messages');
      await c1.disconnect();
      const before = await admin1.fetchOffsets({ groupId, topics: [topic] });
      expect(before[0]!.partitions.map((p) => p.offset)).toEqual(['3', '2']);
      await p1.send({ topic, messages: [{ partition: 0, value: 'after-0' }, { partition: 1, value: 'after-1' }] });
      await p1.disconnect();
      await admin1.disconnect();
      await first.close();

      const second = await startBroker({ dataDir, config });
      try {
        const k2 = new Kafka({ clientId: 'restart-2', brokers: [second.bootstrap], logLevel: logLevel.NOTHING });
        const admin2 = k2.admin();
        await admin2.connect();
        expect(await admin2.fetchOffsets({ groupId, topics: [topic] })).toEqual(before);
        expect((await admin2.listGroups()).groups).toContainEqual({ groupId, protocolType: 'consumer' });
        const c2 = k2.consumer({ groupId, sessionTimeout: 1_500, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
        const after: string[] = [];
        await c2.connect();
        await c2.subscribe({ topic, fromBeginning: true });
        await c2.run({
          eachMessage: async ({ message }) => {
            after.push(message.value!.toString());
            cond.changed();
          },
        });
        await cond.until(() => after.length >= 2, 'messages after the restart');
        expect(after.sort()).toEqual(['after-0', 'after-1']);
        await c2.disconnect();
        await admin2.disconnect();
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
