// Issue 14: a compacted partition read over TCP by unmodified clients. After a
// cleaning round the log has offset gaps (superseded records gone, offsets
// unchanged); kafkajs and @platformatic/kafka read it from the beginning and
// from inside a gap, and see exactly the latest record per key (tombstones
// within delete.retention.ms included) plus everything past the cleaned range.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../../testing/index.js';

const TOPIC = 'compacted';
const KEYS = 8;

interface Sent {
  offset: number;
  key: string;
  value: string | null;
}

describe('reading a compacted topic with real clients', () => {
  let broker: RunningBroker;
  const sent: Sent[] = [];
  let cleanedBelow = 0;

  beforeAll(async () => {
    broker = await startBroker();
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    // segment.ms=1: nearly every batch rolls a new segment, so the cleaner has sealed segments to work on
    await admin.createTopics({ topics: [{ topic: TOPIC, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.ms', value: '1' }] }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < KEYS; k++) {
        const value = round === 3 && k % 3 === 0 ? null : `v${round}-${k}`;
        const [meta] = await producer.send({ topic: TOPIC, messages: [{ key: `k${k}`, value }] });
        sent.push({ offset: Number(meta!.baseOffset), key: `k${k}`, value });
        await new Promise((r) => setTimeout(r, 2)); // the delay is what rolls the segment (segment.ms=1)
      }
    }
    await producer.disconnect();
    const result = await broker.cleaner.clean(TOPIC, 0);
    expect(result).not.toBeNull();
    cleanedBelow = result!.endOffset;
    expect(cleanedBelow).toBeGreaterThan(KEYS);
  });
  afterAll(async () => {
    await broker.close();
  });

  /** What a reader from `from` must see: latest per key below the cleaned end, everything after. */
  function expected(from: number): Sent[] {
    const latest = new Map<string, Sent>();
    for (const s of sent) if (s.offset < cleanedBelow) latest.set(s.key, s);
    return [...[...latest.values()], ...sent.filter((s) => s.offset >= cleanedBelow)]
      .filter((s) => s.offset >= from)
      .sort((a, b) => a.offset - b.offset);
  }

  it('the log has gaps and the offsets it kept are unchanged', async () => {
    const stored = await broker.records(TOPIC, 0, { max: 1000 });
    expect(stored.length).toBeLessThan(sent.length);
    expect(stored.map((r) => ({ offset: Number(r.offset), key: r.key?.toString(), value: r.value?.toString() ?? null }))).toEqual(expected(0));
  });

  it('kafkajs reads it from the beginning and from inside a gap', async () => {
    for (const from of [0, expected(0)[1]!.offset - 1]) {
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: `kjs-${from}`, maxWaitTimeInMs: 50 });
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      const want = expected(from);
      const seen: Sent[] = [];
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              seen.push({ offset: Number(message.offset), key: message.key!.toString(), value: message.value?.toString() ?? null });
              if (seen.length === want.length) resolve();
            },
          })
          .catch(reject);
        if (from > 0) consumer.seek({ topic: TOPIC, partition: 0, offset: String(from) });
      });
      await consumer.disconnect();
      expect(seen).toEqual(want);
    }
  });

  it('@platformatic/kafka reads it from the beginning', async () => {
    const consumer = new Consumer({ groupId: 'pl-compacted', clientId: 'pl', bootstrapBrokers: [broker.bootstrap], deserializers: stringDeserializers, maxWaitTime: 50 });
    const stream = await consumer.consume({ topics: [TOPIC], mode: 'earliest' });
    const want = expected(0);
    const seen: Sent[] = [];
    await new Promise<void>((resolve) => {
      stream.on('data', (m) => {
        seen.push({ offset: Number(m.offset), key: m.key as string, value: (m.value as string | null) ?? null });
        if (seen.length === want.length) resolve();
      });
    });
    await stream.close();
    await consumer.close(true);
    expect(seen).toEqual(want);
  });
});
