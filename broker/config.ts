// The one config table and its machinery, re-exported for the broker's modules.
// The rows are broker/config/table.ts (data only); beside it: types.ts (a row's
// shape), lookup.ts (rows by name and scope), values.ts (parsing and formatting
// one value), listeners.ts (listener lists and protocol map), resolve.ts
// (effective broker and topic configuration) and describe.ts (DescribeConfigs).

export type { ConfigDefinition, ConfigScope, ConfigType, ConfigTypeMap } from './config/types.js';
export {
  CONFIG_DEFINITIONS,
  CONFIG_DEFS,
  INT_MAX,
  LONG_MAX,
  type BrokerConfigName,
  type BrokerConfigValues,
  type ConfigName,
  type TopicConfigName,
  type TopicConfigValues,
} from './config/table.js';
export {
  brokerConfigDefinition,
  brokerSynonymsOf,
  isDynamicBrokerConfig,
  topicConfigDefinition,
  topicConfigDeprecations,
} from './config/lookup.js';
export { ConfigError, formatConfigValue, formatDefault, parseConfigValue, validValuesText } from './config/values.js';
export { formatListeners, parseListenerList, parseProtocolMap, resolveListenerList, type Listener } from './config/listeners.js';
export {
  INVALID_CONFIG,
  listenerValue,
  resolveBrokerConfig,
  resolveTopicConfig,
  suggestBrokerName,
  validateDynamicBrokerConfigs,
  validateTopicConfigs,
  type BrokerConfig,
  type ConfigValidationError,
  type ResolveOptions,
} from './config/resolve.js';
export {
  ConfigSource,
  KAFKA_CONFIG_TYPE,
  describeBrokerConfigs,
  describeTopicConfigs,
  wanted,
  writableConfigEntry,
  type ConfigSynonym,
  type DescribedConfig,
} from './config/describe.js';
