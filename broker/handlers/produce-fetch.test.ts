// Produce, Fetch, ListOffsets, DeleteRecords and CreatePartitions at the
// protocol level, over real TCP: Kafka's answers for good and bad input.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { FetchApi } from '../../protocol/messages/01-fetch.js';
import { ListOffsetsApi } from '../../protocol/messages/02-list-offsets.js';
import { DeleteRecordsApi } from '../../protocol/messages/21-delete-records.js';
import { CreatePartitionsApi } from '../../protocol/messages/37-create-partitions.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { InitProducerIdApi } from '../../protocol/messages/22-init-producer-id.js';
import { buildRecordBatchSync, decodeBatchSync, walkBatches } from '../../protocol/record-batch.js';
import { Compression } from '../../protocol/compression.js';
import { ErrorCode } from '../../protocol/errors.js';
import zlib from 'node:zlib';

let broker: RunningBroker;
let client: RawClient;

beforeAll(async () => {
  broker = await startBroker();
  client = await RawClient.connect(broker.host, broker.port);
});
afterAll(async () => {
  client.close();
  await broker.close();
});

async function createTopic(name: string, numPartitions = 1, configs: Record<string, string> = {}) {
  const res = await client.request(CreateTopicsApi, 7, {
    topics: [{ name, numPartitions, replicationFactor: 1, configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
  });
  expect(res.topics[0].errorCode).toBe(0);
}

function batch(n: number, opts: { start?: number; ts?: number; key?: boolean } = {}) {
  const now = opts.ts ?? Date.now();
  return buildRecordBatchSync({
    records: Array.from({ length: n }, (_, i) => ({
      key: opts.key === false ? null : Buffer.from(`k${(opts.start ?? 0) + i}`),
      value: Buffer.from(`v${(opts.start ?? 0) + i}`),
      timestamp: now + i,
    })),
  });
}

async function produce(topic: string, records: Buffer, opts: { version?: number; acks?: number; partition?: number } = {}) {
  const res = await client.request(ProduceApi, opts.version ?? 9, {
    acks: opts.acks ?? -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: opts.partition ?? 0, records }] }],
  });
  return res.responses[0].partitionResponses[0];
}

async function fetch(topic: string, offset: bigint, opts: { version?: number; maxWaitMs?: number; minBytes?: number; partitionMaxBytes?: number; maxBytes?: number } = {}) {
  const res = await client.request(FetchApi, opts.version ?? 11, {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 1,
    maxBytes: opts.maxBytes ?? 50 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: opts.partitionMaxBytes ?? 1024 * 1024, logStartOffset: -1n }] }],
  });
  return res.responses[0].partitions[0];
}

function values(records: Buffer | null | readonly Buffer[]): string[] {
  const buf = records as Buffer;
  if (!buf || buf.length === 0) return [];
  return walkBatches(buf).batches.flatMap((s) => decodeBatchSync(buf, s.start).records.map((r) => r.value!.toString()));
}

