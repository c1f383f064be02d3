// Produce frames split across socket reads are joined into pooled buffers
// (broker/frame-pool.ts), each reused for a later frame once its request is
// answered. Over real TCP and TLS: pipelined Produce requests larger than a
// socket read, whose buffers are reused while the earlier batches sit in the
// log's tail cache, come back intact on fetch; a split frame of another API and
// the test double's request log keep their own bytes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startBroker, type RunningBroker } from './broker.js';
import { RawClient } from '../test/support/raw-client.js';
import { makeTestCa } from './security/test-certs.js';
import { framePool } from './frame-pool.js';
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { FetchApi } from '../protocol/messages/01-fetch.js';
import { CreateTopicsApi } from '../protocol/messages/19-create-topics.js';
import { buildRecordBatchSync, decodeBatchSync, walkBatches } from '../protocol/record-batch.js';
import { Compression } from '../protocol/compression.js';

/** Over a 64 KiB socket read, so each frame spans reads; under the log's slab piece, so it is pooled. */
const VALUE_BYTES = 9 * 1024;
const RECORDS_PER_BATCH = 10;
const BATCHES = 40;

let broker: RunningBroker;
let ca: ReturnType<typeof makeTestCa>;

beforeAll(async () => {
  ca = makeTestCa();
  const { cert, key } = ca.issue([['CN', 'localhost']], { hosts: ['127.0.0.1'] });
  broker = await startBroker({
    config: { listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.key': key, 'ssl.keystore.certificate.chain': cert },
  });
});
afterAll(() => broker.close());

function connect(protocol: 'PLAINTEXT' | 'SSL'): Promise<RawClient> {
  const l = broker.listeners.find((x) => x.securityProtocol === protocol)!;
  return protocol === 'SSL' ? RawClient.connectTls(l.host, l.port, { ca: ca.ca }) : RawClient.connect(l.host, l.port);
}

/** Batch `b`'s record `i`: bytes no other record has, incompressible (xorshift), so a gzip batch still spans reads. */
function value(b: number, i: number): Buffer {
  const out = Buffer.allocUnsafe(VALUE_BYTES);
  let x = (b * 1000 + i + 1) | 0;
  for (let k = 0; k < VALUE_BYTES; k += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32BE(x | 0, k);
  }
  return out;
}

/**
 * gzip: the broker decompresses on the thread pool before it appends, so the
 * frame's bytes are read again after later frames were read into the pool.
 */
async function produceAndFetch(protocol: 'PLAINTEXT' | 'SSL', compression: number): Promise<void> {
  const topic = `frame-pool-${protocol}-${compression}`;
  const c = await connect(protocol);
  try {
    const created = await c.request(CreateTopicsApi, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, configs: [] }] });
    expect(created.topics[0]!.errorCode).toBe(0);
    const reusedBefore = framePool.stats.reused;
    // All requests written at once: the broker reads ahead of the ones it is handling.
    const answers = await Promise.all(
      Array.from({ length: BATCHES }, (_, b) =>
        c.request(ProduceApi, 9, {
          acks: 1,
          timeoutMs: 5000,
          topicData: [{ name: topic, partitionData: [{ index: 0, records: buildRecordBatchSync({ compression, records: Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: null, value: value(b, i), timestamp: Date.now() })) }) }] }],
        }),
      ),
    );
    expect(answers.map((a) => a.responses[0]!.partitionResponses[0]!.errorCode)).toEqual(new Array(BATCHES).fill(0));
    expect(answers.map((a) => a.responses[0]!.partitionResponses[0]!.baseOffset)).toEqual(Array.from({ length: BATCHES }, (_, b) => BigInt(b * RECORDS_PER_BATCH)));
    // Buffers were given back and lent again while the earlier batches were still cached.
    expect(framePool.stats.reused).toBeGreaterThan(reusedBefore);

    const got: Buffer[] = [];
    while (got.length < BATCHES * RECORDS_PER_BATCH) {
      const res = await c.request(FetchApi, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 50 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: BigInt(got.length), partitionMaxBytes: 8 * 1024 * 1024, logStartOffset: -1n }] }],
      });
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      const buf = p.records as Buffer;
      expect(buf.length).toBeGreaterThan(0);
      for (const s of walkBatches(buf).batches) for (const r of decodeBatchSync(buf, s.start).records) got.push(Buffer.from(r.value!));
    }
    for (let b = 0; b < BATCHES; b++) for (let i = 0; i < RECORDS_PER_BATCH; i++) expect(got[b * RECORDS_PER_BATCH + i]!.equals(value(b, i)), `batch ${b} record ${i}`).toBe(true);
  } finally {
    c.close();
  }
}

describe('pooled frame buffers', () => {
  it('pipelined Produce frames larger than a read come back intact on fetch (plaintext)', async () => {
    await produceAndFetch('PLAINTEXT', Compression.none);
  });

  it('pipelined gzip Produce frames larger than a read come back intact on fetch (plaintext)', async () => {
    await produceAndFetch('PLAINTEXT', Compression.gzip);
  });

  it('pipelined gzip Produce frames larger than a read come back intact on fetch (TLS: 16 KiB records)', async () => {
    await produceAndFetch('SSL', Compression.gzip);
  });

  it("the request log keeps its own copy of a pooled frame's records", async () => {
    const topic = 'frame-pool-log';
    const c = await connect('PLAINTEXT');
    try {
      expect((await c.request(CreateTopicsApi, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, configs: [] }] })).topics[0]!.errorCode).toBe(0);
      const sent = Array.from({ length: 8 }, (_, b) => buildRecordBatchSync({ records: Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: null, value: value(100 + b, i), timestamp: Date.now() })) }));
      await Promise.all(sent.map((records) => c.request(ProduceApi, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] })));
      // The log is on by default in startBroker (the CLI keeps none).
      const logged = broker.requests
        .entries(ProduceApi.apiKey)
        .filter((e) => (e.request as { topicData: { name: string }[] }).topicData[0]!.name === topic)
        .map((e) => (e.request as { topicData: { partitionData: { records: Buffer }[] }[] }).topicData[0]!.partitionData[0]!.records);
      expect(logged.length).toBe(sent.length);
      // The log saw each batch as sent, before the broker stamped its offset: compare the records after the header.
      for (let b = 0; b < sent.length; b++) {
        expect(decodeBatchSync(logged[b]!).records.map((r) => r.value!.toString())).toEqual(decodeBatchSync(sent[b]!).records.map((r) => r.value!.toString()));
      }
    } finally {
      c.close();
    }
  });
});
