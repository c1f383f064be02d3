// CreatePartitions (key 37), versions 0-3.
// Raises a topic's partition count. A count not above the current one is
// INVALID_PARTITIONS; manual assignments must name one assignment per new
// partition with known nodes (INVALID_REPLICA_ASSIGNMENT), and the first one
// leads it (else round-robin over the live nodes); a topic named
// twice is INVALID_REQUEST; unknown topics UNKNOWN_TOPIC_OR_PARTITION.
// validateOnly checks and changes nothing. Authorization: ALTER on the topic,
// else TOPIC_AUTHORIZATION_FAILED, as Kafka. controller_mutation_rate
// (KIP-599): the partitions added count against the client's quota, after the
// count checks and before the assignment's nodes are checked, as Kafka's
// controller (validateOnly too); v3 strict (THROTTLING_QUOTA_EXCEEDED while
// exhausted), older versions permissive; throttle_time_ms and a muted connection.
import { CreatePartitionsApi } from '../../protocol/messages/37-create-partitions.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { storageFailure } from '../storage-errors.js';
import { mutationQuotaOf, throttleMutations } from '../quotas/charge.js';
import { THROTTLED_MESSAGE } from './19-create-topics.js';

export const createPartitionsHandler = defineHandler({
  api: CreatePartitionsApi,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const { cluster } = ctx.broker;
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results = [];
    const quota = mutationQuotaOf(ctx, 3);
    for (const t of req.topics) {
      const fail = (errorCode: number, errorMessage: string) => ({ name: t.name, errorCode, errorMessage });
      if ((counts.get(t.name) ?? 0) > 1) {
        results.push(fail(ErrorCode.INVALID_REQUEST, `Duplicate topic in request: ${t.name}`));
        continue;
      }
      if (!authorized(ctx, AclOperation.ALTER, ResourceType.TOPIC, t.name)) {
        results.push(fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Topic authorization failed.'));
        continue;
      }
      const topic = cluster.topic(t.name);
      if (!topic) {
        results.push(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`));
        continue;
      }
      const current = topic.partitions.length;
      if (t.count < current) {
        results.push(fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${t.count}.`));
        continue;
      }
      if (t.count === current) {
        results.push(fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`));
        continue;
      }
      const added = t.count - current;
      if (t.assignments !== null && t.assignments.length !== added) {
        results.push(fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${added} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`));
        continue;
      }
      if (!quota.record(added)) {
        results.push(fail(ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE));
        continue;
      }
      if (t.assignments !== null) {
        const nodeIds = new Set(cluster.nodes.map((n) => n.nodeId));
        const bad = t.assignments.find((a) => a.brokerIds.length === 0 || a.brokerIds.some((id) => !nodeIds.has(id)) || new Set(a.brokerIds).size !== a.brokerIds.length);
        if (bad) {
          results.push(fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Invalid replica assignment: ${bad.brokerIds.join(',')}`));
          continue;
        }
      }
      if (!req.validateOnly) {
        try {
          await cluster.addPartitions(topic, t.count, t.assignments?.map((a) => a.brokerIds[0]!) ?? []);
        } catch (err) {
          const f = storageFailure(err, ctx, `adding partitions to ${t.name}`);
          results.push(fail(f.errorCode, f.errorMessage));
          continue;
        }
        ctx.logger.info({ topic: t.name, from: current, to: t.count }, 'added partitions');
      }
      results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
    }
    return { throttleTimeMs: throttleMutations(ctx, quota), results };
  },
});