describe('Produce', () => {
  it('appends, assigns contiguous offsets and serves them back', async () => {
    await createTopic('pf-basic');
    expect(await produce('pf-basic', batch(3))).toMatchObject({ errorCode: 0, baseOffset: 0n, logStartOffset: 0n });
    expect(await produce('pf-basic', batch(2, { start: 3 }), { acks: 1 })).toMatchObject({ errorCode: 0, baseOffset: 3n });
    const p = await fetch('pf-basic', 0n);
    expect(p.errorCode).toBe(0);
    expect(p.highWatermark).toBe(5n);
    expect(values(p.records)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    // From the middle of a batch: the whole batch comes back, as Kafka serves it.
    expect(values((await fetch('pf-basic', 4n)).records)).toEqual(['v3', 'v4']);
  });

  it('refuses a corrupt CRC, two batches, a wrong magic and an unknown partition', async () => {
    await createTopic('pf-bad', 1);
    const corrupt = batch(2);
    corrupt[corrupt.length - 1] ^= 0xff;
    expect((await produce('pf-bad', corrupt)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect((await produce('pf-bad', Buffer.concat([batch(1), batch(1)]))).errorCode).toBe(ErrorCode.INVALID_RECORD);
    const magic1 = batch(1);
    magic1[16] = 1;
    expect((await produce('pf-bad', magic1)).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await produce('pf-bad', batch(1), { partition: 7 })).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await produce('pf-no-such-topic', batch(1))).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await fetch('pf-bad', 0n)).highWatermark).toBe(0n);
  });

  it('checks max.message.bytes, timestamps, keys on compacted topics and acks', async () => {
    await createTopic('pf-limits', 1, { 'max.message.bytes': '200', 'message.timestamp.after.max.ms': '1000' });
    expect((await produce('pf-limits', batch(20))).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect((await produce('pf-limits', batch(1, { ts: Date.now() + 60_000 }))).errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    await createTopic('pf-compact', 1, { 'cleanup.policy': 'compact' });
    expect((await produce('pf-compact', batch(1, { key: false }))).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await produce('pf-compact', batch(1))).errorCode).toBe(0);
    expect((await produce('pf-compact', batch(1), { acks: 2 })).errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
  });

  it('refuses zstd below v7', async () => {
    await createTopic('pf-zstd');
    const z = buildRecordBatchSync({ records: [{ value: Buffer.from('a'), timestamp: Date.now() }], compression: Compression.gzip });
    z.writeInt16BE((z.readInt16BE(21) & ~7) | Compression.zstd, 21); // claim zstd: Kafka refuses it by version before looking at CRC or bytes
    expect((await produce('pf-zstd', z, { version: 5 })).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });

  it('answers a retried idempotent batch with its original offset', async () => {
    await createTopic('pf-idem');
    const init = await client.request(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    expect(init.errorCode).toBe(0);
    const mk = (seq: number) =>
      buildRecordBatchSync({ producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: seq, records: [{ value: Buffer.from(`s${seq}`), timestamp: Date.now() }] });
    expect((await produce('pf-idem', mk(0))).baseOffset).toBe(0n);
    expect((await produce('pf-idem', mk(1))).baseOffset).toBe(1n);
    expect((await produce('pf-idem', mk(1))).baseOffset).toBe(1n);
    expect((await produce('pf-idem', mk(5))).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect((await fetch('pf-idem', 0n)).highWatermark).toBe(2n);
  });

  it('up-converts a v2 request carrying a magic 1 message set', async () => {
    await createTopic('pf-legacy');
    const message = (key: string, value: string, timestamp: number) => {
      const body = Buffer.concat([
        Buffer.from([1, 0]), // magic 1, no compression
        Buffer.alloc(8),
        Buffer.alloc(4),
        Buffer.from(key),
        Buffer.alloc(4),
        Buffer.from(value),
      ]);
      body.writeBigInt64BE(BigInt(timestamp), 2);
      body.writeInt32BE(key.length, 10);
      body.writeInt32BE(value.length, 14 + key.length);
      const head = Buffer.alloc(16);
      head.writeInt32BE(body.length + 4, 8);
      head.writeUInt32BE(zlib.crc32(body), 12);
      return Buffer.concat([head, body]);
    };
    const now = Date.now();
    const set = Buffer.concat([message('a', 'one', now), message('b', 'two', now + 1)]);
    expect(await produce('pf-legacy', set, { version: 2 })).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const p = await fetch('pf-legacy', 0n);
    const buf = p.records as Buffer;
    const decoded = decodeBatchSync(buf, 0);
    expect(decoded.records.map((r) => [r.key!.toString(), r.value!.toString(), r.timestamp])).toEqual([
      ['a', 'one', BigInt(now)],
      ['b', 'two', BigInt(now + 1)],
    ]);
    const bad = Buffer.from(set);
    bad[bad.length - 1] ^= 1;
    expect((await produce('pf-legacy', bad, { version: 2 })).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('appends pipelined compressed batches of one producer in request order', async () => {
    await createTopic('pf-pipeline');
    const init = await client.request(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    // Decompression is asynchronous; requests of one connection must still be appended in order.
    const sends = Array.from({ length: 5 }, (_, seq) =>
      client.request(ProduceApi, 9, {
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'pf-pipeline', partitionData: [{ index: 0, records: buildRecordBatchSync({
          producerId: init.producerId, producerEpoch: 0, baseSequence: seq * 2, compression: Compression.gzip,
          records: [{ value: Buffer.from(`a${seq}`), timestamp: Date.now() }, { value: Buffer.from(`b${seq}`), timestamp: Date.now() }],
        }) }] }],
      }),
    );
    const results = await Promise.all(sends);
    expect(results.map((r) => r.responses[0].partitionResponses[0])).toEqual(
      results.map((_, i) => expect.objectContaining({ errorCode: 0, baseOffset: BigInt(i * 2) })),
    );
  });

  it('closes the connection when an acks=0 produce fails, and sends nothing when it succeeds', async () => {
    await createTopic('pf-acks0');
    const c = await RawClient.connect(broker.host, broker.port);
    c.write(c.encode(ProduceApi, 9, { acks: 0, timeoutMs: 1000, topicData: [{ name: 'pf-acks0', partitionData: [{ index: 0, records: batch(1) }] }] }));
    const after = await c.request(ListOffsetsApi, 7, { replicaId: -1, topics: [{ name: 'pf-acks0', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    expect(after.topics[0].partitions[0].offset).toBe(1n);
    c.write(c.encode(ProduceApi, 9, { acks: 0, timeoutMs: 1000, topicData: [{ name: 'pf-acks0', partitionData: [{ index: 9, records: batch(1) }] }] }));
    await c.closed;
  });
});

describe('Fetch', () => {
  it('waits for data up to max_wait_ms and wakes on an append', async () => {
    await createTopic('pf-wait');
    const started = Date.now();
    // Produce once the Fetch has reached the broker (the request log sees it), not after a guessed sleep.
    const fetches = broker.requests.entries('Fetch').length;
    const waiting = fetch('pf-wait', 0n, { maxWaitMs: 10_000 });
    const other = await RawClient.connect(broker.host, broker.port);
    const produced = broker.requests.waitFor('Fetch', { count: fetches + 1 }).then(() => other.request(ProduceApi, 9, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'pf-wait', partitionData: [{ index: 0, records: batch(1) }] }] }));
    const p = await waiting;
    expect(values(p.records)).toEqual(['v0']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await produced).responses[0].partitionResponses[0].errorCode).toBe(0);
    other.close();
    const empty = await fetch('pf-wait', 1n, { maxWaitMs: 100 });
    expect(empty.errorCode).toBe(0);
    expect(values(empty.records)).toEqual([]);
  });

  it('answers OFFSET_OUT_OF_RANGE beyond the high watermark and returns a first batch larger than the limits', async () => {
    await createTopic('pf-range');
    await produce('pf-range', batch(50));
    expect((await fetch('pf-range', 51n)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const p = await fetch('pf-range', 0n, { partitionMaxBytes: 10, maxBytes: 10 });
    expect(values(p.records)).toHaveLength(50);
  });

  it('caps a fetch at the broker\'s fetch.max.bytes whatever the client asks', async () => {
    const capped = await startBroker({ config: { 'fetch.max.bytes': '1024' } });
    const c = await RawClient.connect(capped.host, capped.port);
    await c.request(CreateTopicsApi, 7, { topics: [{ name: 'cap', numPartitions: 1, replicationFactor: 1 }] });
    for (let i = 0; i < 10; i++) {
      await c.request(ProduceApi, 9, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'cap', partitionData: [{ index: 0, records: batch(10, { start: i * 10 }) }] }] });
    }
    const res = await c.request(FetchApi, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 30, sessionEpoch: -1,
      topics: [{ topic: 'cap', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 30 }] }],
    });
    const got = values(res.responses[0].partitions[0].records);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(100);
    c.close();
    await capped.close();
  });

  it('finds topics by id from v13 and answers UNKNOWN_TOPIC_ID for unknown ones', async () => {
    await createTopic('pf-ids');
    await produce('pf-ids', batch(1));
    const id = broker.cluster.topic('pf-ids')!.id;
    const res = await client.request(FetchApi, 13, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, sessionEpoch: -1,
      topics: [
        { topicId: id, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
        { topicId: '00000000-0000-4000-8000-000000000001', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
      ],
    });
    expect(values(res.responses[0].partitions[0].records)).toEqual(['v0']);
    expect(res.responses[1].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect(res.sessionId).toBe(0);
  });
});

describe('ListOffsets, DeleteRecords, CreatePartitions', () => {
  it('answers earliest, latest, max timestamp and by timestamp', async () => {
    await createTopic('pf-offsets');
    const t0 = Date.now() - 1000;
    await produce('pf-offsets', batch(3, { ts: t0 }));
    await produce('pf-offsets', batch(3, { start: 3, ts: t0 + 100 }));
    const ask = async (timestamp: bigint) =>
      (await client.request(ListOffsetsApi, 7, { replicaId: -1, topics: [{ name: 'pf-offsets', partitions: [{ partitionIndex: 0, timestamp }] }] })).topics[0].partitions[0];
    expect((await ask(-2n)).offset).toBe(0n);
    expect((await ask(-1n)).offset).toBe(6n);
    expect(await ask(-3n)).toMatchObject({ offset: 5n, timestamp: BigInt(t0 + 102) });
    expect(await ask(BigInt(t0 + 101))).toMatchObject({ offset: 4n, timestamp: BigInt(t0 + 101) });
    expect(await ask(BigInt(t0 + 10_000))).toMatchObject({ offset: -1n, timestamp: -1n });
  });

  it('moves the log start offset and refuses offsets past the high watermark', async () => {
    await createTopic('pf-delete');
    await produce('pf-delete', batch(5));
    const del = async (offset: bigint) =>
      (await client.request(DeleteRecordsApi, 2, { timeoutMs: 1000, topics: [{ name: 'pf-delete', partitions: [{ partitionIndex: 0, offset }] }] })).topics[0].partitions[0];
    expect(await del(3n)).toMatchObject({ errorCode: 0, lowWatermark: 3n });
    expect(await del(9n)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
    expect((await fetch('pf-delete', 1n)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect((await fetch('pf-delete', 3n)).logStartOffset).toBe(3n);
  });

  it('adds partitions and refuses shrinking', async () => {
    await createTopic('pf-parts', 2);
    const grow = async (count: number) =>
      (await client.request(CreatePartitionsApi, 3, { timeoutMs: 1000, validateOnly: false, topics: [{ name: 'pf-parts', count, assignments: null }] })).results[0];
    expect((await grow(4)).errorCode).toBe(0);
    expect(broker.cluster.topic('pf-parts')!.partitions).toHaveLength(4);
    expect((await produce('pf-parts', batch(1), { partition: 3 })).errorCode).toBe(0);
    expect((await grow(3)).errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  });
});
