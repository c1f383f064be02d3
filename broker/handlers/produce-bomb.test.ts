// Issue 7, item 6: a compression bomb is answered with CORRUPT_MESSAGE whatever
// the codec, as Kafka answers a batch it cannot decompress, and logged: one line
// per cause per interval, however often a client repeats it. Over real TCP.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { buildRecordBatch } from '../../protocol/record-batch.js';
import { Compression, compressionName, DEFAULT_MAX_DECOMPRESSED_BYTES } from '../../protocol/compression.js';
import { ErrorCode } from '../../protocol/errors.js';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
    cb();
  },
});

let broker: RunningBroker;
let client: RawClient;
const topic = 'bombs';

beforeAll(async () => {
  // Big enough a batch limit that every codec's bomb is let in to be decompressed.
  broker = await startBroker({ logger: pino({ level: 'warn' }, sink), config: { 'message.max.bytes': String(16 * 1024 * 1024) } });
  client = await RawClient.connect(broker.host, broker.port);
  await client.request(CreateTopicsApi, 5, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
});
afterAll(async () => {
  client.close();
  await broker.close();
});

async function produce(batch: Buffer): Promise<number> {
  const res = await client.request(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
  return res.responses[0].partitionResponses[0].errorCode;
}

describe('issue 7: compression bombs', () => {
  it('are answered with CORRUPT_MESSAGE for every codec, with one log line per repeated cause', async () => {
    const zeros = Buffer.alloc(DEFAULT_MAX_DECOMPRESSED_BYTES + 1024 * 1024);
    for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
      const bomb = await buildRecordBatch({ records: [{ value: zeros, timestamp: Date.now() }], compression: codec });
      expect(await produce(bomb), compressionName(codec)).toBe(ErrorCode.CORRUPT_MESSAGE);
      expect(await produce(bomb), compressionName(codec)).toBe(ErrorCode.CORRUPT_MESSAGE);
    }
    await new Promise((r) => setImmediate(r));
    const refused = lines.filter((l) => l.msg === 'refusing a produced batch');
    expect(refused).toHaveLength(1);
    expect(refused[0].error).toBe('CORRUPT_MESSAGE');
    expect(refused[0].topic).toBe(topic);
  }, 60_000);
});
