// AlterConfigs (key 33), versions 0-2 (deprecated by Kafka for
// IncrementalAlterConfigs, still used by kafkajs's alterConfigs).
// A topic resource's configs REPLACE all of its overrides: names left out
// return to the broker default. Kafka's checks (broker/alter-configs.ts):
// repeated resources and repeated keys (INVALID_REQUEST), null values
// (INVALID_REQUEST), empty topic name (INVALID_REQUEST), unknown topic
// (UNKNOWN_TOPIC_OR_PARTITION), unknown names and bad values (INVALID_CONFIG,
// from the one config table). validateOnly checks and changes nothing. A change
// is persisted and applied to the topic's logs before the answer.
// A BROKER resource's configs likewise replace all of its dynamic broker
// configs (its node id, or the cluster default for an empty name; see
// alter-configs.ts). A GROUP resource's (32) configs replace the group's
// per-group configs (broker/group-configs.ts), as Kafka 4.0 accepts them here
// too. BROKER_LOGGER is not an AlterConfigs resource in Kafka either (INVALID_REQUEST).
// Authorization as Kafka: ALTER_CONFIGS on the topic, the group, or the cluster
// for a broker (else TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED).
import { AlterConfigsApi, type AlterConfigsResponseAlterConfigsResourceResponse } from '../../protocol/messages/33-alter-configs.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { AclOperation, configResourceDenied } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import {
  RESOURCE_BROKER,
  RESOURCE_GROUP,
  RESOURCE_TOPIC,
  applyBrokerConfigs,
  applyGroupConfigs,
  checkBrokerResource,
  checkGroupResource,
  applyTopicConfigs,
  findTopicToAlter,
  preprocessResources,
  type AlterOutcome,
} from '../alter-configs.js';

type Result = EncodeInput<AlterConfigsResponseAlterConfigsResourceResponse>;

export const alterConfigsHandler = defineHandler({
  api: AlterConfigsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const early = preprocessResources(req.resources, [RESOURCE_TOPIC, RESOURCE_BROKER, RESOURCE_GROUP], () => false);
    const responses: Result[] = [];
    for (const [i, r] of req.resources.entries()) {
      let outcome: AlterOutcome;
      const configs = () => Object.fromEntries(r.configs.map((c) => [c.name, c.value as string]));
      const denied = configResourceDenied(ctx, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName);
      if (early[i]) outcome = early[i];
      else if (denied !== null) outcome = { errorCode: denied, errorMessage: null };
      else if (r.resourceType === RESOURCE_GROUP) {
        outcome = checkGroupResource(r.resourceName) ?? (await applyGroupConfigs(ctx, r.resourceName, configs(), req.validateOnly));
      } else if (r.resourceType === RESOURCE_BROKER) {
        outcome =
          checkBrokerResource(ctx, r.resourceName) ??
          (await applyBrokerConfigs(ctx, r.resourceName, configs(), req.validateOnly));
      }
      else {
        const topic = findTopicToAlter(ctx, r.resourceName);
        outcome =
          'errorCode' in topic
            ? topic
            : await applyTopicConfigs(ctx, topic, configs(), req.validateOnly);
      }
      responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
    }
    return { throttleTimeMs: 0, responses };
  },
});
