// Issue 10: controller_mutation_rate (KIP-599) enforced as Kafka's controller
// enforces it. The broker runs on a manual clock, so the token bucket refills only
// when the test moves time. With a quota of R partitions per second the bucket
// holds controller.quota.window.num (11) x controller.quota.window.size.seconds
// (1) x R; a mutation takes its partition count; below zero the client waits
// -tokens / R seconds.
import { describe, it, expect, afterEach } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, startCluster, type RunningBroker, type RunningCluster } from '../broker.js';
import { ManualClock } from '../clock.js';
import { RawClient } from '../../test/support/raw-client.js';
import { AlterClientQuotasApi } from '../../protocol/messages/49-alter-client-quotas.js';
import { ApiVersionsApi } from '../../protocol/messages/18-api-versions.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { DeleteTopicsApi } from '../../protocol/messages/20-delete-topics.js';
import { CreatePartitionsApi } from '../../protocol/messages/37-create-partitions.js';
import { ErrorCode } from '../../protocol/errors.js';

const BURST_WINDOWS = 11;

let broker: RunningBroker | RunningCluster | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await broker?.close();
  broker = undefined;
});

async function start(): Promise<{ broker: RunningBroker; clock: ManualClock }> {
  const clock = new ManualClock(Date.now());
  const b = await startBroker({ clock });
  broker = b;
  return { broker: b, clock };
}

async function connect(host: string, port: number, clientId?: string): Promise<RawClient> {
  const c = await RawClient.connect(host, port, clientId);
  clients.push(c);
  return c;
}

/** A broker on a manual clock and a connection of client id `clientId`, limited to `rate` partition mutations a second. */
async function limitedClient(clientId: string, rate: number): Promise<{ broker: RunningBroker; clock: ManualClock; c: RawClient }> {
  const { broker: b, clock } = await start();
  await setMutationRate(await connect(b.host, b.port), clientId, rate);
  return { broker: b, clock, c: await connect(b.host, b.port, clientId) };
}

async function setMutationRate(c: RawClient, clientId: string | null, value: number): Promise<void> {
  const res = await c.request(AlterClientQuotasApi, 1, {
    entries: [{ entity: [{ entityType: 'client-id', entityName: clientId }], ops: [{ key: 'controller_mutation_rate', value, remove: false }] }],
    validateOnly: false,
  });
  expect(res.entries[0].errorCode).toBe(ErrorCode.NONE);
}

