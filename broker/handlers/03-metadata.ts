// Metadata (key 3), versions 0-12.
// Every live node with the listener the request came in on (and its address there;
// a partition led by a node without it: LISTENER_NOT_FOUND, v0-5 LEADER_NOT_AVAILABLE),
// each partition's real leader and epoch (replicas and ISR: the leader alone, as
// replication is not simulated), and the live node with the lowest id as the
// controller (Kafka answers any live node). A null topic list
// (v1+) or an empty one in v0 means all topics. Unknown topics are auto-created
// when auto.create.topics.enable is on and the client allows it (always in v0-v3),
// and the new topic is returned at once with no error: creation here is
// synchronous, where Kafka would answer LEADER_NOT_AVAILABLE until it finishes.
// Topic ids from v10; lookup by id (v12) answers UNKNOWN_TOPIC_ID when unknown.
// Authorization as Kafka: all topics lists only those the principal may
// DESCRIBE; a named topic without DESCRIBE answers TOPIC_AUTHORIZATION_FAILED
// with the zero id whether or not it exists (by id: with the id), and
// auto-creation needs CREATE on the cluster or the topic (else the same error).
// Authorized operations, when asked for, are those the principal may do.
import { MetadataApi, type MetadataResponseTopic } from '../../protocol/messages/03-metadata.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { ZERO_UUID } from '../../protocol/codec-runtime.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';
import { endpointFor, type TopicInfo } from '../cluster.js';
import { invalidTopicNameReason } from '../topic-name.js';
import { TOPIC_OPERATIONS, CLUSTER_OPERATIONS, NOT_REQUESTED } from '../acl-operations.js';
import type { RequestContext } from '../context.js';
import { AclOperation, ResourceType, authorized, authorizedOperations, clusterAuthorized, visible } from '../security/authorize.js';
import { CLUSTER_NAME } from '../security/acl.js';
import { storageFailure } from '../storage-errors.js';
import { describePartition } from '../partition-lookup.js';

function describeTopic(ctx: RequestContext, t: TopicInfo, withOperations: boolean): EncodeInput<MetadataResponseTopic> {
  const listenerNotFound = ctx.apiVersion >= 6 ? ErrorCode.LISTENER_NOT_FOUND : ErrorCode.LEADER_NOT_AVAILABLE;
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: t.internal,
    partitions: t.partitions.map((p) => describePartition(ctx, p, listenerNotFound)),
    topicAuthorizedOperations: withOperations ? authorizedOperations(ctx, TOPIC_OPERATIONS, ResourceType.TOPIC, t.name) : NOT_REQUESTED,
  };
}

function topicError(errorCode: number, name: string | null, topicId = ZERO_UUID): EncodeInput<MetadataResponseTopic> {
  return { errorCode, name, topicId, isInternal: false, partitions: [] };
}

async function autoCreate(ctx: RequestContext, name: string): Promise<TopicInfo> {
  const { cluster, config } = ctx.broker;
  const existing = cluster.topic(name);
  if (existing) return existing;
  const topic = await cluster.createTopic(cluster.newTopic(name, config.values['num.partitions']));
  ctx.logger.info({ topic: name, partitions: config.values['num.partitions'] }, 'auto-created topic');
  return topic;
}

export const metadataHandler = defineHandler({
  api: MetadataApi,
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, req) {
    const { cluster, config } = ctx.broker;
    const v = ctx.apiVersion;
    const withOps = req.includeTopicAuthorizedOperations;
    const allowAutoCreate = config.values['auto.create.topics.enable'] && (v < 4 || req.allowAutoTopicCreation);
    const allTopics = req.topics === null || (v === 0 && req.topics.length === 0);

    const topics: EncodeInput<MetadataResponseTopic>[] = [];
    if (allTopics) {
      for (const t of cluster.topics()) if (visible(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)) topics.push(describeTopic(ctx, t, withOps));
    } else {
      for (const wanted of req.topics ?? []) {
        if (wanted.name === null) {
          // Lookup by id (v12); a null name with the zero id is not a request for anything.
          const t = wanted.topicId === ZERO_UUID ? undefined : cluster.topicById(wanted.topicId);
          if (t && !authorized(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)) topics.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, t.id));
          else topics.push(t ? describeTopic(ctx, t, withOps) : topicError(ErrorCode.UNKNOWN_TOPIC_ID, null, wanted.topicId));
          continue;
        }
        const t = cluster.topic(wanted.name);
        if (!authorized(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, wanted.name)) {
          topics.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, wanted.name));
        } else if (t) {
          topics.push(describeTopic(ctx, t, withOps));
        } else if (allowAutoCreate && !clusterAuthorized(ctx, AclOperation.CREATE) && !authorized(ctx, AclOperation.CREATE, ResourceType.TOPIC, wanted.name)) {
          topics.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, wanted.name));
        } else if (invalidTopicNameReason(wanted.name) !== null) {
          topics.push(topicError(ErrorCode.INVALID_TOPIC_EXCEPTION, wanted.name));
        } else if (allowAutoCreate && !cluster.collidingTopic(wanted.name)) {
          try {
            topics.push(describeTopic(ctx, await autoCreate(ctx, wanted.name), withOps));
          } catch (err) {
            // Kafka answers a topic it could not create yet with LEADER_NOT_AVAILABLE; clients retry.
            storageFailure(err, ctx, `auto-creating topic ${wanted.name}`);
            topics.push(topicError(ErrorCode.LEADER_NOT_AVAILABLE, wanted.name));
          }
        } else {
          topics.push(topicError(allowAutoCreate ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, wanted.name));
        }
      }
    }
    return {
      brokers: cluster.nodes.flatMap((n) => endpointFor(n, ctx.broker.listener) ?? []),
      clusterId: cluster.clusterId,
      controllerId: cluster.controllerId,
      topics,
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? authorizedOperations(ctx, CLUSTER_OPERATIONS, ResourceType.CLUSTER, CLUSTER_NAME) : NOT_REQUESTED,
    };
  },
});
