// Waiting requests (parked fetches, acks=-1 produces) must end as soon as their
// node stops leading a partition, as Kafka's purgatory completes them on a
// leadership change. This is the one subscription they use.
import type { Cluster } from './cluster.js';

/** Calls `listener` after any leadership change or topic deletion; returns the unsubscribe function. */
export function onLeadershipChange(cluster: Cluster, listener: () => void): () => void {
  cluster.on('leaderChanged', listener);
  cluster.on('topicDeleted', listener);
  return () => {
    cluster.off('leaderChanged', listener);
    cluster.off('topicDeleted', listener);
  };
}
