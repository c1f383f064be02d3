// __consumer_offsets: the coordinator's state survives restarts by replay, and
// snapshots keep the replay bounded however many commits the broker has taken.
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
  it('keeps committed offsets across restarts and bounds the replay with snapshots', async () => {
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
    for (let i = 1; i <= 12_000; i++) {
      const res = await commit(BigInt(i), i % 2);
      if (res.topics[0].partitions[0].errorCode !== 0) throw new Error(`commit ${i} failed: ${res.topics[0].partitions[0].errorCode}`);
    }
    const partition = offsetsPartitionFor('g1', 3);
    const log = broker.logs.log(OFFSETS_TOPIC, partition)!;
    // 12,000 records taken; a snapshot has dropped the history before it.
    expect(log.logStartOffset).toBeGreaterThan(10_000);
    expect(log.highWatermark - log.logStartOffset).toBeLessThan(2_100);
    const internal = await c.request(MetadataApi, 12, { topics: [{ name: OFFSETS_TOPIC }] });
    expect(internal.topics[0]).toMatchObject({ isInternal: true, errorCode: 0 });
    c.close();
    await broker.close();

    broker = await start();
    c = await RawClient.connect(broker.host, broker.port);
    const fetched = await c.request(OffsetFetchApi, 8, { groups: [{ groupId: 'g1', topics: null }], requireStable: true });
    const parts = fetched.groups[0].topics[0].partitions.sort((a, b) => a.partitionIndex - b.partitionIndex);
    expect(parts.map((p) => [p.partitionIndex, p.committedOffset, p.metadata])).toEqual([
      [0, 12_000n, 'at 12000'],
      [1, 11_999n, 'at 11999'],
    ]);
    c.close();
    await broker.close();
  });

  it('a snapshot taken while a transaction is open keeps its offsets: replay starts at the transaction', async () => {
    const fs = new MemoryFileSystem();
    const start = () => startBroker({ fs, dataDir: '/data', config: { 'offsets.topic.num.partitions': '1' } });
    let broker = await start();
    let c = await RawClient.connect(broker.host, broker.port);
    await c.request(CreateTopicsApi, 7, { topics: [{ name: 'orders', numPartitions: 100, replicationFactor: 1 }, { name: 'in', numPartitions: 1, replicationFactor: 1 }] });
    const all = Array.from({ length: 100 }, (_, i) => i);
    /** Enough plain commits (100 keys each round) for the partition to take a snapshot. */
    const commitUntilSnapshot = async () => {
      const log = broker.logs.log(OFFSETS_TOPIC, 0)!;
      const before = log.logStartOffset;
      for (let round = 1; log.logStartOffset === before; round++) {
        if (round > 200) throw new Error('no snapshot after 20,000 commits');
        await c.request(OffsetCommitApi, 8, {
          groupId: 'g1', generationIdOrMemberEpoch: -1, memberId: '',
          topics: [{ name: 'orders', partitions: all.map((p) => ({ partitionIndex: p, committedOffset: BigInt(round), committedMetadata: null })) }],
        });
        await new Promise((r) => setImmediate(r)); // the snapshot runs after the commit's answer
      }
    };
    const inOffset = async (requireStable: boolean) =>
      (await c.request(OffsetFetchApi, 8, { groups: [{ groupId: 'g1', topics: [{ name: 'in', partitionIndexes: [0] }] }], requireStable })).groups[0].topics[0].partitions[0];

    await c.request(OffsetCommitApi, 8, {
      groupId: 'g1', generationIdOrMemberEpoch: -1, memberId: '',
      topics: [{ name: 'orders', partitions: all.map((p) => ({ partitionIndex: p, committedOffset: 0n, committedMetadata: null })) }],
    });
    const { producerId: pid } = await c.request(InitProducerIdApi, 1, { transactionalId: 'snap', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    await c.request(AddOffsetsToTxnApi, 1, { transactionalId: 'snap', producerId: pid, producerEpoch: 0, groupId: 'g1' });
    const txnAt = broker.logs.log(OFFSETS_TOPIC, 0)!.logEndOffset;
    expect(txnAt).toBeGreaterThan(0);
    const sent = await c.request(TxnOffsetCommitApi, 3, {
      transactionalId: 'snap', groupId: 'g1', producerId: pid, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: 'txn' }] }],
    });
    expect(sent.topics[0].partitions[0].errorCode).toBe(0);
    await commitUntilSnapshot();
    // The log start stopped at the open transaction's batch, not at the snapshot.
    expect(broker.logs.log(OFFSETS_TOPIC, 0)!.logStartOffset).toBe(txnAt);
    c.close();
    await broker.close();

    broker = await start();
    c = await RawClient.connect(broker.host, broker.port);
    expect(await inOffset(true)).toMatchObject({ errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    expect((await c.request(EndTxnApi, 1, { transactionalId: 'snap', producerId: pid, producerEpoch: 0, committed: true })).errorCode).toBe(0);
    while ((await inOffset(true)).errorCode !== 0) await new Promise((r) => setImmediate(r));
    // The next snapshot carries the committed offset and drops the transaction's batch.
    await commitUntilSnapshot();
    expect(broker.logs.log(OFFSETS_TOPIC, 0)!.logStartOffset).toBeGreaterThan(txnAt);
    c.close();
    await broker.close();

    broker = await start();
    c = await RawClient.connect(broker.host, broker.port);
    expect(await inOffset(true)).toMatchObject({ errorCode: 0, committedOffset: 42n, metadata: 'txn' });
    c.close();
    await broker.close();
  });
});
