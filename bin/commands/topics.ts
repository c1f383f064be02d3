// `kafkalite topics list|describe|create|delete|alter`.
import { CliUsageError } from '../args.js';
import { ErrorCode } from '../../protocol/errors.js';
import { KafkaError } from '../../client/errors.js';
import type { KafkaClient, TopicInfo } from '../../client/kafka-client.js';
import { EARLIEST, LATEST, listOffsets, tpKey } from '../../client/offsets.js';
import { createPartitions, createTopic, deleteTopic } from '../../client/admin-topics.js';
import { alterConfigs, describeConfigs } from '../../client/admin-configs.js';
import { COMMON_USAGE, parseCommand, intOption, keyValues, noExtraArgs, requireArg, withClient } from './common.js';
import { printJson, table } from './output.js';

const USAGE = `Usage:
  kafkalite topics list [--internal]
  kafkalite topics describe [TOPIC...]
  kafkalite topics create TOPIC [--partitions N] [--replication-factor N] [--config K=V]... [--if-not-exists]
  kafkalite topics delete TOPIC [--if-exists]
  kafkalite topics alter TOPIC [--partitions N] [--config K=V]... [--delete-config K]...

describe shows each partition's leader, replicas, in-sync replicas, earliest and
latest offsets and MESSAGES = latest - earliest (markers and compacted records
included), and the topic's configs that differ from the broker's defaults.
Without a partition count or replication factor, create uses the broker's
defaults. alter --partitions raises the count (CreatePartitions); config changes
use IncrementalAlterConfigs, which a broker may not serve (the error says so).

${COMMON_USAGE}`;

const OPTIONS = {
  internal: { type: 'boolean' },
  partitions: { type: 'string' },
  'replication-factor': { type: 'string' },
  config: { type: 'string', multiple: true },
  'delete-config': { type: 'string', multiple: true },
  'if-not-exists': { type: 'boolean' },
  'if-exists': { type: 'boolean' },
} as const;

