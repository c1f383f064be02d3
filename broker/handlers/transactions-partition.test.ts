// The partition side of transactions over real TCP (issue 9): transactional
// batches from the wire, markers written through the log's storage API (the
// coordinator's path), and what Produce, Fetch and ListOffsets answer, with
// both isolation levels, across a restart, and to kafkajs consumers.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { startBroker, startCluster, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { FetchApi } from '../../protocol/messages/01-fetch.js';
import { ListOffsetsApi } from '../../protocol/messages/02-list-offsets.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { DescribeProducersApi } from '../../protocol/messages/61-describe-producers.js';
import { buildRecordBatchSync, decodeBatchSync, walkBatches } from '../../protocol/record-batch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { ManualClock } from '../clock.js';

const NO_VERIFICATION = { 'transaction.partition.verification.enable': 'false' };
let broker: RunningBroker;
let client: RawClient;

beforeAll(async () => {
  // These tests write transactional batches without a coordinator: Kafka <= 3.5's behaviour.
  broker = await startBroker({ config: NO_VERIFICATION });
  client = await RawClient.connect(broker.host, broker.port);
});
afterAll(async () => {
  client.close();
  await broker.close();
});

async function createTopic(c: RawClient, name: string) {
  const res = await c.request(CreateTopicsApi, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, configs: [] }] });
  expect(res.topics[0].errorCode).toBe(0);
}

interface BatchOpts {
  pid?: bigint;
  epoch?: number;
  seq?: number;
  transactional?: boolean;
  control?: boolean;
}

function batch(values: string[], o: BatchOpts = {}): Buffer {
  const now = Date.now();
  return buildRecordBatchSync({
    records: values.map((v, i) => ({ key: null, value: Buffer.from(v), timestamp: BigInt(now + i) })),
    producerId: o.pid ?? -1n,
    producerEpoch: o.pid === undefined ? -1 : (o.epoch ?? 0),
    baseSequence: o.seq ?? (o.pid === undefined ? -1 : 0),
    isTransactional: o.transactional,
    isControl: o.control,
  });
}

async function produce(c: RawClient, topic: string, records: Buffer, transactionalId: string | null = null) {
  const res = await c.request(ProduceApi, 9, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return res.responses[0].partitionResponses[0];
}

async function fetch(c: RawClient, topic: string, offset: number, isolationLevel: number, opts: { maxWaitMs?: number; version?: number } = {}) {
  const res = await c.request(FetchApi, opts.version ?? 11, {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: BigInt(offset), partitionMaxBytes: 1 << 20, logStartOffset: -1n }] }],
  });
  return res.responses[0].partitions[0];
}

