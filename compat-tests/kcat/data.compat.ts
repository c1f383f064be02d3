// Data round trips between kafkajs and kcat (librdkafka): keys, values, headers,
// timestamps and offsets must match exactly.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Kafka, logLevel, CompressionTypes, Partitioners } from 'kafkajs';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';
import { kcat, kcatVersion } from '../support/kcat.js';

interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

async function consumeAll(bootstrap: string, topic: string): Promise<KcatRecord[]> {
  const res = await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-q']);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as KcatRecord);
}

describe.skipIf(!kcatVersion())('kafkajs producer -> kcat consumer', () => {
  let broker: TestBroker;
  let kafka: Kafka;
  beforeAll(async () => {
    broker = await testBroker();
    kafka = new Kafka({ clientId: 'compat-data', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  afterAll(() => broker?.close());

  for (const [name, compression, idempotent] of [
    ['plain', CompressionTypes.None, false],
    ['gzip', CompressionTypes.GZIP, false],
    ['idempotent', CompressionTypes.None, true],
  ] as const) {
    it(`${name} batches arrive exactly`, async () => {
      const topic = uniqueTopic(`kjs-kcat-${name}`);
      const producer = kafka.producer({ idempotent, createPartitioner: Partitioners.DefaultPartitioner, maxInFlightRequests: idempotent ? 1 : undefined });
      await producer.connect();
      const base = Date.now() - 10_000;
      const sent = Array.from({ length: 30 }, (_, i) => ({
        key: `key-${i}`,
        value: `value-${i}-${'x'.repeat(i * 7)}`,
        headers: { 'h-one': `h1-${i}`, 'h-two': `h2-${i}` },
        timestamp: String(base + i),
        partition: 0,
      }));
      await producer.send({ topic, compression, messages: sent.slice(0, 10) });
      await producer.send({ topic, compression, messages: sent.slice(10) });
      await producer.disconnect();

      const got = await consumeAll(broker.bootstrap, topic);
      expect(got).toHaveLength(sent.length);
      got.forEach((r, i) => {
        expect(r.offset).toBe(i);
        expect(r.key).toBe(sent[i].key);
        expect(r.payload).toBe(sent[i].value);
        expect(r.ts).toBe(Number(sent[i].timestamp));
        expect(r.tstype).toBe('create');
        expect(r.headers).toEqual(['h-one', `h1-${i}`, 'h-two', `h2-${i}`]);
      });
    });
  }
});

describe.skipIf(!kcatVersion())('kcat producer -> kcat consumer', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await testBroker();
  });
  afterAll(() => broker?.close());

  for (const codec of ['snappy', 'lz4', 'zstd', 'gzip']) {
    it(`${codec} batches round-trip`, async () => {
      const topic = uniqueTopic(`kcat-${codec}`);
      const lines = Array.from({ length: 50 }, (_, i) => `k${i}:value ${i} ${'y'.repeat(i)}`);
      const prod = await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-z', codec, '-K', ':', '-H', 'origin=kcat'], { input: `${lines.join('\n')}\n` });
      expect(prod.code, prod.stderr).toBe(0);
      const got = await consumeAll(broker.bootstrap, topic);
      expect(got.map((r) => `${r.key}:${r.payload}`)).toEqual(lines);
      expect(got.map((r) => r.offset)).toEqual(lines.map((_, i) => i));
      for (const r of got) expect(r.headers).toEqual(['origin', 'kcat']);
    });
  }
});
