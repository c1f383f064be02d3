// Issue 10: what Kafka's LogValidator does to a produced batch, over real TCP:
// the max timestamp recomputed from the records, LogAppendTime stamping,
// compression.type recompression, and min.insync.replicas on one replica.
// Batches are sent with the raw client (to control every header byte) and read
// back with unmodified kafkajs and @platformatic/kafka.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, CompressionCodecs, CompressionTypes, type Admin, type KafkaMessage } from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import { Consumer as PlatformaticConsumer, stringDeserializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { FetchApi } from '../../protocol/messages/01-fetch.js';
import { buildRecordBatch, decodeBatchSync, parseBatchHeader, validateBatchCrc, writeBatchCrc, TimestampType } from '../../protocol/record-batch.js';
import { OFF_MAX_TIMESTAMP } from '../../protocol/record-batch-layout.js';
import { Compression } from '../../protocol/compression.js';
import { ErrorCode } from '../../protocol/errors.js';
import { kcat } from '../../compat-tests/support/kcat.js';

// kafkajs ships gzip only; users register other codecs (kafkajs-snappy here).
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;

let broker: RunningBroker;
let client: RawClient;
let kafka: Kafka;
let admin: Admin;
let n = 0;

beforeAll(async () => {
  broker = await startBroker();
  client = await RawClient.connect(broker.host, broker.port);
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await admin.disconnect();
  client.close();
  await broker.close();
});

async function topicWith(configs: Record<string, string> = {}): Promise<string> {
  const topic = `validator-${n++}`;
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
  });
  expect(created).toBe(true);
  return topic;
}

const T0 = Date.now() - 60_000;