async function latest(c: RawClient, topic: string, isolationLevel: number) {
  const res = await c.request(ListOffsetsApi, 5, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
  return res.topics[0].partitions[0].offset;
}

/** The values of the data records, and the control keys (hex) of the markers. */
function contents(records: Buffer | null | readonly Buffer[]): { values: string[]; markers: string[] } {
  const buf = records as Buffer;
  const out = { values: [] as string[], markers: [] as string[] };
  if (!buf || buf.length === 0) return out;
  for (const s of walkBatches(buf).batches) {
    const b = decodeBatchSync(buf, s.start);
    for (const r of b.records) {
      if (b.header.isControl) out.markers.push(r.key!.toString('hex'));
      else out.values.push(r.value!.toString());
    }
  }
  return out;
}

const marker = (topic: string, pid: bigint, commit: boolean, epoch = 0) =>
  broker.logs.log(topic, 0)!.appendTxnMarker({ producerId: pid, producerEpoch: epoch, coordinatorEpoch: 0, commit });

describe('Produce with transactional batches', () => {
  it('refuses a transactional batch without a transactional id for the whole request, and stores nothing', async () => {
    await createTopic(client, 'tp-noid');
    const res = await client.request(ProduceApi, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 'tp-noid', partitionData: [{ index: 0, records: batch(['plain']) }, { index: 1, records: batch(['t'], { pid: 1000n, transactional: true }) }] }],
    });
    expect(res.responses[0].partitionResponses.map((p) => p.errorCode)).toEqual([ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);
    expect(broker.logs.log('tp-noid', 0)!.logEndOffset).toBe(0);
  });

  it('refuses client control batches and producer ids without a sequence (INVALID_RECORD)', async () => {
    await createTopic(client, 'tp-control');
    expect((await produce(client, 'tp-control', batch(['x'], { pid: 1001n, transactional: true, control: true }), 'tx')).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await produce(client, 'tp-control', batch(['x'], { pid: 1001n, seq: -1 }))).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(broker.logs.log('tp-control', 0)!.logEndOffset).toBe(0);
  });

  it('refuses a plain batch from a producer inside its open transaction (INVALID_TXN_STATE), and an older epoch after a marker', async () => {
    await createTopic(client, 'tp-state');
    expect((await produce(client, 'tp-state', batch(['a'], { pid: 1002n, epoch: 1, transactional: true }), 'tx')).errorCode).toBe(0);
    expect((await produce(client, 'tp-state', batch(['b'], { pid: 1002n, epoch: 1, seq: 1 }))).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    await marker('tp-state', 1002n, true, 2); // a fenced transaction ends at the bumped epoch
    expect((await produce(client, 'tp-state', batch(['c'], { pid: 1002n, epoch: 1, seq: 1, transactional: true }), 'tx')).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });
});

describe('Fetch and ListOffsets with isolation levels', () => {
  it('an open transaction holds back later plain writes from read_committed until its commit; a parked long poll wakes', async () => {
    const t = 'tf-lso';
    await createTopic(client, t);
    await produce(client, t, batch(['p0', 'p1', 'p2', 'p3', 'p4']));
    expect((await produce(client, t, batch(['t5'], { pid: 2000n, transactional: true }), 'tx')).baseOffset).toBe(5n);
    await produce(client, t, batch(['p6', 'p7', 'p8', 'p9', 'p10']));

    const committed = await fetch(client, t, 0, 1);
    expect(committed).toMatchObject({ errorCode: 0, highWatermark: 11n, lastStableOffset: 5n, abortedTransactions: [] });
    expect(contents(committed.records).values).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    const uncommitted = await fetch(client, t, 0, 0);
    expect(uncommitted).toMatchObject({ highWatermark: 11n, lastStableOffset: 5n, abortedTransactions: null });
    expect(contents(uncommitted.records).values).toHaveLength(11);
    expect([await latest(client, t, 1), await latest(client, t, 0)]).toEqual([5n, 11n]);
    // between the LSO and the log end: empty, no error
    expect(await fetch(client, t, 8, 1)).toMatchObject({ errorCode: 0, lastStableOffset: 5n });
    expect(contents((await fetch(client, t, 8, 1)).records).values).toEqual([]);

    const other = await RawClient.connect(broker.host, broker.port);
    try {
      const parked = fetch(other, t, 5, 1, { maxWaitMs: 10_000 });
      await marker(t, 2000n, true);
      const woken = await parked;
      expect(woken).toMatchObject({ errorCode: 0, highWatermark: 12n, lastStableOffset: 12n, abortedTransactions: [] });
      expect(contents(woken.records)).toEqual({ values: ['t5', 'p6', 'p7', 'p8', 'p9', 'p10'], markers: ['00000001'] });
    } finally {
      other.close();
    }
    expect(await latest(client, t, 1)).toBe(12n);
  });

  it('lists the aborted transactions overlapping the fetch, sorted by first offset, to read_committed only; kafkajs skips them', async () => {
    const t = 'tf-abort';
    await createTopic(client, t);
    await produce(client, t, batch(['a0'], { pid: 3000n, transactional: true }), 'tx-a'); // 0
    await produce(client, t, batch(['b1'], { pid: 3001n, transactional: true }), 'tx-b'); // 1
    await produce(client, t, batch(['a2'], { pid: 3000n, seq: 1, transactional: true }), 'tx-a'); // 2
    await produce(client, t, batch(['b3'], { pid: 3001n, seq: 1, transactional: true }), 'tx-b'); // 3
    await marker(t, 3001n, false); // 4: B aborts first
    await produce(client, t, batch(['c5'], { pid: 3002n, transactional: true }), 'tx-c'); // 5
    await marker(t, 3000n, false); // 6
    await marker(t, 3002n, true); // 7
    await produce(client, t, batch(['end'])); // 8

    const committed = await fetch(client, t, 0, 1);
    expect(committed).toMatchObject({ lastStableOffset: 9n, highWatermark: 9n });
    expect(committed.abortedTransactions).toEqual([
      { producerId: 3000n, firstOffset: 0n },
      { producerId: 3001n, firstOffset: 1n },
    ]);
    expect(contents(committed.records).markers).toEqual(['00000000', '00000000', '00000001']);
    // a fetch past both abort markers lists neither
    expect((await fetch(client, t, 7, 1)).abortedTransactions).toEqual([]);
    expect((await fetch(client, t, 0, 0)).abortedTransactions).toBeNull();

    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const read = async (readUncommitted: boolean): Promise<string[]> => {
      const consumer = kafka.consumer({ groupId: `tf-abort-${readUncommitted}`, maxWaitTimeInMs: 50, readUncommitted });
      const seen: string[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: t, fromBeginning: true });
        await new Promise<void>((resolve) => {
          void consumer.run({
            eachMessage: async ({ message }) => {
              seen.push(message.value!.toString());
              if (message.value!.toString() === 'end') resolve();
            },
          });
        });
      } finally {
        await consumer.disconnect();
      }
      return seen;
    };
    expect(await read(false)).toEqual(['c5', 'end']);
    expect(await read(true)).toEqual(['a0', 'b1', 'a2', 'b3', 'c5', 'end']);
  });
});

