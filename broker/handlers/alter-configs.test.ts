// AlterConfigs and IncrementalAlterConfigs at the protocol level, over real TCP:
// Kafka's answer for every bad input, and a change that changes behaviour at
// once and survives a restart.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { AlterConfigsApi } from '../../protocol/messages/33-alter-configs.js';
import { IncrementalAlterConfigsApi } from '../../protocol/messages/44-incremental-alter-configs.js';
import { DescribeConfigsApi } from '../../protocol/messages/32-describe-configs.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { ConfigSource } from '../config.js';

const TOPIC = 2;
const BROKER = 4;
const [SET, DELETE, APPEND, SUBTRACT] = [0, 1, 2, 3];

let broker: RunningBroker;
let client: RawClient;
let n = 0;

beforeAll(async () => {
  broker = await startBroker();
  client = await RawClient.connect(broker.host, broker.port);
});
afterAll(async () => {
  client.close();
  await broker.close();
});

async function createTopic(c: RawClient = client, configs: Record<string, string> = {}): Promise<string> {
  const name = `alter-${n++}-${Date.now().toString(36)}`;
  const res = await c.request(CreateTopicsApi, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, configs: Object.entries(configs).map(([k, value]) => ({ name: k, value })) }],
  });
  expect(res.topics[0].errorCode).toBe(0);
  return name;
}

type Op = { name: string; configOperation: number; value: string | null };

async function incremental(resources: { resourceType: number; resourceName: string; configs: Op[] }[], validateOnly = false, c = client) {
  const res = await c.request(IncrementalAlterConfigsApi, 1, { resources, validateOnly });
  return res.responses.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage, resourceName: r.resourceName }));
}

async function alterOne(topic: string, configs: Op[], validateOnly = false) {
  return (await incremental([{ resourceType: TOPIC, resourceName: topic, configs }], validateOnly))[0];
}

