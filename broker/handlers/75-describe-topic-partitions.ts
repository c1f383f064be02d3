// DescribeTopicPartitions (key 75), version 0.
// Topic metadata in pages, as Kafka's DescribeTopicPartitionsRequestHandler:
// the named topics (or, with none named, every topic) in name order from the
// cursor's topic and partition, at most min(response_partition_limit,
// max.request.partition.size.limit) partitions; next_cursor names where the next
// page starts. An unknown named topic is UNKNOWN_TOPIC_OR_PARTITION (left out
// when listing all); a cursor on a topic that was not named fails the request
// (every named topic answers INVALID_REQUEST, as Kafka's error response). Leaders, epochs, replicas and ISR
// as Metadata gives them; eligible leader replicas are empty (no ELR).
// Authorized operations: those the authorizer allows on the topic; topics without
// DESCRIBE are left out of "all" and TOPIC_AUTHORIZATION_FAILED when named.
import { DescribeTopicPartitionsApi, type DescribeTopicPartitionsResponseTopic } from '../../protocol/messages/75-describe-topic-partitions.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { ZERO_UUID } from '../../protocol/codec-runtime.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorizedOperations, visible } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { TOPIC_OPERATIONS } from '../acl-operations.js';
import { describePartition } from '../partition-lookup.js';

type Topic = EncodeInput<DescribeTopicPartitionsResponseTopic>;

export const describeTopicPartitionsHandler = defineHandler({
  api: DescribeTopicPartitionsApi,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const { cluster, config } = ctx.broker;
    const all = req.topics.length === 0;
    const cursor = req.cursor;
    if (cursor && !all && !req.topics.some((t) => t.name === cursor.topicName)) {
      ctx.logger.info({ cursor: cursor.topicName }, 'DescribeTopicPartitions topic list should contain the cursor topic');
      const failed = req.topics.map((t) => ({ errorCode: ErrorCode.INVALID_REQUEST, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [] }));
      return { throttleTimeMs: 0, topics: failed, nextCursor: null };
    }
    const names = (all ? [...cluster.topics()].map((t) => t.name) : [...new Set(req.topics.map((t) => t.name))])
      .filter((n) => !cursor || n >= cursor.topicName)
      .sort();
    let remaining = Math.min(req.responsePartitionLimit, config.values['max.request.partition.size.limit']);
    const topics: Topic[] = [];
    let nextCursor: { topicName: string; partitionIndex: number } | null = null;
    for (const name of names) {
      if (remaining <= 0) {
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      // Kafka: a topic the principal may not DESCRIBE is left out of "all", refused when named, whether it exists or not.
      if (!visible(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name)) {
        if (!all) topics.push({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId: ZERO_UUID, isInternal: false, partitions: [] });
        continue;
      }
      const t = cluster.topic(name);
      if (!t) {
        if (!all) topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: TOPIC_OPERATIONS });
        continue;
      }
      const start = cursor && name === cursor.topicName ? Math.max(cursor.partitionIndex, 0) : 0;
      const page = t.partitions.slice(start, start + remaining);
      topics.push({
        errorCode: ErrorCode.NONE,
        name,
        topicId: t.id,
        isInternal: t.internal,
        partitions: page.map((p) => ({ ...describePartition(ctx, p), eligibleLeaderReplicas: [], lastKnownElr: [] })),
        topicAuthorizedOperations: authorizedOperations(ctx, TOPIC_OPERATIONS, ResourceType.TOPIC, name),
      });
      if (start + page.length < t.partitions.length) {
        nextCursor = { topicName: name, partitionIndex: start + page.length };
        break;
      }
      remaining -= page.length;
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
});