describe('@platformatic/kafka', () => {
  it('reads committed records only by default, everything with isolation level 0', async () => {
    const t = 'tf-platformatic';
    await createTopic(client, t);
    await produce(client, t, batch(['a0', 'a1'], { pid: 6000n, transactional: true }), 'tx-a'); // 0-1
    await produce(client, t, batch(['c2'], { pid: 6001n, transactional: true }), 'tx-c'); // 2
    await marker(t, 6000n, false); // 3
    await marker(t, 6001n, true); // 4
    await produce(client, t, batch(['end'])); // 5
    const read = async (isolationLevel: 0 | 1 | undefined): Promise<string[]> => {
      const consumer = new Consumer({
        groupId: `tf-platformatic-${isolationLevel}`,
        clientId: 'tf-platformatic',
        bootstrapBrokers: [broker.bootstrap],
        deserializers: stringDeserializers,
        maxWaitTime: 50,
        ...(isolationLevel === undefined ? {} : { isolationLevel }),
      });
      const stream = await consumer.consume({ topics: [t], mode: 'earliest' });
      const seen: string[] = [];
      await new Promise<void>((resolve) => {
        stream.on('data', (m) => {
          seen.push(m.value as string);
          if (m.value === 'end') resolve();
        });
      });
      await stream.close();
      await consumer.close(true);
      return seen;
    };
    expect(await read(undefined)).toEqual(['c2', 'end']);
    expect(await read(0)).toEqual(['a0', 'a1', 'c2', 'end']);
  });
});

