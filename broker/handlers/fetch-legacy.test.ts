// Issue 10: Fetch v0-v3 over real TCP. Old clients read message format v0 (v0-v1)
// and v1 (v2-v3): the broker down-converts its v2 batches as Kafka does, unless
// the topic sets message.downconversion.enable=false; zstd topics refuse Fetch
// below v10. Read back by the raw client (every version) and by kcat pinned to an
// old protocol (librdkafka with broker.version.fallback), a real old-path client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { FetchApi } from '../../protocol/messages/01-fetch.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { buildRecordBatch, decodeLegacyMessageSet, TimestampType } from '../../protocol/record-batch.js';
import { Compression } from '../../protocol/compression.js';
import { ErrorCode } from '../../protocol/errors.js';
import { kcat } from '../../compat-tests/support/kcat.js';

let broker: RunningBroker;
let client: RawClient;
let n = 0;

beforeAll(async () => {
  broker = await startBroker();
  client = await RawClient.connect(broker.host, broker.port);
});
afterAll(async () => {
  client.close();
  await broker.close();
});

const T0 = Date.now() - 10_000;

async function topicWith(configs: Record<string, string> = {}): Promise<string> {
  const name = `legacy-fetch-${n++}`;
  const res = await client.request(CreateTopicsApi, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, configs: Object.entries(configs).map(([k, value]) => ({ name: k, value })) }],
  });
  expect(res.topics[0].errorCode).toBe(ErrorCode.NONE);
  return name;
}

async function produce(topic: string, count: number, compression: number = Compression.none, from = 0): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`k${from + i}`),
    value: Buffer.from(`v${from + i}`),
    timestamp: T0 + from + i,
    headers: [{ key: 'h', value: Buffer.from('dropped below v2') }],
  }));
  const res = await client.request(ProduceApi, 9, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: await buildRecordBatch({ records, compression }) }] }],
  });
  expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
}

async function fetchAt(version: number, topic: string, offset: bigint) {
  const res = await client.request(FetchApi, version, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
  });
  return res.responses[0].partitions[0];
}

describe('Fetch v0-v3', () => {
  for (const version of [0, 1, 2, 3]) {
    const magic = version <= 1 ? 0 : 1;
    for (const [name, codec] of [['uncompressed', Compression.none], ['gzip', Compression.gzip], ['snappy', Compression.snappy], ['lz4', Compression.lz4]] as const) {
      it(`v${version} reads ${name} batches as magic ${magic} messages with their offsets`, async () => {
        const topic = await topicWith();
        await produce(topic, 3, codec);
        await produce(topic, 2, codec, 3);
        const p = await fetchAt(version, topic, 0n);
        expect(p.errorCode).toBe(ErrorCode.NONE);
        expect(p.highWatermark).toBe(5n);
        const messages = await decodeLegacyMessageSet(p.records as Buffer);
        expect(messages.map((m) => [m.magic, m.offset, m.key!.toString(), m.value!.toString()])).toEqual(
          [0, 1, 2, 3, 4].map((i) => [magic, BigInt(i), `k${i}`, `v${i}`]),
        );
        expect(messages.map((m) => m.timestamp)).toEqual([0, 1, 2, 3, 4].map((i) => (magic === 1 ? BigInt(T0 + i) : -1n)));
      });
    }
  }

  it('an uncompressed batch is served from the fetch offset; a compressed one whole, as Kafka does', async () => {
    const plain = await topicWith();
    await produce(plain, 4);
    expect((await decodeLegacyMessageSet((await fetchAt(2, plain, 2n)).records as Buffer)).map((m) => m.offset)).toEqual([2n, 3n]);
    const packed = await topicWith();
    await produce(packed, 4, Compression.gzip);
    expect((await decodeLegacyMessageSet((await fetchAt(2, packed, 2n)).records as Buffer)).map((m) => m.offset)).toEqual([0n, 1n, 2n, 3n]);
  });

  it('LogAppendTime topics give magic 1 messages the append time and its type', async () => {
    const topic = await topicWith({ 'message.timestamp.type': 'LogAppendTime' });
    await produce(topic, 2);
    await produce(topic, 2, Compression.gzip, 2);
    const messages = await decodeLegacyMessageSet((await fetchAt(3, topic, 0n)).records as Buffer);
    expect(messages).toHaveLength(4);
    for (const m of messages) {
      expect(m.timestampType).toBe(TimestampType.LogAppendTime);
      expect(m.timestamp).toBeGreaterThan(BigInt(T0 + 1000));
    }
  });

  it('message.downconversion.enable=false answers v0-v3 with UNSUPPORTED_VERSION and v4+ as usual', async () => {
    const topic = await topicWith({ 'message.downconversion.enable': 'false' });
    await produce(topic, 1);
    for (const v of [0, 3]) expect((await fetchAt(v, topic, 0n)).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect((await fetchAt(4, topic, 0n)).errorCode).toBe(ErrorCode.NONE);
  });

  it('a zstd topic refuses Fetch below v10 with UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const topic = await topicWith({ 'compression.type': 'zstd' });
    await produce(topic, 1);
    for (const v of [1, 3, 9]) expect((await fetchAt(v, topic, 0n)).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect((await fetchAt(10, topic, 0n)).errorCode).toBe(ErrorCode.NONE);
  });

  for (const [fallback, fetchVersion] of [['0.9.0', 1], ['0.10.0', 2]] as const) {
    it(`kcat pinned to Kafka ${fallback} (Fetch v${fetchVersion}) reads gzip and plain batches`, async () => {
      const topic = await topicWith();
      await produce(topic, 2, Compression.gzip);
      await produce(topic, 2, Compression.none, 2);
      const r = await kcat([
        '-b', broker.bootstrap, '-X', 'api.version.request=false', '-X', `broker.version.fallback=${fallback}`,
        '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%o:%k:%s\\n',
      ]);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toEqual(['0:k0:v0', '1:k1:v1', '2:k2:v2', '3:k3:v3']);
      expect(broker.requests.entries('Fetch').some((e) => e.version === fetchVersion)).toBe(true);
    });
  }
});
