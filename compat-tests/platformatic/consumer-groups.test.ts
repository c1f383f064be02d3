// Consumer groups of the next-generation protocol (KIP-848) with unmodified
// @platformatic/kafka consumers (`groupProtocol: 'consumer'`: ConsumerGroupHeartbeat
// v1, OffsetCommit/OffsetFetch v9 with member epochs) over real TCP: join, scale
// 1 -> 3 -> 2 moving only what must move, a crashed member fenced by its session
// timeout, commits with member epochs resumed by a new member, a broker restart
// on a data directory mid-group, and a classic kafkajs group beside them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, Producer, stringDeserializers, stringSerializers, type MessagesStream } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { uniqueTopic } from '../support/broker.js';
import { Condition, FAST_GROUPS, spawnGroupMember } from '../support/groups.js';

const FAST = FAST_GROUPS;

interface Member {
  readonly name: string;
  readonly consumer: Consumer<string, string, string, string>;
  readonly stream: MessagesStream<string, string, string, string>;
  readonly values: string[];
}

const closers: (() => Promise<unknown>)[] = [];
// Each test starts its own; close() is idempotent.
let broker!: RunningBroker;

// Clients first, then the broker they talk to.
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  await broker?.close();
});

async function start(broker: RunningBroker, name: string, groupId: string, topic: string, cond: Condition, mode: 'earliest' | 'committed' = 'earliest') {
  const consumer = new Consumer<string, string, string, string>({
    groupId,
    clientId: name,
    bootstrapBrokers: [broker.bootstrap],
    deserializers: stringDeserializers,
    groupProtocol: 'consumer',
    maxWaitTime: 100,
  });
  consumer.on('consumer:heartbeat:end', () => cond.changed());
  const stream = await consumer.consume({ topics: [topic], mode, fallbackMode: 'earliest', autocommit: 50 });
  const member: Member = { name, consumer, stream, values: [] };
  stream.on('data', (m) => {
    member.values.push(m.value);
    cond.changed();
  });
  stream.on('autocommit', () => cond.changed());
  closers.push(async () => {
    await stream.close().catch(() => {});
    await consumer.close(true);
  });
  return member;
}

async function stop(m: Member): Promise<void> {
  await m.stream.close();
  await m.consumer.close();
}

function owned(m: Member, topic: string): number[] {
  return [...(m.consumer.assignments?.find((a) => a.topic === topic)?.partitions ?? [])].sort((a, b) => a - b);
}

/** Every partition owned by exactly one of the members (as the clients see it), with the given sizes. */
function split(members: readonly Member[], topic: string, partitions: number, sizes: string): boolean {
  const all = members.flatMap((m) => owned(m, topic));
  return (
    new Set(all).size === all.length &&
    all.length === partitions &&
    members
      .map((m) => owned(m, topic).length)
      .sort()
      .join() === sizes
  );
}

function stable(broker: RunningBroker, groupId: string, members: number): boolean {
  const g = broker.groups.describeConsumerGroups([groupId])[0];
  return g.groupState === 'Stable' && g.members.length === members;
}

async function produce(broker: RunningBroker, topic: string, partitions: number, tag: string, per = 10): Promise<string[]> {
  const producer = new Producer({ clientId: 'p', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers });
  const messages = [];
  for (let p = 0; p < partitions; p++) for (let i = 0; i < per; i++) messages.push({ topic, partition: p, key: tag, value: `${tag}-${p}-${i}` });
  await producer.send({ messages });
  await producer.close();
  return messages.map((m) => m.value);
}

