// The test double's group hooks on consumer groups (KIP-848): waitForGroupState
// and assignment() answer for a group of unmodified @platformatic/kafka consumers
// (`groupProtocol: 'consumer'`) as they do for classic groups: Stable with the
// member count asked for, the group epoch as the generation, each member's
// partitions by topic name; Empty once the last member left.
import { afterEach, describe, expect, it } from 'vitest';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { uniqueTopic } from '../support/broker.js';

const FAST = {
  'group.consumer.min.session.timeout.ms': '500',
  'group.consumer.session.timeout.ms': '1500',
  'group.consumer.min.heartbeat.interval.ms': '50',
  'group.consumer.heartbeat.interval.ms': '100',
};

let broker!: RunningBroker;
const closers: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  await broker?.close();
});

async function join(groupId: string, topic: string, clientId: string) {
  const consumer = new Consumer<string, string, string, string>({
    groupId,
    clientId,
    bootstrapBrokers: [broker.bootstrap],
    deserializers: stringDeserializers,
    groupProtocol: 'consumer',
    maxWaitTime: 100,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
  const close = async () => {
    await stream.close();
    await consumer.close();
  };
  closers.push(() => close().catch(() => {}));
  return { consumer, close };
}

/** topic -> sorted partitions of every member, flattened. */
function owned(a: NonNullable<ReturnType<RunningBroker['assignment']>>, topic: string): number[] {
  return a.members.flatMap((m) => [...(m.partitions[topic] ?? [])]).sort((x, y) => x - y);
}

describe('test double hooks on consumer groups (KIP-848)', () => {
  it('waitForGroupState and assignment() follow a @platformatic/kafka group through 2 members, 1, then Empty', async () => {
    broker = await startBroker({ memory: true, config: FAST });
    const topic = uniqueTopic('k848-wait');
    const groupId = `g-${topic}`;
    await broker.cluster.createTopic(broker.cluster.newTopic(topic, 4));

    const a = await join(groupId, topic, 'member-a');
    const b = await join(groupId, topic, 'member-b');
    const two = await broker.waitForGroupState(groupId, 'Stable', { members: 2, timeoutMs: 15_000 });
    expect(two.protocolType).toBe('consumer');
    expect(two.protocolName).toBe('uniform');
    const epoch = broker.groups.describeConsumerGroups([groupId])[0]!.groupEpoch;
    expect(two.generationId).toBe(epoch);

    const split = broker.assignment(groupId)!;
    expect(split.state).toBe('Stable');
    expect(split.members.map((m) => m.clientId).sort()).toEqual(['member-a', 'member-b']);
    expect(split.members.map((m) => m.memberId).sort()).toEqual([a.consumer.memberId, b.consumer.memberId].sort());
    expect(split.members.map((m) => m.partitions[topic]?.length)).toEqual([2, 2]);
    expect(owned(split, topic)).toEqual([0, 1, 2, 3]);
    expect(split.members.every((m) => m.clientHost === '/127.0.0.1')).toBe(true);

    await b.close();
    const one = await broker.waitForGroupState(groupId, 'Stable', { members: 1, minGenerationId: epoch + 1, timeoutMs: 15_000 });
    expect(one.members.map((m) => m.memberId)).toEqual([a.consumer.memberId]);
    const alone = broker.assignment(groupId)!;
    expect(alone.members[0]!.partitions).toEqual({ [topic]: [0, 1, 2, 3] });

    await a.close();
    const empty = await broker.waitForGroupState(groupId, 'Empty', { timeoutMs: 15_000 });
    expect(empty.members).toEqual([]);
    expect(empty.generationId).toBeGreaterThan(one.generationId);
  });

  it('a wait that cannot succeed names the consumer group state it saw', async () => {
    broker = await startBroker({ memory: true, config: FAST });
    const topic = uniqueTopic('k848-wait-miss');
    const groupId = `g-${topic}`;
    await broker.cluster.createTopic(broker.cluster.newTopic(topic, 2));
    await join(groupId, topic, 'only');
    await broker.waitForGroupState(groupId, 'Stable', { members: 1, timeoutMs: 15_000 });
    await expect(broker.waitForGroupState(groupId, 'Stable', { members: 2, timeoutMs: 300 })).rejects.toThrow(
      /did not become Stable with 2 member\(s\) within 300 ms \(now: Stable, generation \d+, 1 member\(s\)\)/,
    );
  });
});
