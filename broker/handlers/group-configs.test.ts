// Per-group configs of KIP-848 consumer groups (Kafka 4.0's GroupConfig) over
// real TCP: DescribeConfigs, IncrementalAlterConfigs and AlterConfigs on GROUP
// resources (type 32) with the raw client (kafkajs does not know the type),
// Kafka's errors for bad names and values, a restart keeping them, and the
// coordinator following them: the heartbeat interval a @platformatic/kafka
// consumer is told, and a session timeout that fences a silent member.
import { afterEach, describe, expect, it } from 'vitest';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';
import { DescribeConfigsApi } from '../../protocol/messages/32-describe-configs.js';
import { AlterConfigsApi } from '../../protocol/messages/33-alter-configs.js';
import { IncrementalAlterConfigsApi } from '../../protocol/messages/44-incremental-alter-configs.js';
import { ConsumerGroupHeartbeatApi } from '../../protocol/messages/68-consumer-group-heartbeat.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { ConfigSource } from '../config.js';

const GROUP = 32;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SESSION = 'consumer.session.timeout.ms';
const HEARTBEAT = 'consumer.heartbeat.interval.ms';

// Bounds a test can reach (broker configs, as in Kafka); the defaults differ from Kafka's.
const BOUNDS = {
  'group.consumer.min.session.timeout.ms': '500',
  'group.consumer.session.timeout.ms': '30000',
  'group.consumer.max.session.timeout.ms': '60000',
  'group.consumer.min.heartbeat.interval.ms': '50',
  'group.consumer.heartbeat.interval.ms': '4000',
  'group.consumer.max.heartbeat.interval.ms': '15000',
  'group.initial.rebalance.delay.ms': '0',
};

const closers: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function open(broker: RunningBroker): Promise<RawClient> {
  const c = await RawClient.connect(broker.host, broker.port);
  closers.push(() => c.close());
  return c;
}

async function start(opts: Parameters<typeof startBroker>[0] = {}): Promise<RunningBroker> {
  const broker = await startBroker({ memory: true, ...opts, config: { ...BOUNDS, ...opts.config } });
  closers.push(() => broker.close());
  return broker;
}

type Op = { name: string; configOperation: number; value: string | null };

async function alter(c: RawClient, group: string, configs: Op[], validateOnly = false) {
  const res = await c.request(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: GROUP, resourceName: group, configs }], validateOnly });
  const r = res.responses[0]!;
  return { errorCode: r.errorCode, errorMessage: r.errorMessage, resourceType: r.resourceType };
}

async function describeGroup(c: RawClient, group: string, keys: string[] | null = null) {
  const res = await c.request(DescribeConfigsApi, 4, {
    resources: [{ resourceType: GROUP, resourceName: group, configurationKeys: keys }],
    includeSynonyms: true,
    includeDocumentation: false,
  });
  return res.results[0]!;
}

const valueOf = async (c: RawClient, group: string, name: string) => {
  const entry = (await describeGroup(c, group, [name])).configs[0]!;
  return { value: entry.value, source: entry.configSource };
};

