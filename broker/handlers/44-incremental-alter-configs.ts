// IncrementalAlterConfigs (key 44), versions 0-1.
// Per key: SET (0), DELETE (1, back to the broker default), APPEND (2) and
// SUBTRACT (3) for list configs (cleanup.policy, the throttled replica lists),
// as Kafka's ConfigurationControlManager applies them: APPEND adds the items
// not there yet, SUBTRACT removes them, both starting from the override or, when
// none, the config's default; on a config that is not a list they are
// INVALID_CONFIG "Can't APPEND to key ... because its type is not LIST.". The
// merged overrides are then validated whole by the one config table
// (INVALID_CONFIG), so the request changes all of a resource or nothing. Shared
// checks (repeated resources and keys, null values, empty or unknown topic) and
// the change itself: broker/alter-configs.ts. validateOnly changes nothing.
// BROKER resources: the same operations on the resource's dynamic broker
// configs (see alter-configs.ts); GROUP resources (32) on a group's per-group
// configs (broker/group-configs.ts).
// Authorization as Kafka: ALTER_CONFIGS on the topic, the group, or the cluster
// for a broker (else TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED).
// Not done: runtime log levels (BROKER_LOGGER: INVALID_REQUEST).
import {
  IncrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequestAlterableConfig,
  type IncrementalAlterConfigsResponseAlterConfigsResourceResponse,
} from '../../protocol/messages/44-incremental-alter-configs.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, configResourceDenied } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { brokerConfigDefinition, formatDefault, topicConfigDefinition, type ConfigDefinition } from '../config.js';
import { groupConfigDefinition } from '../group-configs.js';
import {
  RESOURCE_BROKER,
  RESOURCE_BROKER_LOGGER,
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

type Result = EncodeInput<IncrementalAlterConfigsResponseAlterConfigsResourceResponse>;

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

/** A resource's configs after the operations, or Kafka's error for an operation that cannot apply. */
function applyOperations(
  current: Readonly<Record<string, string>>,
  ops: readonly IncrementalAlterConfigsRequestAlterableConfig[],
  definition: (name: string) => ConfigDefinition | undefined,
): { configs: Record<string, string> } | { error: AlterOutcome } {
  const next: Record<string, string> = { ...current };
  for (const op of ops) {
    switch (op.configOperation) {
      case SET:
        next[op.name] = op.value as string;
        break;
      case DELETE:
        delete next[op.name];
        break;
      case APPEND:
      case SUBTRACT: {
        const def = definition(op.name);
        if (def?.type !== 'list') {
          return { error: { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Can't ${OP_NAMES[op.configOperation]} to key ${op.name} because its type is not LIST.` } };
        }
        const base = next[op.name] ?? formatDefault(def) ?? '';
        const items = base === '' ? [] : base.split(',');
        for (const item of (op.value as string).split(',')) {
          if (op.configOperation === APPEND) {
            if (!items.includes(item)) items.push(item);
          } else {
            const at = items.indexOf(item);
            if (at >= 0) items.splice(at, 1);
          }
        }
        next[op.name] = items.join(',');
        break;
      }
      default:
        return { error: { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown operations type ${op.configOperation}` } };
    }
  }
  return { configs: next };
}

export const incrementalAlterConfigsHandler = defineHandler({
  api: IncrementalAlterConfigsApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const early = preprocessResources(req.resources, [RESOURCE_TOPIC, RESOURCE_BROKER, RESOURCE_BROKER_LOGGER, RESOURCE_GROUP], (c) => c.configOperation === DELETE);
    const responses: Result[] = [];
    for (const [i, r] of req.resources.entries()) {
      let outcome: AlterOutcome;
      const denied = configResourceDenied(ctx, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName);
      if (early[i]) outcome = early[i];
      else if (denied !== null) outcome = { errorCode: denied, errorMessage: null };
      else if (r.resourceType === RESOURCE_BROKER_LOGGER) {
        outcome = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'kafkalite does not change log levels at runtime (BROKER_LOGGER resources)' };
      } else if (r.resourceType === RESOURCE_GROUP) {
        const rejected = checkGroupResource(r.resourceName);
        if (rejected) outcome = rejected;
        else {
          const next = applyOperations(ctx.broker.cluster.groupConfigs(r.resourceName), r.configs, groupConfigDefinition);
          outcome = 'error' in next ? next.error : await applyGroupConfigs(ctx, r.resourceName, next.configs, req.validateOnly);
        }
      } else if (r.resourceType === RESOURCE_BROKER) {
        const rejected = checkBrokerResource(ctx, r.resourceName);
        if (rejected) outcome = rejected;
        else {
          const next = applyOperations(ctx.broker.dynamicConfigs.stored(r.resourceName), r.configs, brokerConfigDefinition);
          outcome = 'error' in next ? next.error : await applyBrokerConfigs(ctx, r.resourceName, next.configs, req.validateOnly);
        }
      } else {
        const topic = findTopicToAlter(ctx, r.resourceName);
        if ('errorCode' in topic) outcome = topic;
        else {
          const next = applyOperations(topic.configs, r.configs, topicConfigDefinition);
          outcome = 'error' in next ? next.error : await applyTopicConfigs(ctx, topic, next.configs, req.validateOnly);
        }
      }
      responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
    }
    return { throttleTimeMs: 0, responses };
  },
});
