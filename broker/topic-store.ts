// The cluster model's topics persisted by the storage layer: the cluster
// validates and decides, the log manager keeps topics, ids, configs and data.
import type { LogManager, TopicInfo as StoredTopic } from '../storage/log-manager.js';
import type { Cluster, TopicInfo, TopicStore } from './cluster.js';

export function storageTopicStore(logs: LogManager): TopicStore {
  return {
    async createTopic(t) {
      await logs.createTopic(t.name, t.partitions.length, t.configs, { topicId: t.id });
    },
    async deleteTopic(t) {
      await logs.deleteTopic(t.name);
    },
    async addPartitions(t) {
      await logs.createPartitions(t.name, t.partitions.length);
    },
    async updateConfigs(t) {
      await logs.alterTopicConfigs(t.name, t.configs);
    },
  };
}

/** The cluster's view of a topic loaded from storage at start-up. */
export function clusterTopicFromStorage(cluster: Cluster, stored: StoredTopic): TopicInfo {
  const t = cluster.newTopic(stored.name, stored.partitions, { ...stored.configs });
  t.id = stored.topicId;
  return t;
}