export async function topicsCommand(argv: string[]): Promise<void> {
  const parsed = parseCommand(argv, OPTIONS, USAGE);
  if (parsed === null) return;
  const { values, positionals, common } = parsed;
  const [sub, ...args] = positionals;
  switch (sub) {
    case 'list':
      noExtraArgs(args);
      return withClient(common, async (client) => {
        const md = await client.metadata(null);
        const topics = md.topics.filter((t) => values.internal === true || !t.isInternal);
        if (common.json) printJson(topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.length, internal: t.isInternal })));
        else process.stdout.write(table(['TOPIC', 'PARTITIONS', 'TOPIC ID'], topics.map((t) => [t.name, t.partitions.length, t.topicId])));
      });
    case 'describe':
      return withClient(common, async (client) => {
        const md = await client.metadata(args.length === 0 ? null : args);
        for (const t of md.topics) if (t.errorCode !== ErrorCode.NONE) throw new KafkaError(t.errorCode, `topic "${t.name}"`);
        const topics = md.topics.filter((t) => args.length > 0 || !t.isInternal);
        const described = await Promise.all(topics.map((t) => describeTopic(client, t)));
        if (common.json) {
          printJson(described);
          return;
        }
        process.stdout.write(
          described
            .map((d) => {
              const configs = Object.entries(d.configs).map(([k, v]) => `${k}=${v}`).join(',');
              const head = `Topic: ${d.name}  TopicId: ${d.topicId}  Partitions: ${d.partitions.length}${d.internal ? '  Internal: true' : ''}  Configs: ${configs || '(defaults)'}\n`;
              return (
                head +
                table(
                  ['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'EARLIEST', 'LATEST', 'MESSAGES'],
                  d.partitions.map((p) => [p.partition, p.leader, p.leaderEpoch, p.replicas.join(','), p.isr.join(','), p.earliestOffset, p.latestOffset, p.messages]),
                )
              );
            })
            .join('\n'),
        );
      });
    case 'create': {
      const name = requireArg(args[0], 'topic name');
      noExtraArgs(args.slice(1));
      const partitions = values.partitions === undefined ? -1 : intOption('--partitions', values.partitions, 1);
      const replicationFactor = values['replication-factor'] === undefined ? -1 : intOption('--replication-factor', values['replication-factor'], 1, 32767);
      const configs = Object.fromEntries(keyValues('--config', values.config));
      return withClient(common, async (client) => {
        try {
          const created = await createTopic(client, { name, partitions, replicationFactor, configs }, common.timeoutMs);
          if (common.json) printJson({ created: true, ...created });
          else process.stdout.write(`created topic "${name}"${created.partitions > 0 ? ` with ${created.partitions} partition(s)` : ''}\n`);
        } catch (e) {
          if (!(values['if-not-exists'] === true && e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw e;
          if (common.json) printJson({ created: false, name });
          else process.stdout.write(`topic "${name}" already exists\n`);
        }
      });
    }
    case 'delete': {
      const name = requireArg(args[0], 'topic name');
      noExtraArgs(args.slice(1));
      return withClient(common, async (client) => {
        try {
          await deleteTopic(client, name, common.timeoutMs);
          if (common.json) printJson({ deleted: true, name });
          else process.stdout.write(`deleted topic "${name}"\n`);
        } catch (e) {
          if (!(values['if-exists'] === true && e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw e;
          if (common.json) printJson({ deleted: false, name });
          else process.stdout.write(`topic "${name}" does not exist\n`);
        }
      });
    }
    case 'alter': {
      const name = requireArg(args[0], 'topic name');
      noExtraArgs(args.slice(1));
      const partitions = values.partitions === undefined ? undefined : intOption('--partitions', values.partitions, 1);
      const changes = new Map<string, string | null>(keyValues('--config', values.config));
      for (const k of values['delete-config'] ?? []) changes.set(k, null);
      if (partitions === undefined && changes.size === 0) throw new CliUsageError('alter needs --partitions, --config or --delete-config');
      return withClient(common, async (client) => {
        await client.topic(name);
        if (partitions !== undefined) await createPartitions(client, name, partitions, common.timeoutMs);
        if (changes.size > 0) await alterConfigs(client, 'topic', name, changes);
        const done = { name, ...(partitions !== undefined ? { partitions } : {}), ...(changes.size > 0 ? { configs: Object.fromEntries(changes) } : {}) };
        if (common.json) printJson(done);
        else {
          if (partitions !== undefined) process.stdout.write(`topic "${name}" now has ${partitions} partition(s)\n`);
          if (changes.size > 0) process.stdout.write(`altered ${changes.size} config(s) of topic "${name}"\n`);
        }
      });
    }
    case undefined:
      throw new CliUsageError('missing subcommand: list, describe, create, delete or alter');
    default:
      throw new CliUsageError(`unknown subcommand "${sub}": list, describe, create, delete or alter`);
  }
}

async function describeTopic(client: KafkaClient, t: TopicInfo) {
  const tps = t.partitions.map((p) => ({ topic: t.name, partition: p.partition }));
  const [earliest, latest, configs] = await Promise.all([
    listOffsets(client, tps, EARLIEST),
    listOffsets(client, tps, LATEST),
    describeConfigs(client, 'topic', t.name),
  ]);
  return {
    name: t.name,
    topicId: t.topicId,
    internal: t.isInternal,
    configs: Object.fromEntries(configs.filter((c) => c.source === 'DYNAMIC_TOPIC_CONFIG').map((c) => [c.name, c.value])),
    partitions: t.partitions.map((p) => {
      const lo = earliest.get(tpKey(t.name, p.partition))!.offset;
      const hi = latest.get(tpKey(t.name, p.partition))!.offset;
      return { partition: p.partition, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, earliestOffset: lo, latestOffset: hi, messages: hi - lo };
    }),
  };
}
