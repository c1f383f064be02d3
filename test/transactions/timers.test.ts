// The coordinator's timers with short intervals: a transaction past its timeout
// is fenced (epoch + 1) and aborted, its owner then refused; an idle
// transactional id expires, its old holder gets INVALID_PRODUCER_ID_MAPPING and a
// new InitProducerId starts at epoch 0 with a new producer id. The waits are on
// the coordinator's state: the delays here are the faults under test.
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/broker.js';
import { RawClient } from '../support/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { InitProducerIdApi } from '../../protocol/messages/22-init-producer-id.js';
import { AddPartitionsToTxnApi } from '../../protocol/messages/24-add-partitions-to-txn.js';
import { EndTxnApi } from '../../protocol/messages/26-end-txn.js';
import { DescribeTransactionsApi } from '../../protocol/messages/65-describe-transactions.js';

let broker: RunningBroker;
let client: RawClient;

async function open(config: Record<string, string>): Promise<void> {
  broker = await startBroker({ config: { 'transaction.state.log.num.partitions': '1', ...config } });
  client = await RawClient.connect(broker.host, broker.port);
  await client.request(CreateTopicsApi, 4, { topics: [{ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
}
afterEach(async () => {
  client.socket.destroy();
  await broker.close();
});

const init = (id: string, timeoutMs = 60_000) => client.request(InitProducerIdApi, 1, { transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 });

describe('transaction timers', () => {
  it('aborts a transaction past its timeout at a bumped epoch; its owner is fenced', async () => {
    await open({ 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '20' });
    const { producerId: pid } = await init('slow', 100);
    await client.request(AddPartitionsToTxnApi, 1, { v3AndBelowTransactionalId: 'slow', v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 't', partitions: [0] }] });
    expect(await broker.waitForTransaction('slow', 'CompleteAbort')).toMatchObject({ producerId: pid, producerEpoch: 1 });
    expect((await client.request(EndTxnApi, 1, { transactionalId: 'slow', producerId: pid, producerEpoch: 0, committed: true })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('expires an idle transactional id: the old holder gets INVALID_PRODUCER_ID_MAPPING, a new init a new producer id', async () => {
    await open({ 'transactional.id.expiration.ms': '50', 'transaction.remove.expired.transaction.cleanup.interval.ms': '20' });
    const { producerId: pid } = await init('idle');
    await broker.waitForTransaction('idle', 'Dead');
    expect((await client.request(DescribeTransactionsApi, 0, { transactionalIds: ['idle'] })).transactionStates[0].errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const add = await client.request(AddPartitionsToTxnApi, 1, { v3AndBelowTransactionalId: 'idle', v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 't', partitions: [0] }] });
    expect(add.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const again = await init('idle');
    expect(again.producerEpoch).toBe(0);
    expect(again.producerId).toBeGreaterThan(pid);
  });
});
