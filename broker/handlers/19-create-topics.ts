// CreateTopics (key 19), versions 0-7.
// Kafka's checks, in Kafka's order: duplicate names in one request
// (INVALID_REQUEST), topic name rules and '.'/'_' collisions
// (INVALID_TOPIC_EXCEPTION), existing topics (TOPIC_ALREADY_EXISTS), partition
// count (INVALID_PARTITIONS), replication factor at most the live nodes
// (INVALID_REPLICATION_FACTOR), manual assignments (INVALID_REPLICA_ASSIGNMENT),
// topic configs (INVALID_CONFIG). -1 partitions / replication factor take the
// broker defaults (v4+). validateOnly checks everything and creates nothing.
// v5+ answers with the topic's partitions, replication factor and configs; v7
// with its id. Leaders: round-robin over the live nodes, or a manual
// assignment's first broker. Replication is not simulated: each partition's
// replicas and ISR are its leader alone (so the answer's replication factor is 1).
// Authorization as Kafka: CREATE on the cluster or the topic, else
// TOPIC_AUTHORIZATION_FAILED; the created topic's configs are withheld
// (topic_config_error_code TOPIC_AUTHORIZATION_FAILED) without DESCRIBE_CONFIGS.
// controller_mutation_rate (KIP-599): each topic's partitions count against the
// client's quota once it passed every check (validateOnly too, as Kafka);
// v6+ strict, a topic refused with THROTTLING_QUOTA_EXCEEDED while the quota is
// exhausted; older versions permissive. Either way throttle_time_ms and a muted
// connection (broker/quotas/controller-mutation-quota.ts).
// Not done: timeoutMs is not needed (creation completes before the answer).
import {
  CreateTopicsApi,
  type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponseCreatableTopicResult,
} from '../../protocol/messages/19-create-topics.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized, clusterAuthorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import { invalidTopicNameReason } from '../topic-name.js';
import { storageFailure } from '../storage-errors.js';
import { validateTopicConfigs, describeTopicConfigs, topicConfigDeprecations } from '../config.js';
import { mutationQuotaOf, throttleMutations } from '../quotas/charge.js';
import type { MutationQuota } from '../quotas/controller-mutation-quota.js';

/** Kafka's message for THROTTLING_QUOTA_EXCEEDED. */
export const THROTTLED_MESSAGE = 'The throttling quota has been exceeded.';

type Result = EncodeInput<CreateTopicsResponseCreatableTopicResult>;

function failure(name: string, errorCode: number, errorMessage: string): Result {
  return { name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null };
}

async function createOne(ctx: RequestContext, t: CreateTopicsRequestCreatableTopic, validateOnly: boolean, quota: MutationQuota): Promise<Result> {
  const { cluster, config } = ctx.broker;
  const nameProblem = invalidTopicNameReason(t.name);
  if (nameProblem) return failure(t.name, ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
  if (cluster.topic(t.name)) return failure(t.name, ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
  const collision = cluster.collidingTopic(t.name);
  if (collision) {
    return failure(t.name, ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${t.name}' collides with existing topic: ${collision.name}`);
  }

  let numPartitions: number;
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      return failure(t.name, ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
    }
    const indexes = t.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
    if (indexes.some((p, i) => p !== i)) {
      return failure(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
    }
    for (const a of t.assignments) {
      const bad = a.brokerIds.find((id) => !cluster.nodes.some((n) => n.nodeId === id));
      if (a.brokerIds.length === 0 || bad !== undefined || new Set(a.brokerIds).size !== a.brokerIds.length) {
        return failure(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes an invalid or duplicate broker for partition ${a.partitionIndex}: ${a.brokerIds.join(',')}`);
      }
    }
    numPartitions = t.assignments.length;
  } else {
    numPartitions = t.numPartitions === -1 ? config.values['num.partitions'] : t.numPartitions;
    if (numPartitions <= 0) {
      return failure(t.name, ErrorCode.INVALID_PARTITIONS, `Number of partitions was set to an invalid non-positive value.`);
    }
    const rf = t.replicationFactor === -1 ? config.values['default.replication.factor'] : t.replicationFactor;
    if (rf <= 0) {
      return failure(t.name, ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
    }
    if (rf > cluster.nodes.length) {
      return failure(t.name, ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${cluster.nodes.length} broker(s) are registered.`);
    }
  }

  const overrides: Record<string, string> = {};
  for (const c of t.configs) {
    if (c.value !== null) overrides[c.name] = c.value;
  }
  const configProblem = validateTopicConfigs(t.configs.map((c) => [c.name, c.value] as const));
  if (configProblem) return failure(t.name, configProblem.errorCode, configProblem.errorMessage);

  if (!quota.record(numPartitions)) return failure(t.name, ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE);

  const preferred = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds[0]!);
  const topic = cluster.newTopic(t.name, numPartitions, overrides, preferred);
  if (!validateOnly) {
    try {
      await cluster.createTopic(topic);
    } catch (err) {
      const f = storageFailure(err, ctx, `creating topic ${t.name}`);
      return failure(t.name, f.errorCode, f.errorMessage);
    }
    ctx.logger.info({ topic: t.name, partitions: numPartitions }, 'created topic');
    for (const warning of topicConfigDeprecations(Object.keys(overrides))) ctx.logger.warn({ topic: t.name }, warning);
  }
  return {
    name: t.name,
    topicId: topic.id,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    numPartitions,
    replicationFactor: topic.partitions[0]?.replicas.length ?? 1,
    configs: describeTopicConfigs(config, overrides).map((c) => ({
      name: c.name,
      value: c.value,
      readOnly: c.readOnly,
      configSource: c.source,
      isSensitive: c.sensitive,
    })),
  };
}

export const createTopicsHandler = defineHandler({
  api: CreateTopicsApi,
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, req) {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics: Result[] = [];
    const clusterCreate = clusterAuthorized(ctx, AclOperation.CREATE);
    const quota = mutationQuotaOf(ctx, 6);
    for (const t of req.topics) {
      if ((counts.get(t.name) ?? 0) > 1) {
        // Kafka answers every entry of a repeated name, once per entry, with INVALID_REQUEST.
        topics.push(failure(t.name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
        continue;
      }
      if (!clusterCreate && !authorized(ctx, AclOperation.CREATE, ResourceType.TOPIC, t.name)) {
        topics.push(failure(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.'));
        continue;
      }
      const created = await createOne(ctx, t, req.validateOnly, quota);
      // Kafka withholds the configs of a topic the principal may not DESCRIBE_CONFIGS.
      const withheld = created.errorCode === ErrorCode.NONE && !authorized(ctx, AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, t.name);
      topics.push(withheld ? { ...created, configs: null, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED } : created);
    }
    return { throttleTimeMs: throttleMutations(ctx, quota), topics };
  },
});