function records(count: number): { key: Buffer; value: Buffer; timestamp: number }[] {
  return Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`), timestamp: T0 + i * 1000 }));
}

/** A batch whose producer left the header's max timestamp at -1 (the CRC still right). */
async function batchWithoutMaxTimestamp(count: number, compression: number = Compression.none): Promise<Buffer> {
  const batch = await buildRecordBatch({ records: records(count), compression });
  batch.writeBigInt64BE(-1n, OFF_MAX_TIMESTAMP);
  writeBatchCrc(batch, 0);
  return batch;
}

async function produce(topic: string, batch: Buffer, opts: { acks?: number; version?: number } = {}) {
  const res = await client.request(ProduceApi, opts.version ?? 9, {
    acks: opts.acks ?? -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });
  return res.responses[0].partitionResponses[0];
}

/** The stored batches as the broker serves them (raw Fetch v11). */
async function storedBatches(topic: string): Promise<Buffer[]> {
  const res = await client.request(FetchApi, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  const p = res.responses[0].partitions[0];
  expect(p.errorCode).toBe(ErrorCode.NONE);
  const buf = p.records as Buffer;
  const out: Buffer[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const size = 12 + buf.readInt32BE(pos + 8);
    out.push(buf.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

/** Every message of the topic, read by a kafkajs consumer. */
async function consumeWithKafkajs(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `${topic}-readers`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: KafkaMessage[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          seen.push(message);
          if (seen.length === count) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

async function consumeWithPlatformatic(topic: string, count: number): Promise<string[]> {
  const consumer = new PlatformaticConsumer({
    groupId: `${topic}-pl-readers`,
    clientId: 'validator-test',
    bootstrapBrokers: [broker.bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 50,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (m) => {
      seen.push(m.value as string);
      if (seen.length === count) resolve();
    });
  });
  await stream.close();
  await consumer.close(true);
  return seen;
}

describe('the max timestamp is recomputed from the records', () => {
  for (const [name, codec] of [['uncompressed', Compression.none], ['gzip', Compression.gzip]] as const) {
    it(`a ${name} batch with header max timestamp -1 is found by ListOffsets by timestamp`, async () => {
      const topic = await topicWith();
      expect((await produce(topic, await batchWithoutMaxTimestamp(3, codec))).errorCode).toBe(ErrorCode.NONE);

      const [stored] = await storedBatches(topic);
      expect(validateBatchCrc(stored!)).toBe(true);
      const header = parseBatchHeader(stored!);
      expect(header.maxTimestamp).toBe(BigInt(T0 + 2000));
      expect(header.compression).toBe(codec);

      expect(await admin.fetchTopicOffsetsByTimestamp(topic, T0 + 1000)).toEqual([expect.objectContaining({ partition: 0, offset: '1' })]);
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, T0 + 2000)).toEqual([expect.objectContaining({ partition: 0, offset: '2' })]);
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, T0 + 2001)).toEqual([expect.objectContaining({ partition: 0, offset: '3' })]);
    });
  }
});

describe('message.timestamp.type=LogAppendTime', () => {
  it('stamps the batch with the broker time: the type bit, max timestamp and CRC; consumers see that time', async () => {
    const topic = await topicWith({ 'message.timestamp.type': 'LogAppendTime' });
    const before = Date.now();
    const res = await produce(topic, await buildRecordBatch({ records: records(2) }));
    expect(res.errorCode).toBe(ErrorCode.NONE);
    const appendTime = Number(res.logAppendTimeMs);
    expect(appendTime).toBeGreaterThanOrEqual(before);

    const [stored] = await storedBatches(topic);
    expect(validateBatchCrc(stored!)).toBe(true);
    expect(parseBatchHeader(stored!)).toMatchObject({ timestampType: TimestampType.LogAppendTime, maxTimestamp: BigInt(appendTime) });
    const read = await consumeWithKafkajs(topic, 2);
    expect(read.map((m) => Number(m.timestamp))).toEqual([appendTime, appendTime]);
  });
});

describe('compression.type', () => {
  it('producer keeps the codec the batch came in', async () => {
    const topic = await topicWith();
    await produce(topic, await buildRecordBatch({ records: records(2), compression: Compression.gzip }));
    expect(parseBatchHeader((await storedBatches(topic))[0]!).compression).toBe(Compression.gzip);
  });

  it('gzip recompresses an uncompressed batch; kafkajs reads it back with its timestamps', async () => {
    const topic = await topicWith({ 'compression.type': 'gzip' });
    expect((await produce(topic, await buildRecordBatch({ records: records(3) }))).errorCode).toBe(ErrorCode.NONE);
    const [stored] = await storedBatches(topic);
    expect(validateBatchCrc(stored!)).toBe(true);
    expect(parseBatchHeader(stored!)).toMatchObject({ compression: Compression.gzip, recordCount: 3, maxTimestamp: BigInt(T0 + 2000) });
    const read = await consumeWithKafkajs(topic, 3);
    expect(read.map((m) => [m.key!.toString(), m.value!.toString(), Number(m.timestamp)])).toEqual(
      records(3).map((r) => [r.key.toString(), r.value.toString(), r.timestamp]),
    );
  });

  it('uncompressed decompresses a gzip batch', async () => {
    const topic = await topicWith({ 'compression.type': 'uncompressed' });
    await produce(topic, await buildRecordBatch({ records: records(2), compression: Compression.gzip }));
    const [stored] = await storedBatches(topic);
    expect(parseBatchHeader(stored!).compression).toBe(Compression.none);
    expect(decodeBatchSync(stored!).records.map((r) => r.value!.toString())).toEqual(['value-0', 'value-1']);
    expect((await consumeWithKafkajs(topic, 2)).map((m) => m.value!.toString())).toEqual(['value-0', 'value-1']);
  });

  // Each codec read back by a client that ships it: kafkajs with the kafkajs-snappy
  // plugin, @platformatic/kafka for lz4 (its zstd needs Node 22), kcat for zstd.
  const readers = {
    snappy: async (topic: string) => (await consumeWithKafkajs(topic, 2)).map((m) => m.value!.toString()),
    lz4: (topic: string) => consumeWithPlatformatic(topic, 2),
    zstd: async (topic: string) => {
      const r = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\\n']);
      expect(r.code).toBe(0);
      return r.stdout.trim().split('\n');
    },
  };
  for (const [name, codec] of [['snappy', Compression.snappy], ['lz4', Compression.lz4], ['zstd', Compression.zstd]] as const) {
    it(`${name} (set on the topic by AlterConfigs) recompresses a gzip batch; a client reads it back`, async () => {
      const topic = await topicWith();
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: [{ name: 'compression.type', value: name }] }] });
      await produce(topic, await buildRecordBatch({ records: records(2), compression: Compression.gzip }));
      const [stored] = await storedBatches(topic);
      expect(validateBatchCrc(stored!)).toBe(true);
      expect(parseBatchHeader(stored!).compression).toBe(codec);
      expect(await readers[name](topic)).toEqual(['value-0', 'value-1']);
    });
  }

  it('a zstd batch still needs Produce v7, whatever the topic codec', async () => {
    const topic = await topicWith({ 'compression.type': 'gzip' });
    const zstd = await buildRecordBatch({ records: records(1), compression: Compression.zstd });
    expect((await produce(topic, zstd, { version: 6 })).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect((await produce(topic, zstd, { version: 7 })).errorCode).toBe(ErrorCode.NONE);
    expect(parseBatchHeader((await storedBatches(topic))[0]!).compression).toBe(Compression.gzip);
  });

  it('a batch that recompresses past max.message.bytes is refused', async () => {
    const topic = await topicWith({ 'compression.type': 'uncompressed', 'max.message.bytes': '2000' });
    const big = await buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(10_000, 'a'), timestamp: T0 }], compression: Compression.gzip });
    expect(big.length).toBeLessThan(2000);
    expect((await produce(topic, big)).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  });
});

describe('min.insync.replicas', () => {
  it('above 1, acks=all gets NOT_ENOUGH_REPLICAS (the ISR is the leader alone); acks=1 is written', async () => {
    const topic = await topicWith({ 'min.insync.replicas': '2' });
    const all = await produce(topic, await buildRecordBatch({ records: records(1) }), { acks: -1 });
    expect(all.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(all.errorMessage).toContain('min.isr requirement of 2');
    expect((await produce(topic, await buildRecordBatch({ records: records(1) }), { acks: 1 })).errorCode).toBe(ErrorCode.NONE);
    expect(await admin.fetchTopicOffsets(topic)).toEqual([expect.objectContaining({ partition: 0, high: '1' })]);
  });
});
