// The rest of the fault controls: stalled fsyncs, the node filter, and the jest
// global setup helpers run in-process as jest would run them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { startBroker, ErrorCode, jestGlobalSetup, jestGlobalTeardown, resetSharedBroker, CONTROL_ENV, type RunningBroker } from '../../testing/index.js';

describe('more faults with kafkajs', () => {
  let broker: RunningBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    // group-commit: an acks=-1 produce is answered only once an fsync covers it.
    broker = await startBroker({ config: { 'log.flush.mode': 'group-commit' } });
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  afterAll(async () => {
    await broker.close();
  });

  it('stallSync holds an acks=-1 produce until released', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ledger' }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const release = broker.faults.stallSync();
    const sent = producer.send({ topic: 'ledger', acks: -1, messages: [{ value: 'credit' }] });
    const [entry] = await broker.requests.waitFor('Produce');
    expect(entry.respondedAt).toBeNull();
    release();
    await sent;
    expect(entry.respondedAt).not.toBeNull();
    expect((await broker.records('ledger', 0)).map((r) => r.value?.toString())).toEqual(['credit']);
    await producer.disconnect();
    await broker.reset();
  });

  it('a fault for another node never fires on this one; one for this node does', async () => {
    const admin = kafka.admin();
    const elsewhere = broker.faults.failNext('ListGroups', ErrorCode.COORDINATOR_NOT_AVAILABLE, { node: broker.config.nodeId + 1 });
    await admin.connect();
    await admin.listGroups();
    expect(elsewhere.hits).toBe(0);
    const here = broker.faults.failNext('ListGroups', ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, { node: broker.config.nodeId });
    await expect(admin.listGroups()).rejects.toThrow(/coordinator is loading/);
    expect(here.hits).toBe(1);
    await admin.disconnect();
    expect((await broker.reset()).unusedFaults).toEqual([elsewhere]);
  });
});

describe('jest global setup helpers', () => {
  it('start one broker named in the environment, reset it from a test, close it at teardown', async () => {
    const saved = { env: process.env.KAFKALITE_JEST_BROKERS, control: process.env[CONTROL_ENV] };
    try {
      await jestGlobalSetup({ env: 'KAFKALITE_JEST_BROKERS' })();
      const kafka = new Kafka({ brokers: [process.env.KAFKALITE_JEST_BROKERS!], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'from-jest' }] });
      await admin.disconnect();
      expect(await resetSharedBroker()).toEqual({ unusedFaults: [] });
      const check = kafka.admin();
      await check.connect();
      expect(await check.listTopics()).toEqual([]);
      await check.disconnect();
      await jestGlobalTeardown();
      await expect(resetSharedBroker()).rejects.toThrow();
    } finally {
      for (const [k, v] of [['KAFKALITE_JEST_BROKERS', saved.env], [CONTROL_ENV, saved.control]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
