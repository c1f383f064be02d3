// Transactions with unmodified @platformatic/kafka: beginTransaction, send,
// commit and abort against the coordinator; a read_committed kafkajs consumer
// sees only the committed records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../broker/broker.js';

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({ config: { 'transaction.state.log.num.partitions': '2', 'offsets.topic.num.partitions': '2' } });
});
afterAll(() => broker.close());

describe('transactions with @platformatic/kafka', () => {
  it('commits and aborts; read_committed sees only the committed records', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'pk', numPartitions: 1 }] });
    await admin.disconnect();

    const producer = new Producer({ clientId: 'pk', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, idempotent: true, transactionalId: 'tx-platformatic' });
    try {
      const aborted = await producer.beginTransaction();
      await aborted.send({ messages: [{ topic: 'pk', value: 'aborted' }] });
      await aborted.abort();
      const committed = await producer.beginTransaction();
      await committed.send({ messages: [{ topic: 'pk', value: 'kept' }, { topic: 'pk', value: 'end' }] });
      await committed.commit();
    } finally {
      await producer.close();
    }
    expect(broker.transactions.metadata('tx-platformatic')?.state).toMatch(/^(PrepareCommit|CompleteCommit)$/);

    const consumer = kafka.consumer({ groupId: 'pk-reader', maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'pk', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.at(-1) === 'end') resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(seen).toEqual(['kept', 'end']);
  });
});