describe('group configs (GROUP resources)', () => {
  it('a group (existing or not) describes the broker values as DEFAULT_CONFIG, its own as GROUP_CONFIG; DELETE goes back', async () => {
    const broker = await start();
    const c = await open(broker);
    const before = await describeGroup(c, 'not-yet');
    expect(before.errorCode).toBe(ErrorCode.NONE);
    expect(before.configs.map((e) => [e.name, e.value, e.configSource, e.readOnly, e.configType])).toEqual([
      [HEARTBEAT, '4000', ConfigSource.DEFAULT_CONFIG, false, 3],
      [SESSION, '30000', ConfigSource.DEFAULT_CONFIG, false, 3],
    ]);

    expect(await alter(c, 'not-yet', [{ name: SESSION, configOperation: SET, value: '45000' }])).toEqual({ errorCode: 0, errorMessage: null, resourceType: GROUP });
    const entry = (await describeGroup(c, 'not-yet', [SESSION])).configs;
    expect(entry).toHaveLength(1);
    expect(entry[0]).toMatchObject({ name: SESSION, value: '45000', configSource: ConfigSource.GROUP_CONFIG });
    expect(entry[0]!.synonyms.map((s) => [s.name, s.value, s.source])).toEqual([[SESSION, '45000', ConfigSource.GROUP_CONFIG]]);
    expect(await valueOf(c, 'not-yet', HEARTBEAT)).toEqual({ value: '4000', source: ConfigSource.DEFAULT_CONFIG });
    expect(await valueOf(c, 'other', SESSION)).toEqual({ value: '30000', source: ConfigSource.DEFAULT_CONFIG });

    expect((await alter(c, 'not-yet', [{ name: SESSION, configOperation: DELETE, value: null }])).errorCode).toBe(ErrorCode.NONE);
    expect(await valueOf(c, 'not-yet', SESSION)).toEqual({ value: '30000', source: ConfigSource.DEFAULT_CONFIG });

    // The test double's reset forgets them with the groups.
    expect((await alter(c, 'not-yet', [{ name: HEARTBEAT, configOperation: SET, value: '300' }])).errorCode).toBe(ErrorCode.NONE);
    await broker.reset();
    expect(await valueOf(c, 'not-yet', HEARTBEAT)).toEqual({ value: '4000', source: ConfigSource.DEFAULT_CONFIG });
  });

  it('bad names and values get Kafka\'s errors and change nothing; validateOnly changes nothing', async () => {
    const broker = await start();
    const c = await open(broker);
    const set = (name: string, value: string) => ({ name, configOperation: SET, value });
    const cases: [Op[], number, string][] = [
      [[set('session.timeout.ms', '10000')], ErrorCode.INVALID_CONFIG, 'Unknown group config name: session.timeout.ms'],
      [[set(SESSION, 'soon')], ErrorCode.INVALID_CONFIG, `Invalid value soon for configuration ${SESSION}: Not a number of type INT`],
      [[set(HEARTBEAT, '0')], ErrorCode.INVALID_CONFIG, `Invalid value 0 for configuration ${HEARTBEAT}: Value must be at least 1`],
      [[set(HEARTBEAT, '49')], ErrorCode.INVALID_CONFIG, `${HEARTBEAT} must be greater than or equal to group.consumer.min.heartbeat.interval.ms`],
      [[set(HEARTBEAT, '15001')], ErrorCode.INVALID_CONFIG, `${HEARTBEAT} must be less than or equal to group.consumer.max.heartbeat.interval.ms`],
      [[set(SESSION, '499')], ErrorCode.INVALID_CONFIG, `${SESSION} must be greater than or equal to group.consumer.min.session.timeout.ms`],
      [[set(SESSION, '60001')], ErrorCode.INVALID_CONFIG, `${SESSION} must be less than or equal to group.consumer.max.session.timeout.ms`],
      // The broker's heartbeat interval (4000) is not below this session timeout.
      [[set(SESSION, '4000')], ErrorCode.INVALID_CONFIG, `${SESSION} must be greater than ${HEARTBEAT}`],
      [[{ name: SESSION, configOperation: APPEND, value: '1' }], ErrorCode.INVALID_CONFIG, `Can't APPEND to key ${SESSION} because its type is not LIST.`],
      [[set(SESSION, '1000'), set(SESSION, '2000')], ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'],
    ];
    for (const [ops, code, message] of cases) {
      const res = await alter(c, 'g', ops);
      expect([res.errorCode, res.errorMessage?.slice(0, message.length)], JSON.stringify(ops)).toEqual([code, message]);
    }
    expect(await alter(c, '', [set(SESSION, '1000')])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Default group resources are not allowed.' });
    expect(await describeGroup(c, '')).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Group name must not be empty', configs: [] });

    expect((await alter(c, 'g', [set(SESSION, '1000'), set(HEARTBEAT, '100')], true)).errorCode).toBe(ErrorCode.NONE);
    expect(await valueOf(c, 'g', SESSION)).toEqual({ value: '30000', source: ConfigSource.DEFAULT_CONFIG });
  });

  it('AlterConfigs replaces a group\'s configs as Kafka 4.0 accepts GROUP there too', async () => {
    const broker = await start();
    const c = await open(broker);
    const legacy = (configs: { name: string; value: string | null }[]) =>
      c.request(AlterConfigsApi, 2, { resources: [{ resourceType: GROUP, resourceName: 'legacy', configs }], validateOnly: false }).then((r) => r.responses[0]!);
    expect((await legacy([{ name: SESSION, value: '20000' }, { name: HEARTBEAT, value: '1000' }])).errorCode).toBe(ErrorCode.NONE);
    expect((await legacy([{ name: HEARTBEAT, value: '2000' }])).errorCode).toBe(ErrorCode.NONE);
    expect(await valueOf(c, 'legacy', HEARTBEAT)).toEqual({ value: '2000', source: ConfigSource.GROUP_CONFIG });
    expect(await valueOf(c, 'legacy', SESSION)).toEqual({ value: '30000', source: ConfigSource.DEFAULT_CONFIG });
    expect(await legacy([{ name: SESSION, value: null }])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${SESSION}` });
  });

  it('a restart keeps them', async () => {
    const fs = new MemoryFileSystem();
    const first = await startBroker({ fs, dataDir: '/data', config: BOUNDS });
    const c1 = await RawClient.connect(first.host, first.port);
    expect((await alter(c1, 'kept', [{ name: HEARTBEAT, configOperation: SET, value: '250' }])).errorCode).toBe(ErrorCode.NONE);
    c1.close();
    await first.close();

    const second = await start({ fs, dataDir: '/data', memory: false });
    const c2 = await open(second);
    expect(await valueOf(c2, 'kept', HEARTBEAT)).toEqual({ value: '250', source: ConfigSource.GROUP_CONFIG });
  });

  it('a @platformatic/kafka consumer is told the group\'s heartbeat interval, and a change reaches it at its next heartbeat', async () => {
    const broker = await start({ config: { 'group.consumer.heartbeat.interval.ms': '100' } });
    await broker.cluster.createTopic(broker.cluster.newTopic('hb', 2));
    const c = await open(broker);
    const groupId = 'hb-group';
    expect((await alter(c, groupId, [{ name: HEARTBEAT, configOperation: SET, value: '150' }])).errorCode).toBe(ErrorCode.NONE);

    const intervals: number[] = [];
    let changed = () => {};
    const off = broker.requests.onResponse((e) => {
      if (e.api !== 'ConsumerGroupHeartbeat' || (e.request as { groupId: string }).groupId !== groupId) return;
      const res = e.response as { errorCode: number; heartbeatIntervalMs: number };
      if (res.errorCode === ErrorCode.NONE) intervals.push(res.heartbeatIntervalMs);
      changed();
    });
    closers.push(off);
    const until = (pred: () => boolean) =>
      new Promise<void>((resolve) => {
        changed = () => {
          if (pred()) resolve();
        };
        changed();
      });

    const consumer = new Consumer({ groupId, clientId: 'hb', bootstrapBrokers: [broker.bootstrap], deserializers: stringDeserializers, groupProtocol: 'consumer', maxWaitTime: 100 });
    const stream = await consumer.consume({ topics: ['hb'], mode: 'earliest' });
    closers.push(async () => {
      await stream.close().catch(() => {});
      await consumer.close(true);
    });
    await until(() => intervals.length >= 2);
    expect(new Set(intervals)).toEqual(new Set([150]));

    expect((await alter(c, groupId, [{ name: HEARTBEAT, configOperation: DELETE, value: null }])).errorCode).toBe(ErrorCode.NONE);
    await until(() => intervals.at(-1) === 100);
    expect(intervals.filter((i) => i !== 150 && i !== 100)).toEqual([]);
  });

  it('the group\'s session timeout fences a member that stops heartbeating', async () => {
    // The broker's session timeout (60 s) would outlast the wait below.
    const broker = await start({ config: { 'group.consumer.session.timeout.ms': '60000' } });
    await broker.cluster.createTopic(broker.cluster.newTopic('st', 2));
    const c = await open(broker);
    const groupId = 'st-group';
    expect((await alter(c, groupId, [{ name: SESSION, configOperation: SET, value: '600' }, { name: HEARTBEAT, configOperation: SET, value: '100' }])).errorCode).toBe(ErrorCode.NONE);

    const fenced = new Promise<string[]>((resolve) => {
      const off = broker.groups.onConsumerRebalance((s) => {
        if (s.groupId === groupId && s.causes.includes('timeout')) {
          off();
          resolve(s.memberIds as string[]);
        }
      });
      closers.push(off);
    });
    const res = await c.request(ConsumerGroupHeartbeatApi, 1, {
      groupId,
      memberId: 'silent',
      memberEpoch: 0,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ['st'],
      topicPartitions: [],
    });
    expect(res).toMatchObject({ errorCode: ErrorCode.NONE, memberId: 'silent', heartbeatIntervalMs: 100 });
    expect(broker.groups.groupSnapshot(groupId)?.members.map((m) => m.sessionTimeoutMs)).toEqual([600]);
    await fenced;
    expect(broker.groups.groupSnapshot(groupId)?.members ?? []).toEqual([]);
  });
});
