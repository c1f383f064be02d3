// @platformatic/kafka's alterConfigs and incrementalAlterConfigs against the
// broker over real TCP.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';

describe('@platformatic/kafka admin configs', () => {
  let broker: TestBroker;
  let admin: Admin;

  beforeAll(async () => {
    broker = await testBroker();
    admin = new Admin({ clientId: 'compat-platformatic-configs', bootstrapBrokers: [broker.bootstrap], retries: 0 });
  });

  afterAll(async () => {
    await admin?.close();
    await broker?.close();
  });

  async function topicConfig(topic: string, name: string) {
    const [d] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: [name] }] });
    return d.configs.find((c) => c.name === name);
  }

  it('incrementalAlterConfigs sets, appends to and deletes topic configs', async () => {
    const t = uniqueTopic('pl-inc');
    await admin.createTopics({ topics: [t], partitions: 1, replicas: 1 });
    await admin.incrementalAlterConfigs({
      resources: [{
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: t,
        configs: [
          { name: 'retention.bytes', configOperation: IncrementalAlterConfigOperationTypes.SET, value: '1048576' },
          { name: 'cleanup.policy', configOperation: IncrementalAlterConfigOperationTypes.APPEND, value: 'compact' },
        ],
      }],
    });
    expect(await topicConfig(t, 'retention.bytes')).toMatchObject({ value: '1048576', configSource: 1 });
    expect(await topicConfig(t, 'cleanup.policy')).toMatchObject({ value: 'delete,compact', configSource: 1 });

    await admin.incrementalAlterConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: t, configs: [{ name: 'retention.bytes', configOperation: IncrementalAlterConfigOperationTypes.DELETE }] }],
    });
    expect(await topicConfig(t, 'retention.bytes')).toMatchObject({ value: '-1', configSource: 5 });
  });

  it('alterConfigs replaces the overrides; an unknown config is INVALID_CONFIG', async () => {
    const t = uniqueTopic('pl-alter');
    await admin.createTopics({ topics: [t], partitions: 1, replicas: 1 });
    await admin.alterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: t, configs: [{ name: 'segment.ms', value: '600000' }] }] });
    expect(await topicConfig(t, 'segment.ms')).toMatchObject({ value: '600000', configSource: 1 });
    const err = await admin
      .alterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: t, configs: [{ name: 'segment.msx', value: '1' }] }] })
      .catch((e: unknown) => e);
    expect(JSON.stringify((err as { errors?: unknown[] }).errors)).toContain('Unknown topic config name: segment.msx');
  });
});
