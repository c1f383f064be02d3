// Committed offsets of every group: group -> topic -> partition -> OffsetAndMetadata.
// A plain in-memory index, changed only by applying OffsetCommit records (commits
// and tombstones), so that the live state and a replay of __consumer_offsets can
// never disagree. Validation and expiry rules live in group-coordinator-state.ts.

import type { OffsetAndMetadata } from './types.js';

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();
  private count = 0;

  /** Number of committed partitions over all groups. */
  get size(): number {
    return this.count;
  }

  get(groupId: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.byGroup.get(groupId)?.get(topic)?.get(partition);
  }

  has(groupId: string, topic: string, partition: number): boolean {
    return this.get(groupId, topic, partition) !== undefined;
  }

  put(groupId: string, topic: string, partition: number, value: OffsetAndMetadata): void {
    let topics = this.byGroup.get(groupId);
    if (topics === undefined) this.byGroup.set(groupId, (topics = new Map()));
    let partitions = topics.get(topic);
    if (partitions === undefined) topics.set(topic, (partitions = new Map()));
    const size = partitions.size;
    partitions.set(partition, value);
    if (partitions.size !== size) this.count++;
  }

  remove(groupId: string, topic: string, partition: number): boolean {
    const topics = this.byGroup.get(groupId);
    const partitions = topics?.get(topic);
    if (topics === undefined || partitions === undefined || !partitions.delete(partition)) return false;
    this.count--;
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.byGroup.delete(groupId);
    return true;
  }

  /** topic -> partition -> offset for one group (live view; do not mutate). */
  group(groupId: string): ReadonlyMap<string, ReadonlyMap<number, OffsetAndMetadata>> | undefined {
    return this.byGroup.get(groupId);
  }

  hasGroup(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  groupIds(): IterableIterator<string> {
    return this.byGroup.keys();
  }
}
