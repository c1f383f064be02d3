// Issue 13, metrics: the Prometheus endpoint scraped over HTTP and read as
// Prometheus text after real kafkajs clients produce, consume, commit and
// rebalance; the embedding API's snapshot against the same scrape; two brokers
// in one process; the endpoint's HTTP answers; a metrics port in use.
import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type ITopicConfig } from 'kafkajs';
import { Consumer as PlatformaticConsumer, stringDeserializers } from '@platformatic/kafka';
import { startBroker, startCluster, type RunningBroker } from '../broker.js';
import { describeStartupError } from '../../bin/startup-errors.js';
import { parsePromText, sample, select, total, type PromSample } from '../../test/support/prom-text.js';
import { M } from './names.js';

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function broker(opts: Parameters<typeof startBroker>[0] = {}): Promise<RunningBroker> {
  const b = await startBroker({ metricsPort: 0, ...opts });
  running.push(b);
  return b;
}

function kafka(b: RunningBroker): Kafka {
  return new Kafka({ brokers: [b.bootstrap], clientId: 'metrics-test', logLevel: logLevel.NOTHING });
}

async function createTopics(b: RunningBroker, topics: ITopicConfig[]): Promise<void> {
  const admin = kafka(b).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

async function scrape(b: Pick<RunningBroker, 'metricsEndpoint'>): Promise<PromSample[]> {
  const res = await fetch(b.metricsEndpoint!.url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePromText(await res.text());
}

/** Resolves once the group has committed `offsets` (partition -> offset) for `topic`. */
function committed(consumer: Consumer, topic: string, offsets: Record<number, number>): Promise<void> {
  const seen: Record<number, number> = {};
  return new Promise((resolve) => {
    const off = consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
      for (const t of payload.topics) if (t.topic === topic) for (const p of t.partitions) seen[p.partition] = Number(p.offset);
      if (Object.entries(offsets).every(([p, o]) => seen[Number(p)] === o)) {
        off();
        resolve();
      }
    });
  });
}

/** Consumes `topic` from the beginning in group `groupId` until `count` records arrived. */
async function consumeAll(b: RunningBroker, topic: string, groupId: string, count: number): Promise<void> {
  const consumer = kafka(b).consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++seen === count) resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

