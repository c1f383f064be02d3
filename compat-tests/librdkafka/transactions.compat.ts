// Issue 9: librdkafka's transactional producer API end to end. A C program
// (txn-producer.c, built here against Debian's librdkafka-dev) calls
// init_transactions, commits a transaction of N records, flushes N more to the
// broker and aborts their transaction, then commits one "end" record. A
// read_committed kafkajs consumer must see exactly the committed records and
// "end"; a read_uncommitted one all of them in order (so the aborted records
// did reach the log).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';
import { buildRdkafkaProgram, librdkafkaVersion } from '../support/librdkafka.js';
import { runProgram } from '../support/kcat.js';

const N = 50;
const SOURCE = fileURLToPath(new URL('./txn-producer.c', import.meta.url));
const committed = Array.from({ length: N }, (_, i) => `committed-${i}`);
const aborted = Array.from({ length: N }, (_, i) => `aborted-${i}`);

describe.skipIf(!librdkafkaVersion())('librdkafka transactional producer (C API)', () => {
  let broker: TestBroker;
  let kafka: Kafka;
  let topic: string;
  let producerOutput: string;

  /** Every value a consumer at this isolation level reads from the beginning up to "end". */
  async function readToEnd(readUncommitted: boolean): Promise<string[]> {
    const consumer = kafka.consumer({ groupId: uniqueTopic('txn-reader'), readUncommitted });
    const values: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              const v = message.value!.toString();
              values.push(v);
              if (v === 'end') resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return values;
  }

  beforeAll(async () => {
    broker = await testBroker();
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    topic = uniqueTopic('rdkafka-txn');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const program = buildRdkafkaProgram(SOURCE);
    const run = await runProgram(program, [broker.bootstrap, topic, uniqueTopic('rdkafka-txn-id'), String(N)], { timeoutMs: 60_000 });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    producerOutput = run.stdout;
  }, 120_000);
  afterAll(() => broker?.close());

  it('init_transactions, commit_transaction and abort_transaction all succeed', () => {
    const steps = producerOutput.split('\n').filter((l) => l.endsWith(': ok'));
    expect(steps).toEqual([
      'init_transactions: ok',
      'begin_transaction: ok',
      'commit_transaction: ok',
      'begin_transaction: ok',
      'abort_transaction: ok',
      'begin_transaction: ok',
      'commit_transaction: ok',
    ]);
  });

  it('a read_committed consumer sees exactly the committed records', async () => {
    expect(await readToEnd(false)).toEqual([...committed, 'end']);
  }, 60_000);

  it('a read_uncommitted consumer sees the committed and the aborted records', async () => {
    expect(await readToEnd(true)).toEqual([...committed, ...aborted, 'end']);
  }, 60_000);
});
