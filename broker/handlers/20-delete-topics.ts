// DeleteTopics (key 20), versions 0-6.
// By name (v0-v5 TopicNames, v6 Topics[].Name) or by id (v6). Unknown names get
// UNKNOWN_TOPIC_OR_PARTITION, unknown ids UNKNOWN_TOPIC_ID; a v6 entry with both
// a name and an id is INVALID_REQUEST. delete.topic.enable=false gives
// TOPIC_DELETION_DISABLED (v3+; older versions have no such code, so INVALID_REQUEST).
// Authorization: DELETE on the topic (named by id: DESCRIBE too), else
// TOPIC_AUTHORIZATION_FAILED, as Kafka.
// controller_mutation_rate (KIP-599): a found and authorized topic's partitions
// count against the client's quota; v5+ strict (THROTTLING_QUOTA_EXCEEDED while
// exhausted), older versions permissive; throttle_time_ms and a muted connection.
// Not done: timeoutMs (deletion completes before the answer).
import { DeleteTopicsApi, type DeleteTopicsResponseDeletableTopicResult } from '../../protocol/messages/20-delete-topics.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { ZERO_UUID } from '../../protocol/codec-runtime.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { storageFailure } from '../storage-errors.js';
import { mutationQuotaOf, throttleMutations } from '../quotas/charge.js';
import { THROTTLED_MESSAGE } from './19-create-topics.js';

type Result = EncodeInput<DeleteTopicsResponseDeletableTopicResult>;

export const deleteTopicsHandler = defineHandler({
  api: DeleteTopicsApi,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req) {
    const { cluster, config } = ctx.broker;
    const wanted =
      ctx.apiVersion >= 6
        ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
        : req.topicNames.map((name) => ({ name: name as string | null, topicId: ZERO_UUID }));
    const responses: Result[] = [];
    const quota = mutationQuotaOf(ctx, 5);
    for (const w of wanted) {
      const fail = (errorCode: number, errorMessage: string): Result => ({ name: w.name, topicId: w.topicId, errorCode, errorMessage });
      if (w.name !== null && w.topicId !== ZERO_UUID) {
        responses.push(fail(ErrorCode.INVALID_REQUEST, 'A topic may be named by its name or by its id, not both.'));
        continue;
      }
      if (!config.values['delete.topic.enable']) {
        responses.push(fail(ctx.apiVersion >= 3 ? ErrorCode.TOPIC_DELETION_DISABLED : ErrorCode.INVALID_REQUEST, 'Topic deletion is disabled.'));
        continue;
      }
      const topic = w.name !== null ? cluster.topic(w.name) : cluster.topicById(w.topicId);
      // Kafka: by id, an unknown id first and DESCRIBE before DELETE; by name, DELETE before the lookup.
      if (w.name === null && topic && !authorized(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, topic.name)) {
        responses.push(fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.'));
        continue;
      }
      if ((w.name !== null || topic) && !authorized(ctx, AclOperation.DELETE, ResourceType.TOPIC, topic?.name ?? w.name!)) {
        responses.push(fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.'));
        continue;
      }
      if (!topic) {
        responses.push(
          w.name !== null
            ? fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.')
            : fail(ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.'),
        );
        continue;
      }
      if (!quota.record(topic.partitions.length)) {
        responses.push(fail(ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE));
        continue;
      }
      try {
        await cluster.deleteTopic(topic);
      } catch (err) {
        const f = storageFailure(err, ctx, `deleting topic ${topic.name}`);
        responses.push(fail(f.errorCode, f.errorMessage));
        continue;
      }
      ctx.logger.info({ topic: topic.name }, 'deleted topic');
      responses.push({ name: topic.name, topicId: topic.id, errorCode: ErrorCode.NONE, errorMessage: null });
    }
    return { throttleTimeMs: throttleMutations(ctx, quota), responses };
  },
});