const create = (c: RawClient, version: number, topics: [name: string, partitions: number][], validateOnly = false) =>
  c.request(CreateTopicsApi, version, {
    topics: topics.map(([name, numPartitions]) => ({ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 5000,
    validateOnly,
  });

const deleteTopics = (c: RawClient, version: number, names: string[]) =>
  c.request(DeleteTopicsApi, version, { topicNames: names, timeoutMs: 5000 });

const addPartitions = (c: RawClient, version: number, topic: string, count: number) =>
  c.request(CreatePartitionsApi, version, { topics: [{ name: topic, count, assignments: null }], timeoutMs: 5000, validateOnly: false });

/** Sends a request on `c` and lets `other` make a round trip: `answered()` tells whether `c` was served meanwhile. */
async function probe(c: RawClient, other: RawClient): Promise<{ answered: () => boolean; next: Promise<unknown> }> {
  const next = c.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  let done = false;
  void next.then(() => (done = true));
  // A round trip on another connection: the muted one has had the same chance to answer.
  await other.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  return { answered: () => done, next };
}

describe('controller_mutation_rate, strict (CreateTopics v6+, CreatePartitions v3, DeleteTopics v5+)', () => {
  it('accepts any mutation while the bucket is not below zero, then refuses with THROTTLING_QUOTA_EXCEEDED and the time to refill, and mutes the connection', async () => {
    const rate = 2;
    const { broker: b, clock, c } = await limitedClient('mutator', rate);

    // 30 partitions against a full bucket of 22: accepted, the bucket goes to -8, no throttle yet (strict).
    const first = await create(c, 7, [['big', 30]]);
    expect(first.topics[0]).toMatchObject({ name: 'big', errorCode: ErrorCode.NONE });
    expect(first.throttleTimeMs).toBe(0);

    // Now every topic of a request is refused, with the time for 8 tokens at 2 a second.
    const refused = await create(c, 7, [['a', 1], ['b', 1]]);
    const deficit = 30 - BURST_WINDOWS * rate;
    const expected = (deficit / rate) * 1000;
    expect(refused.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([
      ['a', ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'The throttling quota has been exceeded.'],
      ['b', ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'The throttling quota has been exceeded.'],
    ]);
    expect(refused.throttleTimeMs).toBe(expected);
    expect(b.cluster.topic('a')).toBeUndefined();

    // Muted until that time has passed on the broker's clock; another client is not.
    const other = await connect(b.host, b.port, 'other');
    const muted = await probe(c, other);
    expect(muted.answered()).toBe(false);
    expect((await create(other, 7, [['free', 50]])).topics[0].errorCode).toBe(ErrorCode.NONE);
    clock.advance(expected - 1);
    await other.request(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(muted.answered()).toBe(false);
    clock.advance(1);
    await muted.next;

    // Refilled to zero: accepted again, which takes it to -1.
    expect((await create(c, 7, [['a', 1]])).topics[0].errorCode).toBe(ErrorCode.NONE);
    const more = await addPartitions(c, 3, 'big', 40);
    expect(more.results[0]).toMatchObject({ name: 'big', errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, errorMessage: 'The throttling quota has been exceeded.' });
    expect(more.throttleTimeMs).toBe(500);
    expect(b.cluster.topic('big')!.partitions).toHaveLength(30);
    clock.advance(500);
    const del = await deleteTopics(c, 5, ['a']);
    expect(del.responses[0]).toMatchObject({ name: 'a', errorCode: ErrorCode.NONE });
    expect(del.throttleTimeMs).toBe(0);
    const delBig = await deleteTopics(c, 5, ['big']);
    expect(delBig.responses[0]).toMatchObject({ name: 'big', errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED });
    expect(delBig.throttleTimeMs).toBe(500);
    expect(b.cluster.topic('big')).toBeDefined();
  });

  it('counts validateOnly creations, under the default client-id entity, as Kafka\'s controller', async () => {
    const { broker: b } = await start();
    const admin = await connect(b.host, b.port);
    await setMutationRate(admin, null, 1);
    const c = await connect(b.host, b.port, 'any');
    // The default client-id entity applies: a bucket of 11.
    expect((await create(c, 7, [['t', 11]], true)).topics[0].errorCode).toBe(ErrorCode.NONE);
    expect(b.cluster.topic('t')).toBeUndefined();
    expect((await create(c, 7, [['t', 1]])).topics[0].errorCode).toBe(ErrorCode.NONE);
    // Exactly 0 was left before that creation (accepted), -1 after it: the next is refused.
    const again = await create(c, 7, [['u', 1]]);
    expect(again.topics[0].errorCode).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
  });
});

describe('controller_mutation_rate, permissive (older versions)', () => {
  it('accepts every mutation and throttles once the bucket is below zero, for CreateTopics v5, CreatePartitions v2 and DeleteTopics v4', async () => {
    const rate = 10;
    const { broker: b, clock, c } = await limitedClient('old', rate);

    const res = await create(c, 5, [['p', BURST_WINDOWS * rate + 5], ['q', 5]]);
    expect(res.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    // 115 + 5 against 110: 10 below zero, a second at 10 a second.
    expect(res.throttleTimeMs).toBe(1000);
    clock.advance(1000);

    const more = await addPartitions(c, 2, 'q', 8);
    expect(more.results[0].errorCode).toBe(ErrorCode.NONE);
    expect(more.throttleTimeMs).toBe(300);
    expect(b.cluster.topic('q')!.partitions).toHaveLength(8);
    clock.advance(300);

    const del = await deleteTopics(c, 4, ['q']);
    expect(del.responses[0].errorCode).toBe(ErrorCode.NONE);
    expect(del.throttleTimeMs).toBe(800);
    expect(b.cluster.topic('q')).toBeUndefined();
  });

  it('kafkajs admin (CreateTopics v3, CreatePartitions v1, DeleteTopics v1) is throttled but not refused', async () => {
    const { broker: b, clock } = await start();
    const raw = await connect(b.host, b.port);
    const rate = 20;
    await setMutationRate(raw, 'kjs-admin', rate);
    const throttles: [string, number][] = [];
    b.requests.onResponse((e) => {
      if (e.clientId !== 'kjs-admin') return;
      const t = (e.response as { throttleTimeMs?: number }).throttleTimeMs ?? 0;
      if (t > 0) {
        throttles.push([e.api, t]);
        setImmediate(() => clock.advance(t));
      }
    });
    const admin = new Kafka({ clientId: 'kjs-admin', brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      // 221 + 1 partitions against 220: two below zero, 100 ms at 20 a second.
      expect(await admin.createTopics({ topics: [{ topic: 'k1', numPartitions: BURST_WINDOWS * rate + 1 }, { topic: 'k2', numPartitions: 1 }] })).toBe(true);
      expect(throttles).toEqual([['CreateTopics', 100]]);
      await admin.createPartitions({ topicPartitions: [{ topic: 'k1', count: BURST_WINDOWS * rate + 2 }] });
      expect(throttles.at(-1)).toEqual(['CreatePartitions', 50]);
      expect(b.cluster.topic('k1')!.partitions).toHaveLength(BURST_WINDOWS * rate + 2);
      await admin.deleteTopics({ topics: ['k2'] });
      expect(throttles.at(-1)).toEqual(['DeleteTopics', 50]);
      expect(throttles).toHaveLength(3);
      expect(b.cluster.topic('k2')).toBeUndefined();
    } finally {
      await admin.disconnect();
    }
  });
});

describe('controller_mutation_rate across nodes', () => {
  it('is one quota for the cluster, as Kafka\'s controller keeps it, whichever node a client asks', async () => {
    const clock = new ManualClock(Date.now());
    const cluster = await startCluster({ nodes: 2, clock });
    broker = cluster;
    const [n0, n1] = cluster.nodes;
    const admin = await connect(n0!.host, n0!.port);
    await setMutationRate(admin, 'spread', 1);
    const a = await connect(n0!.host, n0!.port, 'spread');
    const b = await connect(n1!.host, n1!.port, 'spread');
    expect((await create(a, 7, [['x', 12]])).topics[0].errorCode).toBe(ErrorCode.NONE);
    const other = await create(b, 7, [['y', 1]]);
    expect(other.topics[0].errorCode).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
    expect(other.throttleTimeMs).toBe(1000);
  });
});
