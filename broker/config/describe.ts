// DescribeConfigs' view of the table: sources, synonyms and Kafka's type codes.

import { BROKER_DEFS, TOPIC_DEFS, brokerSynonymsOf, isDynamicBrokerConfig } from './lookup.js';
import { deriveFromBroker, entriesOf, type BrokerConfig, type ConfigInput } from './resolve.js';
import type { BrokerConfigName } from './table.js';
import type { ConfigDefinition, ConfigType, ConfigTypeMap } from './types.js';
import { formatConfigValue, formatDefault } from './values.js';

export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  GROUP_CONFIG: 8,
} as const;
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource];

/** DescribeConfigs (v3+) ConfigType codes. */
export const KAFKA_CONFIG_TYPE: Readonly<Record<ConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
};

/** DescribeConfigs' ConfigType codes for secrets, and for names whose type is not known. */
const KAFKA_PASSWORD_TYPE = 9;
const KAFKA_UNKNOWN_TYPE = 0;

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
}

export interface DescribedConfig {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
  /** v0's is_default: true when the value is the built-in default. */
  readonly isDefault: boolean;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
  readonly type: ConfigType;
  /** The ConfigType code for DescribeConfigs v3+. */
  readonly configType: number;
  /** null for names outside the table (listener-prefixed settings), as Kafka's documentationOf. */
  readonly documentation: string | null;
  /** Where the value could come from, highest priority first (include_synonyms). */
  readonly synonyms: readonly ConfigSynonym[];
}

/**
 * Broker rows that answer for the same setting as `def`: the alternates of a topic
 * default (log.retention.ms/minutes/hours ...), as Kafka's brokerConfigSynonyms;
 * an older name (broker.id, log.dir) is not a synonym there.
 */
function brokerGroup(def: ConfigDefinition): ConfigDefinition[] {
  if (def.topicName !== undefined) return [...brokerSynonymsOf(def.topicName)];
  return [def];
}

