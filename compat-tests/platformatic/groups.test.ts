// Consumer groups with unmodified @platformatic/kafka consumers (flexible
// versions: JoinGroup v9, SyncGroup v5, OffsetFetch v8+ ...) over real TCP: the
// issue 4 scenarios, and the admin calls on groups and their offsets.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers, type MessagesStream } from '@platformatic/kafka';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';
import { Condition, spawnGroupMember } from '../support/groups.js';

interface Member {
  readonly name: string;
  readonly consumer: Consumer<string, string, string, string>;
  readonly stream: MessagesStream<string, string, string, string>;
  /** Partitions of the scenario's topic in the latest assignment. */
  assignment: number[];
  /** Offsets the stream's autocommit has committed, by partition. */
  readonly committed: Map<number, bigint>;
}

interface Consumed {
  member: string;
  generationId: number;
  partition: number;
  offset: bigint;
  value: string;
}

/** The Kafka error names inside a rejected call (@platformatic/kafka nests them in AggregateErrors). */
async function apiErrors(p: Promise<unknown>): Promise<string[]> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err === undefined) throw new Error('expected the call to fail');
  const names: string[] = [];
  const walk = (e: unknown) => {
    if (typeof e !== 'object' || e === null) return;
    const o = e as { apiId?: unknown; errors?: unknown };
    if (typeof o.apiId === 'string') names.push(o.apiId);
    if (Array.isArray(o.errors)) o.errors.forEach(walk);
  };
  walk(err);
  return [...new Set(names)];
}