async function describe1(topic: string, c = client) {
  const res = await c.request(DescribeConfigsApi, 4, {
    resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  return new Map(res.results[0].configs.map((x) => [x.name, x]));
}

describe('IncrementalAlterConfigs', () => {
  it('SET makes a topic override, DELETE returns to the default', async () => {
    const t = await createTopic();
    expect(await alterOne(t, [{ name: 'retention.ms', configOperation: SET, value: '60000' }])).toMatchObject({ errorCode: 0, errorMessage: null, resourceName: t });
    let d = await describe1(t);
    expect(d.get('retention.ms')).toMatchObject({ value: '60000', configSource: ConfigSource.TOPIC_CONFIG });
    expect(broker.logs.log(t, 0)!.config.retentionMs).toBe(60000);

    expect(await alterOne(t, [{ name: 'retention.ms', configOperation: DELETE, value: null }])).toMatchObject({ errorCode: 0 });
    d = await describe1(t);
    expect(d.get('retention.ms')).toMatchObject({ value: '604800000', configSource: ConfigSource.DEFAULT_CONFIG });
    expect(broker.logs.log(t, 0)!.config.retentionMs).toBe(604800000);
  });

  it('APPEND and SUBTRACT edit a list config, starting from its default', async () => {
    const t = await createTopic();
    expect(await alterOne(t, [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }])).toMatchObject({ errorCode: 0 });
    expect((await describe1(t)).get('cleanup.policy')?.value).toBe('delete,compact');
    expect(await alterOne(t, [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }])).toMatchObject({ errorCode: 0 });
    expect((await describe1(t)).get('cleanup.policy')?.value).toBe('delete,compact');
    expect(await alterOne(t, [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }])).toMatchObject({ errorCode: 0 });
    expect((await describe1(t)).get('cleanup.policy')?.value).toBe('compact');
    expect(broker.logs.log(t, 0)!.config.cleanupPolicy).toEqual(['compact']);
  });

  it('APPEND to a config that is not a list is INVALID_CONFIG with Kafka\'s message', async () => {
    const t = await createTopic();
    expect(await alterOne(t, [{ name: 'retention.ms', configOperation: APPEND, value: '1' }])).toEqual({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: "Can't APPEND to key retention.ms because its type is not LIST.",
      resourceName: t,
    });
  });

  it('unknown names, bad types and values out of range are INVALID_CONFIG, and nothing of the resource changes', async () => {
    const t = await createTopic();
    const cases: [Op, string][] = [
      [{ name: 'no.such.config', configOperation: SET, value: '1' }, 'Unknown topic config name: no.such.config'],
      [{ name: 'retention.ms', configOperation: SET, value: 'soon' }, 'Invalid value soon for configuration retention.ms: Not a number of type LONG'],
      [{ name: 'segment.bytes', configOperation: SET, value: '100' }, 'Invalid value 100 for configuration segment.bytes: Value must be at least 1048576'],
      [{ name: 'cleanup.policy', configOperation: SET, value: 'shred' }, 'Invalid value shred for configuration cleanup.policy: String must be one of: compact, delete'],
    ];
    for (const [op, message] of cases) {
      const r = await alterOne(t, [{ name: 'max.message.bytes', configOperation: SET, value: '5000' }, op]);
      expect(r.errorCode).toBe(ErrorCode.INVALID_CONFIG);
      expect(r.errorMessage).toContain(message);
    }
    expect((await describe1(t)).get('max.message.bytes')?.configSource).toBe(ConfigSource.DEFAULT_CONFIG);
  });

  it('a missing topic, an empty name, an invalid name and an unknown resource type', async () => {
    const op = [{ name: 'retention.ms', configOperation: SET, value: '1000' }];
    expect(
      await incremental([
        { resourceType: TOPIC, resourceName: 'no-such-topic', configs: op },
        { resourceType: TOPIC, resourceName: '', configs: op },
        { resourceType: TOPIC, resourceName: 'bad/name', configs: op },
        { resourceType: 99, resourceName: 'x', configs: op },
      ]),
    ).toEqual([
      { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "The topic 'no-such-topic' does not exist.", resourceName: 'no-such-topic' },
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Default topic resources are not allowed.', resourceName: '' },
      { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: expect.stringContaining('bad/name'), resourceName: 'bad/name' },
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unknown resource type 99', resourceName: 'x' },
    ]);
  });

  it('a resource named twice fails both times; repeated keys, null values and unknown operations are INVALID_REQUEST', async () => {
    const t = await createTopic();
    const set = { name: 'retention.ms', configOperation: SET, value: '1000' };
    const twice = await incremental([
      { resourceType: TOPIC, resourceName: t, configs: [set] },
      { resourceType: TOPIC, resourceName: t, configs: [set] },
    ]);
    expect(twice).toEqual([0, 1].map(() => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Each resource must appear at most once.', resourceName: t })));
    expect(await alterOne(t, [set, set])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Error due to duplicate config keys' });
    expect(await alterOne(t, [{ name: 'retention.ms', configOperation: SET, value: null }])).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Null value not supported for : retention.ms',
    });
    expect(await alterOne(t, [{ name: 'retention.ms', configOperation: 7, value: '1' }])).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Unknown operations type 7',
    });
    expect((await describe1(t)).get('retention.ms')?.configSource).toBe(ConfigSource.DEFAULT_CONFIG);
  });

  it('validateOnly checks and changes nothing', async () => {
    const t = await createTopic();
    expect(await alterOne(t, [{ name: 'retention.ms', configOperation: SET, value: '1000' }], true)).toMatchObject({ errorCode: 0 });
    expect(await alterOne(t, [{ name: 'retention.ms', configOperation: SET, value: 'x' }], true)).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    expect((await describe1(t)).get('retention.ms')?.configSource).toBe(ConfigSource.DEFAULT_CONFIG);
  });

  it('broker resources: another node id, a config Kafka cannot change at runtime, a bad value (nothing is changed)', async () => {
    const op = (name: string) => [{ name, configOperation: SET, value: '1' }];
    expect(
      await incremental([
        { resourceType: BROKER, resourceName: '7', configs: op('log.retention.ms') },
        { resourceType: BROKER, resourceName: 'abc', configs: op('log.retention.ms') },
        { resourceType: BROKER, resourceName: '0', configs: op('log.dirs') },
        { resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: SET, value: 'soon' }] },
      ]),
    ).toEqual([
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unexpected broker id, expected 0, but received 7', resourceName: '7' },
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Node id must be an integer, but it is: abc', resourceName: 'abc' },
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Cannot update these configs dynamically: Set(log.dirs)', resourceName: '0' },
      { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringContaining('Invalid value soon for configuration log.retention.ms'), resourceName: '' },
    ]);
  });
});

