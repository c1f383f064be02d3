import { describe, expect, it, vi } from 'vitest';
import {
  CONFIG_DEFINITIONS,
  ConfigError,
  ConfigSource,
  INVALID_CONFIG,
  LONG_MAX,
  brokerConfigDefinition,
  brokerSynonymsOf,
  describeBrokerConfigs,
  describeTopicConfigs,
  formatConfigValue,
  formatDefault,
  parseConfigValue,
  resolveBrokerConfig,
  resolveTopicConfig,
  suggestBrokerName,
  topicConfigDefinition,
  validateTopicConfigs,
  validValuesText,
  type ConfigDefinition,
} from './config.js';
import { parseProperties } from './properties.js';

function def(name: string): ConfigDefinition {
  const d = brokerConfigDefinition(name) ?? topicConfigDefinition(name);
  if (!d) throw new Error(`no definition ${name}`);
  return d;
}

/** A double row: the table has none while compaction (issue 14) is not built. */
const RATIO: ConfigDefinition = { name: 'some.ratio', type: 'double', default: 0.5, range: { min: 0, max: 1 }, scope: 'topic', doc: '' };

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('the table', () => {
  it('has unique names', () => {
    const names = CONFIG_DEFINITIONS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('links every broker synonym to an existing topic config', () => {
    for (const d of CONFIG_DEFINITIONS) {
      if (d.topicName === undefined) continue;
      expect(d.scope, d.name).toBe('broker');
      expect(topicConfigDefinition(d.topicName), `${d.name} -> ${d.topicName}`).toBeDefined();
    }
    for (const d of CONFIG_DEFINITIONS) {
      if (d.aliasOf !== undefined) expect(brokerConfigDefinition(d.aliasOf), d.name).toBeDefined();
    }
  });

  it('has defaults that its own validation accepts and that print back to themselves', () => {
    for (const d of CONFIG_DEFINITIONS) {
      const text = formatDefault(d);
      if (text === null) continue;
      const parsed = parseConfigValue(d, text);
      expect(formatConfigValue(d, parsed), d.name).toBe(text);
    }
  });

  it('gives topics the same defaults from the broker rows as the topic rows state', () => {
    const broker = resolveBrokerConfig({});
    for (const d of CONFIG_DEFINITIONS) {
      if (d.scope === 'broker') continue;
      expect((broker.topicDefaults as Record<string, unknown>)[d.name], d.name).toEqual(d.default);
    }
  });

  it('documents every deliberate difference from Kafka and marks kafkalite-only rows', () => {
    const differences = CONFIG_DEFINITIONS.filter((d) => d.kafkaDefault !== undefined).map((d) => d.name);
    expect(differences.sort()).toEqual(
      [
        'broker.id',
        'group.consumer.migration.policy',
        'listeners',
        'log.dir',
        'node.id',
        'offsets.topic.replication.factor',
        'queued.max.request.bytes',
        'transaction.state.log.min.isr',
        'transaction.state.log.replication.factor',
      ].sort(),
    );
    const own = CONFIG_DEFINITIONS.filter((d) => d.kafkalite).map((d) => d.name);
    expect(own.sort()).toEqual(['cluster.id', 'log.flush.mode', 'log.max.open.files', 'metrics.port']);
    for (const d of CONFIG_DEFINITIONS) expect(d.doc.length, d.name).toBeGreaterThan(10);
  });
});

describe('defaults (Kafka 4.x unless documented)', () => {
  const c = resolveBrokerConfig({});

  it('identity and network', () => {
    expect(c.nodeId).toBe(0);
    expect(c.values['node.id']).toBe(0);
    expect(c.values['broker.id']).toBe(0);
    expect(c.clusterId).toBeNull();
    expect(c.listeners).toEqual([{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }]);
    expect(c.advertisedListeners).toEqual(c.listeners);
    expect(c.logDir).toBe('./kafkalite-data');
    expect(c.values['socket.request.max.bytes']).toBe(104857600);
    expect(c.values['connections.max.idle.ms']).toBe(600000);
  });

  it('topics', () => {
    expect(c.values['auto.create.topics.enable']).toBe(true);
    expect(c.values['num.partitions']).toBe(1);
    expect(c.values['default.replication.factor']).toBe(1);
    expect(c.values['delete.topic.enable']).toBe(true);
    expect(c.values['message.max.bytes']).toBe(1048588);
    expect(c.values['min.insync.replicas']).toBe(1);
    expect(c.values['compression.type']).toBe('producer');
    expect(c.values['log.cleanup.policy']).toEqual(['delete']);
  });

  it('log', () => {
    expect(c.values['log.segment.bytes']).toBe(1073741824);
    expect(c.values['log.roll.ms']).toBeNull();
    expect(c.values['log.roll.hours']).toBe(168);
    expect(c.values['log.retention.ms']).toBeNull();
    expect(c.values['log.retention.minutes']).toBeNull();
    expect(c.values['log.retention.hours']).toBe(168);
    expect(c.values['log.retention.bytes']).toBe(-1);
    expect(c.values['log.retention.check.interval.ms']).toBe(300000);
    expect(c.values['log.index.interval.bytes']).toBe(4096);
    expect(c.values['log.flush.interval.messages']).toBe(LONG_MAX);
    expect(c.values['log.flush.interval.ms']).toBeNull();
    expect(c.values['log.flush.scheduler.interval.ms']).toBe(LONG_MAX);
    expect(c.values['log.message.timestamp.type']).toBe('CreateTime');
    expect(c.values['log.message.timestamp.after.max.ms']).toBe(3600000);
    expect(c.flushMode).toBe('interval');
  });

  it('topic defaults derived from the broker', () => {
    const t = c.topicDefaults;
    expect(t['retention.ms']).toBe(7 * 24 * 3600 * 1000);
    expect(t['segment.ms']).toBe(7 * 24 * 3600 * 1000);
    expect(t['segment.bytes']).toBe(1073741824);
    expect(t['retention.bytes']).toBe(-1);
    expect(t['max.message.bytes']).toBe(1048588);
    expect(t['index.interval.bytes']).toBe(4096);
    expect(t['flush.messages']).toBe(LONG_MAX);
    expect(t['flush.ms']).toBe(LONG_MAX);
    expect(t['cleanup.policy']).toEqual(['delete']);
    expect(t['message.timestamp.type']).toBe('CreateTime');
    expect(t['min.insync.replicas']).toBe(1);
    expect(t['compression.type']).toBe('producer');
  });

  it('groups and transactions', () => {
    expect(c.values['offsets.topic.num.partitions']).toBe(50);
    expect(c.values['offsets.retention.minutes']).toBe(10080);
    expect(c.values['offsets.retention.check.interval.ms']).toBe(600000);
    expect(c.values['offset.metadata.max.bytes']).toBe(4096);
    expect(c.values['group.initial.rebalance.delay.ms']).toBe(3000);
    expect(c.values['group.min.session.timeout.ms']).toBe(6000);
    expect(c.values['group.max.session.timeout.ms']).toBe(1800000);
    expect(c.values['group.max.size']).toBe(2147483647);
    expect(c.values['transactional.id.expiration.ms']).toBe(604800000);
    expect(c.values['producer.id.expiration.ms']).toBe(86400000);
  });

  it('has no unknown keys and no explicit settings', () => {
    expect(c.unknown).toEqual([]);
    expect(c.explicit.size).toBe(0);
  });
});

describe('precedence of alternates', () => {
  it('log.retention.ms > log.retention.minutes > log.retention.hours', () => {
    expect(resolveBrokerConfig({ 'log.retention.hours': '2' }).topicDefaults['retention.ms']).toBe(2 * 3600000);
    expect(
      resolveBrokerConfig({ 'log.retention.hours': '2', 'log.retention.minutes': '3' }).topicDefaults['retention.ms'],
    ).toBe(3 * 60000);
    expect(
      resolveBrokerConfig({ 'log.retention.hours': '2', 'log.retention.minutes': '3', 'log.retention.ms': '4' })
        .topicDefaults['retention.ms'],
    ).toBe(4);
  });

  it('maps a negative broker retention time to -1 and rejects 0', () => {
    expect(resolveBrokerConfig({ 'log.retention.ms': '-5' }).topicDefaults['retention.ms']).toBe(-1);
    expect(resolveBrokerConfig({ 'log.retention.hours': '-1' }).topicDefaults['retention.ms']).toBe(-1);
    const e = errorOf(() => resolveBrokerConfig({ 'log.retention.minutes': '0' }));
    expect(e.key).toBe('log.retention.minutes');
    expect(e.message).toContain('log.retention.minutes');
  });

  it('log.roll.ms > log.roll.hours, and a derived value must fit the topic range', () => {
    expect(resolveBrokerConfig({ 'log.roll.hours': '1' }).topicDefaults['segment.ms']).toBe(3600000);
    expect(resolveBrokerConfig({ 'log.roll.hours': '1', 'log.roll.ms': '500' }).topicDefaults['segment.ms']).toBe(500);
    const e = errorOf(() => resolveBrokerConfig({ 'log.roll.ms': '0' }));
    expect(e.key).toBe('log.roll.ms');
    expect(e.message).toMatch(/Invalid value 0 for configuration log\.roll\.ms: .*segment\.ms.*at least 1/);
  });

  it('log.flush.interval.ms > log.flush.scheduler.interval.ms', () => {
    expect(resolveBrokerConfig({ 'log.flush.scheduler.interval.ms': '1000' }).topicDefaults['flush.ms']).toBe(1000);
    expect(
      resolveBrokerConfig({ 'log.flush.scheduler.interval.ms': '1000', 'log.flush.interval.ms': '10' }).topicDefaults[
        'flush.ms'
      ],
    ).toBe(10);
  });

  it('log.dirs > log.dir, and only one directory', () => {
    expect(resolveBrokerConfig({ 'log.dir': '/a' }).logDir).toBe('/a');
    expect(resolveBrokerConfig({ 'log.dir': '/a', 'log.dirs': '/b' }).logDir).toBe('/b');
    const e = errorOf(() => resolveBrokerConfig({ 'log.dirs': '/a,/b' }));
    expect(e.key).toBe('log.dirs');
    expect(e.message).toContain('exactly one directory');
  });

  it('broker.id is an alias of node.id; both set must agree', () => {
    expect(resolveBrokerConfig({ 'broker.id': '7' }).nodeId).toBe(7);
    expect(resolveBrokerConfig({ 'node.id': '3' }).values['broker.id']).toBe(3);
    expect(resolveBrokerConfig({ 'node.id': '3', 'broker.id': '3' }).nodeId).toBe(3);
    const e = errorOf(() => resolveBrokerConfig({ 'node.id': '3', 'broker.id': '4' }));
    expect(e.message).toContain('must be equal');
  });

  it('same-named topic configs fall back to the broker value', () => {
    const broker = resolveBrokerConfig({ 'min.insync.replicas': '2', 'compression.type': 'zstd' });
    expect(broker.topicDefaults['min.insync.replicas']).toBe(2);
    expect(resolveTopicConfig(broker, { 'compression.type': 'gzip' })['compression.type']).toBe('gzip');
    expect(resolveTopicConfig(broker, {})['compression.type']).toBe('zstd');
  });
});

describe('parsing and ranges', () => {
  it('names the key and the valid range', () => {
    const e = errorOf(() => resolveBrokerConfig({ 'num.partitions': '0' }));
    expect(e.key).toBe('num.partitions');
    expect(e.message).toBe(
      'Invalid value 0 for configuration num.partitions: Value must be at least 1 (valid values: [1,...])',
    );
    expect(errorOf(() => parseConfigValue(RATIO, '1.5')).message).toBe(
      'Invalid value 1.5 for configuration some.ratio: Value must be no more than 1 (valid values: [0,...,1])',
    );
    expect(errorOf(() => parseConfigValue(def('segment.bytes'), '1000')).message).toContain('at least 1048576');
    expect(errorOf(() => parseConfigValue(def('compression.gzip.level'), '0')).message).toContain('-1 or in [1,...,9]');
  });

  it('checks types as Kafka does', () => {
    expect(errorOf(() => parseConfigValue(def('num.partitions'), 'three')).message).toMatch(
      /^Invalid value three for configuration num\.partitions: Not a number of type INT/,
    );
    expect(errorOf(() => parseConfigValue(def('num.partitions'), '2147483648')).message).toContain('type INT');
    expect(errorOf(() => parseConfigValue(def('num.partitions'), '1.5')).message).toContain('type INT');
    expect(errorOf(() => parseConfigValue(def('retention.ms'), '9223372036854775808')).message).toContain('type LONG');
    expect(errorOf(() => parseConfigValue(def('offsets.topic.replication.factor'), '40000')).message).toContain(
      'type SHORT',
    );
    expect(errorOf(() => parseConfigValue(def('delete.topic.enable'), 'yes')).message).toContain(
      'Expected value to be either true or false',
    );
    expect(errorOf(() => parseConfigValue(RATIO, 'half')).message).toContain('DOUBLE');
  });

  it('trims, reads booleans case-insensitively and splits lists', () => {
    expect(parseConfigValue(def('num.partitions'), ' 3 ')).toBe(3);
    expect(parseConfigValue(def('num.partitions'), '+3')).toBe(3);
    expect(parseConfigValue(def('delete.topic.enable'), 'TRUE')).toBe(true);
    expect(parseConfigValue(def('cleanup.policy'), 'compact , delete')).toEqual(['compact', 'delete']);
    expect(parseConfigValue(def('group.consumer.assignors'), '')).toEqual([]);
    expect(parseConfigValue(RATIO, '0.25')).toBe(0.25);
    expect(parseConfigValue(def('retention.ms'), '9223372036854775807')).toBe(LONG_MAX);
  });

  it('checks allowed values', () => {
    expect(errorOf(() => parseConfigValue(def('message.timestamp.type'), 'createtime')).message).toContain(
      'String must be one of: CreateTime, LogAppendTime',
    );
    expect(errorOf(() => parseConfigValue(def('cleanup.policy'), 'compact,forever')).message).toContain(
      'String must be one of: compact, delete',
    );
    expect(errorOf(() => parseConfigValue(def('log.flush.mode'), 'always')).message).toContain('interval, group-commit');
    expect(parseConfigValue(def('log.flush.mode'), 'group-commit')).toBe('group-commit');
  });

  it('reads group.consumer.migration.policy ignoring case, as Kafka (CaseInsensitiveValidString)', () => {
    expect(parseConfigValue(def('group.consumer.migration.policy'), 'UPGRADE')).toBe('upgrade');
    expect(parseConfigValue(def('group.consumer.migration.policy'), 'Downgrade')).toBe('downgrade');
    expect(resolveBrokerConfig({ 'group.consumer.migration.policy': 'DISABLED' }).values['group.consumer.migration.policy']).toBe('disabled');
    expect(errorOf(() => parseConfigValue(def('group.consumer.migration.policy'), 'sideways')).message).toBe(
      'Invalid value sideways for configuration group.consumer.migration.policy: String must be one of (case insensitive): DISABLED, DOWNGRADE, UPGRADE, BIDIRECTIONAL',
    );
    expect(validValuesText(def('group.consumer.migration.policy'))).toBe('(case insensitive) [DISABLED, DOWNGRADE, UPGRADE, BIDIRECTIONAL]');
  });

  it('prints values as Kafka does', () => {
    expect(formatConfigValue(def('flush.messages'), LONG_MAX)).toBe('9223372036854775807');
    expect(formatConfigValue(RATIO, 1)).toBe('1.0');
    expect(formatConfigValue(def('cleanup.policy'), ['compact', 'delete'])).toBe('compact,delete');
    expect(formatConfigValue(def('log.retention.ms'), null)).toBeNull();
  });

  it('checks consumer-group bounds together', () => {
    expect(errorOf(() => resolveBrokerConfig({ 'group.consumer.session.timeout.ms': '30000' })).message).toContain(
      'group.consumer.min.session.timeout.ms',
    );
  });
});

describe('listeners', () => {
  it('parses several listeners, IPv6 and the all-interfaces form', () => {
    const c = resolveBrokerConfig({
      listeners: 'PLAINTEXT://[::1]:9092,internal://:9093',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT',
    });
    expect(c.listeners).toEqual([
      { name: 'PLAINTEXT', host: '::1', port: 9092, securityProtocol: 'PLAINTEXT' },
      { name: 'INTERNAL', host: '', port: 9093, securityProtocol: 'PLAINTEXT' },
    ]);
  });

  it('uses advertised.listeners when set', () => {
    const c = resolveBrokerConfig({
      listeners: 'PLAINTEXT://0.0.0.0:9092',
      'advertised.listeners': 'PLAINTEXT://localhost:19092',
    });
    expect(c.advertisedListeners).toEqual([
      { name: 'PLAINTEXT', host: 'localhost', port: 19092, securityProtocol: 'PLAINTEXT' },
    ]);
  });

  it('rejects malformed, non-routable and unknown-name listeners, and listeners without the inter-broker one', () => {
    expect(errorOf(() => resolveBrokerConfig({ listeners: '127.0.0.1:9092' })).message).toContain(
      'NAME://host:port',
    );
    expect(errorOf(() => resolveBrokerConfig({ listeners: 'PLAINTEXT://h:70000' })).message).toContain('0 to 65535');
    // security.inter.broker.protocol defaults to PLAINTEXT: some listener must use it, or inter.broker.listener.name names one.
    expect(errorOf(() => resolveBrokerConfig({ listeners: 'SSL://h:9093' })).message).toContain(
      'inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are SSL',
    );
    expect(resolveBrokerConfig({ listeners: 'SSL://h:9093', 'inter.broker.listener.name': 'SSL' }).listeners).toEqual([
      { name: 'SSL', host: 'h', port: 9093, securityProtocol: 'SSL' },
    ]);
    expect(errorOf(() => resolveBrokerConfig({ listeners: 'SSL://h:9093', 'inter.broker.listener.name': 'SSL', 'security.inter.broker.protocol': 'SSL' })).message).toContain(
      'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set',
    );
    expect(errorOf(() => resolveBrokerConfig({ listeners: 'EXTERNAL://h:9093' })).message).toContain(
      'No security protocol defined for listener EXTERNAL',
    );
    expect(errorOf(() => resolveBrokerConfig({ 'advertised.listeners': 'PLAINTEXT://0.0.0.0:9092' })).message).toContain(
      'non-routable',
    );
    expect(
      errorOf(() =>
        resolveBrokerConfig({
          'advertised.listeners': 'OTHER://h:1',
          'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT',
        }),
      ).message,
    ).toContain('subset');
  });
});

describe('unknown broker keys', () => {
  it('are returned, warned about, and not fatal', () => {
    const warn = vi.fn();
    const c = resolveBrokerConfig({ 'no.such.thing': '1', 'retention.ms': '5', 'num.partitions': '2' }, { logger: { warn } });
    expect(c.unknown).toEqual(['no.such.thing', 'retention.ms']);
    expect(c.values['num.partitions']).toBe(2);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[1]![1]).toContain('log.retention.ms');
    expect(suggestBrokerName('segment.ms')).toBe('log.roll.ms');
    expect(suggestBrokerName('no.such.thing')).toBeUndefined();
  });
});

describe('server.properties', () => {
  it('resolves a Kafka-style file', () => {
    const text = [
      '# Server Basics',
      'node.id=1',
      'listeners=PLAINTEXT://localhost:29092',
      'advertised.listeners=PLAINTEXT://broker.example:29092',
      'log.dirs=/var/lib/kafkalite',
      'num.partitions = 3',
      'log.retention.hours=24',
      'log.segment.bytes : 1048576',
      'offsets.topic.replication.factor=1',
      '! unknown to kafkalite, ignored with a warning:',
      'num.network.threads=3',
      'log.cleanup.policy=compact,\\',
      '    delete',
    ].join('\n');
    const c = resolveBrokerConfig(parseProperties(text));
    expect(c.nodeId).toBe(1);
    expect(c.listeners[0]).toMatchObject({ host: 'localhost', port: 29092 });
    expect(c.advertisedListeners[0]).toMatchObject({ host: 'broker.example', port: 29092 });
    expect(c.logDir).toBe('/var/lib/kafkalite');
    expect(c.values['num.partitions']).toBe(3);
    expect(c.topicDefaults['retention.ms']).toBe(24 * 3600000);
    expect(c.topicDefaults['segment.bytes']).toBe(1048576);
    expect(c.topicDefaults['cleanup.policy']).toEqual(['compact', 'delete']);
    expect(c.unknown).toEqual(['num.network.threads']);
  });
});

describe('topic configs', () => {
  it('resolves overrides over broker defaults', () => {
    const broker = resolveBrokerConfig({ 'log.retention.hours': '1' });
    const t = resolveTopicConfig(broker, { 'segment.bytes': '2097152', 'cleanup.policy': 'compact' });
    expect(t['retention.ms']).toBe(3600000);
    expect(t['segment.bytes']).toBe(2097152);
    expect(t['cleanup.policy']).toEqual(['compact']);
    expect(() => resolveTopicConfig(broker, { 'log.retention.ms': '1' })).toThrow('Unknown topic config name');
  });

  it('validates CreateTopics / AlterConfigs configs with INVALID_CONFIG', () => {
    expect(validateTopicConfigs({ 'retention.ms': '1000', 'cleanup.policy': 'compact' })).toBeNull();
    expect(validateTopicConfigs([['retention.ms', '-1']])).toBeNull();
    expect(validateTopicConfigs({ 'retention.mss': '1' })).toEqual({
      errorCode: INVALID_CONFIG,
      errorMessage: 'Unknown topic config name: retention.mss',
    });
    expect(validateTopicConfigs({ 'log.retention.ms': '1' })?.errorMessage).toBe(
      'Unknown topic config name: log.retention.ms',
    );
    expect(validateTopicConfigs({ 'retention.ms': '-2' })).toEqual({
      errorCode: INVALID_CONFIG,
      errorMessage: 'Invalid value -2 for configuration retention.ms: Value must be at least -1 (valid values: [-1,...])',
    });
    expect(validateTopicConfigs([['retention.ms', null], ['segment.ms', null]])?.errorMessage).toBe(
      'Null value not supported for topic configs: retention.ms,segment.ms',
    );
    expect(validateTopicConfigs({ 'remote.storage.enable': 'true' })?.errorCode).toBe(INVALID_CONFIG);
    expect(validateTopicConfigs({ 'message.format.version': '9.9' })?.errorMessage).toBe(
      'Invalid value 9.9 for configuration message.format.version: Version 9.9 is not a valid version',
    );
    // Tiered storage's rows accept only the value kafkalite behaves as.
    expect(validateTopicConfigs({ 'local.retention.ms': '10' })?.errorMessage).toBe(
      'Invalid value 10 for configuration local.retention.ms: Tiered storage is not available in kafkalite',
    );
  });

});

describe('DescribeConfigs listing', () => {
  const broker = resolveBrokerConfig({ 'log.retention.hours': '1', 'num.partitions': '4' });

  it('describes topic configs with their source and synonyms', () => {
    const list = describeTopicConfigs(broker, { 'segment.ms': '1000' });
    const byName = new Map(list.map((c) => [c.name, c]));
    expect(list.map((c) => c.name)).toEqual([...list.map((c) => c.name)].sort());
    expect(byName.get('segment.ms')).toMatchObject({
      value: '1000',
      source: ConfigSource.TOPIC_CONFIG,
      isDefault: false,
      readOnly: false,
      sensitive: false,
      type: 'long',
      configType: 5,
    });
    expect(byName.get('segment.ms')!.synonyms[0]).toEqual({
      name: 'segment.ms',
      value: '1000',
      source: ConfigSource.TOPIC_CONFIG,
    });
    const retention = byName.get('retention.ms')!;
    expect(retention).toMatchObject({ value: '3600000', source: ConfigSource.STATIC_BROKER_CONFIG, isDefault: false });
    expect(retention.synonyms).toEqual([
      { name: 'log.retention.hours', value: '1', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ]);
    expect(byName.get('flush.messages')).toMatchObject({
      value: '9223372036854775807',
      source: ConfigSource.DEFAULT_CONFIG,
      isDefault: true,
    });
    expect(byName.get('cleanup.policy')!.value).toBe('delete');
  });

  it('filters by name', () => {
    expect(describeTopicConfigs(broker, {}, ['retention.ms', 'nope']).map((c) => c.name)).toEqual(['retention.ms']);
    expect(describeBrokerConfigs(broker, ['num.partitions']).map((c) => c.name)).toEqual(['num.partitions']);
  });

  it('describes broker configs, read-only unless Kafka can alter them at runtime', () => {
    const byName = new Map(describeBrokerConfigs(broker).map((c) => [c.name, c]));
    expect(byName.get('num.partitions')).toMatchObject({ value: '4', source: ConfigSource.STATIC_BROKER_CONFIG, readOnly: true });
    expect(byName.get('log.retention.ms')).toMatchObject({ value: null, source: ConfigSource.DEFAULT_CONFIG, readOnly: false });
    expect(byName.get('log.retention.hours')).toMatchObject({ value: '1', readOnly: true });
    expect(byName.get('log.retention.ms')!.synonyms.map((s) => s.name)).toEqual([
      'log.retention.hours',
      'log.retention.hours',
    ]);
    expect(byName.get('message.max.bytes')!.readOnly).toBe(false);
    expect(byName.get('broker.id')).toMatchObject({ value: '0', source: ConfigSource.DEFAULT_CONFIG });
    expect(byName.get('listeners')!.value).toBe('PLAINTEXT://127.0.0.1:9092');
    expect(byName.get('log.flush.mode')!.value).toBe('interval');
  });

  it('lists broker synonyms of a topic config highest priority first', () => {
    expect(brokerSynonymsOf('retention.ms').map((d) => d.name)).toEqual([
      'log.retention.ms',
      'log.retention.minutes',
      'log.retention.hours',
    ]);
    expect(brokerSynonymsOf('segment.ms').map((d) => d.name)).toEqual(['log.roll.ms', 'log.roll.hours']);
    expect(brokerSynonymsOf('flush.ms').map((d) => d.name)).toEqual([
      'log.flush.interval.ms',
      'log.flush.scheduler.interval.ms',
    ]);
    expect(brokerSynonymsOf('max.message.bytes').map((d) => d.name)).toEqual(['message.max.bytes']);
  });
});
