// __consumer_offsets: the coordinator's state survives restarts by replay (the
// latest record per key, transactions in log order); compaction by the log
// cleaner is tested in test/compaction/internal-topics.test.ts.
import { describe, it, expect } from 'vitest';
import { startBroker } from '../broker.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { RawClient } from '../../test/support/raw-client.js';
import { OffsetCommitApi } from '../../protocol/messages/08-offset-commit.js';
import { OffsetFetchApi } from '../../protocol/messages/09-offset-fetch.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { MetadataApi } from '../../protocol/messages/03-metadata.js';
import { InitProducerIdApi } from '../../protocol/messages/22-init-producer-id.js';
import { AddOffsetsToTxnApi } from '../../protocol/messages/25-add-offsets-to-txn.js';
import { TxnOffsetCommitApi } from '../../protocol/messages/28-txn-offset-commit.js';
import { EndTxnApi } from '../../protocol/messages/26-end-txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import { encodeCoordinatorRecord, decodeCoordinatorRecord, offsetsPartitionFor } from './records.js';
import { OFFSETS_TOPIC } from './offsets-topic.js';

describe('__consumer_offsets records', () => {
  it('round-trip in Kafka schemas, tombstones included', () => {
    const recs = [
      { type: 'offset-commit' as const, groupId: 'g', topic: 't', partition: 3, value: { offset: 42n, leaderEpoch: 1, metadata: 'm', commitTimestamp: 1000, expireTimestamp: -1 } },
      { type: 'offset-commit' as const, groupId: 'g', topic: 't', partition: 3, value: { offset: 7n, leaderEpoch: -1, metadata: '', commitTimestamp: 5, expireTimestamp: 99 } },
      { type: 'offset-commit' as const, groupId: 'g', topic: 't', partition: 3, value: null },
      { type: 'group-metadata' as const, groupId: 'g', value: null },
      {
        type: 'group-metadata' as const,
        groupId: 'g',
        value: {
          protocolType: 'consumer', generation: 3, protocol: 'range', leader: 'm1', currentStateTimestamp: 123,
          members: [{ memberId: 'm1', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeout: 100, sessionTimeout: 50, subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]) }],
        },
      },
    ];
    for (const r of recs) {
      const e = encodeCoordinatorRecord(r);
      expect(decodeCoordinatorRecord(e.key, e.value)).toEqual(r);
    }
    // Key versions as Kafka writes them: 1 for offsets, 2 for group metadata.
    expect(encodeCoordinatorRecord(recs[0]).key.readInt16BE(0)).toBe(1);
    expect(encodeCoordinatorRecord(recs[4]).key.readInt16BE(0)).toBe(2);
    expect(encodeCoordinatorRecord(recs[0]).value!.readInt16BE(0)).toBe(3);
    expect(encodeCoordinatorRecord(recs[1]).value!.readInt16BE(0)).toBe(1);
  });

  it('choose the partition as Kafka does (abs of String.hashCode modulo the count)', () => {
    // Values computed with Java's String.hashCode: "my-group" -> -1906497762, "console-consumer-12345" -> 158455506.
    expect(offsetsPartitionFor('my-group', 50)).toBe(36);
    expect(offsetsPartitionFor('console-consumer-12345', 50)).toBe(6);
    expect(offsetsPartitionFor('g1', 50)).toBe(42);
    expect(offsetsPartitionFor('', 50)).toBe(0);
  });
});

