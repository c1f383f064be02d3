// Issue 14: __consumer_offsets and __transaction_state are compacted by the log
// cleaner like any cleanup.policy=compact topic. Over real TCP, on a data
// directory, with segments small enough to roll: after a cleaning round (the
// embedding API's trigger) and a restart, committed offsets, classic and
// consumer (KIP-848) group state, transactional offsets (committed ones kept,
// aborted ones not, and the offset written last winning over a transaction's
// as in Kafka) and group deletions are what they were; a kafkajs consumer
// group resumes where it committed; a data directory written by the old
// snapshot scheme (a run of live records, the log start moved past the
// history) still loads.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { OFFSETS_TOPIC } from '../../broker/offsets/offsets-topic.js';
import { offsetsPartitionFor } from '../../broker/offsets/records.js';
import { TRANSACTION_STATE_TOPIC } from '../../broker/transactions/state-topic.js';
import { decodeBatchSync, walkBatches } from '../../protocol/record-batch.js';
import { readEndTxnMarker } from '../../storage/control-batch.js';
import { RawClient } from '../support/raw-client.js';
import { OffsetCommitApi } from '../../protocol/messages/08-offset-commit.js';
import { OffsetFetchApi } from '../../protocol/messages/09-offset-fetch.js';
import { DeleteGroupsApi } from '../../protocol/messages/42-delete-groups.js';
import { ListGroupsApi } from '../../protocol/messages/16-list-groups.js';
import { ConsumerGroupHeartbeatApi } from '../../protocol/messages/68-consumer-group-heartbeat.js';
import { ConsumerGroupDescribeApi } from '../../protocol/messages/69-consumer-group-describe.js';
import { InitProducerIdApi } from '../../protocol/messages/22-init-producer-id.js';
import { AddOffsetsToTxnApi } from '../../protocol/messages/25-add-offsets-to-txn.js';
import { TxnOffsetCommitApi } from '../../protocol/messages/28-txn-offset-commit.js';
import { EndTxnApi } from '../../protocol/messages/26-end-txn.js';

const BASE_CONFIG = {
  'offsets.topic.num.partitions': '2',
  'transaction.state.log.num.partitions': '2',
  'offsets.topic.segment.bytes': '1048576',
  'transaction.state.log.segment.bytes': '1048576',
  // segments roll on time (almost every append), so the cleaner has sealed ones to clean
  'log.roll.ms': '1',
};

let dataDir: string;
let broker: RunningBroker;
let config: Record<string, string>;
const cleanups: (() => Promise<unknown>)[] = [];

async function start(over: Record<string, string> = {}): Promise<void> {
  config = { ...BASE_CONFIG, ...over };
  broker = await startBroker({ dataDir, config });
  await broker.cluster.createTopic(broker.cluster.newTopic('orders', 3));
}

/** Stops the broker and starts it again on the same data directory and port (clients reconnect). */
async function restart(): Promise<void> {
  const port = broker.port;
  await broker.close();
  broker = await startBroker({ dataDir, config, port });
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kafkalite-internal-compaction-'));
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await broker?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function kafka(): Kafka {
  return new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 10 } });
}

async function raw(): Promise<RawClient> {
  const c = await RawClient.connect(broker.host, broker.port);
  cleanups.push(async () => c.close());
  return c;
}

interface LoggedBatch {
  baseOffset: number;
  producerId: bigint;
  transactional: boolean;
  /** 'commit' / 'abort' for a marker. */
  marker: 'commit' | 'abort' | null;
  records: { offset: number; value: Buffer | null }[];
}

/** Every batch of a partition, from the log start to the high watermark. */
async function batchesOf(topic: string, partition: number): Promise<LoggedBatch[]> {
  const log = broker.logs.log(topic, partition)!;
  const out: LoggedBatch[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const { batches } = await log.read(offset, 1 << 20, true);
    if (batches.length === 0) break;
    for (const buf of batches) {
      for (const span of walkBatches(buf).batches) {
        const h = span.header;
        offset = Number(h.baseOffset) + h.lastOffsetDelta + 1;
        const m = h.isControl ? readEndTxnMarker(buf, span.start, span.end - span.start) : null;
        const records = h.isControl ? [] : decodeBatchSync(buf, span.start).records.map((r) => ({ offset: Number(r.offset), value: r.value }));
        out.push({ baseOffset: Number(h.baseOffset), producerId: h.producerId, transactional: h.isTransactional, marker: m ? (m.commit ? 'commit' : 'abort') : null, records });
      }
    }
  }
  return out;
}