describe('@platformatic/kafka consumer groups', () => {
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer<string, string, string, string>;
  let sessionMs: number;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    broker = await testBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '500' } });
    sessionMs = broker.kafkalite ? 1_500 : 6_000;
    admin = new Admin({ clientId: 'compat-pl-groups', bootstrapBrokers: [broker.bootstrap], retries: 2 });
    producer = new Producer({ clientId: 'compat-pl-producer', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers });
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await producer?.close();
    await admin?.close();
    await broker?.close();
  });

  async function startMember(
    name: string,
    groupId: string,
    topic: string,
    cond: Condition,
    consumed: Consumed[],
    mode: 'earliest' | 'committed' = 'earliest',
  ): Promise<Member> {
    const consumer = new Consumer<string, string, string, string>({
      groupId,
      clientId: name,
      bootstrapBrokers: [broker.bootstrap],
      deserializers: stringDeserializers,
      sessionTimeout: sessionMs,
      heartbeatInterval: 100,
      maxWaitTime: 100,
    });
    const holder: { member?: Member } = {};
    consumer.on('consumer:group:join', (p) => {
      if (holder.member) holder.member.assignment = [...(p.assignments?.find((a) => a.topic === topic)?.partitions ?? [])].sort((a, b) => a - b);
      cond.changed();
    });
    const stream = await consumer.consume({ topics: [topic], mode, fallbackMode: 'earliest', autocommit: 50 });
    const member: Member = { name, consumer, stream, assignment: [], committed: new Map() };
    stream.on('autocommit', (error: unknown, offsets?: { topic: string; partition: number; offset: bigint }[]) => {
      for (const o of error ? [] : (offsets ?? [])) if (o.topic === topic) member.committed.set(o.partition, o.offset);
      cond.changed();
    });
    holder.member = member;
    member.assignment = [...(consumer.assignments?.find((a) => a.topic === topic)?.partitions ?? [])].sort((a, b) => a - b);
    stream.on('data', (m) => {
      consumed.push({ member: name, generationId: consumer.generationId, partition: m.partition, offset: m.offset, value: m.value });
      cond.changed();
    });
    cleanups.push(async () => {
      await stream.close().catch(() => {});
      await consumer.close(true);
    });
    cond.changed();
    return member;
  }

  async function stopMember(m: Member): Promise<void> {
    await m.stream.close();
    await m.consumer.close();
  }

  async function produce(topic: string, partitions: number, perPartition: number, tag: string): Promise<string[]> {
    const messages = [];
    for (let p = 0; p < partitions; p++) {
      for (let i = 0; i < perPartition; i++) messages.push({ topic, partition: p, key: tag, value: `${tag}-${p}-${i}` });
    }
    await producer.send({ messages });
    return messages.map((m) => m.value);
  }

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

  const distinct = (consumed: readonly Consumed[], prefix: string) => new Set(consumed.filter((c) => c.value.startsWith(prefix)).map((c) => c.value)).size;

  async function awaitStable(groupId: string, members: number): Promise<void> {
    if (broker.kafkalite) {
      await broker.kafkalite.waitForGroupState(groupId, 'Stable', { members });
      return;
    }
    for (;;) {
      const g = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
      if (g?.state === 'STABLE' && g.members.size === members) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('3 consumers share 6 partitions 2 each and read every message once; a 4th joining moves partitions, never to two members of a generation', async () => {
    const topic = uniqueTopic('pl-share');
    const groupId = `g-${topic}`;
    await admin.createTopics({ topics: [topic], partitions: 6, replicas: 1 });
    const cond = new Condition();
    const consumed: Consumed[] = [];
    const members: Member[] = [];

    for (const name of ['p1', 'p2', 'p3']) members.push(await startMember(name, groupId, topic, cond, consumed));
    await awaitStable(groupId, 3);
    await cond.until(() => partitionOwners(members, 6) !== null && members.every((m) => m.assignment.length === 2), '3 members with 2 partitions each');
    const before = partitionOwners(members, 6)!;

    const a = await produce(topic, 6, 40, 'a');
    await cond.until(() => distinct(consumed, 'a-') === a.length, 'phase a consumed');
    const readA = consumed.filter((c) => c.value.startsWith('a-'));
    expect(readA).toHaveLength(a.length);
    for (const c of readA) expect(before.get(c.partition)).toBe(c.member);

    members.push(await startMember('p4', groupId, topic, cond, consumed));
    await awaitStable(groupId, 4);
    await cond.until(
      () => partitionOwners(members, 6) !== null && members.map((m) => m.assignment.length).sort().join() === '1,1,2,2',
      '4 members sharing 6 partitions',
    );
    const after = partitionOwners(members, 6)!;
    expect([...after].filter(([p, owner]) => before.get(p) !== owner).length).toBeGreaterThanOrEqual(1);

    const c = await produce(topic, 6, 40, 'c');
    await cond.until(() => distinct(consumed, 'c-') === c.length, 'phase c consumed');
    const readC = consumed.filter((x) => x.value.startsWith('c-'));
    expect(readC).toHaveLength(c.length);
    for (const x of readC) expect(after.get(x.partition)).toBe(x.member);

    // Within one generation a partition is read by one member only.
    const readers = new Map<string, Set<string>>();
    for (const x of consumed) {
      const key = `${x.generationId}:${x.partition}`;
      if (!readers.has(key)) readers.set(key, new Set());
      readers.get(key)!.add(x.member);
    }
    for (const [key, who] of readers) expect([...who], `generation:partition ${key}`).toHaveLength(1);
  });

  it('a consumer killed without LeaveGroup loses its partitions once its session times out', async () => {
    const topic = uniqueTopic('pl-kill');
    const groupId = `g-${topic}`;
    await admin.createTopics({ topics: [topic], partitions: 4, replicas: 1 });
    const cond = new Condition();
    const consumed: Consumed[] = [];

    const victim = await spawnGroupMember({ library: 'platformatic', bootstrap: broker.bootstrap, groupId, topic, clientId: 'pl-victim', sessionMs, cond });
    cleanups.push(async () => victim.process.kill('SIGKILL'));
    await cond.until(() => victim.lastJoin !== null, 'victim joined');
    const survivor = await startMember('pl-survivor', groupId, topic, cond, consumed);
    await awaitStable(groupId, 2);
    await cond.until(
      () => survivor.assignment.length === 2 && (victim.lastJoin?.assignment[topic] ?? []).length === 2,
      'both members with 2 partitions',
    );

    const killedAt = Date.now();
    victim.process.kill('SIGKILL');
    await awaitStable(groupId, 1);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(sessionMs - 200);
    await cond.until(() => survivor.assignment.length === 4, 'survivor owning all partitions');

    const values = await produce(topic, 4, 5, 'k');
    await cond.until(() => distinct(consumed, 'k-') === values.length, 'survivor reading every partition');
    expect(new Set(consumed.filter((x) => x.value.startsWith('k-')).map((x) => x.partition))).toEqual(new Set([0, 1, 2, 3]));
  });

  it('a group stopped and restarted resumes from its committed offsets', async () => {
    const topic = uniqueTopic('pl-resume');
    const groupId = `g-${topic}`;
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    const cond = new Condition();
    const consumed: Consumed[] = [];

    const first = await produce(topic, 3, 10, 'first');
    const m1 = await startMember('pl-first', groupId, topic, cond, consumed, 'committed');
    await cond.until(() => distinct(consumed, 'first-') === first.length, 'first batch consumed');
    // Autocommit runs every 50 ms: wait until its reports cover every message.
    await cond.until(() => [0, 1, 2].every((p) => m1.committed.get(p) === 10n), 'offsets committed');
    await stopMember(m1);

    const second = await produce(topic, 3, 7, 'second');
    const m2 = await startMember('pl-second', groupId, topic, cond, consumed, 'committed');
    await cond.until(() => distinct(consumed, 'second-') === second.length, 'second batch consumed');
    expect(consumed.filter((c) => c.member === 'pl-second' && c.value.startsWith('first-'))).toEqual([]);
    await stopMember(m2);
  });

  it('admin: listGroups, describeGroups, group offsets (list, alter, delete), removing members, deleteGroups', async () => {
    const topic = uniqueTopic('pl-admin');
    const other = uniqueTopic('pl-admin-other');
    const groupId = `g-${topic}`;
    await admin.createTopics({ topics: [topic, other], partitions: 2, replicas: 1 });
    const cond = new Condition();
    const consumed: Consumed[] = [];
    await produce(topic, 2, 3, 'x');
    const m = await startMember('pl-admin-member', groupId, topic, cond, consumed);
    await awaitStable(groupId, 1);
    await cond.until(() => consumed.length === 6, 'messages consumed');

    const listed = await admin.listGroups({ states: ['STABLE'] });
    expect(listed.get(groupId)).toEqual({ id: groupId, state: 'STABLE', groupType: 'classic', protocolType: 'consumer' });
    expect((await admin.listGroups({ states: ['EMPTY'] })).has(groupId)).toBe(false);

    const described = await admin.describeGroups({ groups: [groupId], includeAuthorizedOperations: true });
    const d = described.get(groupId)!;
    expect(d).toMatchObject({ id: groupId, state: 'STABLE', protocolType: 'consumer', protocol: 'roundrobin' });
    const member = [...d.members.values()][0]!;
    expect(member).toMatchObject({ id: m.consumer.memberId, clientId: 'pl-admin-member', clientHost: '/127.0.0.1', groupInstanceId: null });
    expect(member.metadata?.topics).toEqual([topic]);
    expect(member.assignments?.get(topic)?.partitions).toEqual([0, 1]);

    // Offsets of a topic the running group consumes cannot be deleted; others can.
    // A simple commit (no member) to a group with members is refused, as Kafka refuses it.
    expect(await apiErrors(admin.alterConsumerGroupOffsets({ groupId, topics: [{ name: other, partitionOffsets: [{ partition: 0, offset: 7n }] }] }))).toEqual([
      'UNKNOWN_MEMBER_ID',
    ]);
    expect(await apiErrors(admin.deleteConsumerGroupOffsets({ groupId, topics: [{ name: topic, partitionIndexes: [0] }] }))).toEqual([
      'GROUP_SUBSCRIBED_TO_TOPIC',
    ]);

    // Removing the member (LeaveGroup v3+ from an admin) empties the group.
    await admin.removeMembersFromConsumerGroup({ groupId, members: [{ memberId: m.consumer.memberId!, reason: 'test' }] });
    if (broker.kafkalite) await broker.kafkalite.waitForGroupState(groupId, 'Empty');
    await stopMember(m);

    await admin.alterConsumerGroupOffsets({
      groupId,
      topics: [
        { name: topic, partitionOffsets: [{ partition: 0, offset: 1n }, { partition: 1, offset: 2n }] },
        { name: other, partitionOffsets: [{ partition: 0, offset: 7n }] },
      ],
    });
    const second = `g2-${topic}`;
    await admin.alterConsumerGroupOffsets({ groupId: second, topics: [{ name: topic, partitionOffsets: [{ partition: 1, offset: 9n }] }] });
    const offsets = await admin.listConsumerGroupOffsets({ groups: [groupId, { groupId: second, topics: [{ name: topic, partitionIndexes: [0, 1] }] }] });
    const flat = offsets.map((g) => [g.groupId, g.topics.flatMap((t) => t.partitions.map((p) => `${t.name === topic ? 'T' : 'O'}${p.partitionIndex}=${p.committedOffset}`)).sort()]);
    expect(flat).toEqual([
      [groupId, ['O0=7', 'T0=1', 'T1=2']],
      [second, ['T0=-1', 'T1=9']],
    ]);

    const deleted = await admin.deleteConsumerGroupOffsets({ groupId, topics: [{ name: other, partitionIndexes: [0] }] });
    expect(deleted).toBeDefined();
    const afterDelete = await admin.listConsumerGroupOffsets({ groups: [groupId] });
    expect(afterDelete[0]!.topics.map((t) => t.name)).toEqual([topic]);

    await admin.deleteGroups({ groups: [groupId, second] });
    expect((await admin.listGroups()).has(groupId)).toBe(false);
    expect(await apiErrors(admin.deleteGroups({ groups: [groupId] }))).toEqual(['GROUP_ID_NOT_FOUND']);
  });
});
