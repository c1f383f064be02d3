// Issue 10: a broker's DescribeConfigs, asked over TCP of a broker started with
// nothing set, against Apache Kafka 3.9's broker configs
// (test/data/kafka-3.9-broker-configs.json, taken from Kafka 3.9's ConfigDef, not
// from kafkalite's table). For every config both list: Kafka's type, default,
// read-only flag (read-only update mode), sensitivity (PASSWORD type) and
// synonyms (DynamicBrokerConfig.brokerConfigSynonyms). Every difference is in a
// table below with its reason, and each table entry must still be a difference.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { startBroker, type RunningBroker } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { DescribeConfigsApi, type DescribeConfigsResponse } from '../../protocol/messages/32-describe-configs.js';
import { ErrorCode } from '../../protocol/errors.js';

interface KafkaConfig {
  type: string;
  default: string | null;
  updateMode: 'read-only' | 'per-broker' | 'cluster-wide';
}
const KAFKA_39: Record<string, KafkaConfig> = (
  JSON.parse(readFileSync(new URL('../../test/data/kafka-3.9-broker-configs.json', import.meta.url), 'utf8')) as { configs: Record<string, KafkaConfig> }
).configs;

/** DescribeConfigs' ConfigType codes by Kafka's ConfigDef.Type. */
const TYPE_CODE: Record<string, number> = { boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, class: 8, password: 9 };
const DEFAULT_CONFIG = 5;

/** Kafka's DynamicBrokerConfig.brokerConfigSynonyms: the names that answer for one setting, highest priority first. */
const SYNONYM_GROUPS = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
];

/** Kafka 3.9 configs kafkalite does not list, because it does not honour them: each name matches one reason. */
const NOT_LISTED: [RegExp, string][] = [
  [/^zookeeper\./, 'ZooKeeper mode: kafkalite keeps its metadata itself, as a KRaft broker (Kafka 4.0 drops these)'],
  [
    /^(controller\.quorum\..*|controller\.listener\.names|controller\.socket\.timeout\.ms|control\.plane\.listener\.name|process\.roles|metadata\..*|initial\.broker\.registration\.timeout\.ms|broker\.heartbeat\.interval\.ms|broker\.session\.timeout\.ms|early\.start\.listeners|sasl\.mechanism\.controller\.protocol|eligible\.leader\.replicas\.enable)$/,
    'the KRaft controller quorum and its metadata log: one process owns the cluster metadata (one file), there is no quorum to configure',
  ],
  [
    /^(replica\..*|num\.replica\.(fetchers|alter\.log\.dirs\.threads)|replication\.quota\.window\..*|alter\.log\.dirs\.replication\.quota\.window\..*|inter\.broker\.protocol\.version|auto\.leader\.rebalance\.enable|leader\.imbalance\..*|controlled\.shutdown\..*|broker\.rack|reserved\.broker\.max\.id|broker\.id\.generation\.enable|log\.dir\.failure\.timeout\.ms|sasl\.mechanism\.inter\.broker\.protocol)$/,
    'replication between brokers: replication is not simulated (a partition lives on its leader), so fetchers, replica placement, leader balancing and inter-broker settings have nothing to act on',
  ],
  [/^remote\./, 'tiered storage: not served (remote.storage.enable accepts only false)'],
  [/^group\.share\./, 'share groups (KIP-932, early access in 3.9): not served'],
  [
    /^(num\.io\.threads|num\.network\.threads|background\.threads|num\.recovery\.threads\.per\.data\.dir|group\.coordinator\.threads|group\.coordinator\.append\.linger\.ms|log\.cleaner\.io\.buffer\.size|socket\.(receive|send)\.buffer\.bytes|socket\.listen\.backlog\.size|(delete\.records|fetch|producer)\.purgatory\.purge\.interval\.requests|offsets\.load\.buffer\.size|transaction\.state\.log\.load\.buffer\.size|max\.incremental\.fetch\.session\.cache\.slots|log\.flush\.start\.offset\.checkpoint\.interval\.ms)$/,
    'JVM thread pools, socket and load buffers, purgatories and checkpoint files kafkalite does not have (one Node event loop; fetch sessions are not cached; the log start offset is kept with the recovery checkpoint)',
  ],
  [/^(metric\.reporters|metrics\.(num\.samples|recording\.level|sample\.window\.ms)|kafka\.metrics\..*|auto\.include\.jmx\.reporter|telemetry\.max\.bytes)$/, 'JMX metric reporters and client telemetry: kafkalite serves Prometheus metrics (metrics.port) instead'],
  [
    /^(sasl\.(kerberos\..*|login\..*|oauthbearer\..*|client\.callback\.handler\.class|server\.callback\.handler\.class|jaas\.config))$/,
    'SASL GSSAPI and OAUTHBEARER, and pluggable login and callback classes: kafkalite serves PLAIN and SCRAM, with JAAS texts per listener (listener.name.<l>.<mechanism>.sasl.jaas.config)',
  ],
  [
    /^(ssl\.(cipher\.suites|endpoint\.identification\.algorithm|engine\.factory\.class|keymanager\.algorithm|trustmanager\.algorithm|protocol|provider|secure\.random\.implementation|allow\.dn\.changes|allow\.san\.changes)|security\.providers)$/,
    'JSSE settings (providers, algorithms, cipher suites, engine classes): TLS is Node\'s, configured by the key and trust stores',
  ],
  [/^(password\.encoder\..*|delegation\.token\..*)$/, 'delegation tokens and the encoding of dynamic passwords: not served (no dynamic password configs)'],
  [/^(alter\.config\.policy\.class\.name|create\.topic\.policy\.class\.name|client\.quota\.callback\.class|principal\.builder\.class)$/, 'pluggable Java classes: nothing to load'],
  [/^(max\.connections|max\.connections\.per\.ip|max\.connections\.per\.ip\.overrides|max\.connection\.creation\.rate)$/, 'connection limits: not enforced yet (connection_creation_rate client quotas are)'],
  [/^(offsets\.commit\.required\.acks|offsets\.commit\.timeout\.ms|offsets\.topic\.compression\.codec)$/, 'offset commits are written to __consumer_offsets on its only replica, uncompressed, before the answer: no acks or timeout to choose'],
  [/^(request\.timeout\.ms|socket\.connection\.setup\.timeout\.(max\.)?ms)$/, 'timeouts of the broker\'s own client connections (to other brokers and the controller): kafkalite opens none'],
];

