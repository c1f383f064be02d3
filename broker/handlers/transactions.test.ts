// The transaction coordinator over real TCP, frame by frame (RawClient): the
// answers and error codes of Kafka's InitProducerId, AddPartitionsToTxn,
// AddOffsetsToTxn, EndTxn, DescribeTransactions and ListTransactions, per version,
// and the markers EndTxn leaves in the partitions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { FindCoordinatorApi } from '../../protocol/messages/10-find-coordinator.js';
import { InitProducerIdApi } from '../../protocol/messages/22-init-producer-id.js';
import { AddPartitionsToTxnApi } from '../../protocol/messages/24-add-partitions-to-txn.js';
import { AddOffsetsToTxnApi } from '../../protocol/messages/25-add-offsets-to-txn.js';
import { EndTxnApi } from '../../protocol/messages/26-end-txn.js';
import { TxnOffsetCommitApi } from '../../protocol/messages/28-txn-offset-commit.js';
import { JoinGroupApi } from '../../protocol/messages/11-join-group.js';
import { SyncGroupApi } from '../../protocol/messages/14-sync-group.js';
import { ConsumerGroupHeartbeatApi } from '../../protocol/messages/68-consumer-group-heartbeat.js';
import { OffsetFetchApi } from '../../protocol/messages/09-offset-fetch.js';
import { DescribeTransactionsApi } from '../../protocol/messages/65-describe-transactions.js';
import { ListTransactionsApi } from '../../protocol/messages/66-list-transactions.js';
import { buildRecordBatchSync, decodeBatchSync } from '../../protocol/record-batch.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { WriteTxnMarkersApi } from '../../protocol/messages/27-write-txn-markers.js';

let broker: RunningBroker;
let client: RawClient;

