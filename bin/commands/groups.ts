// `kafkalite groups list|describe|delete|reset-offsets`, with Kafka's
// kafka-consumer-groups semantics: reset-offsets prints the plan unless
// --execute, and only touches an inactive group (Empty, or unknown).
import { CliUsageError } from '../args.js';
import { ErrorCode } from '../../protocol/errors.js';
import { KafkaError } from '../../client/errors.js';
import type { KafkaClient } from '../../client/kafka-client.js';
import { deleteGroup, describeGroup, listGroups, type GroupDescription } from '../../client/admin-groups.js';
import { EARLIEST, LATEST, commitOffsets, fetchCommitted, listOffsets, tpKey, type TopicPartition } from '../../client/offsets.js';
import { COMMON_USAGE, parseCommand, CommandError, intOption, noExtraArgs, requireArg, withClient } from './common.js';
import { printJson, Progress, table } from './output.js';

const USAGE = `Usage:
  kafkalite groups list
  kafkalite groups describe GROUP...
  kafkalite groups delete GROUP
  kafkalite groups reset-offsets GROUP (--topic TOPIC[:P,P...] | --all-topics) SPEC [--execute]

describe shows the group's state, protocol and members with their assigned
partitions, then per partition the committed offset, the end offset and the
lag (end - committed).

reset-offsets moves the group's committed offsets, as Kafka's
kafka-consumer-groups does: the group must be inactive (no members); without
--execute it only prints the plan (--dry-run, the default). SPEC is one of:
  --to-earliest  --to-latest  --to-offset N  --to-datetime TIME (ms or ISO 8601)
  --shift-by N (may be negative)
Offsets outside a partition's range are moved to its nearest end; --shift-by
needs a committed offset in every partition it moves. A negative number is
written --shift-by=-N.
--all-topics resets every partition the group has committed.

${COMMON_USAGE}`;

const OPTIONS = {
  topic: { type: 'string', multiple: true },
  'all-topics': { type: 'boolean' },
  'to-earliest': { type: 'boolean' },
  'to-latest': { type: 'boolean' },
  'to-offset': { type: 'string' },
  'to-datetime': { type: 'string' },
  'shift-by': { type: 'string' },
  execute: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

type ResetSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'datetime'; ms: bigint }
  | { kind: 'shift'; by: bigint };

export async function groupsCommand(argv: string[]): Promise<void> {
  const parsed = parseCommand(argv, OPTIONS, USAGE);
  if (parsed === null) return;
  const { values, positionals, common } = parsed;
  const [sub, ...args] = positionals;
  switch (sub) {
    case 'list':
      noExtraArgs(args);
      return withClient(common, async (client) => {
        const groups = await listGroups(client);
        if (common.json) printJson(groups);
        else process.stdout.write(table(['GROUP', 'STATE', 'PROTOCOL TYPE'], groups.map((g) => [g.groupId, g.state || null, g.protocolType || null])));
      });
    case 'describe': {
      if (args.length === 0) throw new CliUsageError('missing group name');
      return withClient(common, async (client) => {
        const described = [];
        for (const g of args) described.push(await describeWithLag(client, g));
        if (common.json) {
          printJson(described);
          return;
        }
        process.stdout.write(described.map(formatGroup).join('\n'));
      });
    }
    case 'delete': {
      const group = requireArg(args[0], 'group name');
      noExtraArgs(args.slice(1));
      return withClient(common, async (client) => {
        await deleteGroup(client, group);
        if (common.json) printJson({ deleted: true, group });
        else process.stdout.write(`deleted group "${group}"\n`);
      });
    }
    case 'reset-offsets': {
      const group = requireArg(args[0], 'group name');
      noExtraArgs(args.slice(1));
      const spec = resetSpec(values);
      if (values.execute === true && values['dry-run'] === true) throw new CliUsageError('--execute and --dry-run do not go together');
      if ((values.topic === undefined) === (values['all-topics'] !== true)) throw new CliUsageError('name the partitions: --topic TOPIC[:P,P...] or --all-topics');
      return withClient(common, (client) => resetOffsets(client, group, values.topic ?? null, spec, values.execute === true, common.json));
    }
    case undefined:
      throw new CliUsageError('missing subcommand: list, describe, delete or reset-offsets');
    default:
      throw new CliUsageError(`unknown subcommand "${sub}": list, describe, delete or reset-offsets`);
  }
}

interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: bigint | null;
  endOffset: bigint;
  lag: bigint | null;
  memberId: string | null;
  clientId: string | null;
}

async function describeWithLag(client: KafkaClient, groupId: string) {
  const group = await describeGroup(client, groupId);
  const committed = (await fetchCommitted(client, groupId, null)).filter((c) => c.offset >= 0n);
  const owners = new Map<string, { memberId: string; clientId: string }>();
  for (const m of group.members) for (const tp of m.assignment) owners.set(tpKey(tp.topic, tp.partition), m);
  const keys = new Map<string, TopicPartition>();
  for (const c of committed) keys.set(tpKey(c.topic, c.partition), c);
  for (const m of group.members) for (const tp of m.assignment) keys.set(tpKey(tp.topic, tp.partition), tp);
  const tps = [...keys.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const ends = tps.length === 0 ? new Map() : await listOffsets(client, tps, LATEST);
  const byKey = new Map(committed.map((c) => [tpKey(c.topic, c.partition), c.offset]));
  const partitions: PartitionLag[] = tps.map((tp) => {
    const key = tpKey(tp.topic, tp.partition);
    const c = byKey.get(key) ?? null;
    const end = ends.get(key)!.offset as bigint;
    const owner = owners.get(key);
    return {
      topic: tp.topic,
      partition: tp.partition,
      committedOffset: c,
      endOffset: end,
      lag: c === null ? null : end - c > 0n ? end - c : 0n,
      memberId: owner?.memberId ?? null,
      clientId: owner?.clientId ?? null,
    };
  });
  return { ...group, totalLag: partitions.reduce((s, p) => s + (p.lag ?? 0n), 0n), partitions };
}

function formatGroup(d: GroupDescription & { totalLag: bigint; partitions: PartitionLag[] }): string {
  const head = `Group: ${d.groupId}  State: ${d.state}  Protocol: ${d.protocolType || '-'}/${d.protocol || '-'}  Members: ${d.members.length}  Lag: ${d.totalLag}\n`;
  const members =
    d.members.length === 0
      ? ''
      : '\n' +
        table(
          ['MEMBER', 'CLIENT ID', 'HOST', 'ASSIGNMENT'],
          d.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.assignment.map((tp) => `${tp.topic}-${tp.partition}`).join(',') || null]),
        );
  const offsets =
    d.partitions.length === 0
      ? ''
      : '\n' +
        table(
          ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'MEMBER'],
          d.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.endOffset, p.lag, p.memberId]),
        );
  return head + members + offsets;
}

function resetSpec(values: {
  'to-earliest'?: boolean;
  'to-latest'?: boolean;
  'to-offset'?: string;
  'to-datetime'?: string;
  'shift-by'?: string;
}): ResetSpec {
  const specs: ResetSpec[] = [];
  if (values['to-earliest'] === true) specs.push({ kind: 'earliest' });
  if (values['to-latest'] === true) specs.push({ kind: 'latest' });
  if (values['to-offset'] !== undefined) specs.push({ kind: 'offset', offset: BigInt(intOption('--to-offset', values['to-offset'], 0)) });
  if (values['to-datetime'] !== undefined) {
    const t = values['to-datetime'];
    const ms = /^\d+$/.test(t) ? Number(t) : /^\d{4}-\d{2}-\d{2}/.test(t) ? Date.parse(t) : NaN;
    if (!Number.isSafeInteger(ms)) throw new CliUsageError(`--to-datetime must be ms since the epoch or ISO 8601, got "${t}"`);
    specs.push({ kind: 'datetime', ms: BigInt(ms) });
  }
  if (values['shift-by'] !== undefined) specs.push({ kind: 'shift', by: BigInt(intOption('--shift-by', values['shift-by'], Number.MIN_SAFE_INTEGER)) });
  if (specs.length !== 1) throw new CliUsageError('give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by');
  return specs[0]!;
}

