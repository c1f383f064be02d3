// DescribeConfigs (key 32), versions 0-4.
// Topic (resource type 2) and broker (4) configs from the one config table:
// value, source (topic override, static broker config or default), read-only
// and sensitive flags, synonyms (v1+, when asked), type and documentation
// (v3+, when asked). v0 has no source field: is_default stands for it.
// Unknown topics get UNKNOWN_TOPIC_OR_PARTITION; a broker resource must name
// this node (or be empty: the cluster default, which lists only the configs set
// dynamically for the whole cluster, as Kafka); other resource types are
// INVALID_REQUEST.
// Broker configs set dynamically show DYNAMIC_BROKER_CONFIG (this node) or
// DYNAMIC_DEFAULT_BROKER_CONFIG (cluster default), in Kafka's synonym order.
// This node's resource also lists the `listener.name.<l>.<config>` settings given
// (static, read-only; JAAS texts and secrets sensitive, without their values).
// Group resources (32): a group's per-group configs (broker/group-configs.ts),
// GROUP_CONFIG when set, else the broker's value as DEFAULT_CONFIG; any group id
// but the empty one (INVALID_REQUEST), existing or not, as Kafka.
// Authorization as Kafka: DESCRIBE_CONFIGS on the topic, the group, or the
// cluster for a broker (else TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED).
// Not done: broker loggers (resource type 8).
import { DescribeConfigsApi, type DescribeConfigsResponseDescribeConfigsResult } from '../../protocol/messages/32-describe-configs.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, configResourceDenied } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { describeBrokerConfigs, describeTopicConfigs, wanted, type DescribedConfig } from '../config.js';
import { describeGroupConfigs } from '../group-configs.js';
import { RESOURCE_BROKER as BROKER, RESOURCE_GROUP as GROUP, RESOURCE_TOPIC as TOPIC } from '../alter-configs.js';

type Result = EncodeInput<DescribeConfigsResponseDescribeConfigsResult>;

export const describeConfigsHandler = defineHandler({
  api: DescribeConfigsApi,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const { cluster, config } = ctx.broker;
    const toWire = (c: DescribedConfig) => ({
      name: c.name,
      value: c.sensitive ? null : c.value,
      readOnly: c.readOnly,
      ...(v === 0 ? { isDefault: c.isDefault } : {}),
      ...(v >= 1 ? { configSource: c.source } : {}),
      isSensitive: c.sensitive,
      ...(v >= 1 && req.includeSynonyms ? { synonyms: c.synonyms.map((s) => ({ name: s.name, value: c.sensitive ? null : s.value, source: s.source })) } : {}),
      ...(v >= 3 ? { configType: c.configType, documentation: req.includeDocumentation ? c.documentation : null } : {}),
    });
    const results: Result[] = req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName, errorMessage: null };
      const denied = configResourceDenied(ctx, AclOperation.DESCRIBE_CONFIGS, r.resourceType, r.resourceName);
      if (denied !== null) return { ...base, errorCode: denied, configs: [] };
      if (r.resourceType === TOPIC) {
        const topic = cluster.topic(r.resourceName);
        if (!topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${r.resourceName} does not exist`, configs: [] };
        return { ...base, errorCode: ErrorCode.NONE, configs: describeTopicConfigs(config, topic.configs, r.configurationKeys).map(toWire) };
      }
      if (r.resourceType === BROKER) {
        if (r.resourceName !== '' && r.resourceName !== String(ctx.node.nodeId)) {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${ctx.node.nodeId} or empty string, but received ${r.resourceName}`, configs: [] };
        }
        // The cluster default lists its dynamic configs only, as Kafka's ConfigHelper (currentDynamicDefaultConfigs).
        const configs = r.resourceName === ''
          ? describeBrokerConfigs(ctx.broker.dynamicConfigs.withoutNode, [...ctx.broker.dynamicConfigs.withoutNode.dynamicDefault.keys()].filter(wanted(r.configurationKeys)), { listenerOverrides: false })
          : describeBrokerConfigs(config, r.configurationKeys);
        return { ...base, errorCode: ErrorCode.NONE, configs: configs.map(toWire) };
      }
      if (r.resourceType === GROUP) {
        if (r.resourceName === '') return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Group name must not be empty', configs: [] };
        return { ...base, errorCode: ErrorCode.NONE, configs: describeGroupConfigs(config, cluster.groupConfigs(r.resourceName), r.configurationKeys).map(toWire) };
      }
      return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, configs: [] };
    });
    return { results };
  },
});