beforeEach(async () => {
  broker = await startBroker({ config: { 'transaction.state.log.num.partitions': '3', 'offsets.topic.num.partitions': '3' } });
  client = await RawClient.connect(broker.host, broker.port);
  await client.request(CreateTopicsApi, 4, { topics: [{ name: 't', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
});
afterEach(async () => {
  client.socket.destroy();
  await broker.close();
});

const init = (id: string, v = 1, timeoutMs = 60_000) => client.request(InitProducerIdApi, v, { transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 });
const add = (id: string, pid: bigint, epoch: number, partitions: number[], v = 1, topic = 't') =>
  client.request(AddPartitionsToTxnApi, v, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: [{ name: topic, partitions }] });
const end = (id: string, pid: bigint, epoch: number, committed: boolean, v = 1) => client.request(EndTxnApi, v, { transactionalId: id, producerId: pid, producerEpoch: epoch, committed });
const codes = (r: Awaited<ReturnType<typeof add>>) => r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => [t.name, p.partitionIndex, p.partitionErrorCode]));
const describeTxn = async (id: string) => (await client.request(DescribeTransactionsApi, 0, { transactionalIds: [id] })).transactionStates[0];

/** Resolves once the coordinator holds the id in `state` (markers and Complete* follow EndTxn's answer). */
const settled = (id: string, state: 'CompleteCommit' | 'CompleteAbort') => broker.waitForTransaction(id, state);

describe('transaction coordinator over TCP', () => {
  it('FindCoordinator key type 1 names this node; InitProducerId gives epoch 0 then bumps', async () => {
    const found = await client.request(FindCoordinatorApi, 3, { key: 'a', keyType: 1, coordinatorKeys: [] });
    expect(found).toMatchObject({ errorCode: 0, nodeId: broker.cluster.nodes[0].nodeId, port: broker.port });
    const first = await init('a');
    expect(first).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(first.producerId).toBeGreaterThanOrEqual(0n);
    expect(await init('a')).toMatchObject({ errorCode: 0, producerId: first.producerId, producerEpoch: 1 });
    expect(await init('b')).not.toMatchObject({ producerId: first.producerId });
    expect((await init('a', 1, 900_001)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init('', 1)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('commit: markers land in every partition of the transaction, then CompleteCommit', async () => {
    const { producerId: pid } = await init('c');
    expect(codes(await add('c', pid, 0, [0, 1]))).toEqual([['t', 0, 0], ['t', 1, 0]]);
    expect(await describeTxn('c')).toMatchObject({ transactionState: 'Ongoing', producerId: pid, topics: [{ topic: 't', partitions: [0, 1] }] });
    expect((await end('c', pid, 0, true)).errorCode).toBe(0);
    await settled('c', 'CompleteCommit');
    for (const p of [0, 1]) {
      const log = broker.logs.log('t', p)!;
      const { batches } = await log.read(0, 1 << 20, true);
      const batch = decodeBatchSync(batches[0]);
      expect(batch.header.attributes & 0x30).toBe(0x30);
      expect(batch.header.producerId).toBe(pid);
      expect(batch.records[0].key).toEqual(Buffer.from([0, 0, 0, 1]));
    }
    // A retried commit is NONE; an abort after it INVALID_TXN_STATE.
    expect((await end('c', pid, 0, true)).errorCode).toBe(0);
    expect((await end('c', pid, 0, false)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('answers the brief\'s error cases with Kafka\'s codes, downgraded by version', async () => {
    const { producerId: pid } = await init('e');
    expect((await end('e', pid, 0, true)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await end('e', pid + 1000n, 0, true)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect((await end('e', pid, 5, true, 1)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await end('e', pid, 5, true, 2)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(codes(await add('e', pid, 5, [0], 1))).toEqual([['t', 0, ErrorCode.INVALID_PRODUCER_EPOCH]]);
    expect(codes(await add('e', pid, 5, [0], 2))).toEqual([['t', 0, ErrorCode.PRODUCER_FENCED]]);
    // One unknown partition: UNKNOWN_TOPIC_OR_PARTITION for it, OPERATION_NOT_ATTEMPTED for the rest, nothing added.
    expect(codes(await add('e', pid, 0, [0, 9]))).toEqual([['t', 0, ErrorCode.OPERATION_NOT_ATTEMPTED], ['t', 9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect((await describeTxn('e')).transactionState).toBe('Empty');
    expect((await client.request(AddOffsetsToTxnApi, 1, { transactionalId: 'nope', producerId: pid, producerEpoch: 0, groupId: 'g' })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect((await describeTxn('nope')).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  });

  it('fences a zombie: a second InitProducerId aborts the open transaction at epoch + 1', async () => {
    const { producerId: pid } = await init('z');
    await add('z', pid, 0, [0]);
    expect((await init('z')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    await settled('z', 'CompleteAbort');
    expect(await init('z')).toMatchObject({ errorCode: 0, producerId: pid, producerEpoch: 2 });
    expect((await end('z', pid, 0, true)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const { batches } = await broker.logs.log('t', 0)!.read(0, 1 << 20, true);
    const batch = decodeBatchSync(batches[0]);
    expect(batch.header.producerEpoch).toBe(1);
    expect(batch.records[0].key).toEqual(Buffer.from([0, 0, 0, 0]));
  });

  it('AddOffsetsToTxn adds the group\'s __consumer_offsets partition; v4+ VerifyOnly checks membership', async () => {
    const { producerId: pid } = await init('o');
    expect((await client.request(AddOffsetsToTxnApi, 1, { transactionalId: 'o', producerId: pid, producerEpoch: 0, groupId: 'g' })).errorCode).toBe(0);
    const partition = broker.groups.partitionFor('g');
    expect((await describeTxn('o')).topics).toEqual([{ topic: '__consumer_offsets', partitions: [partition] }]);
    const verify = await client.request(AddPartitionsToTxnApi, 4, {
      transactions: [{ transactionalId: 'o', producerId: pid, producerEpoch: 0, verifyOnly: true, topics: [{ name: 't', partitions: [0] }, { name: '__consumer_offsets', partitions: [partition] }] }],
    });
    expect(verify.resultsByTransaction[0].topicResults.map((t) => t.resultsByPartition[0].partitionErrorCode)).toEqual([ErrorCode.INVALID_TXN_STATE, 0]);
    expect((await describeTxn('o')).topics).toHaveLength(1);
  });

  it('ListTransactions filters by state and producer id and echoes unknown states', async () => {
    const a = await init('la');
    await init('lb');
    await add('la', a.producerId, 0, [0]);
    const all = await client.request(ListTransactionsApi, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n });
    expect(all.transactionStates.map((t) => t.transactionalId).sort()).toEqual(['la', 'lb']);
    const ongoing = await client.request(ListTransactionsApi, 0, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n });
    expect(ongoing).toMatchObject({ errorCode: 0, unknownStateFilters: ['Bogus'], transactionStates: [{ transactionalId: 'la', transactionState: 'Ongoing' }] });
    const byPid = await client.request(ListTransactionsApi, 0, { stateFilters: [], producerIdFilters: [a.producerId], durationFilter: -1n });
    expect(byPid.transactionStates.map((t) => t.transactionalId)).toEqual(['la']);
  });

  it('TxnOffsetCommit: pending offsets are invisible (requireStable: UNSTABLE_OFFSET_COMMIT) until the commit marker; an abort drops them', async () => {
    const fetchOffset = async (requireStable: boolean) =>
      (await client.request(OffsetFetchApi, 7, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], groups: [], requireStable })).topics[0].partitions[0];
    const commitOffset = (id: string, pid: bigint, offset: bigint, v = 1) =>
      client.request(TxnOffsetCommitApi, v, { transactionalId: id, groupId: 'g', producerId: pid, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    const { producerId: pid } = await init('off');
    // Without AddOffsetsToTxn, verification refuses the offsets (INVALID_TXN_STATE below v4, TRANSACTION_ABORTABLE at v4).
    expect((await commitOffset('off', pid, 5n)).topics[0].partitions[0].errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await commitOffset('off', pid, 5n, 4)).topics[0].partitions[0].errorCode).toBe(ErrorCode.TRANSACTION_ABORTABLE);
    await client.request(AddOffsetsToTxnApi, 1, { transactionalId: 'off', producerId: pid, producerEpoch: 0, groupId: 'g' });
    expect((await commitOffset('off', pid, 5n)).topics[0].partitions[0].errorCode).toBe(0);
    expect(await fetchOffset(false)).toMatchObject({ committedOffset: -1n, errorCode: 0 });
    expect(await fetchOffset(true)).toMatchObject({ committedOffset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    expect((await end('off', pid, 0, false)).errorCode).toBe(0);
    await settled('off', 'CompleteAbort');
    expect(await fetchOffset(true)).toMatchObject({ committedOffset: -1n, errorCode: 0 });

    await client.request(AddOffsetsToTxnApi, 1, { transactionalId: 'off', producerId: pid, producerEpoch: 0, groupId: 'g' });
    await commitOffset('off', pid, 7n);
    expect((await end('off', pid, 0, true)).errorCode).toBe(0);
    await settled('off', 'CompleteCommit');
    expect(await fetchOffset(true)).toMatchObject({ committedOffset: 7n, errorCode: 0 });
  });

  it('TxnOffsetCommit v3+ checks the member, static instance and generation it names, as Kafka\'s group coordinator', async () => {
    // A classic group with one static member, Stable at generation 1.
    const joined = await client.request(JoinGroupApi, 5, { groupId: 'sg', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: 'inst-1', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1 });
    const member = joined.memberId;
    const synced = await client.request(SyncGroupApi, 5, { groupId: 'sg', generationId: 1, memberId: member, groupInstanceId: 'inst-1', protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: member, assignment: Buffer.alloc(0) }] });
    expect(synced.errorCode).toBe(0);

    const { producerId: pid } = await init('sm');
    await client.request(AddOffsetsToTxnApi, 1, { transactionalId: 'sm', producerId: pid, producerEpoch: 0, groupId: 'sg' });
    const commit = async (who: { memberId: string; groupInstanceId: string | null; generationId: number }, v = 3, groupId = 'sg') => {
      if (groupId !== 'sg') await client.request(AddOffsetsToTxnApi, 1, { transactionalId: 'sm', producerId: pid, producerEpoch: 0, groupId });
      const res = await client.request(TxnOffsetCommitApi, v, { transactionalId: 'sm', groupId, producerId: pid, producerEpoch: 0, ...who, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
      return res.topics[0].partitions[0].errorCode;
    };
    expect(await commit({ memberId: 'someone-else', groupInstanceId: 'inst-1', generationId: 1 })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(await commit({ memberId: member, groupInstanceId: 'inst-2', generationId: 1 })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit({ memberId: 'ghost', groupInstanceId: null, generationId: 1 })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit({ memberId: member, groupInstanceId: 'inst-1', generationId: 2 })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await commit({ memberId: member, groupInstanceId: 'inst-1', generationId: 1 })).toBe(0);
    expect(await commit({ memberId: member, groupInstanceId: null, generationId: 1 }, 4)).toBe(0);
    // Below v3 the request names no member: accepted although the group has members.
    expect(await commit({ memberId: '', groupInstanceId: null, generationId: -1 }, 2)).toBe(0);
    // A generation for a group that does not exist.
    expect(await commit({ memberId: '', groupInstanceId: null, generationId: 1 }, 3, 'no-such-group')).toBe(ErrorCode.ILLEGAL_GENERATION);
  });

  it('TxnOffsetCommit v3 from a consumer group (KIP-848) member: its epoch is the generation, a mismatch ILLEGAL_GENERATION', async () => {
    const hb = await client.request(ConsumerGroupHeartbeatApi, 1, { groupId: 'cg', memberId: 'm1', memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'], topicPartitions: [] });
    expect(hb.errorCode).toBe(0);
    const { producerId: pid } = await init('cm');
    await client.request(AddOffsetsToTxnApi, 1, { transactionalId: 'cm', producerId: pid, producerEpoch: 0, groupId: 'cg' });
    const commit = async (memberId: string, generationId: number, v = 3) =>
      (await client.request(TxnOffsetCommitApi, v, { transactionalId: 'cm', groupId: 'cg', producerId: pid, producerEpoch: 0, memberId, generationId, groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] }] })).topics[0].partitions[0].errorCode;
    expect(await commit('m1', hb.memberEpoch)).toBe(0);
    expect(await commit('m1', hb.memberEpoch + 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await commit('m2', hb.memberEpoch)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await commit('', -1, 1)).toBe(0);
  });

  it('transaction.partition.verification.enable=false accepts TxnOffsetCommit outside a transaction (Kafka <= 3.5)', async () => {
    const other = await startBroker({ config: { 'transaction.partition.verification.enable': 'false', 'offsets.topic.num.partitions': '1' } });
    const c = await RawClient.connect(other.host, other.port);
    try {
      await c.request(CreateTopicsApi, 4, { topics: [{ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      const res = await c.request(TxnOffsetCommitApi, 1, { transactionalId: 'nobody', groupId: 'g', producerId: 999n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
      expect(res.topics[0].partitions[0].errorCode).toBe(0);
    } finally {
      c.socket.destroy();
      await other.close();
    }
  });

  it('verifies transactional produces: a partition not in the transaction is refused, by produce version', async () => {
    const { producerId: pid } = await init('pv');
    const produce = (v: number, partition: number, epoch = 0, seq = 0) =>
      client.request(ProduceApi, v, {
        transactionalId: 'pv',
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 't', partitionData: [{ index: partition, records: buildRecordBatchSync({ records: [{ value: Buffer.from('x'), timestamp: Date.now() }], producerId: pid, producerEpoch: epoch, baseSequence: seq, isTransactional: true }) }] }],
      });
    const code = (r: Awaited<ReturnType<typeof produce>>) => r.responses[0].partitionResponses[0].errorCode;
    expect(code(await produce(9, 0))).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(code(await produce(11, 0))).toBe(ErrorCode.TRANSACTION_ABORTABLE);
    await add('pv', pid, 0, [0]);
    expect(code(await produce(9, 0))).toBe(0);
    expect(code(await produce(9, 1))).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(code(await produce(9, 0, 3, 1))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);

    // Once the transaction is open on the partition, its later batches skip the coordinator (Kafka's
    // hasOngoingTransaction): with the commit's markers held the coordinator is in PrepareCommit, and the
    // partition still takes the producer's batch; a partition without its transaction asks and is refused.
    let release!: () => void;
    broker.faults.hold('WriteTxnMarkers', new Promise<void>((r) => (release = r)));
    expect((await end('pv', pid, 0, true)).errorCode).toBe(0);
    expect(code(await produce(9, 0, 0, 1))).toBe(0);
    expect(code(await produce(9, 1))).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    release();
    await settled('pv', 'CompleteCommit');
    // The marker closed the transaction on the partition: the next one's first batch is verified again.
    expect(code(await produce(9, 0, 0, 2))).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('WriteTxnMarkers appends a marker per partition with Kafka\'s per-partition errors', async () => {
    const res = await client.request(WriteTxnMarkersApi, 1, {
      markers: [{ producerId: 42n, producerEpoch: 3, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 't', partitionIndexes: [1, 7] }, { name: 'nope', partitionIndexes: [0] }] }],
    });
    expect(res.markers[0].topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode]))).toEqual([[[1, 0], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]], [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]]);
    const { batches } = await broker.logs.log('t', 1)!.read(0, 1 << 20, true);
    const batch = decodeBatchSync(batches[0]);
    expect(batch.header).toMatchObject({ producerId: 42n, producerEpoch: 3 });
    expect(batch.records[0].key).toEqual(Buffer.from([0, 0, 0, 0]));
    // An older epoch of the same producer is fenced by the partition's producer state.
    const stale = await client.request(WriteTxnMarkersApi, 1, { markers: [{ producerId: 42n, producerEpoch: 2, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: 't', partitionIndexes: [1] }] }] });
    expect(stale.markers[0].topics[0].partitions[0].errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('Kafka\'s asynchronous window: with markers held after EndTxn, the next AddPartitionsToTxn gets CONCURRENT_TRANSACTIONS', async () => {
    const { producerId: pid } = await init('w');
    await add('w', pid, 0, [0]);
    let release!: () => void;
    const held = broker.faults.hold('WriteTxnMarkers', new Promise<void>((r) => (release = r)), { clientId: `broker-${broker.cluster.nodes[0].nodeId}-txn-marker-sender` });
    expect((await end('w', pid, 0, true)).errorCode).toBe(0);
    await held.fired();
    expect(codes(await add('w', pid, 0, [1]))).toEqual([['t', 1, ErrorCode.CONCURRENT_TRANSACTIONS]]);
    expect((await end('w', pid, 0, true)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    release();
    await settled('w', 'CompleteCommit');
    expect(codes(await add('w', pid, 0, [1]))).toEqual([['t', 1, 0]]);
  });

  it('waitForTransaction resolves on the coordinator\'s change, with the epoch asked for, and times out otherwise', async () => {
    const { producerId: pid } = await init('wt');
    expect(await broker.waitForTransaction('wt', 'Empty')).toMatchObject({ producerId: pid, producerEpoch: 0 });
    await expect(broker.waitForTransaction('wt', 'Ongoing', { timeoutMs: 20 })).rejects.toThrow(/wt did not become Ongoing within 20 ms \(now: Empty, producer \d+ epoch 0\)/);
    const ongoing = broker.waitForTransaction('wt', 'Ongoing');
    await add('wt', pid, 0, [0]);
    expect(await ongoing).toMatchObject({ state: 'Ongoing', partitions: [{ topic: 't', partition: 0 }] });
    // A second producer fences the open transaction: aborted at epoch 1, then Empty at epoch 2 on its retry.
    expect((await init('wt')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await broker.waitForTransaction('wt', 'CompleteAbort', { producerEpoch: 1 })).toMatchObject({ producerId: pid });
    const empty = broker.waitForTransaction('wt', 'Empty', { producerEpoch: 2 });
    expect(await init('wt')).toMatchObject({ errorCode: 0, producerEpoch: 2 });
    expect(await empty).toMatchObject({ producerId: pid, partitions: [] });
  });

  it('a failed marker request of the coordinator is retried until the markers land', async () => {
    const { producerId: pid } = await init('r');
    await add('r', pid, 0, [0, 1]);
    const failed = broker.faults.failNext('WriteTxnMarkers', [ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.KAFKA_STORAGE_ERROR]);
    expect((await end('r', pid, 0, false)).errorCode).toBe(0);
    await settled('r', 'CompleteAbort');
    expect(failed.hits).toBe(2);
    for (const partition of [0, 1]) {
      const { batches } = await broker.logs.log('t', partition)!.read(0, 1 << 20, true);
      expect(batches.map((b) => decodeBatchSync(b).records[0].key)).toEqual([Buffer.from([0, 0, 0, 0])]);
    }
  });
});
