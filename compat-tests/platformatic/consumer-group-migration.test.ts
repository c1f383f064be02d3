// Online migration of one group between the classic and the consumer protocol
// (group.consumer.migration.policy = bidirectional, Kafka 4.0's default) with
// unmodified clients: two kafkajs consumers (classic protocol) consume, a
// @platformatic/kafka consumer with `groupProtocol: 'consumer'` joins the same
// group (the classic group is upgraded and the kafkajs members become classic
// members of a consumer group), everybody keeps consuming, then the
// consumer-protocol member leaves (the group is downgraded back to classic).
// After every client event no partition may be held by two members.
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer as KafkajsConsumer } from 'kafkajs';
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { uniqueTopic } from '../support/broker.js';
import { Condition, FAST_GROUPS } from '../support/groups.js';

const FAST = FAST_GROUPS;

const closers: (() => Promise<unknown>)[] = [];
let broker: RunningBroker | undefined;

afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  await broker?.close();
});

interface Held {
  readonly name: string;
  owned(): number[];
}

describe('online migration between the classic and the consumer group protocol', () => {
  it('kafkajs classic members, then a consumer-protocol member joins (upgrade) and leaves (downgrade); no partition is held twice', async () => {
    broker = await startBroker({ memory: true, config: FAST });
    const b = broker;
    const topic = uniqueTopic('migrate');
    const groupId = `g-${topic}`;
    await b.cluster.createTopic(b.cluster.newTopic(topic, 4));
    const cond = new Condition();
    const values = new Set<string>();
    const holders: Held[] = [];
    const violations: string[] = [];
    const check = () => {
      const seen = new Map<number, string>();
      for (const h of holders) {
        for (const p of h.owned()) {
          const other = seen.get(p);
          if (other !== undefined) violations.push(`partition ${p} held by ${other} and ${h.name}`);
          seen.set(p, h.name);
        }
      }
      cond.changed();
    };

    const kafka = new Kafka({ clientId: 'classic', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
    const classic = async (name: string) => {
      const consumer: KafkajsConsumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
      let owned: number[] = [];
      // Eager protocol: the member holds its assignment from the join until it is told to rebalance.
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        owned = [...(e.payload.memberAssignment[topic] ?? [])];
        check();
      });
      consumer.on(consumer.events.REBALANCING, () => {
        owned = [];
        check();
      });
      closers.push(() => consumer.disconnect());
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          values.add(message.value!.toString());
          cond.changed();
        },
      });
      holders.push({ name, owned: () => owned });
    };
    const produce = async (tag: string): Promise<string[]> => {
      const producer = new Producer({ clientId: 'p', bootstrapBrokers: [b.bootstrap], serializers: stringSerializers });
      const messages = [];
      for (let p = 0; p < 4; p++) for (let i = 0; i < 5; i++) messages.push({ topic, partition: p, value: `${tag}-${p}-${i}` });
      await producer.send({ messages });
      await producer.close();
      return messages.map((m) => m.value);
    };
    const everyPartitionOnce = (sizes: string) => {
      const all = holders.flatMap((h) => h.owned());
      const counts = holders.map((h) => h.owned().length).filter((n) => n > 0);
      return new Set(all).size === 4 && all.length === 4 && counts.sort().join() === sizes;
    };
    const readAll = (xs: string[]) => xs.every((x) => values.has(x));
    const groupType = () => b.groups.listGroups().find((g) => g.groupId === groupId)?.groupType;

    await classic('k1');
    await classic('k2');
    await cond.until(() => everyPartitionOnce('2,2') && b.groups.groupSnapshot(groupId)?.state === 'Stable', 'two kafkajs members with 2 each');
    expect(groupType()).toBe('classic');
    const a = await produce('a');
    await cond.until(() => readAll(a), 'phase a read');

    // A consumer-protocol member joins: the classic group with members is upgraded.
    const modern = new Consumer<string, string, string, string>({
      groupId,
      clientId: 'modern',
      bootstrapBrokers: [b.bootstrap],
      deserializers: stringDeserializers,
      groupProtocol: 'consumer',
      maxWaitTime: 100,
    });
    modern.on('consumer:heartbeat:end', check);
    const stream = await modern.consume({ topics: [topic], mode: 'earliest', autocommit: 50 });
    stream.on('data', (m) => {
      values.add(m.value);
      cond.changed();
    });
    closers.push(async () => {
      await stream.close().catch(() => {});
      await modern.close(true);
    });
    let modernOwned = () => [...(modern.assignments?.find((x) => x.topic === topic)?.partitions ?? [])];
    holders.push({ name: 'modern', owned: () => modernOwned() });
    const stableConsumerGroup = (members: number) => {
      const d = b.groups.describeConsumerGroups([groupId])[0];
      return d.errorCode === 0 && d.groupState === 'Stable' && d.members.length === members;
    };
    await cond.until(() => stableConsumerGroup(3) && everyPartitionOnce('1,1,2'), 'a consumer group of 3 sharing the 4 partitions');
    expect(groupType()).toBe('consumer');
    const d = b.groups.describeConsumerGroups([groupId])[0];
    expect(d.members.map((m) => m.clientId).sort()).toEqual(['classic', 'classic', 'modern']);
    const bb = await produce('b');
    await cond.until(() => readAll(bb), 'phase b read by the mixed group');

    // The consumer-protocol member leaves: the group goes back to classic and rebalances.
    await stream.close();
    await modern.close();
    modernOwned = () => [];
    await cond.until(() => groupType() === 'classic', 'the group downgraded');
    await cond.until(() => b.groups.groupSnapshot(groupId)?.state === 'Stable' && everyPartitionOnce('2,2'), 'two kafkajs members with 2 each again');
    expect(b.groups.groupSnapshot(groupId)).toMatchObject({ protocolType: 'consumer', protocolName: 'RoundRobinAssigner' });
    const c = await produce('c');
    await cond.until(() => readAll(c), 'phase c read');
    expect(violations).toEqual([]);
  });
});