const recordCount = (batches: LoggedBatch[]) => batches.reduce((n, b) => n + b.records.length, 0);

/** Cleans a partition now (the embedding API's trigger) and checks the round removed records and left offset gaps. */
async function cleanAndCheck(topic: string, partition: number): Promise<LoggedBatch[]> {
  const before = await batchesOf(topic, partition);
  await broker.cleaner.clean(topic, partition);
  const after = await batchesOf(topic, partition);
  expect(recordCount(after)).toBeLessThan(recordCount(before));
  // offsets never move: the kept records are a subset of the ones before, with gaps where the others were
  const offsets = after.flatMap((b) => b.records.map((r) => r.offset));
  const offsetsBefore = new Set(before.flatMap((b) => b.records.map((r) => r.offset)));
  expect(offsets.every((o) => offsetsBefore.has(o))).toBe(true);
  const from = before[0]?.baseOffset ?? 0;
  expect(offsets.some((o, i) => o > (i === 0 ? from : offsets[i - 1]! + 1))).toBe(true);
  // the log start stays where it was: nothing but the cleaner shrank the log
  expect(broker.logs.log(topic, partition)!.logStartOffset).toBe(before[0]?.baseOffset ?? 0);
  return after;
}

async function committedOffset(c: RawClient, groupId: string, topic: string, partition: number): Promise<bigint> {
  const res = await c.request(OffsetFetchApi, 8, { groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [partition] }] }], requireStable: true });
  const p = res.groups[0]!.topics[0]!.partitions[0]!;
  expect(p.errorCode).toBe(0);
  return p.committedOffset;
}

async function simpleCommit(c: RawClient, groupId: string, topic: string, partition: number, offset: bigint): Promise<void> {
  const res = await c.request(OffsetCommitApi, 8, {
    groupId, generationIdOrMemberEpoch: -1, memberId: '',
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: offset, committedMetadata: `at ${offset}` }] }],
  });
  expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
}

/** A consumer group as ConsumerGroupDescribe shows it: epochs, and each member's epoch, owned and target partitions. */
async function describeGroup(c: RawClient, groupId: string) {
  const grp = (await c.request(ConsumerGroupDescribeApi, 0, { groupIds: [groupId], includeAuthorizedOperations: false })).groups[0]!;
  const parts = (tps: { topicName: string; partitions: number[] }[]) => tps.map((t) => [t.topicName, [...t.partitions].sort()]);
  return {
    errorCode: grp.errorCode,
    groupEpoch: grp.groupEpoch,
    assignmentEpoch: grp.assignmentEpoch,
    members: grp.members
      .map((m) => ({ id: m.memberId, epoch: m.memberEpoch, owned: parts(m.assignment.topicPartitions), target: parts(m.targetAssignment.topicPartitions) }))
      .sort((x, y) => x.id.localeCompare(y.id)),
  };
}