describe('@platformatic/kafka consumer groups (KIP-848)', () => {
  it('scale 1 -> 3 -> 2: partitions move only from the member that gives them up, and every message is read', async () => {
    broker = await startBroker({ memory: true, config: FAST });
    const topic = uniqueTopic('k848-scale');
    const groupId = `g-${topic}`;
    await broker.cluster.createTopic(broker.cluster.newTopic(topic, 6));
    const cond = new Condition();
    const p1 = await start(broker, 'p1', groupId, topic, cond);
    await cond.until(() => owned(p1, topic).length === 6 && stable(broker, groupId, 1), 'p1 owns all 6');
    const a = await produce(broker, topic, 6, 'a');
    await cond.until(() => p1.values.length === a.length, 'p1 read phase a');

    const p2 = await start(broker, 'p2', groupId, topic, cond);
    const p3 = await start(broker, 'p3', groupId, topic, cond);
    await cond.until(() => split([p1, p2, p3], topic, 6, '2,2,2') && stable(broker, groupId, 3), '3 members with 2 each');
    // Scaling out only takes from p1 (or hands out what p1 freed when it had to rejoin).
    const newcomers = new Set([p2.consumer.memberId, p3.consumer.memberId]);
    for (const r of broker.groups.consumerRebalanceHistory(groupId).slice(1)) {
      for (const m of r.partitionsMoved) expect(newcomers.has(m.from ?? '')).toBe(false);
    }
    const b = await produce(broker, topic, 6, 'b');
    // At least once: a handed-over partition resumes from the last commit.
    const read = () => new Set([p1, p2, p3].flatMap((m) => m.values));
    await cond.until(() => read().size === a.length + b.length, 'phase b read');

    const p3Partitions = owned(p3, topic);
    const p3Id = p3.consumer.memberId;
    const historyBefore = broker.groups.consumerRebalanceHistory(groupId).length;
    await stop(p3);
    await cond.until(() => split([p1, p2], topic, 6, '3,3') && stable(broker, groupId, 2), '2 members with 3 each');
    // Closing the stream unsubscribes (an empty subscription), then the consumer leaves.
    const leave = broker.groups.consumerRebalanceHistory(groupId).slice(historyBefore);
    expect(leave.flatMap((r) => r.causes).every((c) => c === 'subscription-change' || c === 'leave')).toBe(true);
    const moved = leave.flatMap((r) => r.partitionsMoved);
    expect(moved.map((m) => m.partition).sort()).toEqual(p3Partitions);
    for (const m of moved) expect(m.from).toBe(p3Id);

    const c = await produce(broker, topic, 6, 'c');
    await cond.until(() => read().size === a.length + b.length + c.length, 'phase c read');
    const g = broker.groups.describeConsumerGroups([groupId])[0];
    expect(g.groupEpoch).toBe(g.assignmentEpoch);
    expect(g.members.every((m) => m.memberEpoch === g.groupEpoch)).toBe(true);
  });

  it('a member killed without leaving is fenced after group.consumer.session.timeout.ms; the survivor takes its partitions', async () => {
    broker = await startBroker({ memory: true, config: FAST });
    const topic = uniqueTopic('k848-crash');
    const groupId = `g-${topic}`;
    await broker.cluster.createTopic(broker.cluster.newTopic(topic, 4));
    const cond = new Condition();
    const victim = await spawnGroupMember({
      library: 'platformatic',
      groupProtocol: 'consumer',
      bootstrap: broker.bootstrap,
      groupId,
      topic,
      clientId: 'victim',
      sessionMs: 1500,
      cond,
    });
    closers.push(async () => victim.process.kill('SIGKILL'));
    await cond.until(() => victim.lastJoin !== null, 'victim joined');
    const survivor = await start(broker, 'survivor', groupId, topic, cond);
    await cond.until(() => owned(survivor, topic).length === 2 && stable(broker, groupId, 2), 'two members');
    victim.process.kill('SIGKILL');
    await cond.until(() => owned(survivor, topic).length === 4 && stable(broker, groupId, 1), 'survivor owns all');
    expect(broker.groups.consumerRebalanceHistory(groupId).at(-1)!.causes).toContain('timeout');
  });

  it('commits with member epochs; a new member resumes from the committed offsets', async () => {
    broker = await startBroker({ memory: true, config: FAST });
    const topic = uniqueTopic('k848-commit');
    const groupId = `g-${topic}`;
    await broker.cluster.createTopic(broker.cluster.newTopic(topic, 2));
    const cond = new Condition();
    const a = await produce(broker, topic, 2, 'a');
    const first = await start(broker, 'first', groupId, topic, cond);
    const committed = () => broker.groups.state.offsets.group(groupId)?.get(topic);
    await cond.until(() => first.values.length === a.length && [0, 1].every((p) => committed()?.get(p)?.offset === 10n), 'phase a committed');
    await stop(first);
    const b = await produce(broker, topic, 2, 'b');
    const second = await start(broker, 'second', groupId, topic, cond, 'committed');
    await cond.until(() => second.values.length === b.length, 'phase b read');
    expect(second.values.every((v) => v.startsWith('b-'))).toBe(true);
  });

  it('a broker restart on a data directory keeps every member epoch and assignment; the members go on without being fenced', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kafkalite-k848-'));
    try {
      broker = await startBroker({ dataDir: dir, config: FAST });
      const port = broker.port;
      const topic = uniqueTopic('k848-restart');
      const groupId = `g-${topic}`;
      await broker.cluster.createTopic(broker.cluster.newTopic(topic, 4));
      const cond = new Condition();
      const m1 = await start(broker, 'm1', groupId, topic, cond);
      const m2 = await start(broker, 'm2', groupId, topic, cond);
      await cond.until(() => split([m1, m2], topic, 4, '2,2') && stable(broker, groupId, 2), 'two members');
      const before = broker.groups.describeConsumerGroups([groupId])[0];
      await broker.close();
      broker = await startBroker({ dataDir: dir, port, config: FAST });
      expect(broker.groups.describeConsumerGroups([groupId])[0]).toEqual(before);
      let beats = 0;
      for (const m of [m1, m2]) m.consumer.on('consumer:heartbeat:end', () => beats++);
      await cond.until(() => beats >= 6, 'heartbeats after the restart');
      const after = broker.groups.describeConsumerGroups([groupId])[0];
      expect(after.groupEpoch).toBe(before.groupEpoch);
      expect(after.members.map((m) => [m.memberId, m.memberEpoch, m.assignment])).toEqual(
        before.members.map((m) => [m.memberId, m.memberEpoch, m.assignment]),
      );
      const a = await produce(broker, topic, 4, 'after');
      await cond.until(() => [m1, m2].flatMap((m) => m.values).filter((v) => v.startsWith('after-')).length === a.length, 'read after restart');
    } finally {
      for (const c of closers.splice(0).reverse()) await c().catch(() => {});
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a classic kafkajs group and a consumer group live side by side on one broker', async () => {
    broker = await startBroker({ memory: true, config: FAST });
    const topic = uniqueTopic('k848-mixed');
    await broker.cluster.createTopic(broker.cluster.newTopic(topic, 2));
    const cond = new Condition();
    const modern = await start(broker, 'modern', `modern-${topic}`, topic, cond);
    const kafka = new Kafka({ clientId: 'classic', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const classic = kafka.consumer({ groupId: `classic-${topic}`, sessionTimeout: 6000, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
    closers.push(() => classic.disconnect());
    const classicValues: string[] = [];
    await classic.connect();
    await classic.subscribe({ topic, fromBeginning: true });
    await classic.run({
      eachMessage: async ({ message }) => {
        classicValues.push(message.value!.toString());
        cond.changed();
      },
    });
    const a = await produce(broker, topic, 2, 'a');
    await cond.until(() => classicValues.length === a.length && modern.values.length === a.length, 'both groups read everything');
    const listed = broker.groups.listGroups().filter((g) => g.groupId.endsWith(topic));
    expect(listed.map((g) => [g.groupId.split('-')[0], g.groupType, g.protocolType]).sort()).toEqual([
      ['classic', 'classic', 'consumer'],
      ['modern', 'consumer', 'consumer'],
    ]);
    // Both histories: the classic one stopped the group, the consumer one handed partitions out.
    const classicHistory = broker.groups.rebalanceHistory(`classic-${topic}`);
    expect(classicHistory[0]).toMatchObject({ protocol: 'classic', cause: 'join', outcome: 'Stable' });
    expect(classicHistory[0].partitionsMoved.map((m) => [m.topic, m.partition, m.from])).toEqual([
      [topic, 0, null],
      [topic, 1, null],
    ]);
    const modernHistory = broker.groups.consumerRebalanceHistory(`modern-${topic}`);
    expect(modernHistory[0]).toMatchObject({ protocol: 'consumer', causes: ['join'], groupEpoch: 1, outcome: 'Stable' });
    expect(modernHistory[0].partitionsMoved).toHaveLength(2);
  });
});
