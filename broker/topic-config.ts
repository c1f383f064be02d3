// Effective topic configs (overrides over broker defaults), resolved once per
// topic and dropped when its overrides change: the produce path reads them on
// every request.
import { resolveTopicConfig, type BrokerConfig, type TopicConfigValues } from './config.js';
import type { TopicInfo } from './cluster.js';

const cache = new WeakMap<TopicInfo, TopicConfigValues>();

export function topicConfig(broker: BrokerConfig, topic: TopicInfo): TopicConfigValues {
  let c = cache.get(topic);
  if (!c) {
    c = resolveTopicConfig(broker, topic.configs);
    cache.set(topic, c);
  }
  return c;
}

/** Call after a topic's overrides changed. */
export function forgetTopicConfig(topic: TopicInfo): void {
  cache.delete(topic);
}
