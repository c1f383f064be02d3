// The config table indexed: rows by name at broker and topic level, and the broker
// rows that supply each topic config's default.

import { CONFIG_DEFINITIONS } from './table.js';
import type { ConfigDefinition } from './types.js';

export const BROKER_DEFS = new Map<string, ConfigDefinition>();
export const TOPIC_DEFS = new Map<string, ConfigDefinition>();
/** topic name -> broker rows supplying its default, highest priority first. */
const BROKER_SYNONYMS = new Map<string, ConfigDefinition[]>();

for (const def of CONFIG_DEFINITIONS) {
  if (def.scope !== 'topic') BROKER_DEFS.set(def.name, def);
  if (def.scope !== 'broker') TOPIC_DEFS.set(def.name, def);
}
for (const def of CONFIG_DEFINITIONS) {
  const topic = def.scope === 'both' ? def.name : def.topicName;
  if (topic === undefined) continue;
  const list = BROKER_SYNONYMS.get(topic) ?? [];
  list.push(def);
  BROKER_SYNONYMS.set(topic, list);
}

export function brokerConfigDefinition(name: string): ConfigDefinition | undefined {
  return BROKER_DEFS.get(name);
}

export function topicConfigDefinition(name: string): ConfigDefinition | undefined {
  return TOPIC_DEFS.get(name);
}

/** The deprecation warnings of the topic configs named (Kafka 3.x configs removed in 4.0). */
export function topicConfigDeprecations(names: Iterable<string>): string[] {
  return [...names].flatMap((n) => TOPIC_DEFS.get(n)?.deprecated ?? []);
}

/** Broker configs that supply the default of a topic config, highest priority first. */
export function brokerSynonymsOf(topicName: string): readonly ConfigDefinition[] {
  return BROKER_SYNONYMS.get(topicName) ?? [];
}

/** Topic configs whose broker default Kafka cannot change at runtime (DynamicLogConfig.NonReconfigurableLogConfigs). */
const FIXED_TOPIC_DEFAULTS = new Set(['message.format.version']);

/** A broker row can be altered at runtime in Kafka when it is a topic default's first synonym (but message.format.version's). */
export function isDynamicBrokerConfig(def: ConfigDefinition): boolean {
  if (def.scope === 'both') return true;
  return def.topicName !== undefined && !FIXED_TOPIC_DEFAULTS.has(def.topicName) && brokerSynonymsOf(def.topicName)[0] === def;
}
