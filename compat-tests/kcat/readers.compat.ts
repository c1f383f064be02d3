// kcat (librdkafka) produces snappy, lz4 and zstd batches; kafkajs and
// @platformatic/kafka consumers read them back. Keys, values, headers,
// timestamps and offsets must equal what kcat's own consumer reports.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import zlib from 'node:zlib';
import { Kafka, logLevel, CompressionTypes, CompressionCodecs } from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import { compress, decompress, Compression } from '../../protocol/compression.js';
import { walkBatches } from '../../protocol/record-batch.js';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';
import { kcat, kcatVersion } from '../support/kcat.js';

interface Seen {
  offset: number;
  key: string | null;
  value: string | null;
  ts: number;
  headers: [string, string][];
}

const COUNT = 40;

// kafkajs ships only gzip; users register codecs. Snappy comes from the
// kafkajs-snappy plugin; for lz4 and zstd no maintained pure-JS plugin exists,
// so ours is registered (the broker under test never decompresses on fetch).
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
for (const [type, codec] of [
  [CompressionTypes.LZ4, Compression.lz4],
  [CompressionTypes.ZSTD, Compression.zstd],
] as const) {
  CompressionCodecs[type] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(codec, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(codec, buffer),
  });
}

const CODEC_IDS: Record<string, number> = { snappy: Compression.snappy, lz4: Compression.lz4, zstd: Compression.zstd };

async function kcatView(bootstrap: string, topic: string): Promise<Seen[]> {
  const res = await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-q']);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .map((r) => ({
      offset: r.offset,
      key: r.key,
      value: r.payload,
      ts: r.ts,
      headers: (r.headers ?? []).reduce((acc: [string, string][], v: string, i: number, all: string[]) => (i % 2 ? acc : [...acc, [v, all[i + 1]]]), []),
    }));
}

async function kafkajsView(bootstrap: string, topic: string): Promise<Seen[]> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${topic}-kafkajs`, sessionTimeout: 6000, maxWaitTimeInMs: 100 });
  const seen: Seen[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({
          offset: Number(message.offset),
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          ts: Number(message.timestamp),
          headers: Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        });
        if (seen.length === COUNT) resolve();
      },
    });
  });
  await consumer.disconnect();
  return seen;
}

async function platformaticView(bootstrap: string, topic: string): Promise<Seen[]> {
  const consumer = new Consumer({ groupId: `${topic}-platformatic`, clientId: 'readers', bootstrapBrokers: [bootstrap], deserializers: stringDeserializers, maxWaitTime: 100 });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', fallbackMode: 'earliest' });
  const seen: Seen[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (m) => {
      seen.push({
        offset: Number(m.offset),
        key: m.key ?? null,
        value: m.value ?? null,
        ts: Number(m.timestamp),
        headers: [...(m.headers ?? new Map()).entries()].map(([k, v]) => [String(k), String(v)]),
      });
      if (seen.length === COUNT) resolve();
    });
  });
  await stream.close();
  await consumer.close(true);
  return seen;
}

describe.skipIf(!kcatVersion())('kcat producer -> kafkajs and @platformatic/kafka readers', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await testBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  });
  afterAll(() => broker?.close());

  // @platformatic/kafka decompresses zstd with node:zlib, which has zstd only from Node 22.15.
  const nodeHasZstd = typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';
  const produced = new Map<string, Promise<{ topic: string; truth: Seen[] }>>();

  /** One kcat-produced topic per codec, shared by the readers' tests. */
  function producedWith(codec: string) {
    if (!produced.has(codec)) {
      produced.set(codec, (async () => {
        const topic = uniqueTopic(`readers-${codec}`);
        const lines = Array.from({ length: COUNT }, (_, i) => `key-${i}|value ${i} ${'z'.repeat(i * 3)}`);
        const prod = await kcat(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-z', codec, '-K', '|', '-H', 'codec=' + codec, '-H', 'n=1'], {
          input: `${lines.join('\n')}\n`,
        });
        expect(prod.code, prod.stderr).toBe(0);
        if (broker.kafkalite) {
          // librdkafka falls back to no compression when it thinks the broker cannot take the codec.
          // It also sends a batch uncompressed when compressing would not shrink it (a first batch
          // of one short record, depending on how kcat's reads of stdin fall), so plain batches
          // may appear beside compressed ones, but never alone.
          const { batches } = await broker.kafkalite.logs.log(topic, 0)!.read(0, 1 << 20, true);
          const codecs = batches.flatMap((b) => walkBatches(b).batches.map((s) => s.header.compression));
          expect(codecs).toContain(CODEC_IDS[codec]);
          expect(codecs.every((c) => c === CODEC_IDS[codec] || c === Compression.none)).toBe(true);
        }
        const truth = await kcatView(broker.bootstrap, topic);
        expect(truth.map((r) => `${r.key}|${r.value}`)).toEqual(lines);
        expect(truth.map((r) => r.offset)).toEqual(lines.map((_, i) => i));
        return { topic, truth };
      })());
    }
    return produced.get(codec)!;
  }

  for (const codec of ['snappy', 'lz4', 'zstd']) {
    it(`${codec} -> kafkajs`, async () => {
      const { topic, truth } = await producedWith(codec);
      expect(await kafkajsView(broker.bootstrap, topic)).toEqual(truth);
    });
    it.skipIf(codec === 'zstd' && !nodeHasZstd)(`${codec} -> @platformatic/kafka`, async () => {
      const { topic, truth } = await producedWith(codec);
      expect(await platformaticView(broker.bootstrap, topic)).toEqual(truth);
    });
  }
});
