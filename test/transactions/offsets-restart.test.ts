// Offsets sent in a transaction (kafkajs sendOffsets) survive a broker restart
// on the same data directory before the transaction ends: they are replayed
// pending (OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT), the
// same producer's commit after the restart makes them the group's offsets (or
// the coordinator's, completing a PrepareCommit), and an abort leaves the
// offsets committed before.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { RawClient } from '../support/raw-client.js';
import { OffsetFetchApi } from '../../protocol/messages/09-offset-fetch.js';
import { ErrorCode } from '../../protocol/errors.js';

const CONFIG = { 'transaction.state.log.num.partitions': '2', 'offsets.topic.num.partitions': '2' };
let dataDir: string;
let broker: RunningBroker;
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kafkalite-txn-offsets-restart-'));
  broker = await startBroker({ dataDir, config: CONFIG });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await broker.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Stops the broker and starts it again on the same data directory and port (clients reconnect). */
async function restart(): Promise<void> {
  const port = broker.port;
  await broker.close();
  broker = await startBroker({ dataDir, config: CONFIG, port });
}

function client(): Kafka {
  return new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 10 } });
}

async function setup(): Promise<{ producer: Producer; admin: Admin; committed: () => Promise<string> }> {
  const kafka = client();
  const admin = kafka.admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'in' }, { topic: 'out' }] });
  const producer = kafka.producer({ transactionalId: 'tx-offsets', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  // The group's offset before: committed by an earlier transaction.
  const t0 = await producer.transaction();
  await t0.send({ topic: 'out', messages: [{ value: 'out-0' }] });
  await t0.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '2' }] }] });
  await t0.commit();
  const committed = async () => (await admin.fetchOffsets({ groupId: 'ctp', topics: ['in'] }))[0]!.partitions[0]!.offset;
  // kafkajs does not retry AddOffsetsToTxn: the next transaction starts once every marker of this one is written.
  await broker.waitForTransaction('tx-offsets', 'CompleteCommit');
  expect(await committed()).toBe('2');
  return { producer, admin, committed };
}

/** OffsetFetch v7 with requireStable for the group's offset of in-0, over a fresh connection. */
async function stableFetch(): Promise<{ errorCode: number; committedOffset: bigint | number }> {
  const raw = await RawClient.connect(broker.host, broker.port);
  try {
    const res = await raw.request(OffsetFetchApi, 7, { groupId: 'ctp', topics: [{ name: 'in', partitionIndexes: [0] }], groups: [], requireStable: true });
    return res.topics[0]!.partitions[0]!;
  } finally {
    raw.socket.destroy();
  }
}

describe('sendOffsets across a broker restart', () => {
  it('offsets sent before the restart are pending after it and commit with the transaction', async () => {
    const { producer, committed } = await setup();
    const t = await producer.transaction();
    await t.send({ topic: 'out', messages: [{ value: 'out-1' }] });
    await t.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '7' }] }] });
    await restart();

    expect((await stableFetch()).errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    expect(await committed()).toBe('2');
    await t.commit();
    await broker.waitForTransaction('tx-offsets', 'CompleteCommit');
    expect(await committed()).toBe('7');
    expect(await stableFetch()).toMatchObject({ errorCode: ErrorCode.NONE, committedOffset: 7n });

    // And the committed offsets are what the next restart replays.
    await restart();
    expect(await stableFetch()).toMatchObject({ errorCode: ErrorCode.NONE, committedOffset: 7n });
  });

  it('a commit caught in PrepareCommit by the restart is completed by the coordinator, offsets included', async () => {
    const { producer, committed } = await setup();
    const t = await producer.transaction();
    await t.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '5' }] }] });
    // The broker goes down between PrepareCommit and the markers.
    broker.faults.hold('WriteTxnMarkers', new Promise(() => {}));
    await t.commit();
    expect(broker.transactions.metadata('tx-offsets')?.state).toBe('PrepareCommit');
    await restart();

    await broker.waitForTransaction('tx-offsets', 'CompleteCommit');
    expect(await committed()).toBe('5');
    expect(await stableFetch()).toMatchObject({ errorCode: ErrorCode.NONE, committedOffset: 5n });
  });

  it('an abort after the restart leaves the offsets committed before', async () => {
    const { producer, committed } = await setup();
    const t = await producer.transaction();
    await t.send({ topic: 'out', messages: [{ value: 'out-1' }] });
    await t.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '9' }] }] });
    await restart();

    expect((await stableFetch()).errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    await t.abort();
    await broker.waitForTransaction('tx-offsets', 'CompleteAbort');
    expect(await stableFetch()).toMatchObject({ errorCode: ErrorCode.NONE, committedOffset: 2n });
    expect(await committed()).toBe('2');

    await restart();
    expect(await stableFetch()).toMatchObject({ errorCode: ErrorCode.NONE, committedOffset: 2n });
  });
});
