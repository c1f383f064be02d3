// Configs of topics and brokers: DescribeConfigs, and changes with
// IncrementalAlterConfigs (what Kafka's kafka-configs tool uses; the older
// AlterConfigs replaces every config of the resource). A broker resource is
// asked of that broker, as Kafka's admin client does.
import { DescribeConfigsApi } from '../protocol/messages/32-describe-configs.js';
import { IncrementalAlterConfigsApi } from '../protocol/messages/44-incremental-alter-configs.js';
import { ProtocolError, throwIfError } from './errors.js';
import type { KafkaClient } from './kafka-client.js';
import type { Connection } from './connection.js';

export const ResourceType = { topic: 2, broker: 4 } as const;
export type ResourceKind = keyof typeof ResourceType;

/** Kafka's ConfigSource names by id. */
const SOURCES = [
  'UNKNOWN',
  'DYNAMIC_TOPIC_CONFIG',
  'DYNAMIC_BROKER_CONFIG',
  'DYNAMIC_DEFAULT_BROKER_CONFIG',
  'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG',
  'DYNAMIC_BROKER_LOGGER_CONFIG',
  'CLIENT_METRICS_CONFIG',
  'GROUP_CONFIG',
];

export interface ConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly source: string;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
}

async function resourceConnection(client: KafkaClient, kind: ResourceKind, name: string): Promise<Connection> {
  if (kind === 'broker') {
    if (!/^\d+$/.test(name)) throw new ProtocolError(`a broker is named by its node id, got "${name}"`);
    await client.metadata([]);
    return client.node(Number(name));
  }
  return client.any();
}

export async function describeConfigs(client: KafkaClient, kind: ResourceKind, name: string): Promise<ConfigEntry[]> {
  const conn = await resourceConnection(client, kind, name);
  // v1+ carry the config source.
  const v = conn.version(DescribeConfigsApi, 1);
  const res = await conn.send(DescribeConfigsApi, v, { resources: [{ resourceType: ResourceType[kind], resourceName: name, configurationKeys: null }] });
  const r = res.results[0];
  if (r === undefined) throw new ProtocolError(`DescribeConfigs did not answer ${kind} "${name}"`);
  throwIfError(r.errorCode, `describe configs of ${kind} "${name}"`, r.errorMessage);
  return r.configs
    .map((c) => ({ name: c.name, value: c.isSensitive ? null : c.value, source: SOURCES[c.configSource] ?? `SOURCE_${c.configSource}`, readOnly: c.readOnly, sensitive: c.isSensitive }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Sets (value) or removes (null: back to the default) configs of one resource. */
export async function alterConfigs(client: KafkaClient, kind: ResourceKind, name: string, changes: ReadonlyMap<string, string | null>): Promise<void> {
  const conn = await resourceConnection(client, kind, name);
  const res = await conn.request(IncrementalAlterConfigsApi, {
    resources: [
      {
        resourceType: ResourceType[kind],
        resourceName: name,
        // configOperation 0 SET, 1 DELETE.
        configs: [...changes].map(([config, value]) => ({ name: config, configOperation: value === null ? 1 : 0, value })),
      },
    ],
    validateOnly: false,
  });
  const r = res.responses[0];
  if (r === undefined) throw new ProtocolError(`IncrementalAlterConfigs did not answer ${kind} "${name}"`);
  throwIfError(r.errorCode, `alter configs of ${kind} "${name}"`, r.errorMessage);
}