async function resetOffsets(client: KafkaClient, groupId: string, topics: readonly string[] | null, spec: ResetSpec, execute: boolean, json: boolean): Promise<void> {
  const group = await describeGroup(client, groupId);
  // Kafka's tool: only an inactive group (a consumer would overwrite the new offsets).
  if (group.state !== 'Empty' && group.state !== 'Dead') {
    throw new CommandError(`offsets of group "${groupId}" can only be reset while it is inactive, but its state is ${group.state} (stop its consumers first)`);
  }
  const committed = await fetchCommitted(client, groupId, null);
  let tps: TopicPartition[];
  if (topics === null) {
    tps = committed.filter((c) => c.offset >= 0n);
  } else {
    tps = [];
    for (const item of topics) {
      const [name, list] = item.split(':', 2) as [string, string | undefined];
      const t = await client.topic(name);
      const parts = list === undefined ? t.partitions.map((p) => p.partition) : list.split(',').map((p) => intOption(`--topic ${name}:`, p, 0));
      for (const p of parts) {
        if (p >= t.partitions.length) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${name}-${p}`, `topic "${name}" has ${t.partitions.length} partition(s)`);
        tps.push({ topic: name, partition: p });
      }
    }
  }
  if (tps.length === 0) throw new CommandError(`group "${groupId}" has no committed offsets to reset`);

  const [earliest, latest] = await Promise.all([listOffsets(client, tps, EARLIEST), listOffsets(client, tps, LATEST)]);
  const byTime = spec.kind === 'datetime' ? await listOffsets(client, tps, spec.ms) : null;
  const current = new Map(committed.map((c) => [tpKey(c.topic, c.partition), c.offset]));
  const plan = tps.map((tp) => {
    const key = tpKey(tp.topic, tp.partition);
    const lo = earliest.get(key)!.offset;
    const hi = latest.get(key)!.offset;
    const now = current.get(key) ?? -1n;
    let target: bigint;
    switch (spec.kind) {
      case 'earliest':
        target = lo;
        break;
      case 'latest':
        target = hi;
        break;
      case 'offset':
        target = spec.offset;
        break;
      case 'datetime': {
        const found = byTime!.get(key)!.offset;
        target = found >= 0n ? found : hi;
        break;
      }
      case 'shift':
        // As Kafka's tool: a shift needs an offset to shift from.
        if (now < 0n) throw new CommandError(`cannot shift the offset of ${tp.topic}-${tp.partition}: group "${groupId}" has no committed offset there`);
        target = now + spec.by;
        break;
    }
    if (target < lo) target = lo;
    if (target > hi) target = hi;
    return { topic: tp.topic, partition: tp.partition, currentOffset: now >= 0n ? now : null, newOffset: target };
  });

  if (execute) {
    const progress = new Progress();
    progress.update(`resetting ${plan.length} partition(s) of group ${groupId}`);
    await commitOffsets(client, groupId, plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.newOffset })));
    progress.done(`reset ${plan.length} partition(s) of group "${groupId}"`);
  } else if (!json) {
    process.stderr.write('dry run: nothing changed; add --execute to commit these offsets\n');
  }
  if (json) printJson({ group: groupId, executed: execute, partitions: plan });
  else process.stdout.write(table(['TOPIC', 'PARTITION', 'CURRENT', 'NEW'], plan.map((p) => [p.topic, p.partition, p.currentOffset, p.newOffset])));
}
