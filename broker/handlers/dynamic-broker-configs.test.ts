// Issue 10: dynamic broker configs over real TCP with kafkajs (alterConfigs,
// describeConfigs) and the raw client (IncrementalAlterConfigs): the cluster
// default (empty name) and this broker (its node id), applied at once to topics
// without their own override, shown with Kafka's sources and synonyms, and kept
// across a restart.
import { describe, expect, it } from 'vitest';
import { Kafka, logLevel, ConfigResourceTypes, type Admin } from 'kafkajs';
import { startBroker, startCluster, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { IncrementalAlterConfigsApi } from '../../protocol/messages/44-incremental-alter-configs.js';
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

  it('a cluster of several nodes takes the cluster default only', async () => {
    const cluster = await startCluster({ nodes: 2 });
    try {
      const admin = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      await admin.connect();
      try {
        await expect(
          admin.alterConfigs({ validateOnly: false, resources: [{ type: BROKER, name: '0', configEntries: [{ name: 'log.retention.ms', value: '1000' }] }] }),
        ).rejects.toMatchObject({ type: 'INVALID_REQUEST' });
        const [node] = cluster.nodes;
        expect(await setClusterDefault(node!, 'log.retention.ms', '1000')).toBe(ErrorCode.NONE);
        await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 2 }] });
        expect([0, 1].map((p) => cluster.logs.log('spread', p)!.config.retentionMs)).toEqual([1000, 1000]);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await cluster.close();
    }
  });
});