describe('issue 13: Prometheus metrics', () => {
  it('counts produce, fetch and requests; reports logs, group offsets and lag; the snapshot reads the same numbers', async () => {
    const b = await broker();
    const client = kafka(b);
    await createTopics(b, [{ topic: 'orders', numPartitions: 2 }]);
    const before = await scrape(b);
    const producedBefore = total(before, M.requests, { request: 'Produce' });

    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: Array.from({ length: 5 }, (_, i) => ({ partition: 0, key: `k${i}`, value: `order ${i}` })) });
    await producer.send({ topic: 'orders', messages: Array.from({ length: 5 }, (_, i) => ({ partition: 1, value: `order ${i + 5}`.repeat(i + 1) })) });

    const afterProduce = await scrape(b);
    expect(sample(afterProduce, M.messagesIn, { topic: 'orders' })).toBe(10);
    // A new topic's logs hold exactly the batches appended: bytes in is their size.
    const logBytes = total(afterProduce, M.logSize, { topic: 'orders' });
    expect(logBytes).toBeGreaterThan(0);
    expect(sample(afterProduce, M.bytesIn, { topic: 'orders' })).toBe(logBytes);
    expect(sample(afterProduce, M.logEndOffset, { topic: 'orders', partition: 0 })).toBe(5);
    expect(sample(afterProduce, M.logEndOffset, { topic: 'orders', partition: 1 })).toBe(5);
    expect(sample(afterProduce, M.logStartOffset, { topic: 'orders', partition: 1 })).toBe(0);
    expect(total(afterProduce, M.requests, { request: 'Produce' })).toBe(producedBefore + 2);
    // Every request counted has its latency observed once.
    expect(sample(afterProduce, `${M.totalTimeMs}_count`, { request: 'Produce' })).toBe(producedBefore + 2);
    expect(sample(afterProduce, `${M.totalTimeMs}_bucket`, { request: 'Produce', le: '+Inf' })).toBe(producedBefore + 2);
    expect(sample(afterProduce, M.requestBytes, { request: 'Produce' })).toBeGreaterThan(logBytes);
    expect(sample(afterProduce, M.partitionCount)).toBe(2);
    expect(sample(afterProduce, M.leaderCount)).toBe(2);
    expect(sample(afterProduce, M.offlinePartitions)).toBe(0);
    expect(sample(afterProduce, M.underReplicated)).toBe(0);
    expect(sample(afterProduce, M.connectionCount, { listener: 'PLAINTEXT' })).toBeGreaterThan(0);

    // A group consumes everything and commits, then leaves; three more records arrive on partition 0.
    const consumer = client.consumer({ groupId: 'g1' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const done = committed(consumer, 'orders', { 0: 5, 1: 5 });
    await consumer.run({ eachMessage: async () => undefined });
    await done;
    await consumer.disconnect();
    await producer.send({ topic: 'orders', messages: [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }, { partition: 0, value: 'c' }] });
    await producer.disconnect();

    const after = await scrape(b);
    expect(sample(after, M.messagesOut, { topic: 'orders' })).toBeGreaterThanOrEqual(10);
    expect(sample(after, M.bytesOut, { topic: 'orders' })).toBeGreaterThanOrEqual(logBytes);
    expect(sample(after, M.fetchRequests, { topic: 'orders' })).toBeGreaterThan(0);
    const stored = await b.committedOffsets('g1');
    for (const partition of [0, 1]) {
      const offset = sample(after, M.groupOffset, { consumergroup: 'g1', topic: 'orders', partition });
      expect(offset).toBe(stored.orders[partition].offset);
      const end = sample(after, M.logEndOffset, { topic: 'orders', partition });
      expect(sample(after, M.groupLag, { consumergroup: 'g1', topic: 'orders', partition })).toBe(end - offset);
    }
    expect(sample(after, M.groupLag, { consumergroup: 'g1', topic: 'orders', partition: 0 })).toBe(3);
    expect(sample(after, M.groupInfo, { consumergroup: 'g1', protocol: 'classic', state: 'Empty' })).toBe(1);
    expect(sample(after, M.groupMembers, { consumergroup: 'g1' })).toBe(0);
    expect(sample(after, M.classicGroupCount, { state: 'Empty' })).toBe(1);
    expect(sample(after, M.groupCount, { protocol: 'classic' })).toBe(1);
    expect(sample(after, M.classicRebalances)).toBeGreaterThanOrEqual(1);

    // Every client is gone: the embedding API reads what the scrape read.
    const snap = await b.metrics.snapshot();
    const scraped = await scrape(b);
    expect(snap.topics.orders).toEqual({
      messagesIn: sample(scraped, M.messagesIn, { topic: 'orders' }),
      bytesIn: sample(scraped, M.bytesIn, { topic: 'orders' }),
      messagesOut: sample(scraped, M.messagesOut, { topic: 'orders' }),
      bytesOut: sample(scraped, M.bytesOut, { topic: 'orders' }),
      produceRequests: sample(scraped, M.produceRequests, { topic: 'orders' }),
      fetchRequests: sample(scraped, M.fetchRequests, { topic: 'orders' }),
      failedProduceRequests: 0,
      failedFetchRequests: 0,
    });
    expect(snap.topics.orders.messagesIn).toBe(13);
    for (const r of select(scraped, M.requests)) expect(snap.requests[r.labels.request].versions[Number(r.labels.version)]).toBe(r.value);
    expect(snap.requests.Produce.count).toBe(total(scraped, M.requests, { request: 'Produce' }));
    expect(snap.requests.Produce.latency.count).toBe(snap.requests.Produce.count);
    expect(snap.requests.Produce.latency.p99Ms).toBeGreaterThanOrEqual(snap.requests.Produce.latency.p50Ms);
    expect(snap.requests.Fetch.responseBytes).toBe(sample(scraped, M.responseBytes, { request: 'Fetch' }));
    expect(snap.logs.orders[0]).toEqual({
      size: sample(scraped, M.logSize, { topic: 'orders', partition: 0 }),
      startOffset: 0,
      endOffset: 8,
      segments: sample(scraped, M.logSegments, { topic: 'orders', partition: 0 }),
    });
    expect(snap.groups.g1).toEqual({
      protocol: 'classic',
      state: 'Empty',
      members: 0,
      partitions: { orders: { 0: { committed: 5, end: 8, lag: 3 }, 1: { committed: 5, end: 5, lag: 0 } } },
    });
    expect(snap.partitions).toEqual({ count: sample(scraped, M.partitionCount), leaders: sample(scraped, M.leaderCount), offline: 0, underReplicated: 0 });
    expect(snap.connections.PLAINTEXT).toEqual({
      open: sample(scraped, M.connectionCount, { listener: 'PLAINTEXT' }),
      accepted: sample(scraped, M.connectionCreation, { listener: 'PLAINTEXT' }),
      closed: sample(scraped, M.connectionClose, { listener: 'PLAINTEXT' }),
    });
    expect(snap.rebalances.classic).toBe(sample(scraped, M.classicRebalances));
    expect(snap.rebalances.pause.classic.count).toBe(sample(scraped, `${M.rebalancePause}_count`, { protocol: 'classic' }));
  }, 60_000);

  it('counts a rebalance when a member joins, with its pause, and the members per group', async () => {
    const b = await broker();
    const client = kafka(b);
    await createTopics(b, [{ topic: 'events', numPartitions: 4 }]);
    const consumers: Consumer[] = [];
    const join = async () => {
      // Short heartbeats and fetch waits: the first member learns of the rebalance on its next heartbeat, sent between fetches.
      const c = client.consumer({ groupId: 'g2', heartbeatInterval: 100, maxWaitTimeInMs: 100 });
      consumers.push(c);
      await c.connect();
      await c.subscribe({ topic: 'events' });
      await c.run({ eachMessage: async () => undefined });
    };
    try {
      await join();
      await b.waitForGroupState('g2', 'Stable', { members: 1 });
      const before = await scrape(b);
      const rebalancesBefore = sample(before, M.classicRebalances);
      const pausesBefore = sample(before, `${M.rebalancePause}_count`, { protocol: 'classic' });
      expect(rebalancesBefore).toBeGreaterThanOrEqual(1);
      expect(sample(before, M.groupMembers, { consumergroup: 'g2' })).toBe(1);

      const twoMembers = new Promise<void>((resolve) => {
        const off = b.groups.onRebalance((s) => {
          if (s.groupId === 'g2' && s.outcome === 'Stable' && s.memberIds.length === 2) {
            off();
            resolve();
          }
        });
      });
      await join();
      await twoMembers;
      const after = await scrape(b);
      expect(sample(after, M.classicRebalances)).toBeGreaterThan(rebalancesBefore);
      expect(sample(after, `${M.rebalancePause}_count`, { protocol: 'classic' })).toBe(sample(after, M.classicRebalances));
      expect(sample(after, `${M.rebalancePause}_count`, { protocol: 'classic' })).toBeGreaterThan(pausesBefore);
      expect(sample(after, M.groupMembers, { consumergroup: 'g2' })).toBe(2);
      expect(sample(after, M.groupInfo, { consumergroup: 'g2', protocol: 'classic', state: 'Stable' })).toBe(1);
      // The pause histogram's sum is the history's pauses.
      const paused = b.groups.rebalanceHistory('g2').reduce((a, s) => a + s.pausedMs / 1000, 0);
      expect(sample(after, `${M.rebalancePause}_sum`, { protocol: 'classic' })).toBeCloseTo(paused, 6);
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
    }
  }, 60_000);

  it('counts consumer-group (KIP-848) groups and rebalances, with @platformatic/kafka members', async () => {
    const b = await broker({
      // A long session: on a starved machine a member fenced mid-test would leave the member counts this test waits for.
      config: { 'group.consumer.min.heartbeat.interval.ms': '50', 'group.consumer.heartbeat.interval.ms': '100', 'group.consumer.min.session.timeout.ms': '500', 'group.consumer.session.timeout.ms': '10000' },
    });
    await createTopics(b, [{ topic: 'jobs', numPartitions: 4 }]);
    const settled = (members: number) =>
      new Promise<void>((resolve) => {
        const off = b.groups.onConsumerRebalance((s) => {
          if (s.groupId === 'g848' && s.outcome === 'Stable' && s.memberIds.length === members) {
            off();
            resolve();
          }
        });
      });
    const members: { close(): Promise<void> }[] = [];
    const join = async (name: string) => {
      const consumer = new PlatformaticConsumer({ groupId: 'g848', clientId: name, bootstrapBrokers: [b.bootstrap], deserializers: stringDeserializers, groupProtocol: 'consumer', maxWaitTime: 100 });
      const stream = await consumer.consume({ topics: ['jobs'], mode: 'earliest' });
      members.push({
        close: async () => {
          await stream.close().catch(() => undefined);
          await consumer.close(true);
        },
      });
    };
    try {
      const one = settled(1);
      await join('a');
      await one;
      const before = await scrape(b);
      expect(sample(before, M.groupCount, { protocol: 'consumer' })).toBe(1);
      expect(sample(before, M.groupInfo, { consumergroup: 'g848', protocol: 'consumer', state: 'Stable' })).toBe(1);
      expect(sample(before, M.consumerGroupCount, { state: 'Stable' })).toBe(1);
      expect(sample(before, M.groupMembers, { consumergroup: 'g848' })).toBe(1);
      const rebalancesBefore = sample(before, M.consumerRebalances);
      expect(rebalancesBefore).toBeGreaterThanOrEqual(1);

      const two = settled(2);
      await join('b');
      await two;
      const after = await scrape(b);
      expect(sample(after, M.consumerRebalances)).toBeGreaterThan(rebalancesBefore);
      expect(sample(after, `${M.rebalancePause}_count`, { protocol: 'consumer' })).toBe(sample(after, M.consumerRebalances));
      expect(sample(after, M.groupMembers, { consumergroup: 'g848' })).toBe(2);
      expect(sample(after, M.classicRebalances)).toBe(0);
    } finally {
      for (const m of members.reverse()) await m.close();
    }
  }, 60_000);

  it('counts a produce refused by validation as failed', async () => {
    const b = await broker();
    const client = kafka(b);
    await createTopics(b, [{ topic: 'small', configEntries: [{ name: 'max.message.bytes', value: '200' }] }]);
    const producer = client.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'small', messages: [{ value: 'x'.repeat(1000) }] })).rejects.toThrow();
      await producer.send({ topic: 'small', messages: [{ value: 'fits' }] });
    } finally {
      await producer.disconnect();
    }
    const s = await scrape(b);
    expect(sample(s, M.failedProduceRequests, { topic: 'small' })).toBe(1);
    expect(sample(s, M.produceRequests, { topic: 'small' })).toBe(2);
    expect(sample(s, M.messagesIn, { topic: 'small' })).toBe(1);
  }, 30_000);

  it('counts fsyncs, file writes and bytes written per log, tail-cache hits and disk reads, GC pause time and event-loop time', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kafkalite-metrics-storage-'));
    try {
      const config = { 'log.flush.mode': 'group-commit' };
      const first = await startBroker({ metricsPort: 0, dataDir, config });
      try {
        await createTopics(first, [{ topic: 'durable', numPartitions: 1 }]);
        const before = await scrape(first);
        const producer = kafka(first).producer();
        await producer.connect();
        try {
          // acks=-1 in group-commit mode: each acknowledgement waited for an fsync.
          for (let i = 0; i < 3; i++) await producer.send({ topic: 'durable', acks: -1, messages: [{ value: `record ${i}`.repeat(20) }] });
        } finally {
          await producer.disconnect();
        }
        await consumeAll(first, 'durable', 'tail-readers', 3);
        const after = await scrape(first);
        const log = { topic: 'durable', partition: 0 };
        expect(sample(after, M.logFsyncs, log)).toBeGreaterThanOrEqual(3);
        expect(sample(after, M.logWrites, log)).toBeGreaterThanOrEqual(3);
        // A new log holds exactly the bytes its appends wrote.
        expect(sample(after, M.logBytesWritten, log)).toBe(sample(after, M.logSize, log));
        // Every batch was still in the tail cache when consumed.
        expect(sample(after, M.logTailCacheReads, log)).toBeGreaterThanOrEqual(1);
        expect(sample(after, M.logDiskReads, log)).toBe(0);
        const active = (s: PromSample[]) => sample(s, M.eventLoopActive);
        const idle = (s: PromSample[]) => sample(s, M.eventLoopIdle);
        expect(active(after)).toBeGreaterThan(active(before));
        expect(active(after) + idle(after)).toBeGreaterThan(active(before) + idle(before));
        // The GC histogram (prom-client, perf_hooks) fills as collections happen: make some and wait for them.
        const gcCount = (s: PromSample[]) => total(s, 'nodejs_gc_duration_seconds_count');
        let gcs = await scrape(first);
        while (gcCount(gcs) === 0) {
          Array.from({ length: 200_000 }, (_, i) => ({ i, s: `garbage ${i}` }));
          gcs = await scrape(first);
        }
        expect(total(gcs, 'nodejs_gc_duration_seconds_sum')).toBeGreaterThan(0);
      } finally {
        await first.close();
      }
      // After a restart the tail cache is empty: the same records come from the segment files.
      const second = await startBroker({ metricsPort: 0, dataDir, config });
      try {
        await consumeAll(second, 'durable', 'disk-readers', 3);
        const s = await scrape(second);
        expect(sample(s, M.logDiskReads, { topic: 'durable', partition: 0 })).toBeGreaterThanOrEqual(1);
        expect(sample(s, M.logBytesWritten, { topic: 'durable', partition: 0 })).toBe(0);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('serves one endpoint for a cluster in one process: leaders move with stopped nodes, and partitions with none are offline', async () => {
    const cluster = await startCluster({ nodes: 2, metricsPort: 0 });
    running.push(cluster);
    const admin = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 4 }] });
    await admin.disconnect();
    const up = await scrape(cluster);
    expect(sample(up, M.partitionCount)).toBe(4);
    expect(sample(up, M.leaderCount)).toBe(4);
    expect(sample(up, M.connectionCreation, { listener: 'PLAINTEXT' })).toBeGreaterThanOrEqual(1);
    await cluster.stopNode(cluster.nodes[1].nodeId);
    const one = await scrape(cluster);
    expect(sample(one, M.leaderCount)).toBe(4);
    expect(sample(one, M.offlinePartitions)).toBe(0);
    await cluster.stopNode(cluster.nodes[0].nodeId);
    const none = await scrape(cluster);
    expect(sample(none, M.leaderCount)).toBe(0);
    expect(sample(none, M.offlinePartitions)).toBe(4);
  }, 30_000);

  it('gives two brokers in one process separate registries', async () => {
    const [a, c] = await Promise.all([broker(), broker()]);
    expect(a.metrics.registry).not.toBe(c.metrics.registry);
    expect(a.metricsEndpoint!.port).not.toBe(c.metricsEndpoint!.port);
    const producer = kafka(a).producer();
    await producer.connect();
    await producer.send({ topic: 'only-a', messages: [{ value: 'v' }] });
    await producer.disconnect();
    const [sa, sc] = await Promise.all([scrape(a), scrape(c)]);
    expect(sample(sa, M.messagesIn, { topic: 'only-a' })).toBe(1);
    expect(select(sc, M.messagesIn)).toEqual([]);
    expect(total(sc, M.requests)).toBe(0);
    // Both serve the process metrics, each in its own registry.
    expect(select(sa, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(select(sc, 'process_cpu_user_seconds_total')).toHaveLength(1);
  }, 30_000);

  it('serves GET and HEAD /metrics only: 404 elsewhere, 405 for other methods', async () => {
    const b = await broker();
    const base = new URL(b.metricsEndpoint!.url);
    expect(base.pathname).toBe('/metrics');
    expect((await fetch(new URL('/', base))).status).toBe(404);
    expect((await fetch(new URL('/metrics/x', base))).status).toBe(404);
    const post = await fetch(base, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(base, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${b.metricsEndpoint!.url}?x=1`)).status).toBe(200);
  });

  it('serves no endpoint unless asked', async () => {
    const b = await startBroker();
    running.push(b);
    expect(b.metricsEndpoint).toBeNull();
    // The counters are kept all the same.
    const producer = kafka(b).producer();
    await producer.connect();
    await producer.send({ topic: 'quiet', messages: [{ value: 'v' }] });
    await producer.disconnect();
    expect((await b.metrics.snapshot()).topics.quiet.messagesIn).toBe(1);
  }, 30_000);

  it('a metrics port in use fails the start with a clear message and leaves nothing behind', async () => {
    const occupied: Server = createServer();
    await new Promise<void>((r) => occupied.listen({ host: '127.0.0.1', port: 0 }, r));
    const port = (occupied.address() as { port: number }).port;
    const dataDir = await mkdtemp(join(tmpdir(), 'kafkalite-metrics-'));
    try {
      const err = await startBroker({ dataDir, config: { 'metrics.port': String(port) } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(describeStartupError(err, { host: '127.0.0.1', port: 0, dataDir })).toBe(`port ${port} is in use: use another --metrics-port`);
      // The data directory's lock was released: the same directory starts.
      const b = await broker({ dataDir });
      expect(b.metricsEndpoint!.port).not.toBe(port);
    } finally {
      occupied.close();
      await Promise.all(running.splice(0).map((r) => r.close()));
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