describe('__consumer_offsets and __transaction_state compacted by the log cleaner', () => {
  it('are created with Kafka\'s internal-topic configs', async () => {
    await start();
    const c = await raw();
    await simpleCommit(c, 'g', 'orders', 0, 1n);
    const admin = kafka().admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic: 'out' }] });
    const producer = kafka().producer({ transactionalId: 'cfg', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const t = await producer.transaction();
    await t.send({ topic: 'out', messages: [{ value: 'x' }] });
    await t.commit();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC].map((name) => ({ type: 2, name })),
    });
    const configs = Object.fromEntries(described.resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]));
    expect(configs[OFFSETS_TOPIC]).toMatchObject({ 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': '1048576' });
    expect(configs[TRANSACTION_STATE_TOPIC]).toMatchObject({
      'cleanup.policy': 'compact',
      'compression.type': 'uncompressed',
      'unclean.leader.election.enable': 'false',
      'min.insync.replicas': '1',
      'segment.bytes': '1048576',
    });
  });

  it('a kafkajs consumer group resumes at its committed offsets after compaction and a restart; its classic group state survives', async () => {
    await start();
    const admin = kafka().admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const producer = kafka().producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await producer.send({ topic: 'orders', messages: Array.from({ length: 40 }, (_, i) => ({ partition: i % 2, value: `before-${i}` })) });

    const consume = async (until: (seen: string[]) => boolean): Promise<string[]> => {
      const seen: string[] = [];
      const consumer: Consumer = kafka().consumer({ groupId: 'svc', sessionTimeout: 10_000, heartbeatInterval: 500 });
      await consumer.connect();
      await consumer.subscribe({ topic: 'orders', fromBeginning: true });
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      // one commit per message: many offset records for the cleaner to reduce
      await consumer.run({
        autoCommitThreshold: 1,
        eachMessage: async ({ message }: EachMessagePayload) => {
          seen.push(message.value!.toString());
          if (until(seen)) done();
        },
      });
      await finished;
      await consumer.disconnect(); // commits what it consumed, leaves the group
      return seen;
    };
    expect((await consume((s) => s.length === 40)).length).toBe(40);
    const partition = offsetsPartitionFor('svc', 2);
    await cleanAndCheck(OFFSETS_TOPIC, partition);
    await restart();

    const described = await admin.describeGroups(['svc']);
    expect(described.groups[0]).toMatchObject({ groupId: 'svc', state: 'Empty', protocolType: 'consumer', errorCode: 0 });
    const offsets = await admin.fetchOffsets({ groupId: 'svc', topics: ['orders'] });
    expect(Object.fromEntries(offsets[0]!.partitions.map((p) => [p.partition, p.offset]))).toEqual({ 0: '20', 1: '20', 2: '-1' });
    await producer.send({ topic: 'orders', messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, value: `after-${i}` })) });
    const resumed = await consume((s) => s.length >= 6);
    expect(resumed.sort()).toEqual(['after-0', 'after-1', 'after-2', 'after-3', 'after-4', 'after-5']);
  });

  it('a consumer group (KIP-848) keeps its members, epochs, assignments and offsets across compaction and a restart', async () => {
    await start();
    await broker.cluster.createTopic(broker.cluster.newTopic('t', 4));
    const c = await raw();
    const g = 'k848';
    const join = (memberId: string) => ({ groupId: g, memberId, memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'], topicPartitions: [] });
    const a = await c.request(ConsumerGroupHeartbeatApi, 1, join('a'));
    expect(a.errorCode).toBe(0);
    const b = await c.request(ConsumerGroupHeartbeatApi, 1, join('b'));
    expect(b.errorCode).toBe(0);
    // a acknowledges what it keeps, then b takes what a gave up
    let aEpoch = a.memberEpoch;
    let aOwned = a.assignment!.topicPartitions;
    for (let i = 0; i < 3; i++) {
      const r = await c.request(ConsumerGroupHeartbeatApi, 1, { groupId: g, memberId: 'a', memberEpoch: aEpoch, topicPartitions: aOwned });
      expect(r.errorCode).toBe(0);
      aEpoch = r.memberEpoch;
      if (r.assignment) aOwned = r.assignment.topicPartitions;
    }
    const bBeat = await c.request(ConsumerGroupHeartbeatApi, 1, { groupId: g, memberId: 'b', memberEpoch: b.memberEpoch, topicPartitions: [] });
    expect(bBeat.errorCode).toBe(0);
    // offsets committed with member epochs, many times over
    for (let round = 1; round <= 15; round++) {
      const res = await c.request(OffsetCommitApi, 9, {
        groupId: g, generationIdOrMemberEpoch: aEpoch, memberId: 'a',
        topics: [{ name: 't', partitions: aOwned[0]!.partitions.map((p) => ({ partitionIndex: p, committedOffset: BigInt(round * 10 + p), committedMetadata: null })) }],
      });
      expect(res.topics[0]!.partitions.every((p) => p.errorCode === 0)).toBe(true);
    }
    const before = await describeGroup(c, g);
    expect(before.members).toHaveLength(2);
    await cleanAndCheck(OFFSETS_TOPIC, offsetsPartitionFor(g, 2));
    c.close();
    await restart();

    const c2 = await raw();
    const after = await describeGroup(c2, g);
    expect(after.errorCode).toBe(0);
    expect(after).toEqual(before);
    for (const p of aOwned[0]!.partitions) {
      const res = await c2.request(OffsetFetchApi, 9, { groups: [{ groupId: g, memberId: 'a', memberEpoch: aEpoch, topics: [{ name: 't', partitionIndexes: [p] }] }], requireStable: true });
      expect(res.groups[0]!.topics[0]!.partitions[0]!).toMatchObject({ errorCode: 0, committedOffset: BigInt(150 + p) });
    }
    // the member goes on at its epoch, not fenced
    const next = await c2.request(ConsumerGroupHeartbeatApi, 1, { groupId: g, memberId: 'a', memberEpoch: aEpoch, topicPartitions: aOwned });
    expect(next).toMatchObject({ errorCode: 0, memberEpoch: aEpoch });
  });

  it('transactional offsets survive compaction and a restart: committed ones count, aborted ones do not; __transaction_state is compacted too', async () => {
    await start();
    const admin = kafka().admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic: 'in', numPartitions: 2 }, { topic: 'out' }] });
    const producer = kafka().producer({ transactionalId: 'tx-c', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const txn = async (offsets: { partition: number; offset: string }[], end: 'commit' | 'abort') => {
      const t = await producer.transaction();
      await t.send({ topic: 'out', messages: [{ value: 'x' }] });
      await t.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'in', partitions: offsets }] });
      await t[end]();
      await broker.waitForTransaction('tx-c', end === 'commit' ? 'CompleteCommit' : 'CompleteAbort');
    };
    // in-0: committed transactions, the last one aborted
    for (let i = 1; i <= 8; i++) await txn([{ partition: 0, offset: String(i * 10) }], 'commit');
    await txn([{ partition: 0, offset: '999' }], 'abort');
    // in-1: a committed transaction's offset, then a plain commit over it (the transaction's data goes, its marker stays a while)
    await txn([{ partition: 1, offset: '5' }], 'commit');
    const c = await raw();
    await simpleCommit(c, 'ctp', 'in', 1, 6n);
    for (let i = 0; i < 10; i++) await simpleCommit(c, 'ctp', 'orders', 0, BigInt(i)); // more records, so the segments before are sealed

    const partition = offsetsPartitionFor('ctp', 2);
    const cleaned = await cleanAndCheck(OFFSETS_TOPIC, partition);
    const pid = cleaned.find((b) => b.marker !== null)!.producerId;
    // of the transactions' offsets only in-0's latest committed one is left: the aborted one,
    // the older ones and in-1's (a plain commit came after it) are gone, while markers stay
    const txnValues = cleaned.filter((b) => b.transactional && b.marker === null && b.producerId === pid).flatMap((b) => b.records);
    expect(txnValues).toHaveLength(1);
    expect(cleaned.filter((b) => b.marker === 'commit').length).toBeGreaterThan(1);
    const txnPartition = offsetsPartitionFor('tx-c', 2);
    const txnBefore = recordCount(await batchesOf(TRANSACTION_STATE_TOPIC, txnPartition));
    await broker.cleaner.clean(TRANSACTION_STATE_TOPIC, txnPartition);
    expect(recordCount(await batchesOf(TRANSACTION_STATE_TOPIC, txnPartition))).toBeLessThan(txnBefore);
    c.close();
    await restart();

    const c2 = await raw();
    expect(await committedOffset(c2, 'ctp', 'in', 0)).toBe(80n);
    expect(await committedOffset(c2, 'ctp', 'in', 1)).toBe(6n);
    // the transactional producer goes on after the restart (its state came back from the compacted __transaction_state)
    await txn([{ partition: 0, offset: '90' }], 'commit');
    expect(await committedOffset(c2, 'ctp', 'in', 0)).toBe(90n);
    expect(broker.transactions.metadata('tx-c')?.state).toBe('CompleteCommit');
  });

  it('a plain commit written after a transaction\'s offset wins when the transaction commits, as in Kafka, before and after compaction', async () => {
    await start();
    const c = await raw();
    await simpleCommit(c, 'ctp', 'orders', 0, 1n);
    await simpleCommit(c, 'ctp', 'orders', 1, 1n);
    const { producerId, producerEpoch } = await c.request(InitProducerIdApi, 1, { transactionalId: 'late', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    expect((await c.request(AddOffsetsToTxnApi, 1, { transactionalId: 'late', producerId, producerEpoch, groupId: 'ctp' })).errorCode).toBe(0);
    const sent = await c.request(TxnOffsetCommitApi, 3, {
      transactionalId: 'late', groupId: 'ctp', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [0, 1].map((p) => ({ partitionIndex: p, committedOffset: BigInt(42 + p), committedLeaderEpoch: -1, committedMetadata: 'txn' })) }],
    });
    expect(sent.topics[0]!.partitions.every((p) => p.errorCode === 0)).toBe(true);
    await simpleCommit(c, 'ctp', 'orders', 0, 50n); // written after the transaction's offset of orders-0
    expect((await c.request(EndTxnApi, 1, { transactionalId: 'late', producerId, producerEpoch, committed: true })).errorCode).toBe(0);
    await broker.waitForTransaction('late', 'CompleteCommit');
    const offsets = async (cl: RawClient) => [await committedOffset(cl, 'ctp', 'orders', 0), await committedOffset(cl, 'ctp', 'orders', 1)];
    expect(await offsets(c)).toEqual([50n, 43n]);
    for (let i = 0; i < 5; i++) await simpleCommit(c, 'ctp', 'orders', 2, BigInt(i)); // seals the segments before
    c.close();
    await restart();
    let c2 = await raw();
    expect(await offsets(c2)).toEqual([50n, 43n]);
    // compaction keeps only the plain record of orders-0 (written last): the same outcome
    await cleanAndCheck(OFFSETS_TOPIC, offsetsPartitionFor('ctp', 2));
    c2.close();
    await restart();
    c2 = await raw();
    expect(await offsets(c2)).toEqual([50n, 43n]);
  });

  it('a deleted group stays deleted: its tombstones while kept, and once the cleaner removed them after delete.retention.ms', async () => {
    await start({ 'log.cleaner.delete.retention.ms': '0' });
    const c = await raw();
    for (let i = 1; i <= 20; i++) await simpleCommit(c, 'gone', 'orders', i % 2, BigInt(i));
    for (let i = 1; i <= 20; i++) await simpleCommit(c, 'keep', 'orders', 0, BigInt(i));
    expect((await c.request(DeleteGroupsApi, 2, { groupsNames: ['gone'] })).results[0]!.errorCode).toBe(0);
    for (let i = 21; i <= 30; i++) await simpleCommit(c, 'keep', 'orders', 0, BigInt(i)); // seals the tombstones' segment
    const partition = offsetsPartitionFor('gone', 2);
    expect(offsetsPartitionFor('keep', 2)).toBe(partition);

    const listed = async (cl: RawClient) => (await cl.request(ListGroupsApi, 4, { statesFilter: [] })).groups.map((x) => x.groupId).sort();
    // first round: the tombstones stay (their delete horizon starts now), the values under them go
    const first = await cleanAndCheck(OFFSETS_TOPIC, partition);
    const tombstones = (batches: LoggedBatch[]) => batches.flatMap((b) => b.records).filter((r) => r.value === null).length;
    expect(tombstones(first)).toBeGreaterThan(0);
    c.close();
    await restart();
    let c2 = await raw();
    expect(await listed(c2)).toEqual(['keep']);
    expect(await committedOffset(c2, 'gone', 'orders', 0)).toBe(-1n);
    expect(await committedOffset(c2, 'keep', 'orders', 0)).toBe(30n);

    // a later round (it needs dirty records to run), past the horizon (delete.retention.ms=0), removes the tombstones themselves
    for (let i = 31; i <= 40; i++) await simpleCommit(c2, 'keep', 'orders', 0, BigInt(i));
    await broker.cleaner.clean(OFFSETS_TOPIC, partition);
    expect(tombstones(await batchesOf(OFFSETS_TOPIC, partition))).toBe(0);
    c2.close();
    await restart();
    c2 = await raw();
    expect(await listed(c2)).toEqual(['keep']);
    expect(await committedOffset(c2, 'gone', 'orders', 1)).toBe(-1n);
    expect(await committedOffset(c2, 'keep', 'orders', 0)).toBe(40n);
  });

  it('a data directory written by the old snapshot scheme (live records re-appended, the log start moved past the history) loads and compacts', async () => {
    await start();
    const c = await raw();
    for (let i = 1; i <= 30; i++) await simpleCommit(c, 'old', 'orders', i % 3, BigInt(i));
    const partition = offsetsPartitionFor('old', 2);
    const log = broker.logs.log(OFFSETS_TOPIC, partition)!;
    // What a snapshot did: append the live records again as a fresh run, then move the log start to it.
    const runStart = log.logEndOffset;
    for (const p of [0, 1, 2]) await simpleCommit(c, 'old', 'orders', p, await committedOffset(c, 'old', 'orders', p));
    await log.deleteRecordsBefore(runStart);
    for (let i = 31; i <= 40; i++) await simpleCommit(c, 'old', 'orders', i % 3, BigInt(i));
    c.close();
    await restart();

    expect(broker.logs.log(OFFSETS_TOPIC, partition)!.logStartOffset).toBe(runStart);
    let c2 = await raw();
    const expected = async (cl: RawClient) => [await committedOffset(cl, 'old', 'orders', 0), await committedOffset(cl, 'old', 'orders', 1), await committedOffset(cl, 'old', 'orders', 2)];
    expect(await expected(c2)).toEqual([39n, 40n, 38n]);
    await cleanAndCheck(OFFSETS_TOPIC, partition);
    c2.close();
    await restart();
    c2 = await raw();
    expect(await expected(c2)).toEqual([39n, 40n, 38n]);
  });
});
