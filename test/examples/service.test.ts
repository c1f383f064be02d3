// An application team's tests against kafkalite as a test double: one broker for
// the file, reset() between tests, unmodified kafkajs, readiness helpers instead
// of sleeps.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../index.js';

/** The service under test: reads orders, writes one shipment per order, commits as it goes. */
async function startShippingService(kafka: Kafka): Promise<{ stop(): Promise<void> }> {
  const consumer = kafka.consumer({ groupId: 'shipping', maxWaitTimeInMs: 50 });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; item: string };
      await producer.send({ topic: 'shipments', messages: [{ key: order.id, value: `ship ${order.item.toUpperCase()}` }] });
    },
  });
  return {
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

describe('a consume-transform-produce service with kafkajs', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    broker = await startBroker();
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 20 } });
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await broker.reset();
  });
  afterAll(async () => {
    await broker.close();
  });

  async function createTopics(partitions = 1): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: partitions }, { topic: 'shipments' }], waitForLeaders: true });
    await admin.disconnect();
  }

  async function sendOrders(orders: { id: string; item: string }[]): Promise<void> {
    const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: 'orders', messages: orders.map((o) => ({ key: o.id, value: JSON.stringify(o) })) });
    await producer.disconnect();
  }

  /** Resolves once `count` shipments are in the log, checking after every answered Produce. */
  async function shipments(count: number): Promise<string[]> {
    for (;;) {
      const answered = broker.requests.entries('Produce').filter((e) => e.respondedAt !== null).length;
      const records = await broker.records('shipments', 0);
      if (records.length >= count) return records.map((r) => `${r.key}: ${r.value}`);
      await broker.requests.waitFor('Produce', { count: answered + 1, answered: true });
    }
  }

  it('ships every order once and commits past it', async () => {
    await createTopics();
    const service = await startShippingService(kafka);
    stops.push(() => service.stop());
    await sendOrders([{ id: 'o1', item: 'book' }, { id: 'o2', item: 'lamp' }]);
    expect(await shipments(2)).toEqual(['o1: ship BOOK', 'o2: ship LAMP']);
    await service.stop();
    stops.length = 0;
    expect(await broker.committedOffsets('shipping')).toEqual({ orders: { 0: { offset: 2, metadata: '' } } });
  });

  it('starts from a clean broker: the last test\'s orders, shipments and offsets are gone', async () => {
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).toEqual([]);
    expect((await admin.listGroups()).groups).toEqual([]);
    await admin.disconnect();
    expect(await broker.committedOffsets('shipping')).toEqual({});
    await createTopics();
    const service = await startShippingService(kafka);
    stops.push(() => service.stop());
    await sendOrders([{ id: 'o9', item: 'desk' }]);
    expect(await shipments(1)).toEqual(['o9: ship DESK']);
  });

  it('a consumer survives a rebalance: a second member takes over half the partitions', async () => {
    await createTopics(4);
    const consumed: string[] = [];
    const consumers: Consumer[] = [];
    const join = async (name: string) => {
      const c = kafka.consumer({ groupId: 'readers', maxWaitTimeInMs: 50, heartbeatInterval: 100 });
      consumers.push(c);
      stops.push(() => c.disconnect());
      await c.connect();
      await c.subscribe({ topic: 'orders', fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => void consumed.push(`${name}:${message.value}`) });
    };
    await join('a');
    const first = await broker.waitForGroupState('readers', 'Stable', { members: 1 });
    expect(broker.assignment('readers')?.members.map((m) => m.partitions)).toEqual([{ orders: [0, 1, 2, 3] }]);
    await join('b');
    await broker.waitForGroupState('readers', 'Stable', { members: 2, minGenerationId: first.generationId + 1 });
    const split = broker.assignment('readers')!;
    expect(split.members.map((m) => m.partitions.orders.length)).toEqual([2, 2]);
    expect(split.members.flatMap((m) => m.partitions.orders).sort()).toEqual([0, 1, 2, 3]);
    expect(split.members.every((m) => m.clientHost.startsWith('/'))).toBe(true);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [0, 1, 2, 3].map((p) => ({ partition: p, value: `m${p}` })) });
    await producer.disconnect();
    while (consumed.length < 4) {
      await broker.requests.waitFor('Fetch', { count: broker.requests.entries('Fetch').filter((e) => e.respondedAt !== null).length + 1, answered: true });
    }
    expect(consumed.map((c) => c.split(':')[1]).sort()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(new Set(consumed.map((c) => c.split(':')[0]))).toEqual(new Set(['a', 'b']));
  });

  it('the request log resolves as two consumers join', async () => {
    await createTopics(2);
    const joined = broker.requests.waitFor('SyncGroup', { count: 2 });
    for (const name of ['c1', 'c2']) {
      const c = kafka.consumer({ groupId: 'pair', maxWaitTimeInMs: 50, heartbeatInterval: 100 });
      stops.push(() => c.disconnect());
      await c.connect();
      await c.subscribe({ topic: 'orders' });
      await c.run({ eachMessage: async () => {} });
    }
    const syncs = await joined;
    expect(syncs.map((e) => (e.request as { groupId: string }).groupId)).toEqual(['pair', 'pair']);
    const joins = broker.requests.entries('JoinGroup');
    expect(new Set(joins.map((e) => e.connection)).size).toBe(2);
  });
});

describe('reset() with kafkajs', () => {
  it('leaves no topic or group, fifty times over, and leaks no sockets', async () => {
    const broker = await startBroker();
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    const port = broker.port;
    for (let i = 0; i < 50; i++) {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: `t${i}`, numPartitions: 2 }] });
      await admin.disconnect();
      const consumer = kafka.consumer({ groupId: `g${i}`, heartbeatInterval: 50, maxWaitTimeInMs: 10 });
      await consumer.connect();
      await consumer.subscribe({ topic: `t${i}` });
      await consumer.run({ eachMessage: async () => {} });
      await broker.waitForGroupState(`g${i}`, 'Stable', { members: 1 });
      await consumer.disconnect();
      await broker.reset();
      const check = kafka.admin();
      await check.connect();
      expect(await check.listTopics()).toEqual([]);
      expect((await check.listGroups()).groups).toEqual([]);
      await check.disconnect();
    }
    expect(broker.port).toBe(port);
    // The last client's sockets may still be closing; a socket leaked per loop would show 50 or more.
    expect(sockets() - before).toBeLessThan(5);
    await broker.close();
  }, 60_000);
});
