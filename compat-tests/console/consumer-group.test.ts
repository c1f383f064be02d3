// The web console's API on a KIP-848 consumer group, with unmodified
// @platformatic/kafka consumers (`groupProtocol: 'consumer'`): the group's type,
// members and their assignments, and a rebalance timeline in which only the
// moved partitions paused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, stringDeserializers, type MessagesStream } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { uniqueTopic } from '../support/broker.js';
import { Condition } from '../support/groups.js';

const FAST = {
  'group.consumer.min.session.timeout.ms': '500',
  'group.consumer.session.timeout.ms': '10000', // no member may time out while a loaded machine starves the event loop
  'group.consumer.min.heartbeat.interval.ms': '50',
  'group.consumer.heartbeat.interval.ms': '100',
};

describe('web console API on a consumer-protocol (KIP-848) group', () => {
  let broker: RunningBroker;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    broker = await startBroker({ consolePort: 0, config: FAST });
  });

  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    await broker?.close();
  });

  async function get(path: string) {
    const res = await fetch(new URL(path, broker.webConsole!.url));
    return { status: res.status, body: await res.json() };
  }

  it('shows members with their assignments and each rebalance with what moved', async () => {
    const topic = uniqueTopic('console-848');
    const groupId = `${topic}-g`;
    const admin = new Kafka({ clientId: 'console-848', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    closers.push(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });

    const cond = new Condition();
    // The coordinator records a rebalance once every moved partition has its new owner.
    let settledWithTwo = false;
    const off = broker.groups.onConsumerRebalance((r) => {
      if (r.groupId === groupId && r.outcome === 'Stable' && r.memberIds.length === 2) settledWithTwo = true;
      cond.changed();
    });
    closers.push(async () => off());
    const members: { consumer: Consumer<string, string, string, string>; stream: MessagesStream<string, string, string, string> }[] = [];
    const join = async (name: string) => {
      const consumer = new Consumer<string, string, string, string>({
        groupId,
        clientId: name,
        bootstrapBrokers: [broker.bootstrap],
        deserializers: stringDeserializers,
        groupProtocol: 'consumer',
        maxWaitTime: 100,
      });
      consumer.on('consumer:heartbeat:end', () => cond.changed());
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
      closers.push(async () => {
        await stream.close().catch(() => {});
        await consumer.close(true);
      });
      members.push({ consumer, stream });
    };
    const owned = (i: number) => members[i]!.consumer.assignments?.find((a) => a.topic === topic)?.partitions.length ?? 0;

    await join('first');
    await cond.until(() => owned(0) === 4, 'the first member to own all 4 partitions');
    await join('second');
    await cond.until(() => owned(0) === 2 && owned(1) === 2 && settledWithTwo, 'the two members to own 2 partitions each, and the rebalance recorded');

    const g = await get(`/api/groups/${groupId}`);
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({ groupId, type: 'consumer', protocolType: 'consumer', protocol: 'uniform', state: 'Stable' });
    expect(g.body.members).toHaveLength(2);
    const assigned = g.body.members.flatMap((m: { assignment: Record<string, number[]> }) => m.assignment[topic] ?? []).sort();
    expect(assigned).toEqual([0, 1, 2, 3]);
    expect(g.body.members.map((m: { clientId: string }) => m.clientId).sort()).toEqual(['first', 'second']);

    const r = await get(`/api/groups/${groupId}/rebalances`);
    expect(r.status).toBe(200);
    const last = r.body.rebalances.at(-1);
    expect(last).toMatchObject({ protocol: 'consumer', outcome: 'Stable', members: 2, stoppedWholeGroup: false });
    expect(last.causes).toContain('join');
    // Only the two partitions handed to the second member moved, each with its own pause.
    expect(last.moved).toHaveLength(2);
    for (const m of last.moved) expect(m).toMatchObject({ topic, to: expect.any(String), pausedMs: expect.any(Number) });
    expect(last.pausedMs).toBe(Math.max(...last.moved.map((m: { pausedMs: number }) => m.pausedMs)));

    const list = await get('/api/groups');
    expect(list.body.find((x: { groupId: string }) => x.groupId === groupId)).toMatchObject({ type: 'consumer', members: 2, state: 'Stable' });
  });
});
