// DescribeTopicPartitions over real TCP: pages of partitions with a cursor,
// unknown topics, and a cursor outside the named topics.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { DescribeTopicPartitionsApi } from '../../protocol/messages/75-describe-topic-partitions.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { ZERO_UUID } from '../../protocol/codec-runtime.js';
import { ErrorCode } from '../../protocol/errors.js';

let broker: RunningBroker;
let client: RawClient;

beforeAll(async () => {
  broker = await startBroker({ config: { 'max.request.partition.size.limit': '4' } });
  client = await RawClient.connect(broker.host, broker.port);
  const res = await client.request(CreateTopicsApi, 7, {
    topics: [
      { name: 'dtp-a', numPartitions: 3, replicationFactor: 1, configs: [] },
      { name: 'dtp-b', numPartitions: 2, replicationFactor: 1, configs: [] },
      { name: 'dtp-c', numPartitions: 1, replicationFactor: 1, configs: [] },
    ],
  });
  expect(res.topics.map((t) => t.errorCode)).toEqual([0, 0, 0]);
});
afterAll(async () => {
  client.close();
  await broker.close();
});

type Cursor = { topicName: string; partitionIndex: number } | null;
async function page(names: string[], limit: number, cursor: Cursor) {
  const res = await client.request(DescribeTopicPartitionsApi, 0, { topics: names.map((name) => ({ name })), responsePartitionLimit: limit, cursor });
  return { pages: res.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]), next: res.nextCursor, topics: res.topics };
}

describe('DescribeTopicPartitions', () => {
  it('pages through the named topics in name order with the cursor', async () => {
    const names = ['dtp-c', 'dtp-a', 'dtp-b'];
    const first = await page(names, 2, null);
    expect(first.pages).toEqual([['dtp-a', 0, [0, 1]]]);
    expect(first.next).toEqual({ topicName: 'dtp-a', partitionIndex: 2 });
    const second = await page(names, 3, first.next);
    expect(second.pages).toEqual([['dtp-a', 0, [2]], ['dtp-b', 0, [0, 1]]]);
    expect(second.next).toEqual({ topicName: 'dtp-c', partitionIndex: 0 });
    const third = await page(names, 3, second.next);
    expect(third.pages).toEqual([['dtp-c', 0, [0]]]);
    expect(third.next).toBeNull();
    const t = broker.cluster.topic('dtp-c')!;
    expect(third.topics[0]).toMatchObject({ topicId: t.id, isInternal: false });
    expect(third.topics[0].partitions[0]).toMatchObject({ leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], eligibleLeaderReplicas: [] });
  });

  it('the broker\'s max.request.partition.size.limit caps a page; with no names every topic is listed', async () => {
    const res = await page([], 100, null);
    expect(res.pages).toEqual([['dtp-a', 0, [0, 1, 2]], ['dtp-b', 0, [0]]]);
    expect(res.next).toEqual({ topicName: 'dtp-b', partitionIndex: 1 });
  });

  it('an unknown topic is UNKNOWN_TOPIC_OR_PARTITION; a cursor on a topic not named fails every topic', async () => {
    const res = await page(['nope', 'dtp-c'], 10, null);
    expect(res.pages).toEqual([['dtp-c', 0, [0]], ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []]]);
    expect(res.topics[1].topicId).toBe(ZERO_UUID);
    const bad = await page(['dtp-c'], 10, { topicName: 'dtp-a', partitionIndex: 0 });
    expect(bad.pages).toEqual([['dtp-c', ErrorCode.INVALID_REQUEST, []]]);
  });
});