/** Where a broker config's set value comes from, in Kafka's precedence, or undefined when unset. */
function brokerSetting(broker: BrokerConfig, name: string): { value: string; source: ConfigSource } | undefined {
  const layers: [ReadonlyMap<string, string>, ConfigSource][] = [
    [broker.dynamicBroker, ConfigSource.DYNAMIC_BROKER_CONFIG],
    [broker.dynamicDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
    [broker.explicit, ConfigSource.STATIC_BROKER_CONFIG],
  ];
  for (const [map, source] of layers) {
    const value = map.get(name);
    if (value !== undefined) return { value, source };
  }
  return undefined;
}

function brokerSynonymList(broker: BrokerConfig, group: readonly ConfigDefinition[]): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  for (const [map, source] of [
    [broker.dynamicBroker, ConfigSource.DYNAMIC_BROKER_CONFIG],
    [broker.dynamicDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
  ] as const) {
    for (const d of group) {
      const raw = map.get(d.name);
      if (raw !== undefined) out.push({ name: d.name, value: raw, source });
    }
  }
  for (const d of group) {
    const raw = broker.explicit.get(d.name as BrokerConfigName);
    if (raw !== undefined) out.push({ name: d.name, value: raw, source: ConfigSource.STATIC_BROKER_CONFIG });
  }
  for (const d of group) {
    const v = formatDefault(d);
    if (v !== null) out.push({ name: d.name, value: v, source: ConfigSource.DEFAULT_CONFIG });
  }
  return out;
}

/** DescribeConfigs' configuration_keys as a filter: null or undefined means all. */
export function wanted(names: Iterable<string> | null | undefined): ((name: string) => boolean) {
  if (names === null || names === undefined) return () => true;
  const set = new Set(names);
  return (name) => set.has(name);
}

/**
 * Broker configs for DescribeConfigs, sorted by name. `names` null or undefined
 * means all; unknown names are skipped, as Kafka does. The listener-prefixed
 * settings given are listed too unless `listenerOverrides` is false (Kafka's
 * cluster-default resource, which has only dynamic configs).
 */
export function describeBrokerConfigs(broker: BrokerConfig, names?: Iterable<string> | null, opts: { listenerOverrides?: boolean } = {}): DescribedConfig[] {
  const want = wanted(names);
  const setting = (d: ConfigDefinition): { value: string; source: ConfigSource } | undefined => {
    // node.id and broker.id report the effective id whichever was set.
    if (d.name === 'node.id' || d.name === 'broker.id') {
      const raw = broker.explicit.get('node.id') ?? broker.explicit.get('broker.id');
      return raw === undefined ? undefined : { value: raw, source: ConfigSource.STATIC_BROKER_CONFIG };
    }
    return brokerSetting(broker, d.name);
  };
  const rows = [...BROKER_DEFS.values()]
    .filter((d) => want(d.name))
    .map((d): DescribedConfig => {
      const set = setting(d);
      const source = set?.source ?? ConfigSource.DEFAULT_CONFIG;
      const value =
        set !== undefined
          ? set.value
          : d.name === 'broker.id'
            ? String(broker.nodeId)
            : formatDefault(d);
      // broker.id has no default of its own: its one synonym is the effective id, as Kafka's resolved broker.id.
      const synonyms = d.name === 'broker.id' && set === undefined
        ? [{ name: d.name, value, source: ConfigSource.DEFAULT_CONFIG }]
        : brokerSynonymList(broker, brokerGroup(d));
      // Secrets are described without their values, as Kafka does.
      return {
        name: d.name,
        value: d.sensitive ? null : value,
        source,
        isDefault: source === ConfigSource.DEFAULT_CONFIG,
        readOnly: !isDynamicBrokerConfig(d),
        sensitive: d.sensitive === true,
        type: d.type,
        configType: d.sensitive ? KAFKA_PASSWORD_TYPE : KAFKA_CONFIG_TYPE[d.type],
        documentation: d.doc,
        synonyms: d.sensitive ? synonyms.map((x) => ({ ...x, value: null })) : synonyms,
      };
    });
  const overrides = opts.listenerOverrides === false ? [] : describeListenerConfigs(broker).filter((c) => want(c.name));
  return [...rows, ...overrides].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The `listener.name.<l>.<key>` settings given, as Kafka lists them among a broker's
 * configs (ConfigHelper): static, read-only, typed as the base config (a JAAS text is
 * a password; a name of unknown type is sensitive), the base config's own settings
 * and default as synonyms, no documentation.
 */
function describeListenerConfigs(broker: BrokerConfig): DescribedConfig[] {
  const out: DescribedConfig[] = [];
  for (const [listener, settings] of broker.listenerConfigs) {
    for (const [key, raw] of settings) {
      const name = `listener.name.${listener.toLowerCase()}.${key}`;
      const jaas = /(^|\.)sasl\.jaas\.config$/.test(key);
      const def = jaas ? undefined : BROKER_DEFS.get(key);
      const sensitive = jaas || def === undefined || def.sensitive === true;
      const synonyms: ConfigSynonym[] = [{ name, value: raw, source: ConfigSource.STATIC_BROKER_CONFIG }];
      if (def !== undefined) synonyms.push(...brokerSynonymList(broker, [def]));
      out.push({
        name,
        value: sensitive ? null : raw,
        source: ConfigSource.STATIC_BROKER_CONFIG,
        isDefault: false,
        readOnly: true,
        sensitive,
        type: def?.type ?? 'string',
        configType: jaas || def?.sensitive ? KAFKA_PASSWORD_TYPE : def === undefined ? KAFKA_UNKNOWN_TYPE : KAFKA_CONFIG_TYPE[def.type],
        documentation: null,
        synonyms: sensitive ? synonyms.map((x) => ({ ...x, value: null })) : synonyms,
      });
    }
  }
  return out;
}

/**
 * A topic's configs for DescribeConfigs, sorted by name: overrides with source
 * TOPIC_CONFIG, the rest from the broker (STATIC_BROKER_CONFIG when set there,
 * else DEFAULT_CONFIG).
 */
export function describeTopicConfigs(
  broker: BrokerConfig,
  topicOverrides: ConfigInput = {},
  names?: Iterable<string> | null,
): DescribedConfig[] {
  const want = wanted(names);
  const overrides = new Map(entriesOf(topicOverrides));
  const brokerValues = broker.values as unknown as Record<string, ConfigTypeMap[ConfigType] | null>;
  return [...TOPIC_DEFS.values()]
    .filter((d) => want(d.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((d) => {
      const raw = overrides.get(d.name);
      const group = brokerSynonymsOf(d.name);
      const synonyms: ConfigSynonym[] = [];
      if (raw !== undefined) synonyms.push({ name: d.name, value: raw, source: ConfigSource.TOPIC_CONFIG });
      synonyms.push(...brokerSynonymList(broker, group));
      let value: string | null;
      let source: ConfigSource;
      if (raw !== undefined) {
        value = raw;
        source = ConfigSource.TOPIC_CONFIG;
      } else {
        const { value: v, from } = deriveFromBroker(d, brokerValues);
        value = formatConfigValue(d, v);
        source = (from !== undefined ? brokerSetting(broker, from.name)?.source : undefined) ?? ConfigSource.DEFAULT_CONFIG;
      }
      return writableConfigEntry(d, value, source, synonyms);
    });
}

/** A DescribeConfigs entry that may be altered and is no secret (topic and group configs). */
export function writableConfigEntry(def: ConfigDefinition, value: string | null, source: ConfigSource, synonyms: readonly ConfigSynonym[]): DescribedConfig {
  return {
    name: def.name,
    value,
    source,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    readOnly: false,
    sensitive: false,
    type: def.type,
    configType: KAFKA_CONFIG_TYPE[def.type],
    documentation: def.doc,
    synonyms,
  };
}