/** Configs kafkalite lists and Kafka 3.9's DescribeConfigs does not (when nothing is set). */
const ONLY_KAFKALITE: Record<string, string> = {
  'cluster.id': 'kafkalite-only: Kafka keeps the cluster id in meta.properties (kafka-storage format)',
  'log.flush.mode': 'kafkalite-only: group-commit fsync',
  'log.max.open.files': 'kafkalite-only: a bound on open segment files',
  'metrics.port': 'kafkalite-only: the Prometheus endpoint',
  'super.users': 'an authorizer config: Kafka lists it only once set (it is not in KafkaConfig\'s ConfigDef); kafkalite lists every config it reads',
  'allow.everyone.if.no.acl.found': 'an authorizer config, as super.users',
  'group.consumer.migration.policy': 'an internal config in Kafka 3.9 (listed only once set); public in 4.0',
  'producer.id.expiration.check.interval.ms': 'an internal config in Kafka 3.9 (listed only once set)',
};

/** Defaults kafkalite deliberately differs on (its table's kafkaDefault rows, and Kafka 4.x defaults), with kafkalite's value. */
const OTHER_DEFAULT: Record<string, { value: string | null; reason: string }> = {
  'node.id': { value: '0', reason: 'a single node needs no setting (Kafka requires node.id in KRaft mode)' },
  'broker.id': { value: '0', reason: 'broker.id reports the effective node id, as node.id' },
  listeners: { value: 'PLAINTEXT://127.0.0.1:9092', reason: 'a development broker binds loopback, not every interface' },
  'log.dir': { value: './kafkalite-data', reason: 'a data directory beside the project rather than /tmp' },
  'offsets.topic.replication.factor': { value: '1', reason: 'one replica is all a kafkalite cluster has' },
  'transaction.state.log.replication.factor': { value: '1', reason: 'as offsets.topic.replication.factor' },
  'transaction.state.log.min.isr': { value: '1', reason: 'as offsets.topic.replication.factor' },
  'queued.max.request.bytes': { value: '104857600', reason: 'a bound on queued request bytes by default (Kafka: unbounded)' },
  'log.message.timestamp.after.max.ms': { value: '3600000', reason: 'Kafka 4.0\'s default: future timestamps bounded to one hour' },
  'group.coordinator.rebalance.protocols': { value: 'classic,consumer', reason: 'Kafka 4.0\'s default: the KIP-848 consumer protocol is on' },
  'group.consumer.assignors': { value: 'uniform,range', reason: 'the assignors by their Kafka 4.0 short names; Kafka 3.9 names their classes' },
  'ssl.enabled.protocols': {
    value: 'TLSv1.2,TLSv1.3',
    reason: 'Kafka 3.9 computes it from the JVM: TLSv1.2,TLSv1.3 on Java 11 and later (SslConfigs), TLSv1.2 only on Java 8, which its generated docs show',
  },
};

