// Resolution of the broker's and topics' effective configuration from the table:
// explicit settings, dynamic layers, aliases, precedence and cross-checks.

import { BROKER_DEFS, TOPIC_DEFS, brokerSynonymsOf, isDynamicBrokerConfig } from './lookup.js';
import { parseProtocolMap, resolveListenerList, type Listener } from './listeners.js';
import type { BrokerConfigName, BrokerConfigValues, TopicConfigValues } from './table.js';
import type { ConfigDefinition, ConfigType, ConfigTypeMap } from './types.js';
import { ConfigError, formatConfigValue, formatDefault, parseConfigValue, violation } from './values.js';

/** Kafka error code INVALID_CONFIG, returned by CreateTopics/AlterConfigs. */
export const INVALID_CONFIG = 40;
/** Kafka error code INVALID_REQUEST. */
const INVALID_REQUEST = 42;

export interface BrokerConfig {
  /** Typed value of every broker config: the explicit setting, else the default. */
  readonly values: BrokerConfigValues;
  /** Broker configs given explicitly, as the strings given. */
  readonly explicit: ReadonlyMap<BrokerConfigName, string>;
  /** Keys not in the table; Kafka ignores unknown broker configs with a warning. */
  readonly unknown: readonly string[];
  /** Dynamic configs of this broker (AlterConfigs on its node id) and the cluster default (empty name). */
  readonly dynamicBroker: ReadonlyMap<string, string>;
  readonly dynamicDefault: ReadonlyMap<string, string>;

