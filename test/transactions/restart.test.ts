// Transactions across a broker restart on a data directory: the coordinator
// replays __transaction_state; an open transaction is still Ongoing with its
// producer id and epoch and can be committed; a transaction caught in
// PrepareCommit (its markers held back) completes by itself after the restart;
// producer ids keep growing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { RawClient } from '../support/raw-client.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { InitProducerIdApi } from '../../protocol/messages/22-init-producer-id.js';
import { AddPartitionsToTxnApi } from '../../protocol/messages/24-add-partitions-to-txn.js';
import { EndTxnApi } from '../../protocol/messages/26-end-txn.js';
import { decodeBatchSync, walkBatches } from '../../protocol/record-batch.js';

let dataDir: string;
const CONFIG = { 'transaction.state.log.num.partitions': '2', 'offsets.topic.num.partitions': '1' };

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kafkalite-txn-restart-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function open(): Promise<{ broker: RunningBroker; client: RawClient; close(): Promise<void> }> {
  const broker = await startBroker({ dataDir, config: CONFIG });
  const client = await RawClient.connect(broker.host, broker.port);
  return {
    broker,
    client,
    async close() {
      client.socket.destroy();
      await broker.close();
    },
  };
}

const init = (c: RawClient, id: string) => c.request(InitProducerIdApi, 1, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
const add = (c: RawClient, id: string, pid: bigint) =>
  c.request(AddPartitionsToTxnApi, 1, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 't', partitions: [0] }] });
const end = (c: RawClient, id: string, pid: bigint) => c.request(EndTxnApi, 1, { transactionalId: id, producerId: pid, producerEpoch: 0, committed: true });

async function markers(broker: RunningBroker): Promise<Buffer[]> {
  const { batches } = await broker.logs.log('t', 0)!.read(0, 1 << 20, true);
  return batches.flatMap((buf) => walkBatches(buf).batches.map((span) => decodeBatchSync(buf, span.start))).filter((b) => (b.header.attributes & 0x20) !== 0).map((b) => b.records[0].key!);
}

describe('transactions across a restart', () => {
  it('an open transaction survives the restart and commits; producer ids keep growing', async () => {
    let b = await open();
    await b.client.request(CreateTopicsApi, 4, { topics: [{ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    const { producerId: pid } = await init(b.client, 'r');
    await add(b.client, 'r', pid);
    const before = b.broker.transactions.metadata('r');
    await b.close();

    b = await open();
    try {
      expect(b.broker.transactions.metadata('r')).toEqual(before);
      expect((await end(b.client, 'r', pid)).errorCode).toBe(0);
      await b.broker.waitForTransaction('r', 'CompleteCommit');
      expect(await markers(b.broker)).toEqual([Buffer.from([0, 0, 0, 1])]);
      expect((await init(b.client, 'other')).producerId).toBeGreaterThan(pid);
    } finally {
      await b.close();
    }
  });

  it('a transaction caught in PrepareCommit completes by itself after the restart', async () => {
    let b = await open();
    await b.client.request(CreateTopicsApi, 4, { topics: [{ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    const { producerId: pid } = await init(b.client, 'p');
    await add(b.client, 'p', pid);
    // The markers never come before the stop: the broker goes down between PrepareCommit and its markers.
    b.broker.faults.hold('WriteTxnMarkers', new Promise(() => {}));
    expect((await end(b.client, 'p', pid)).errorCode).toBe(0);
    expect(b.broker.transactions.metadata('p')?.state).toBe('PrepareCommit');
    expect(await markers(b.broker)).toEqual([]);
    await b.close();

    b = await open();
    try {
      await b.broker.waitForTransaction('p', 'CompleteCommit');
      expect(await markers(b.broker)).toEqual([Buffer.from([0, 0, 0, 1])]);
    } finally {
      await b.close();
    }
  });
});