describe('DescribeProducers', () => {
  it('lists each partition\'s producers with epoch, last sequence, coordinator epoch and open transaction; Kafka\'s errors otherwise', async () => {
    const t = 'td-producers';
    await createTopic(client, t);
    await produce(client, t, batch(['i0', 'i1'], { pid: 5000n, epoch: 3 })); // 0-1, idempotent
    await produce(client, t, batch(['t2'], { pid: 5001n, transactional: true }), 'tx'); // 2
    await produce(client, t, batch(['t3'], { pid: 5002n, transactional: true }), 'tx2'); // 3
    await broker.logs.log(t, 0)!.appendTxnMarker({ producerId: 5002n, producerEpoch: 0, coordinatorEpoch: 7, commit: true });
    const res = await client.request(DescribeProducersApi, 0, { topics: [{ name: t, partitionIndexes: [0, 9] }, { name: 'td-missing', partitionIndexes: [0] }] });
    const [p0, p9] = res.topics[0].partitions;
    expect(p0).toMatchObject({ partitionIndex: 0, errorCode: 0, errorMessage: null });
    const byPid = Object.fromEntries(p0.activeProducers.map((p) => [String(p.producerId), p]));
    expect(byPid['5000']).toMatchObject({ producerEpoch: 3, lastSequence: 1, coordinatorEpoch: -1, currentTxnStartOffset: -1n });
    expect(byPid['5001']).toMatchObject({ producerEpoch: 0, lastSequence: 0, coordinatorEpoch: -1, currentTxnStartOffset: 2n });
    expect(byPid['5002']).toMatchObject({ producerEpoch: 0, lastSequence: 0, coordinatorEpoch: 7, currentTxnStartOffset: -1n });
    expect(byPid['5000'].lastTimestamp).toBeGreaterThan(0n);
    expect(p9).toMatchObject({ partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, activeProducers: [] });
    expect(res.topics[1].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('forgets an idle producer at the first expiry check after producer.id.expiration.ms; one with an open transaction stays', async () => {
    const clock = new ManualClock(Date.now());
    const b = await startBroker({
      clock,
      config: { ...NO_VERIFICATION, 'producer.id.expiration.ms': '60000', 'producer.id.expiration.check.interval.ms': '10000' },
    });
    const c = await RawClient.connect(b.host, b.port);
    try {
      const t = 'td-expiry';
      await createTopic(c, t);
      await produce(c, t, batch(['idle'], { pid: 6000n }));
      await produce(c, t, batch(['open'], { pid: 6001n, transactional: true }), 'tx-open');
      const pids = async () => {
        const res = await c.request(DescribeProducersApi, 0, { topics: [{ name: t, partitionIndexes: [0] }] });
        return res.topics[0].partitions[0].activeProducers.map((p) => p.producerId).sort();
      };
      expect(await pids()).toEqual([6000n, 6001n]);
      // One check interval at a time: each check re-arms the next once it has run.
      const advance = async (checks: number) => {
        for (let i = 0; i < checks; i++) {
          clock.advance(10_000);
          await new Promise((r) => setImmediate(r));
        }
      };
      await advance(5); // five checks have run; nothing is idle for 60 s yet
      expect(await pids()).toEqual([6000n, 6001n]);
      await advance(2); // the check at 70 s finds the idempotent producer expired
      expect(await pids()).toEqual([6001n]);
    } finally {
      c.close();
      await b.close();
    }
  });

  it('answers NOT_LEADER_OR_FOLLOWER on a node that does not lead the partition', async () => {
    const cluster = await startCluster({ nodes: 2 });
    const [n0, n1] = cluster.nodes;
    const leader = await RawClient.connect(n0!.host, n0!.port);
    const other = await RawClient.connect(n1!.host, n1!.port);
    try {
      const created = await leader.request(CreateTopicsApi, 7, {
        topics: [{ name: 'td-led', numPartitions: -1, replicationFactor: -1, configs: [], assignments: [{ partitionIndex: 0, brokerIds: [n0!.nodeId] }] }],
      });
      expect(created.topics[0].errorCode).toBe(0);
      const ask = async (c: RawClient) => (await c.request(DescribeProducersApi, 0, { topics: [{ name: 'td-led', partitionIndexes: [0] }] })).topics[0].partitions[0].errorCode;
      expect([await ask(leader), await ask(other)]).toEqual([ErrorCode.NONE, ErrorCode.NOT_LEADER_OR_FOLLOWER]);
    } finally {
      leader.close();
      other.close();
      await cluster.close();
    }
  });
});

describe('restart', () => {
  it('keeps the last stable offset of an open transaction and the aborted index', async () => {
    const fs = new MemoryFileSystem();
    const t = 'tr-restart';
    let b = await startBroker({ fs, dataDir: '/data', config: NO_VERIFICATION });
    let c = await RawClient.connect(b.host, b.port);
    await createTopic(c, t);
    await produce(c, t, batch(['a0'], { pid: 4000n, transactional: true }), 'tx'); // 0
    await b.logs.log(t, 0)!.appendTxnMarker({ producerId: 4000n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }); // 1
    await produce(c, t, batch(['p2'])); // 2
    await produce(c, t, batch(['o3'], { pid: 4001n, transactional: true }), 'tx2'); // 3
    await produce(c, t, batch(['p4'])); // 4
    const before = await fetch(c, t, 0, 1);
    c.close();
    await b.close();

    b = await startBroker({ fs, dataDir: '/data', config: NO_VERIFICATION });
    c = await RawClient.connect(b.host, b.port);
    try {
      const after = await fetch(c, t, 0, 1);
      expect(after).toMatchObject({ highWatermark: 5n, lastStableOffset: 3n, abortedTransactions: [{ producerId: 4000n, firstOffset: 0n }] });
      expect(contents(after.records)).toEqual(contents(before.records));
      expect(await latest(c, t, 1)).toBe(3n);
      await b.logs.log(t, 0)!.appendTxnMarker({ producerId: 4001n, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
      expect(await latest(c, t, 1)).toBe(6n);
    } finally {
      c.close();
      await b.close();
    }
  });
});
