// Transactions end to end with unmodified kafkajs over TCP: commit and abort as
// read_committed (kafkajs's default) and read_uncommitted consumers see them,
// zombie fencing of two producers sharing a transactional id, interleaved
// aborts of two producers.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../index.js';

let broker: RunningBroker;
let kafka: Kafka;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  broker = await startBroker({ config: { 'transaction.state.log.num.partitions': '3', 'offsets.topic.num.partitions': '3' } });
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 20, retries: 8 } });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await broker.reset();
});
afterAll(() => broker.close());

async function txProducer(transactionalId: string): Promise<Producer> {
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  return producer;
}

/** Reads `topic` from the beginning until a record with value `until` arrives; returns the values in order. */
async function readUntil(topic: string, until: string, readUncommitted = false): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId: `reader-${Math.random()}`, readUncommitted, maxWaitTimeInMs: 50 });
  await consumer.connect();
  cleanups.push(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const v = message.value!.toString();
        seen.push(v);
        if (v === until) resolve();
      },
    });
  });
  return seen;
}

async function createTopic(topic: string, numPartitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions }] });
  await admin.disconnect();
}

describe('transactions with kafkajs', () => {
  it('a committed transaction is read by read_committed; an aborted one only by read_uncommitted', async () => {
    await createTopic('orders');
    const producer = await txProducer('tx-commit');
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'orders', messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic: 'orders', messages: [{ value: 'committed-1' }, { value: 'end' }] });
    await committed.commit();

    expect(await readUntil('orders', 'end')).toEqual(['committed-1', 'end']);
    expect(await readUntil('orders', 'end', true)).toEqual(['aborted-1', 'aborted-2', 'committed-1', 'end']);
    expect(broker.transactions.metadata('tx-commit')).toMatchObject({ state: 'CompleteCommit', producerEpoch: 0 });
  });

  it('fences a zombie: the second producer with the same id wins, the first one\'s open transaction is aborted', async () => {
    await createTopic('fenced');
    const zombie = await txProducer('tx-zombie');
    const zt = await zombie.transaction();
    await zt.send({ topic: 'fenced', messages: [{ value: 'from-zombie' }] });

    const successor = await txProducer('tx-zombie');
    const st = await successor.transaction();
    await st.send({ topic: 'fenced', messages: [{ value: 'from-successor' }, { value: 'end' }] });
    await st.commit();

    await expect(zt.commit()).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });
    expect(await readUntil('fenced', 'end')).toEqual(['from-successor', 'end']);
    expect(broker.transactions.metadata('tx-zombie')).toMatchObject({ state: 'CompleteCommit', producerEpoch: 2 });
  });

  it('interleaved aborts of two producers leak no aborted record to read_committed', async () => {
    await createTopic('interleaved');
    const a = await txProducer('tx-a');
    const b = await txProducer('tx-b');
    const ta = await a.transaction();
    await ta.send({ topic: 'interleaved', messages: [{ value: 'a-1' }] });
    const tb = await b.transaction();
    await tb.send({ topic: 'interleaved', messages: [{ value: 'b-1' }] });
    await ta.send({ topic: 'interleaved', messages: [{ value: 'a-2' }] });
    await tb.send({ topic: 'interleaved', messages: [{ value: 'b-2' }] });
    await tb.abort();
    await ta.abort();
    const tc = await a.transaction();
    await tc.send({ topic: 'interleaved', messages: [{ value: 'kept' }, { value: 'end' }] });
    await tc.commit();
    expect(await readUntil('interleaved', 'end')).toEqual(['kept', 'end']);
  });

  it('consume-transform-produce: sendOffsets commits the group\'s offsets with the transaction, an abort drops them', async () => {
    await createTopic('in');
    await createTopic('out');
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const offsetOf = async () => (await admin.fetchOffsets({ groupId: 'ctp', topics: ['in'] }))[0].partitions[0].offset;

    const producer = await txProducer('tx-ctp');
    const t1 = await producer.transaction();
    await t1.send({ topic: 'out', messages: [{ value: 'out-1' }] });
    await t1.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '3' }] }] });
    // Pending until the commit: the group has no offset yet.
    expect(await offsetOf()).toBe('-1');
    await t1.commit();
    await broker.waitForTransaction('tx-ctp', 'CompleteCommit');
    expect(await offsetOf()).toBe('3');

    const t2 = await producer.transaction();
    await t2.send({ topic: 'out', messages: [{ value: 'out-aborted' }] });
    await t2.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }] }] });
    await t2.abort();
    const t3 = await producer.transaction();
    await t3.send({ topic: 'out', messages: [{ value: 'end' }] });
    await t3.commit();
    expect(await readUntil('out', 'end')).toEqual(['out-1', 'end']);
    expect(await offsetOf()).toBe('3');
  });
});