/** Configs Kafka can change at runtime that kafkalite cannot (yet): read-only here, so AlterConfigs refuses them. */
const READ_ONLY_HERE: Record<string, string> = {
  listeners: 'listeners are bound at start',
  'advertised.listeners': 'as listeners',
  'listener.security.protocol.map': 'as listeners',
  'sasl.enabled.mechanisms': 'security settings are read when a listener starts',
  'ssl.client.auth': 'as sasl.enabled.mechanisms',
  'ssl.enabled.protocols': 'as sasl.enabled.mechanisms',
  'ssl.key.password': 'as sasl.enabled.mechanisms',
  'ssl.keystore.certificate.chain': 'as sasl.enabled.mechanisms',
  'ssl.keystore.key': 'as sasl.enabled.mechanisms',
  'ssl.keystore.location': 'as sasl.enabled.mechanisms',
  'ssl.keystore.password': 'as sasl.enabled.mechanisms',
  'ssl.keystore.type': 'as sasl.enabled.mechanisms',
  'ssl.truststore.certificates': 'as sasl.enabled.mechanisms',
  'ssl.truststore.location': 'as sasl.enabled.mechanisms',
  'ssl.truststore.password': 'as sasl.enabled.mechanisms',
  'ssl.truststore.type': 'as sasl.enabled.mechanisms',
  'log.cleaner.threads': 'the cleaner is sized at start',
  'log.cleaner.dedupe.buffer.size': 'as log.cleaner.threads',
  'log.cleaner.io.buffer.load.factor': 'as log.cleaner.threads',
  'log.cleaner.io.max.bytes.per.second': 'as log.cleaner.threads',
  'log.cleaner.backoff.ms': 'as log.cleaner.threads',
  'producer.id.expiration.ms': 'read by the logs when they open',
  'transaction.partition.verification.enable': 'read at start',
};

/** Types kafkalite declares otherwise (none: each table row has Kafka's type). */
const OTHER_TYPE: Record<string, { type: string; reason: string }> = {};

let broker: RunningBroker;
let listed: DescribeConfigsResponse['results'][number]['configs'];

beforeAll(async () => {
  // Nothing set: every value is a default, as on a Kafka broker with an empty server.properties.
  broker = await startBroker({ testDefaults: false });
  const client = await RawClient.connect(broker.host, broker.port);
  try {
    const res = await client.request(DescribeConfigsApi, 4, {
      resources: [{ resourceType: 4, resourceName: String(broker.config.nodeId), configurationKeys: null }],
      includeSynonyms: true,
      includeDocumentation: false,
    });
    expect(res.results[0].errorCode).toBe(ErrorCode.NONE);
    listed = res.results[0].configs;
  } finally {
    client.close();
  }
});

afterAll(async () => {
  await broker?.close();
});

describe('the broker\'s DescribeConfigs against Kafka 3.9', () => {
  it('lists the configs Kafka lists, but those it does not honour (each by a reason) and its own (each with a reason)', () => {
    const names = new Set(listed.map((c) => c.name));
    const missing = Object.keys(KAFKA_39).filter((n) => !names.has(n));
    for (const n of missing) expect(NOT_LISTED.filter(([re]) => re.test(n)).length, `${n}: one reason`).toBe(1);
    for (const [re] of NOT_LISTED) expect(missing.some((n) => re.test(n)), `${String(re)} explains something`).toBe(true);
    expect([...names].filter((n) => !(n in KAFKA_39)).sort()).toEqual(Object.keys(ONLY_KAFKALITE).sort());
  });

  it('has Kafka\'s type, default, read-only flag and sensitivity for every config both list, but the differences tabled', () => {
    const seen = { defaults: new Set<string>(), readOnly: new Set<string>(), types: new Set<string>() };
    for (const c of listed) {
      const k = KAFKA_39[c.name];
      if (!k) continue;
      expect(c.configSource, c.name).toBe(DEFAULT_CONFIG);
      const type = OTHER_TYPE[c.name]?.type ?? k.type;
      if (OTHER_TYPE[c.name]) seen.types.add(c.name);
      expect(c.configType, `${c.name} type`).toBe(TYPE_CODE[type]);
      expect(c.isSensitive, `${c.name} sensitive`).toBe(k.type === 'password');
      if (!c.isSensitive) {
        const other = OTHER_DEFAULT[c.name];
        if (other) seen.defaults.add(c.name);
        expect(c.value, `${c.name} default`).toBe(other ? other.value : k.default);
      }
      const readOnly = k.updateMode === 'read-only' || c.name in READ_ONLY_HERE;
      if (k.updateMode !== 'read-only' && c.name in READ_ONLY_HERE) seen.readOnly.add(c.name);
      expect(c.readOnly, `${c.name} read-only`).toBe(readOnly);
    }
    // Each tabled difference is still one.
    expect([...seen.defaults].sort()).toEqual(Object.keys(OTHER_DEFAULT).sort());
    for (const n of seen.defaults) expect(OTHER_DEFAULT[n]!.value, n).not.toBe(KAFKA_39[n]!.default);
    expect([...seen.readOnly].sort()).toEqual(Object.keys(READ_ONLY_HERE).sort());
    expect([...seen.types].sort()).toEqual(Object.keys(OTHER_TYPE).sort());
  });

  it('gives Kafka\'s synonyms: the names of one setting, each with its default, highest priority first', () => {
    for (const c of listed) {
      if (!KAFKA_39[c.name]) continue;
      const group = SYNONYM_GROUPS.find((g) => g.includes(c.name)) ?? [c.name];
      const expected = group
        .map((n) => [n, n in OTHER_DEFAULT ? OTHER_DEFAULT[n]!.value : (KAFKA_39[n]?.default ?? null)] as const)
        .filter(([, v]) => v !== null)
        .map(([n, v]) => [n, c.isSensitive ? null : v, DEFAULT_CONFIG]);
      expect(c.synonyms.map((s) => [s.name, s.value, s.source]), c.name).toEqual(expected);
    }
  });
});