  // Effective values, after Kafka's alias and precedence rules:
  /** node.id, or broker.id when only that is set. */
  readonly nodeId: number;
  /** cluster.id if set; null means "use (or create) the one in meta.properties". */
  readonly clusterId: string | null;
  readonly listeners: readonly Listener[];
  /** advertised.listeners, or the listeners when unset. */
  readonly advertisedListeners: readonly Listener[];
  /** The one data directory: log.dirs, else log.dir. */
  readonly logDir: string;
  readonly flushMode: 'interval' | 'group-commit';
  /** What a topic without overrides gets (retention.ms from log.retention.*, ...). */
  readonly topicDefaults: TopicConfigValues;
  /**
   * `listener.name.<l>.<key>` settings by upper-case listener name, keyed by the rest:
   * a perListener row's name, or `<mechanism>.sasl.jaas.config` / `<mechanism>.connections.max.reauth.ms`.
   */
  readonly listenerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

const LISTENER_PREFIX_RE = /^listener\.name\.([a-z0-9_.-]+?)\.((?:[a-z0-9-]+\.)?(?:sasl\.jaas\.config|connections\.max\.reauth\.ms)|[a-z.]+)$/;

/**
 * Splits a `listener.name.<l>.<key>` setting; undefined when it is not one kafkalite
 * reads (the listener part is lower-case, as Kafka builds the prefix).
 */
function listenerSetting(key: string): { listener: string; key: string } | undefined {
  const m = LISTENER_PREFIX_RE.exec(key);
  if (!m) return undefined;
  const rest = m[2]!;
  if (/(^|\.)sasl\.jaas\.config$/.test(rest) && rest !== 'sasl.jaas.config') return { listener: m[1]!.toUpperCase(), key: rest };
  const def = BROKER_DEFS.get(rest);
  if (def?.perListener || /\.connections\.max\.reauth\.ms$/.test(rest)) return { listener: m[1]!.toUpperCase(), key: rest };
  return undefined;
}

/**
 * The value of a perListener row for one listener: `listener.name.<l>.<name>` when
 * set, else the broker-wide value.
 */
export function listenerValue<N extends BrokerConfigName>(config: BrokerConfig, listener: string, name: N): BrokerConfigValues[N] {
  const raw = config.listenerConfigs.get(listener)?.get(name);
  if (raw === undefined) return config.values[name];
  return parseConfigValue(BROKER_DEFS.get(name)!, raw) as BrokerConfigValues[N];
}

export interface ResolveOptions {
  /** When given, each unknown key is logged as a warning. */
  readonly logger?: { warn(obj: object, msg: string): void };
  /**
   * Dynamic broker configs (already validated by validateDynamicBrokerConfigs):
   * this broker's, over the cluster default, over the static ones.
   */
  readonly dynamic?: { readonly broker?: Readonly<Record<string, string>>; readonly default?: Readonly<Record<string, string>> };
}

export type ConfigInput = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

export function entriesOf(input: ConfigInput): [string, string][] {
  return input instanceof Map ? [...input.entries()] : Object.entries(input as Record<string, string>);
}

/** For an unknown broker key that is a topic-level name, the broker name meant. */
export function suggestBrokerName(key: string): string | undefined {
  return brokerSynonymsOf(key)[0]?.name;
}

interface TopicDerivation {
  value: ConfigTypeMap[ConfigType];
  /** Broker row that supplied the value; undefined when the topic default was used. */
  from?: ConfigDefinition;
}

/** The value a topic config gets from the broker's values when not overridden. */
export function deriveFromBroker(
  topicDef: ConfigDefinition,
  brokerValues: Readonly<Record<string, ConfigTypeMap[ConfigType] | null>>,
): TopicDerivation {
  for (const syn of brokerSynonymsOf(topicDef.name)) {
    const v = brokerValues[syn.name];
    if (v === null || v === undefined) continue;
    let value = v;
    if (typeof v === 'number' && syn.topicFactor !== undefined) value = v * syn.topicFactor;
    // Kafka maps any negative broker retention time to -1 (unlimited).
    if (topicDef.name === 'retention.ms' && typeof value === 'number' && value < 0) value = -1;
    return { value, from: syn };
  }
  return { value: topicDef.default as ConfigTypeMap[ConfigType] };
}

function requireAtMost(values: Record<string, unknown>, small: string, big: string): void {
  const a = values[small] as number;
  const b = values[big] as number;
  if (a > b) throw new ConfigError(small, `${small} (${a}) must not be greater than ${big} (${b})`);
}

/**
 * Builds the broker configuration from explicit settings (server.properties and
 * --set, already merged). Throws ConfigError for a bad value or an inconsistent
 * combination; unknown keys are returned in `unknown` (and logged if a logger is
 * given), as Kafka ignores them with a warning.
 */
export function resolveBrokerConfig(overrides: ConfigInput = {}, options: ResolveOptions = {}): BrokerConfig {
  const values: Record<string, ConfigTypeMap[ConfigType] | null> = {};
  const explicit = new Map<BrokerConfigName, string>();
  const unknown: string[] = [];

  const listenerConfigs = new Map<string, Map<string, string>>();
  for (const [key, raw] of entriesOf(overrides)) {
    const def = BROKER_DEFS.get(key);
    const perListener = def === undefined ? listenerSetting(key) : undefined;
    if (perListener !== undefined) {
      const rowDef = BROKER_DEFS.get(perListener.key);
      if (rowDef !== undefined) parseConfigValue(rowDef, raw); // checked as the row, reported under its own key below
      const map = listenerConfigs.get(perListener.listener) ?? new Map<string, string>();
      map.set(perListener.key, raw);
      listenerConfigs.set(perListener.listener, map);
      continue;
    }
    if (def === undefined) {
      unknown.push(key);
      continue;
    }
    values[key] = parseConfigValue(def, raw);
    explicit.set(key as BrokerConfigName, raw);
  }
  // Kafka's precedence: this broker's dynamic config, the cluster default, the static one.
  const dynamicDefault = new Map(Object.entries(options.dynamic?.default ?? {}));
  const dynamicBroker = new Map(Object.entries(options.dynamic?.broker ?? {}));
  for (const layer of [dynamicDefault, dynamicBroker]) {
    for (const [key, raw] of layer) {
      const def = BROKER_DEFS.get(key);
      if (def === undefined || !isDynamicBrokerConfig(def)) throw new ConfigError(key, `${key} is not a dynamic broker config`);
      values[key] = parseConfigValue(def, raw);
    }
  }
  for (const def of BROKER_DEFS.values()) {
    if (!(def.name in values)) values[def.name] = def.default;
  }
  if (options.logger !== undefined) {
    for (const key of unknown) {
      const hint = suggestBrokerName(key);
      options.logger.warn(
        { key },
        `ignoring unknown config ${key}` + (hint ? ` (a topic-level name; the broker default is ${hint})` : ''),
      );
    }
  }

  // node.id / broker.id
  const nodeSet = explicit.has('node.id');
  const brokerSet = explicit.has('broker.id');
  if (nodeSet && brokerSet && values['node.id'] !== values['broker.id']) {
    throw new ConfigError(
      'broker.id',
      `broker.id (${values['broker.id']}) and node.id (${values['node.id']}) must be equal when both are set`,
    );
  }
  const nodeId = (nodeSet ? values['node.id'] : brokerSet ? values['broker.id'] : values['node.id']) as number;
  values['node.id'] = nodeId;
  values['broker.id'] = nodeId;

  // log.dirs / log.dir
  const dirsKey = values['log.dirs'] !== null ? 'log.dirs' : 'log.dir';
  // Kafka declares both STRING and splits them on commas itself.
  const dirsText = (values[dirsKey] ?? '') as string;
  const dirs = dirsText === '' ? [] : dirsText.split(/\s*,\s*/);
  if (dirs.length !== 1 || dirs[0] === '') {
    throw new ConfigError(dirsKey, `Invalid value ${dirsText} for configuration ${dirsKey}: kafkalite keeps its data in exactly one directory`);
  }

  // listeners
  const protocols = parseProtocolMap(values['listener.security.protocol.map'] as string);
  const resolveListeners = (key: string, text: string): Listener[] => resolveListenerList(key, text, protocols);
  const listeners = resolveListeners('listeners', values['listeners'] as string);
  const advertisedText = values['advertised.listeners'] as string | null;
  const advertisedListeners = advertisedText === null ? listeners : resolveListeners('advertised.listeners', advertisedText);
  const listenerNames = new Set(listeners.map((l) => l.name));
  for (const l of advertisedListeners) {
    if (advertisedText !== null && (l.host === '0.0.0.0' || l.host === '::')) {
      throw new ConfigError('advertised.listeners', `advertised.listeners cannot use the non-routable address ${l.host}`);
    }
    if (!listenerNames.has(l.name)) {
      throw new ConfigError(
        'advertised.listeners',
        `advertised.listeners names (${l.name}) must be a subset of the listener names in listeners`,
      );
    }
  }
  const interBrokerName = values['inter.broker.listener.name'] as string | null;
  if (interBrokerName !== null && explicit.has('security.inter.broker.protocol')) {
    throw new ConfigError(
      'inter.broker.listener.name',
      'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.',
    );
  }
  const interBroker = interBrokerName?.toUpperCase();
  const interBrokerOk = interBroker !== undefined
    ? listenerNames.has(interBroker)
    : listeners.some((l) => l.securityProtocol === values['security.inter.broker.protocol']);
  if (!interBrokerOk) {
    throw new ConfigError(
      interBroker !== undefined ? 'inter.broker.listener.name' : 'security.inter.broker.protocol',
      `inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${[...listenerNames].join(',')}`,
    );
  }
  for (const name of listenerConfigs.keys()) {
    if (!listenerNames.has(name) && !protocols.has(name)) {
      options.logger?.warn({ listener: name }, `ignoring listener.name.${name.toLowerCase()}.* settings: no such listener`);
    }
  }

  // Topic defaults, checked against the topic rows' ranges (a broker value that
  // is not a valid topic value would break every topic).
  const topicDefaults: Record<string, ConfigTypeMap[ConfigType]> = {};
  for (const def of TOPIC_DEFS.values()) {
    const { value, from } = deriveFromBroker(def, values);
    if (from !== undefined && from.scope !== 'both') {
      if (def.name === 'retention.ms' && value === 0) {
        throw ConfigError.invalidValue(
          from.name,
          explicit.get(from.name as BrokerConfigName) ?? formatDefault(from),
          'retention time must be -1 (unlimited) or at least 1 ms',
        );
      }
      const problem = violation(def, value);
      if (problem !== undefined) {
        throw ConfigError.invalidValue(
          from.name,
          explicit.get(from.name as BrokerConfigName) ?? formatDefault(from),
          `gives ${def.name}=${formatConfigValue(def, value)}: ${problem}`,
        );
      }
    }
    topicDefaults[def.name] = value;
  }

  // Consumer-protocol group bounds, as Kafka checks them at startup.
  requireAtMost(values, 'group.consumer.min.session.timeout.ms', 'group.consumer.session.timeout.ms');
  requireAtMost(values, 'group.consumer.session.timeout.ms', 'group.consumer.max.session.timeout.ms');
  requireAtMost(values, 'group.consumer.min.heartbeat.interval.ms', 'group.consumer.heartbeat.interval.ms');
  requireAtMost(values, 'group.consumer.heartbeat.interval.ms', 'group.consumer.max.heartbeat.interval.ms');
  if ((values['group.consumer.heartbeat.interval.ms'] as number) >= (values['group.consumer.session.timeout.ms'] as number)) {
    throw new ConfigError(
      'group.consumer.heartbeat.interval.ms',
      'group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms',
    );
  }

  return {
    values: Object.freeze(values) as unknown as BrokerConfigValues,
    explicit,
    unknown,
    dynamicBroker,
    dynamicDefault,
    nodeId,
    clusterId: values['cluster.id'] as string | null,
    listeners,
    advertisedListeners,
    logDir: dirs[0]!,
    flushMode: values['log.flush.mode'] as 'interval' | 'group-commit',
    topicDefaults: Object.freeze(topicDefaults) as unknown as TopicConfigValues,
    listenerConfigs,
  };
}

// ---------------------------------------------------------------------------
// Topic configuration
// ---------------------------------------------------------------------------

/**
 * Effective configuration of one topic: its overrides (as stored, already
 * validated) over the broker's topic defaults. Throws ConfigError for an unknown
 * name or a bad value.
 */
export function resolveTopicConfig(broker: BrokerConfig, topicOverrides: ConfigInput = {}): TopicConfigValues {
  const values: Record<string, unknown> = { ...(broker.topicDefaults as Record<string, unknown>) };
  for (const [key, raw] of entriesOf(topicOverrides)) {
    const def = TOPIC_DEFS.get(key);
    if (def === undefined) throw new ConfigError(key, `Unknown topic config name: ${key}`);
    values[key] = parseConfigValue(def, raw);
  }
  return Object.freeze(values) as unknown as TopicConfigValues;
}

export interface ConfigValidationError {
  readonly errorCode: number;
  readonly errorMessage: string;
}

/**
 * Validates topic configs from CreateTopics or (Incremental)AlterConfigs, as
 * Kafka's controller does: null values, then unknown names, then each value. For
 * an incremental alter, pass the merged result of the existing overrides and the
 * changes. Returns null when valid, else Kafka's INVALID_CONFIG with a message.
 */
export function validateTopicConfigs(
  configs: Iterable<readonly [string, string | null]> | Readonly<Record<string, string | null>>,
): ConfigValidationError | null {
  const entries: (readonly [string, string | null])[] =
    Symbol.iterator in configs
      ? [...(configs as Iterable<readonly [string, string | null]>)]
      : Object.entries(configs as Record<string, string | null>);
  const invalid = (errorMessage: string): ConfigValidationError => ({ errorCode: INVALID_CONFIG, errorMessage });

  const nulls = entries.filter(([, v]) => v === null).map(([k]) => k);
  if (nulls.length > 0) return invalid(`Null value not supported for topic configs: ${nulls.join(',')}`);

  for (const [key] of entries) {
    if (!TOPIC_DEFS.has(key)) return invalid(`Unknown topic config name: ${key}`);
  }

  for (const [key, raw] of entries) {
    try {
      parseConfigValue(TOPIC_DEFS.get(key)!, raw as string);
    } catch (e) {
      if (e instanceof ConfigError) return invalid(e.message);
      throw e;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// Dynamic broker configuration
// ---------------------------------------------------------------------------

/**
 * Checks a complete set of dynamic configs for one broker resource, as Kafka's
 * controller does: names Kafka cannot change at runtime (INVALID_REQUEST, Kafka's
 * message), unknown names and bad values (INVALID_CONFIG), then the topic
 * defaults they give, resolved with `static` and the other layer.
 */
export function validateDynamicBrokerConfigs(
  configs: Readonly<Record<string, string>>,
  resolve: (configs: Readonly<Record<string, string>>) => BrokerConfig,
): ConfigValidationError | null {
  const names = Object.keys(configs);
  const fixed = names.filter((k) => {
    const def = BROKER_DEFS.get(k);
    return def !== undefined && !isDynamicBrokerConfig(def);
  });
  if (fixed.length > 0) return { errorCode: INVALID_REQUEST, errorMessage: `Cannot update these configs dynamically: Set(${fixed.join(', ')})` };
  const unknown = names.filter((k) => !BROKER_DEFS.has(k));
  if (unknown.length > 0) return { errorCode: INVALID_CONFIG, errorMessage: `Unknown broker config name: ${unknown.join(', ')}` };
  try {
    resolve(configs);
  } catch (e) {
    if (e instanceof ConfigError) return { errorCode: INVALID_CONFIG, errorMessage: e.message };
    throw e;
  }
  return null;
}
