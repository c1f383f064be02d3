// Topic administration: CreateTopics, DeleteTopics and CreatePartitions, sent
// to the controller as Kafka's admin client does.
import { CreateTopicsApi } from '../protocol/messages/19-create-topics.js';
import { DeleteTopicsApi } from '../protocol/messages/20-delete-topics.js';
import { CreatePartitionsApi } from '../protocol/messages/37-create-partitions.js';
import { ProtocolError, throwIfError } from './errors.js';
import type { KafkaClient } from './kafka-client.js';

export interface NewTopic {
  readonly name: string;
  /** -1: the broker's num.partitions. */
  readonly partitions: number;
  /** -1: the broker's default.replication.factor. */
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

export interface CreatedTopic {
  readonly name: string;
  readonly topicId: string | null;
  readonly partitions: number;
  readonly replicationFactor: number;
}

export async function createTopic(client: KafkaClient, topic: NewTopic, timeoutMs: number, validateOnly = false): Promise<CreatedTopic> {
  const conn = await client.controller();
  // v4+ accept -1 for the broker's defaults; v5+ answer the resulting counts.
  const usesDefaults = topic.partitions < 0 || topic.replicationFactor < 0;
  const v = conn.version(CreateTopicsApi, usesDefaults ? 4 : validateOnly ? 1 : 0);
  const res = await conn.send(CreateTopicsApi, v, {
    topics: [
      {
        name: topic.name,
        numPartitions: topic.partitions,
        replicationFactor: topic.replicationFactor,
        assignments: [],
        configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
      },
    ],
    timeoutMs,
    ...(validateOnly ? { validateOnly } : {}),
  });
  const t = res.topics.find((x) => x.name === topic.name);
  if (t === undefined) throw new ProtocolError(`CreateTopics did not answer topic "${topic.name}"`);
  throwIfError(t.errorCode, `create topic "${topic.name}"`, t.errorMessage);
  return {
    name: t.name,
    topicId: v >= 7 ? t.topicId : null,
    partitions: v >= 5 ? t.numPartitions : topic.partitions,
    replicationFactor: v >= 5 ? t.replicationFactor : topic.replicationFactor,
  };
}

export async function deleteTopic(client: KafkaClient, name: string, timeoutMs: number): Promise<void> {
  const conn = await client.controller();
  const v = conn.version(DeleteTopicsApi);
  const res = await conn.send(DeleteTopicsApi, v, v >= 6 ? { topics: [{ name }], timeoutMs } : { topicNames: [name], timeoutMs });
  const t = res.responses.find((x) => x.name === name);
  if (t === undefined) throw new ProtocolError(`DeleteTopics did not answer topic "${name}"`);
  throwIfError(t.errorCode, `delete topic "${name}"`, t.errorMessage);
}

/** Raises a topic's partition count to `count`. */
export async function createPartitions(client: KafkaClient, name: string, count: number, timeoutMs: number): Promise<void> {
  const conn = await client.controller();
  const res = await conn.request(CreatePartitionsApi, { topics: [{ name, count, assignments: null }], timeoutMs, validateOnly: false });
  const t = res.results.find((x) => x.name === name);
  if (t === undefined) throw new ProtocolError(`CreatePartitions did not answer topic "${name}"`);
  throwIfError(t.errorCode, `raise the partition count of "${name}" to ${count}`, t.errorMessage);
}