describe('AlterConfigs', () => {
  it('replaces all of a topic\'s overrides: names left out return to their defaults', async () => {
    const t = await createTopic(client, { 'retention.ms': '1000', 'max.message.bytes': '5000' });
    const res = await client.request(AlterConfigsApi, 2, {
      resources: [{ resourceType: TOPIC, resourceName: t, configs: [{ name: 'segment.ms', value: '3600000' }] }],
      validateOnly: false,
    });
    expect(res.responses).toEqual([{ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: t }]);
    const d = await describe1(t);
    expect(d.get('segment.ms')).toMatchObject({ value: '3600000', configSource: ConfigSource.TOPIC_CONFIG });
    expect(d.get('retention.ms')?.configSource).toBe(ConfigSource.DEFAULT_CONFIG);
    expect(d.get('max.message.bytes')?.configSource).toBe(ConfigSource.DEFAULT_CONFIG);
  });

  it('answers bad input at v0 as at v2: null values, unknown names, missing topics, BROKER_LOGGER', async () => {
    const t = await createTopic();
    const res = await client.request(AlterConfigsApi, 0, {
      resources: [
        { resourceType: TOPIC, resourceName: t, configs: [{ name: 'retention.ms', value: null }] },
        { resourceType: TOPIC, resourceName: 'missing-topic', configs: [{ name: 'retention.ms', value: '1' }] },
        { resourceType: 8, resourceName: 'root', configs: [] },
      ],
      validateOnly: false,
    });
    expect(res.responses.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [ErrorCode.INVALID_REQUEST, 'Null value not supported for : retention.ms'],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'missing-topic' does not exist."],
      [ErrorCode.INVALID_REQUEST, 'Unknown resource type 8'],
    ]);
    const unknown = await client.request(AlterConfigsApi, 1, {
      resources: [{ resourceType: TOPIC, resourceName: t, configs: [{ name: 'retention.msx', value: '1' }] }],
      validateOnly: false,
    });
    expect(unknown.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Unknown topic config name: retention.msx' });
  });
});

describe('a changed config changes behaviour at once', () => {
  function batchOf(bytes: number, timestamp = Date.now()) {
    return buildRecordBatchSync({ records: [{ key: null, value: Buffer.alloc(bytes, 7), timestamp }] });
  }
  async function produce(topic: string, records: Buffer) {
    const res = await client.request(ProduceApi, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    return res.responses[0].partitionResponses[0];
  }

  it('max.message.bytes refuses a batch it accepted before', async () => {
    const t = await createTopic();
    expect((await produce(t, batchOf(3000))).errorCode).toBe(0);
    expect(await alterOne(t, [{ name: 'max.message.bytes', configOperation: SET, value: '2000' }])).toMatchObject({ errorCode: 0 });
    expect((await produce(t, batchOf(3000))).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect((await produce(t, batchOf(1000))).errorCode).toBe(0);
  });

  it('segment.bytes rolls the active segment', async () => {
    const t = await createTopic();
    const log = broker.logs.log(t, 0)!;
    for (let i = 0; i < 3; i++) expect((await produce(t, batchOf(600_000))).errorCode).toBe(0);
    expect(log.segmentCount).toBe(1);
    expect(await alterOne(t, [{ name: 'segment.bytes', configOperation: SET, value: '1048576' }])).toMatchObject({ errorCode: 0 });
    for (let i = 0; i < 2; i++) expect((await produce(t, batchOf(600_000))).errorCode).toBe(0);
    expect(log.segmentCount).toBe(3);
  });

  it('retention.ms shrinks the log at the next retention pass', async () => {
    const t = await createTopic();
    const hourAgo = Date.now() - 3_600_000;
    for (let i = 0; i < 3; i++) expect((await produce(t, batchOf(10, hourAgo))).errorCode).toBe(0);
    const log = broker.logs.log(t, 0)!;
    await broker.logs.runRetention();
    expect(log.logStartOffset).toBe(0);
    expect(await alterOne(t, [{ name: 'retention.ms', configOperation: SET, value: '60000' }])).toMatchObject({ errorCode: 0 });
    await broker.logs.runRetention();
    expect(log.logStartOffset).toBe(3);
  });

  it('an altered config survives a restart', async () => {
    const fs = new MemoryFileSystem();
    const first = await startBroker({ fs, dataDir: '/data' });
    const c1 = await RawClient.connect(first.host, first.port);
    const t = await createTopic(c1);
    const r = await incremental([{ resourceType: TOPIC, resourceName: t, configs: [{ name: 'retention.ms', configOperation: SET, value: '123456' }] }], false, c1);
    expect(r[0].errorCode).toBe(0);
    c1.close();
    await first.close();

    const second = await startBroker({ fs, dataDir: '/data' });
    const c2 = await RawClient.connect(second.host, second.port);
    try {
      expect((await describe1(t, c2)).get('retention.ms')).toMatchObject({ value: '123456', configSource: ConfigSource.TOPIC_CONFIG });
      expect(second.logs.log(t, 0)!.config.retentionMs).toBe(123456);
    } finally {
      c2.close();
      await second.close();
    }
  });
});
