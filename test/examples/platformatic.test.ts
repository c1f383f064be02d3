// The test double with unmodified @platformatic/kafka, which speaks the newest
// versions (Produce v11, Fetch v17 with topic ids): a partition-scoped Fetch
// fault answers one partition with an error by topic id, serves the other in the
// same response, and the consumer still reads everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { startBroker, ErrorCode, type RunningBroker } from '../../testing/index.js';
import type { FetchResponse } from '../../protocol/messages/01-fetch.js';

describe('fault injection with @platformatic/kafka', () => {
  let broker: RunningBroker;

  beforeAll(async () => {
    broker = await startBroker({ config: { 'num.partitions': '2' } });
  });
  afterAll(async () => {
    await broker.close();
  });

  it('a Fetch fault on one partition (by topic id at v17) leaves the other served; the consumer reads all', async () => {
    const producer = new Producer({ clientId: 'pl-producer', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, autocreateTopics: true });
    await producer.send({ messages: [0, 1].map((p) => ({ topic: 'events', partition: p, value: `e${p}` })) });
    await producer.close();
    const topicId = (await broker.waitForTopic('events')).id;

    const fault = broker.faults.failNext('Fetch', ErrorCode.NOT_LEADER_OR_FOLLOWER, { topic: 'events', partition: 0 });
    const consumer = new Consumer({
      groupId: 'pl-readers',
      clientId: 'pl-consumer',
      bootstrapBrokers: [broker.bootstrap],
      deserializers: stringDeserializers,
      maxWaitTime: 50,
    });
    const stream = await consumer.consume({ topics: ['events'], mode: 'earliest' });
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      stream.on('data', (m) => {
        seen.push(m.value as string);
        if (seen.length === 2) resolve();
      });
    });
    await stream.close();
    await consumer.close(true);

    expect(seen.sort()).toEqual(['e0', 'e1']);
    expect(fault.hits).toBe(1);
    const faulted = broker.requests.entries('Fetch').find((e) => e.faultId === fault.id)!;
    expect(faulted.version).toBeGreaterThanOrEqual(13);
    const parts = (faulted.response as FetchResponse).responses.flatMap((t) => t.partitions.map((p) => [t.topicId, p.partitionIndex, p.errorCode]));
    expect(parts).toContainEqual([topicId, 0, ErrorCode.NOT_LEADER_OR_FOLLOWER]);
    expect(parts.filter(([, p]) => p === 0)).toHaveLength(1);
    expect(parts).toContainEqual([topicId, 1, ErrorCode.NONE]);
  });
});