describe('__consumer_offsets on a broker', () => {
  it('keeps committed offsets across restarts; the log keeps every record until the cleaner compacts it', async () => {
    const fs = new MemoryFileSystem();
    const start = () => startBroker({ fs, dataDir: '/data', config: { 'offsets.topic.num.partitions': '3' } });
    let broker = await start();
    let c = await RawClient.connect(broker.host, broker.port);
    await c.request(CreateTopicsApi, 7, { topics: [{ name: 'orders', numPartitions: 2, replicationFactor: 1 }] });
    const commit = (offset: bigint, partition = 0) =>
      c.request(OffsetCommitApi, 8, {
        groupId: 'g1', generationIdOrMemberEpoch: -1, memberId: '',
        topics: [{ name: 'orders', partitions: [{ partitionIndex: partition, committedOffset: offset, committedMetadata: `at ${offset}` }] }],
      });
    for (let i = 1; i <= 3_000; i++) {
      const res = await commit(BigInt(i), i % 2);
      if (res.topics[0].partitions[0].errorCode !== 0) throw new Error(`commit ${i} failed: ${res.topics[0].partitions[0].errorCode}`);
    }
    const partition = offsetsPartitionFor('g1', 3);
    const log = broker.logs.log(OFFSETS_TOPIC, partition)!;
    // No scheme of its own: the log start stays, the records stay (one 100 MiB segment: nothing for the cleaner yet).
    expect(log.logStartOffset).toBe(0);
    expect(log.highWatermark).toBeGreaterThanOrEqual(3_000);
    const internal = await c.request(MetadataApi, 12, { topics: [{ name: OFFSETS_TOPIC }] });
    expect(internal.topics[0]).toMatchObject({ isInternal: true, errorCode: 0 });
    c.close();
    await broker.close();

    broker = await start();
    c = await RawClient.connect(broker.host, broker.port);
    const fetched = await c.request(OffsetFetchApi, 8, { groups: [{ groupId: 'g1', topics: null }], requireStable: true });
    const parts = fetched.groups[0].topics[0].partitions.sort((a, b) => a.partitionIndex - b.partitionIndex);
    expect(parts.map((p) => [p.partitionIndex, p.committedOffset, p.metadata])).toEqual([
      [0, 3_000n, 'at 3000'],
      [1, 2_999n, 'at 2999'],
    ]);
    c.close();
    await broker.close();
  });

  it('an open transaction\'s offsets are replayed pending between plain commits, and commit after the restart', async () => {
    const fs = new MemoryFileSystem();
    const start = () => startBroker({ fs, dataDir: '/data', config: { 'offsets.topic.num.partitions': '1' } });
    let broker = await start();
    let c = await RawClient.connect(broker.host, broker.port);
    await c.request(CreateTopicsApi, 7, { topics: [{ name: 'orders', numPartitions: 100, replicationFactor: 1 }, { name: 'in', numPartitions: 1, replicationFactor: 1 }] });
    const all = Array.from({ length: 100 }, (_, i) => i);
    /** Plain commits (100 keys each round): runs of plain batches that the replay reduces around the transaction's batch. */
    const plainCommits = async (rounds: number) => {
      for (let round = 1; round <= rounds; round++) {
        await c.request(OffsetCommitApi, 8, {
          groupId: 'g1', generationIdOrMemberEpoch: -1, memberId: '',
          topics: [{ name: 'orders', partitions: all.map((p) => ({ partitionIndex: p, committedOffset: BigInt(round), committedMetadata: null })) }],
        });
      }
    };
    const inOffset = async (requireStable: boolean) =>
      (await c.request(OffsetFetchApi, 8, { groups: [{ groupId: 'g1', topics: [{ name: 'in', partitionIndexes: [0] }] }], requireStable })).groups[0].topics[0].partitions[0];
    const ordersOffsets = async () =>
      (await c.request(OffsetFetchApi, 8, { groups: [{ groupId: 'g1', topics: [{ name: 'orders', partitionIndexes: all }] }], requireStable: false })).groups[0].topics[0].partitions.map((p) => p.committedOffset);

    await plainCommits(5);
    const { producerId: pid } = await c.request(InitProducerIdApi, 1, { transactionalId: 'snap', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    await c.request(AddOffsetsToTxnApi, 1, { transactionalId: 'snap', producerId: pid, producerEpoch: 0, groupId: 'g1' });
    const sent = await c.request(TxnOffsetCommitApi, 3, {
      transactionalId: 'snap', groupId: 'g1', producerId: pid, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedMetadata: 'txn' }] }],
    });
    expect(sent.topics[0].partitions[0].errorCode).toBe(0);
    await plainCommits(7);
    c.close();
    await broker.close();

    broker = await start();
    c = await RawClient.connect(broker.host, broker.port);
    expect(await inOffset(true)).toMatchObject({ errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    expect(new Set(await ordersOffsets())).toEqual(new Set([7n]));
    expect((await c.request(EndTxnApi, 1, { transactionalId: 'snap', producerId: pid, producerEpoch: 0, committed: true })).errorCode).toBe(0);
    while ((await inOffset(true)).errorCode !== 0) await new Promise((r) => setImmediate(r));
    c.close();
    await broker.close();

    broker = await start();
    c = await RawClient.connect(broker.host, broker.port);
    expect(await inOffset(true)).toMatchObject({ errorCode: 0, committedOffset: 42n, metadata: 'txn' });
    expect(new Set(await ordersOffsets())).toEqual(new Set([7n]));
    c.close();
    await broker.close();
  });
});
