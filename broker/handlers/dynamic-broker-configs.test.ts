// Issue 10: dynamic broker configs over real TCP with kafkajs (alterConfigs,
// describeConfigs) and the raw client (IncrementalAlterConfigs): the cluster
// default (empty name) and each broker (its node id; on a cluster, to the
// partitions that node leads), applied at once to topics without their own
// override, shown with Kafka's sources and synonyms, and kept across a restart.
import { describe, expect, it } from 'vitest';
import { Kafka, logLevel, ConfigResourceTypes, type Admin } from 'kafkajs';
import { startBroker, startCluster, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { IncrementalAlterConfigsApi } from '../../protocol/messages/44-incremental-alter-configs.js';
import { DescribeConfigsApi } from '../../protocol/messages/32-describe-configs.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { buildRecordBatch } from '../../protocol/record-batch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';
import { ConfigSource } from '../config.js';

const BROKER = ConfigResourceTypes.BROKER;
const TOPIC = ConfigResourceTypes.TOPIC;

async function withAdmin<T>(broker: RunningBroker, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** kafkajs refuses an empty resource name, so the cluster default goes over the raw client. */
async function setClusterDefault(broker: { host: string; port: number }, name: string, value: string): Promise<number> {
  const client = await RawClient.connect(broker.host, broker.port);
  try {
    const res = await client.request(IncrementalAlterConfigsApi, 1, {
      resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name, configOperation: 0, value }] }],
      validateOnly: false,
    });
    return res.responses[0].errorCode;
  } finally {
    client.close();
  }
}

async function describeOne(admin: Admin, type: number, name: string, configName: string) {
  const res = await admin.describeConfigs({ resources: [{ type, name, configNames: [configName] }], includeSynonyms: true });
  return res.resources[0]!.configEntries[0]!;
}

