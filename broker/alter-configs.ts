// What AlterConfigs (33) and IncrementalAlterConfigs (44) share, in Kafka's
// order: the broker's preprocessing (ConfigAdminManager: repeated resources,
// repeated keys, null values, the broker resource's node id), then the
// controller's checks for a topic (ControllerConfigurationValidator and
// ConfigurationControlManager: empty name, topic name, existence, then the new
// overrides through the one config table's validator) and the change itself
// through Cluster.updateConfigs (persisted, applied to the logs at once).
//
// Broker resources: dynamic broker configs (broker/dynamic-broker-configs.ts),
// per broker (its node id, sent to that node itself, as Kafka requires) or the
// cluster default (empty name). A config Kafka cannot change at runtime gets Kafka's INVALID_REQUEST
// "Cannot update these configs dynamically"; unknown names and bad values INVALID_CONFIG.
//
// Group resources (KIP-848 per-group configs, broker/group-configs.ts): any
// group id but the empty one, existing or not, as Kafka; kept in the cluster
// metadata (Cluster.updateGroupConfigs), read by the coordinator at use time.
import { ErrorCode } from '../protocol/errors.js';
import { validateTopicConfigs, topicConfigDeprecations } from './config.js';
import { invalidTopicNameReason } from './topic-name.js';
import { validateGroupConfigs } from './group-configs.js';
import { storageFailure } from './storage-errors.js';
import type { RequestContext } from './context.js';
import type { TopicInfo } from './cluster.js';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
export const RESOURCE_BROKER_LOGGER = 8;
export const RESOURCE_GROUP = 32;

export interface AlterOutcome {
  errorCode: number;
  errorMessage: string | null;
}

export const ALTER_OK: AlterOutcome = { errorCode: ErrorCode.NONE, errorMessage: null };

const invalidRequest = (errorMessage: string): AlterOutcome => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage });

interface ResourceLike {
  resourceType: number;
  resourceName: string;
  configs: readonly { name: string; value: string | null }[];
}

/**
 * Kafka's preprocessing of one request: per resource, an error that ends its
 * processing, or undefined to go on. `nullAllowed` says which entries may carry
 * a null value (DELETE operations); other resource types than `resourceTypes`
 * are INVALID_REQUEST.
 */
export function preprocessResources<R extends ResourceLike>(
  resources: readonly R[],
  resourceTypes: readonly number[],
  nullAllowed: (config: R['configs'][number]) => boolean,
): (AlterOutcome | undefined)[] {
  const seen = new Map<string, number>();
  const out: (AlterOutcome | undefined)[] = resources.map(() => undefined);
  resources.forEach((r, i) => {
    const key = `${r.resourceType}\u0000${r.resourceName}`;
    const first = seen.get(key);
    if (first !== undefined) {
      out[first] = out[i] = invalidRequest('Each resource must appear at most once.');
    } else seen.set(key, i);
  });
  resources.forEach((r, i) => {
    if (out[i]) return;
    const names = r.configs.map((c) => c.name);
    if (new Set(names).size !== names.length) {
      out[i] = invalidRequest('Error due to duplicate config keys');
      return;
    }
    const nulls = r.configs.filter((c) => c.value === null && !nullAllowed(c)).map((c) => c.name);
    if (nulls.length > 0) {
      out[i] = invalidRequest(`Null value not supported for : ${nulls.join(', ')}`);
      return;
    }
    if (!resourceTypes.includes(r.resourceType)) {
      out[i] = invalidRequest(`Unknown resource type ${r.resourceType}`);
    }
  });
  return out;
}

/** The controller's checks of a topic resource before its new configs are computed. */
export function findTopicToAlter(ctx: RequestContext, name: string): TopicInfo | AlterOutcome {
  if (name === '') return invalidRequest('Default topic resources are not allowed.');
  const bad = invalidTopicNameReason(name);
  if (bad) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: bad };
  const topic = ctx.broker.cluster.topic(name);
  if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The topic '${name}' does not exist.` };
  return topic;
}

/** Validates a topic's complete new overrides and, unless validateOnly, makes them the topic's. */
export async function applyTopicConfigs(
  ctx: RequestContext,
  topic: TopicInfo,
  configs: Record<string, string>,
  validateOnly: boolean,
): Promise<AlterOutcome> {
  const problem = validateTopicConfigs(Object.entries(configs));
  if (problem) return problem;
  if (validateOnly) return ALTER_OK;
  try {
    await ctx.broker.cluster.updateConfigs(topic, configs);
  } catch (err) {
    return storageFailure(err, ctx, `altering the configs of topic ${topic.name}`);
  }
  ctx.logger.info({ topic: topic.name, configs }, 'topic configs altered');
  for (const warning of topicConfigDeprecations(Object.keys(configs))) ctx.logger.warn({ topic: topic.name }, warning);
  return ALTER_OK;
}

/**
 * A broker resource's node id checks, as Kafka's ConfigAdminManager: an integer
 * naming the node the request was sent to (another node's id, or one that is no
 * node, is refused there), or empty for the cluster default.
 */
export function checkBrokerResource(ctx: RequestContext, name: string): AlterOutcome | null {
  if (name === '') return null;
  if (!/^-?\d+$/.test(name)) return invalidRequest(`Node id must be an integer, but it is: ${name}`);
  if (Number(name) !== ctx.node.nodeId) return invalidRequest(`Unexpected broker id, expected ${ctx.node.nodeId}, but received ${name}`);
  return null;
}

/**
 * Makes `configs` the complete dynamic set of a broker resource ('' = the
 * cluster default): validated, persisted, then applied at once to every
 * partition (of the nodes it concerns) whose topic has no override of the
 * configs it changes.
 */
export async function applyBrokerConfigs(ctx: RequestContext, name: string, configs: Record<string, string>, validateOnly: boolean): Promise<AlterOutcome> {
  const { dynamicConfigs, cluster } = ctx.broker;
  const problem = dynamicConfigs.validate(name, configs, ctx.node.nodeId);
  if (problem) return problem;
  if (validateOnly) return ALTER_OK;
  try {
    await dynamicConfigs.replace(name, configs);
  } catch (err) {
    return storageFailure(err, ctx, `altering the dynamic configs of broker resource '${name}'`);
  }
  cluster.reapplyLogConfigs();
  ctx.logger.info({ resource: name === '' ? 'cluster default' : `broker ${name}`, configs }, 'broker configs altered');
  return ALTER_OK;
}

/** The controller's check of a group resource's name. */
export function checkGroupResource(name: string): AlterOutcome | null {
  return name === '' ? invalidRequest('Default group resources are not allowed.') : null;
}

/** Validates a group's complete new configs and, unless validateOnly, makes them the group's. */
export async function applyGroupConfigs(ctx: RequestContext, groupId: string, configs: Record<string, string>, validateOnly: boolean): Promise<AlterOutcome> {
  const problem = validateGroupConfigs(ctx.broker.config, configs);
  if (problem) return problem;
  if (validateOnly) return ALTER_OK;
  try {
    await ctx.broker.cluster.updateGroupConfigs(groupId, configs);
  } catch (err) {
    return storageFailure(err, ctx, `altering the configs of group ${groupId}`);
  }
  ctx.logger.info({ group: groupId, configs }, 'group configs altered');
  return ALTER_OK;
}
