// Issue 11: a broker's listener-prefixed settings in DescribeConfigs, as Kafka lists
// them (ConfigHelper): each `listener.name.<l>.<config>` given, static and read-only,
// with the base config as synonym; JAAS texts and secrets sensitive, without values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, ConfigResourceTypes, type Admin } from 'kafkajs';
import { secureBroker } from '../support/secure-broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { DescribeConfigsApi } from '../../protocol/messages/32-describe-configs.js';

let broker: Awaited<ReturnType<typeof secureBroker>>;
let admin: Admin;
beforeAll(async () => {
  broker = await secureBroker({ config: { 'listener.name.ssl.ssl.client.auth': 'requested', 'ssl.client.auth': 'none', 'listener.name.sasl_ssl.ssl.key.password': 'not-shown' } });
  admin = new Kafka({ brokers: [`127.0.0.1:${broker.portOf('PLAINTEXT')}`], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
});
afterAll(async () => {
  await admin?.disconnect();
  await broker?.close();
});

const describeBroker = async (name: string, configNames?: string[]) =>
  (await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.BROKER, name, ...(configNames ? { configNames } : {}) }] })).resources[0]!.configEntries;

describe('DescribeConfigs for a broker with listener-prefixed settings', () => {
  it('lists every one given, sorted among the others', async () => {
    const names = (await describeBroker('0')).map((c) => c.configName);
    expect(names.filter((n) => n.startsWith('listener.name.'))).toEqual([
      'listener.name.sasl_plaintext.plain.sasl.jaas.config',
      'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config',
      'listener.name.sasl_ssl.plain.sasl.jaas.config',
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config',
      'listener.name.sasl_ssl.ssl.key.password',
      'listener.name.ssl.ssl.client.auth',
    ]);
    expect(names).toEqual([...names].sort());
  });

  it('a plain setting: its value, static, read-only, with the base config\'s settings as synonyms', async () => {
    const [entry] = await describeBroker('0', ['listener.name.ssl.ssl.client.auth']);
    expect(entry).toMatchObject({ configName: 'listener.name.ssl.ssl.client.auth', configValue: 'requested', readOnly: true, isSensitive: false, configSource: 4 });
    expect(entry!.configSynonyms).toEqual([
      { configName: 'listener.name.ssl.ssl.client.auth', configValue: 'requested', configSource: 4 },
      { configName: 'ssl.client.auth', configValue: 'none', configSource: 4 },
      { configName: 'ssl.client.auth', configValue: 'none', configSource: 5 },
    ]);
  });

  it('JAAS texts and passwords are sensitive, without their values anywhere', async () => {
    const entries = await describeBroker('0', ['listener.name.sasl_ssl.plain.sasl.jaas.config', 'listener.name.sasl_ssl.ssl.key.password']);
    expect(entries).toHaveLength(2);
    for (const e of entries) {
      expect(e).toMatchObject({ configValue: null, isSensitive: true, readOnly: true, configSource: 4 });
      expect(e.configSynonyms.every((s) => s.configValue === null)).toBe(true);
    }
  });

  it('the cluster-default resource (empty name) lists none of them (only configs set dynamically for the cluster, none here, as Kafka)', async () => {
    // kafkajs refuses an empty resource name: the request goes out raw.
    const c = await RawClient.connect('127.0.0.1', broker.portOf('PLAINTEXT'));
    try {
      const res = await c.request(DescribeConfigsApi, 4, { resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName: '', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
      const names = res.results[0]!.configs.map((x) => x.name);
      expect(res.results[0]!.errorCode).toBe(0);
      expect(names).toEqual([]);
    } finally {
      c.close();
    }
  });
});
