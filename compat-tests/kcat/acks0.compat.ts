// Issue 7, item 5: an acks=0 producer closes right after its last send.
// librdkafka (kcat -X acks=0) writes 10,000 records and exits once its queue is
// handed to the socket; every request the broker received before the close must
// be stored. A kcat consumer then counts them all.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';
import { kcat, kcatVersion } from '../support/kcat.js';

const RECORDS = 10_000;

describe.skipIf(!kcatVersion())('kcat acks=0 producer that exits at once', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await testBroker();
  });
  afterAll(() => broker?.close());

  it(`stores all ${RECORDS} records`, async () => {
    const topic = uniqueTopic('kcat-acks0');
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const lines = Array.from({ length: RECORDS }, (_, i) => `record-${i}`);
    const prod = await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-X', 'acks=0', '-X', 'linger.ms=5', '-X', 'batch.num.messages=100'], {
      input: `${lines.join('\n')}\n`,
    });
    expect(prod.code, prod.stderr).toBe(0);
    // The consumer reads to the end; -e stops it there. Records may still be being appended after kcat exited,
    // so read until the count is reached (kcat -c stops at exactly RECORDS, or times out short of them).
    const cons = await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-c', String(RECORDS), '-q'], { timeoutMs: 60_000 });
    const got = cons.stdout.split('\n').filter(Boolean);
    expect(got).toHaveLength(RECORDS);
    expect(got).toEqual(lines);
  }, 90_000);
});
