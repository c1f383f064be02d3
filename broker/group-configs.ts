// Per-group configs (Kafka 4.0's GroupConfig, KIP-848): DescribeConfigs and
// (Incremental)AlterConfigs on GROUP resources (type 32) set a consumer group's
// session timeout and heartbeat interval over the broker's
// group.consumer.session.timeout.ms / group.consumer.heartbeat.interval.ms.
// Validated as Kafka's GroupConfigManager.validate: the group's overrides over
// the broker's values, unknown names, then each value's type and range, then the
// group.consumer.min/max bounds, then heartbeat below session timeout; all
// INVALID_CONFIG with Kafka's messages. The group need not exist.
// Not served: share.* configs (kafkalite has no share groups).
import {
  ConfigError,
  ConfigSource,
  INVALID_CONFIG,
  brokerConfigDefinition,
  parseConfigValue,
  wanted,
  writableConfigEntry,
  type BrokerConfig,
  type ConfigDefinition,
  type ConfigValidationError,
  type DescribedConfig,
} from './config.js';
import type { ConsumerGroupTimeouts } from './groups/consumer-types.js';

interface GroupConfigRow {
  /** The group config's name. */
  readonly name: string;
  /** The broker config that gives its default. */
  readonly broker: 'group.consumer.session.timeout.ms' | 'group.consumer.heartbeat.interval.ms';
  readonly min: 'group.consumer.min.session.timeout.ms' | 'group.consumer.min.heartbeat.interval.ms';
  readonly max: 'group.consumer.max.session.timeout.ms' | 'group.consumer.max.heartbeat.interval.ms';
  readonly field: keyof ConsumerGroupTimeouts;
}

const SESSION: GroupConfigRow = {
  name: 'consumer.session.timeout.ms',
  broker: 'group.consumer.session.timeout.ms',
  min: 'group.consumer.min.session.timeout.ms',
  max: 'group.consumer.max.session.timeout.ms',
  field: 'sessionTimeoutMs',
};
const HEARTBEAT: GroupConfigRow = {
  name: 'consumer.heartbeat.interval.ms',
  broker: 'group.consumer.heartbeat.interval.ms',
  min: 'group.consumer.min.heartbeat.interval.ms',
  max: 'group.consumer.max.heartbeat.interval.ms',
  field: 'heartbeatIntervalMs',
};
/** In Kafka's (alphabetical) order. */
const ROWS: readonly GroupConfigRow[] = [HEARTBEAT, SESSION];

/** A group config's definition: its broker row's type, range and doc under the group config's name. */
export function groupConfigDefinition(name: string): ConfigDefinition | undefined {
  const row = ROWS.find((r) => r.name === name);
  if (row === undefined) return undefined;
  return { ...(brokerConfigDefinition(row.broker) as ConfigDefinition), name: row.name };
}

const invalid = (errorMessage: string): ConfigValidationError => ({ errorCode: INVALID_CONFIG, errorMessage });

/** Checks `configs` as a group's complete new overrides; null when valid. */
export function validateGroupConfigs(broker: BrokerConfig, configs: Readonly<Record<string, string>>): ConfigValidationError | null {
  for (const name of Object.keys(configs)) {
    if (groupConfigDefinition(name) === undefined) return invalid(`Unknown group config name: ${name}`);
  }
  const value = (row: GroupConfigRow): number => {
    const raw = configs[row.name];
    return raw === undefined ? broker.values[row.broker] : (parseConfigValue(groupConfigDefinition(row.name) as ConfigDefinition & { type: 'int' }, raw));
  };
  let heartbeat: number;
  let session: number;
  try {
    heartbeat = value(HEARTBEAT);
    session = value(SESSION);
  } catch (e) {
    if (e instanceof ConfigError) return invalid(e.message);
    throw e;
  }
  for (const [row, v] of [[HEARTBEAT, heartbeat], [SESSION, session]] as const) {
    if (v < broker.values[row.min]) return invalid(`${row.name} must be greater than or equal to ${row.min}`);
    if (v > broker.values[row.max]) return invalid(`${row.name} must be less than or equal to ${row.max}`);
  }
  if (session <= heartbeat) return invalid(`${SESSION.name} must be greater than ${HEARTBEAT.name}`);
  return null;
}

/** The timeouts a group's (validated) overrides set; absent fields fall back to the broker's. */
export function consumerGroupTimeouts(overrides: Readonly<Record<string, string>>): Partial<ConsumerGroupTimeouts> | undefined {
  let out: { -readonly [K in keyof ConsumerGroupTimeouts]?: number } | undefined;
  for (const row of ROWS) {
    const raw = overrides[row.name];
    if (raw !== undefined) (out ??= {})[row.field] = Number(raw.trim());
  }
  return out;
}

/**
 * A group's configs for DescribeConfigs, as Kafka's createGroupConfigEntry: the
 * override with source GROUP_CONFIG, else the broker's value with
 * DEFAULT_CONFIG; its one synonym is itself.
 */
export function describeGroupConfigs(
  broker: BrokerConfig,
  overrides: Readonly<Record<string, string>>,
  names?: Iterable<string> | null,
): DescribedConfig[] {
  const want = wanted(names);
  return ROWS.filter((r) => want(r.name)).map((row) => {
    const def = groupConfigDefinition(row.name) as ConfigDefinition;
    const raw = overrides[row.name];
    const value = String(raw !== undefined ? Number(raw.trim()) : broker.values[row.broker]);
    const source = raw !== undefined ? ConfigSource.GROUP_CONFIG : ConfigSource.DEFAULT_CONFIG;
    return writableConfigEntry(def, value, source, [{ name: row.name, value, source }]);
  });
}
