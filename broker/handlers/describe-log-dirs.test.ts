// DescribeLogDirs over real TCP: real partition sizes from a data directory on
// disk, the volume's size at v4 (as statfs says), and @platformatic/kafka's call.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { DescribeLogDirsApi } from '../../protocol/messages/35-describe-log-dirs.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { buildRecordBatchSync } from '../../protocol/record-batch.js';

let dataDir: string;
let broker: RunningBroker;
let client: RawClient;
let batchBytes = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kafkalite-logdirs-'));
  broker = await startBroker({ dataDir });
  client = await RawClient.connect(broker.host, broker.port);
  const created = await client.request(CreateTopicsApi, 7, { topics: [{ name: 'dirs', numPartitions: 2, replicationFactor: 1, configs: [] }] });
  expect(created.topics[0].errorCode).toBe(0);
  const records = buildRecordBatchSync({ records: [{ key: null, value: Buffer.alloc(1000, 1), timestamp: Date.now() }] });
  batchBytes = records.length;
  const res = await client.request(ProduceApi, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'dirs', partitionData: [{ index: 1, records }] }] });
  expect(res.responses[0].partitionResponses[0].errorCode).toBe(0);
});
afterAll(async () => {
  client.close();
  await broker.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('DescribeLogDirs', () => {
  it('lists the data directory with each partition\'s size, at every version', async () => {
    for (const v of [0, 1, 2, 3, 4]) {
      const res = await client.request(DescribeLogDirsApi, v, { topics: [{ topic: 'dirs', partitions: [0, 1, 7] }, { topic: 'missing', partitions: [0] }] });
      expect(res.results).toHaveLength(1);
      const [dir] = res.results;
      expect(dir).toMatchObject({ errorCode: 0, logDir: dataDir });
      expect(dir.topics).toEqual([{ name: 'dirs', partitions: [
        { partitionIndex: 0, partitionSize: 0n, offsetLag: 0n, isFutureKey: false },
        { partitionIndex: 1, partitionSize: BigInt(batchBytes), offsetLag: 0n, isFutureKey: false },
      ] }]);
    }
  });

  it('v4 gives the volume\'s total and usable bytes; a null topic list means every partition', async () => {
    const res = await client.request(DescribeLogDirsApi, 4, { topics: null });
    const [dir] = res.results;
    const st = await statfs(dataDir);
    expect(dir.totalBytes).toBe(BigInt(st.blocks * st.bsize));
    expect(dir.usableBytes > 0n && dir.usableBytes <= dir.totalBytes).toBe(true);
    expect(dir.topics.map((t) => t.name)).toContain('dirs');
  });

  it('in memory there is no volume: v4 answers -1 for its sizes, as Kafka for an unknown volume', async () => {
    const mem = await startBroker();
    const c = await RawClient.connect(mem.host, mem.port);
    try {
      const res = await c.request(DescribeLogDirsApi, 4, { topics: null });
      expect(res.results[0]).toMatchObject({ errorCode: 0, totalBytes: -1n, usableBytes: -1n });
    } finally {
      c.close();
      await mem.close();
    }
  });

  it('@platformatic/kafka describeLogDirs', async () => {
    const admin = new Admin({ clientId: 'logdirs', bootstrapBrokers: [broker.bootstrap], retries: 0 });
    try {
      const [b] = await admin.describeLogDirs({ topics: [{ name: 'dirs', partitions: [1] }] });
      expect(b.broker).toBe(0);
      expect(b.results[0].logDir).toBe(dataDir);
      expect(b.results[0].topics[0].partitions[0]).toMatchObject({ partitionIndex: 1, partitionSize: BigInt(batchBytes) });
    } finally {
      await admin.close();
    }
  });
});