describe('dynamic broker configs', () => {
  it('the cluster default changes topics without an override at once; this broker\'s config wins over it; both survive a restart', async () => {
    const fs = new MemoryFileSystem();
    const first = await startBroker({ fs, dataDir: '/data', config: { 'log.retention.hours': '24' } });
    await withAdmin(first, async (admin) => {
      await admin.createTopics({ topics: [{ topic: 'plain' }, { topic: 'own', configEntries: [{ name: 'retention.ms', value: '5000' }] }] });
      expect(first.logs.log('plain', 0)!.config.retentionMs).toBe(86_400_000);

      expect(await setClusterDefault(first, 'log.retention.ms', '3600000')).toBe(ErrorCode.NONE);
      expect(first.logs.log('plain', 0)!.config.retentionMs).toBe(3_600_000);
      expect(first.logs.log('own', 0)!.config.retentionMs).toBe(5000);
      expect(await describeOne(admin, TOPIC, 'plain', 'retention.ms')).toMatchObject({ configValue: '3600000', configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });

      await admin.alterConfigs({ validateOnly: false, resources: [{ type: BROKER, name: '0', configEntries: [{ name: 'log.retention.ms', value: '7200000' }] }] });
      expect(first.logs.log('plain', 0)!.config.retentionMs).toBe(7_200_000);
      const broker = await describeOne(admin, BROKER, '0', 'log.retention.ms');
      expect(broker).toMatchObject({ configValue: '7200000', configSource: ConfigSource.DYNAMIC_BROKER_CONFIG, isDefault: false });
      // Kafka's synonym order: this broker, the cluster default, static, default.
      expect(broker.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource])).toEqual([
        ['log.retention.ms', '7200000', ConfigSource.DYNAMIC_BROKER_CONFIG],
        ['log.retention.ms', '3600000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
        ['log.retention.hours', '24', ConfigSource.STATIC_BROKER_CONFIG],
        ['log.retention.hours', '168', ConfigSource.DEFAULT_CONFIG],
      ]);
    });
    await first.close();

    const second = await startBroker({ fs, dataDir: '/data', config: { 'log.retention.hours': '24' } });
    try {
      expect(second.logs.log('plain', 0)!.config.retentionMs).toBe(7_200_000);
      await withAdmin(second, async (admin) => {
        expect(await describeOne(admin, TOPIC, 'plain', 'retention.ms')).toMatchObject({ configValue: '7200000', configSource: ConfigSource.DYNAMIC_BROKER_CONFIG });
        // AlterConfigs replaces the whole set: an empty set removes this broker's config.
        await admin.alterConfigs({ validateOnly: false, resources: [{ type: BROKER, name: '0', configEntries: [] }] });
        expect(second.logs.log('plain', 0)!.config.retentionMs).toBe(3_600_000);
      });
    } finally {
      await second.close();
    }
  });

  it('message.max.bytes set dynamically refuses bigger batches at once; IncrementalAlterConfigs SET/DELETE; validateOnly changes nothing', async () => {
    const broker = await startBroker();
    const client = await RawClient.connect(broker.host, broker.port);
    try {
      await withAdmin(broker, (admin) => admin.createTopics({ topics: [{ topic: 'sized' }] }));
      const produce = async (bytes: number) => {
        const records = await buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(bytes, 1), timestamp: Date.now() }] });
        const res = await client.request(ProduceApi, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'sized', partitionData: [{ index: 0, records }] }] });
        return res.responses[0].partitionResponses[0].errorCode;
      };
      const alter = async (configOperation: number, value: string | null, validateOnly = false) => {
        const res = await client.request(IncrementalAlterConfigsApi, 1, {
          resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'message.max.bytes', configOperation, value }] }],
          validateOnly,
        });
        return res.responses[0].errorCode;
      };
      expect(await produce(5000)).toBe(ErrorCode.NONE);
      expect(await alter(0, '2000', true)).toBe(ErrorCode.NONE);
      expect(await produce(5000)).toBe(ErrorCode.NONE);
      expect(await alter(0, '2000')).toBe(ErrorCode.NONE);
      expect(await produce(5000)).toBe(ErrorCode.MESSAGE_TOO_LARGE);
      expect(broker.config.values['message.max.bytes']).toBe(2000);
      expect(await alter(0, '-5')).toBe(ErrorCode.INVALID_CONFIG);
      expect(await alter(1, null)).toBe(ErrorCode.NONE);
      expect(await produce(5000)).toBe(ErrorCode.NONE);
    } finally {
      client.close();
      await broker.close();
    }
  });

  it('on a cluster of several nodes, a node\'s own configs act on the partitions it leads only, follow leadership, show in its DescribeConfigs only, and survive a restart', async () => {
    const fs = new MemoryFileSystem();
    const start = () => startCluster({ nodes: 3, fs, dataDir: '/data' });
    const cluster = await start();
    const raw: RawClient[] = [];
    const connect = async (nodeId: number) => {
      const n = cluster.nodes.find((x) => x.nodeId === nodeId)!;
      const c = await RawClient.connect(n.host, n.port);
      raw.push(c);
      return c;
    };
    /** The partition of 'spread' each node leads (round-robin: one each). */
    const ledBy = (nodeId: number) => cluster.cluster.topic('spread')!.partitions.find((p) => p.leaderId === nodeId)!.index;
    const log = (nodeId: number) => cluster.logs.log('spread', ledBy(nodeId))!;
    const produce = async (nodeId: number, bytes: number) => {
      const records = await buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(bytes, 1), timestamp: Date.now() }] });
      const res = await (await connect(nodeId)).request(ProduceApi, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'spread', partitionData: [{ index: ledBy(nodeId), records }] }] });
      return res.responses[0].partitionResponses[0].errorCode;
    };
    const admin = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 3 }] });
      expect(new Set([0, 1, 2].map(ledBy)).size).toBe(3);
      expect(await setClusterDefault(cluster.nodes[0]!, 'log.retention.ms', '3600000')).toBe(ErrorCode.NONE);

      // kafkajs sends a broker resource to that broker, as Kafka requires.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: BROKER, name: '1', configEntries: [{ name: 'log.retention.ms', value: '7200000' }, { name: 'message.max.bytes', value: '2000' }] }],
      });
      expect([0, 1, 2].map((n) => log(n).config.retentionMs)).toEqual([3_600_000, 7_200_000, 3_600_000]);
      expect(await produce(1, 5000)).toBe(ErrorCode.MESSAGE_TOO_LARGE);
      expect(await produce(0, 5000)).toBe(ErrorCode.NONE);

      // IncrementalAlterConfigs on node 2's own resource, sent to node 2: its partition rolls at 1 MiB, node 0's does not.
      const two = await connect(2);
      const set = await two.request(IncrementalAlterConfigsApi, 1, {
        resources: [{ resourceType: BROKER, resourceName: '2', configs: [{ name: 'log.segment.bytes', configOperation: 0, value: '1048576' }] }],
        validateOnly: false,
      });
      expect(set.responses[0].errorCode).toBe(ErrorCode.NONE);
      for (let i = 0; i < 3; i++) {
        expect(await produce(2, 600_000)).toBe(ErrorCode.NONE);
        expect(await produce(0, 600_000)).toBe(ErrorCode.NONE);
      }
      expect(log(2).segmentCount).toBeGreaterThan(1);
      expect(log(0).segmentCount).toBe(1);

      // Each node describes its own values, in Kafka's precedence.
      const one = await describeOne(admin, BROKER, '1', 'log.retention.ms');
      expect(one.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource])).toEqual([
        ['log.retention.ms', '7200000', ConfigSource.DYNAMIC_BROKER_CONFIG],
        ['log.retention.ms', '3600000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
        ['log.retention.hours', '168', ConfigSource.DEFAULT_CONFIG],
      ]);
      expect(await describeOne(admin, BROKER, '0', 'log.retention.ms')).toMatchObject({ configValue: '3600000', configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
      expect(await describeOne(admin, BROKER, '2', 'message.max.bytes')).toMatchObject({ configValue: '1048588', configSource: ConfigSource.DEFAULT_CONFIG });
      expect(await describeOne(admin, BROKER, '2', 'node.id')).toMatchObject({ configValue: '2' });
      // The cluster default lists only what was set for the whole cluster.
      const zeroDefault = await connect(0);
      const defaults = await zeroDefault.request(DescribeConfigsApi, 4, { resources: [{ resourceType: BROKER, resourceName: '', configurationKeys: null }], includeSynonyms: true, includeDocumentation: false });
      expect(defaults.results[0]!.configs.map((c) => [c.name, c.value, c.configSource, c.synonyms.map((x) => x.source)])).toEqual([
        ['log.retention.ms', '3600000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, [ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, ConfigSource.DEFAULT_CONFIG]],
      ]);

      // Another node's id, or an id that is no node, is refused by the node that receives it, with Kafka's messages.
      const zero = await connect(0);
      for (const name of ['1', '7']) {
        const alter = await zero.request(IncrementalAlterConfigsApi, 1, {
          resources: [{ resourceType: BROKER, resourceName: name, configs: [{ name: 'log.retention.ms', configOperation: 0, value: '1' }] }],
          validateOnly: false,
        });
        expect(alter.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected 0, but received ${name}` });
        const described = await zero.request(DescribeConfigsApi, 4, { resources: [{ resourceType: BROKER, resourceName: name, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
        expect(described.results[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected 0 or empty string, but received ${name}` });
      }

      // A partition takes its new leader's configs.
      const moved = ledBy(1);
      await cluster.moveLeader('spread', moved, 0);
      expect(cluster.logs.log('spread', moved)!.config.retentionMs).toBe(3_600_000);
      await cluster.moveLeader('spread', moved, 1);
      expect(cluster.logs.log('spread', moved)!.config.maxMessageBytes).toBe(2000);
    } finally {
      for (const c of raw.splice(0)) c.close();
      await admin.disconnect();
      await cluster.close();
    }

    const again = await start();
    try {
      const led = again.cluster.topic('spread')!.partitions.map((p) => [p.leaderId, again.logs.log('spread', p.index)!.config.retentionMs]);
      expect(led.sort()).toEqual([[0, 3_600_000], [1, 7_200_000], [2, 3_600_000]]);
      const admin2 = new Kafka({ brokers: again.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      await admin2.connect();
      try {
        expect(await describeOne(admin2, BROKER, '1', 'message.max.bytes')).toMatchObject({ configValue: '2000', configSource: ConfigSource.DYNAMIC_BROKER_CONFIG });
        expect(await describeOne(admin2, BROKER, '2', 'log.segment.bytes')).toMatchObject({ configValue: '1048576', configSource: ConfigSource.DYNAMIC_BROKER_CONFIG });
      } finally {
        await admin2.disconnect();
      }
    } finally {
      await again.close();
    }
  });
});
