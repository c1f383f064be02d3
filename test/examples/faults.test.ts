// Fault injection as an application team would use it: unmodified kafkajs against
// startBroker(), faults injected through broker.faults, what the client sent and
// got read back from broker.requests.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ProduceResponse } from '../../protocol/messages/00-produce.js';

describe('fault injection with kafkajs', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startBroker();
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 20, retries: 5 } });
  });
  // Clients live within one test: after reset() a client's cached metadata names topics that are gone.
  beforeEach(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterEach(async () => {
    await admin.disconnect();
    expect((await broker.reset()).unusedFaults).toEqual([]);
  });
  afterAll(async () => {
    await broker.close();
  });

  it('a producer retries through NOT_LEADER_OR_FOLLOWER on one partition; the others are served at once', async () => {
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }], waitForLeaders: true });
    const fault = broker.faults.failNext('Produce', [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_LEADER_OR_FOLLOWER], {
      topic: 'orders',
      partition: 1,
    });
    // Idempotent, so the retry of the whole request does not append the served partitions twice.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [0, 1, 2].map((p) => ({ partition: p, value: `order-${p}` })) });
    await producer.disconnect();

    expect(fault.hits).toBe(2);
    // Each partition was acknowledged; the faulted one was not appended while failing.
    const offsets = await admin.fetchTopicOffsets('orders');
    expect(offsets.map((o) => [o.partition, o.high]).sort()).toEqual([[0, '1'], [1, '1'], [2, '1']]);
    const answers = broker.requests.entries('Produce').flatMap((e) =>
      (e.response as ProduceResponse).responses.flatMap((t) => t.partitionResponses.map((p) => [p.index, p.errorCode])),
    );
    expect(answers.filter(([p]) => p === 1).map(([, code]) => code)).toEqual([6, 6, 0]);
    expect(answers.filter(([p]) => p !== 1).every(([, code]) => code === 0)).toBe(true);
  });

  it('a whole-request error for one group: FindCoordinator answers COORDINATOR_NOT_AVAILABLE once, kafkajs retries', async () => {
    const fault = broker.faults.failNext('FindCoordinator', ErrorCode.COORDINATOR_NOT_AVAILABLE, { group: 'billing' });
    const groups = await admin.describeGroups(['billing']);
    expect(groups.groups[0].groupId).toBe('billing');
    expect(fault.hits).toBe(1);
    const first = broker.requests.entries('FindCoordinator')[0];
    expect(first.faultId).toBe(fault.id);
  });

  it('disconnectOn drops the connection before the request is served; the producer reconnects and retries', async () => {
    await admin.createTopics({ topics: [{ topic: 'audit' }], waitForLeaders: true });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const fault = broker.faults.disconnectOn('Produce');
    await producer.send({ topic: 'audit', messages: [{ value: 'login' }] });
    await producer.disconnect();
    expect(fault.hits).toBe(1);
    const produces = broker.requests.entries('Produce');
    expect(produces[0].faultId).toBe(fault.id);
    expect(produces[0].response).toBeNull();
    expect(produces[1].connection).not.toBe(produces[0].connection);
    expect((await admin.fetchTopicOffsets('audit'))[0].high).toBe('1');
  });

  it('a delay longer than the client request timeout shows as a timeout to the client', async () => {
    const slow = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, requestTimeout: 200, retry: { retries: 0 } });
    const slowAdmin = slow.admin();
    await slowAdmin.connect();
    const fault = broker.faults.delay('ListGroups', 1_000, { times: 1 });
    await expect(slowAdmin.listGroups()).rejects.toThrow(/timed out/i);
    await slowAdmin.disconnect();
    await fault.fired();
    expect(fault.hits).toBe(1);
  });

  it('hold keeps a request, and later requests on its connection, until released', async () => {
    let release!: () => void;
    const fault = broker.faults.hold('DescribeGroups', new Promise<void>((r) => (release = r)));
    let described = false;
    const pending = admin.describeGroups(['held']).then((r) => ((described = true), r));
    await fault.fired();
    const [held] = await broker.requests.waitFor('DescribeGroups');
    expect(held.response).toBeNull();
    expect(described).toBe(false);
    release();
    expect((await pending).groups[0].groupId).toBe('held');
    expect(held.response).not.toBeNull();
  });

  it('a fault that never fires is reported by reset()', async () => {
    const fault = broker.faults.failNext('DeleteGroups', ErrorCode.GROUP_ID_NOT_FOUND);
    const { unusedFaults } = await broker.reset();
    expect(unusedFaults).toEqual([fault]);
  });

  it('faults are strict about what they can match', () => {
    expect(() => broker.faults.failNext('Heartbeat', 27, { topic: 't' })).toThrow(/Produce, Fetch and ListOffsets/);
    expect(() => broker.faults.failNext('Metadata', 15, { group: 'g' })).toThrow(/group APIs/);
    expect(() => broker.faults.failNext('AlterReplicaLogDirs', 15)).toThrow(/does not serve AlterReplicaLogDirs/);
    expect(() => broker.faults.failNext('NoSuchApi', 15)).toThrow(/no Kafka API/);
  });
});
