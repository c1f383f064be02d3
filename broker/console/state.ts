// What the web console shows, read in-process from the broker's own state:
// topics from the Cluster (the one owner of topic metadata), sizes and offsets
// from the partition logs, groups, assignments, committed offsets and the
// rebalance history from the group coordinator shards. Plain JSON-ready objects;
// nothing here changes broker state.
import type { Cluster, TopicInfo } from '../cluster.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { GroupShards } from '../group-shards.js';
import { committedOffsets, groupAssignment } from '../double/readiness.js';

/** The parts of a running broker the console reads. */
export interface ConsoleSources {
  readonly clusterId: string;
  readonly cluster: Cluster;
  readonly logs: LogManager;
  readonly groups: GroupShards;
}

/** A 4xx answer with a message for the user (never a stack trace). */
export class ConsoleError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface PartitionView {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  readonly sizeBytes: number;
}

function partitionViews(sources: ConsoleSources, t: TopicInfo): PartitionView[] {
  return t.partitions.map((p) => {
    const log = sources.logs.logOf(t.id, p.index);
    return {
      partition: p.index,
      leader: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      logStartOffset: log?.logStartOffset ?? 0,
      highWatermark: log?.highWatermark ?? 0,
      sizeBytes: log?.size ?? 0,
    };
  });
}

export function topicList(sources: ConsoleSources) {
  return [...sources.cluster.topics()]
    .map((t) => {
      const parts = partitionViews(sources, t);
      return {
        name: t.name,
        id: t.id,
        internal: t.internal,
        partitions: parts.length,
        // Records still in the log (Kafka's tools show the same difference of offsets).
        records: parts.reduce((n, p) => n + (p.highWatermark - p.logStartOffset), 0),
        sizeBytes: parts.reduce((n, p) => n + p.sizeBytes, 0),
      };
    })
    .sort((a, b) => Number(a.internal) - Number(b.internal) || a.name.localeCompare(b.name));
}

export function requireTopic(sources: ConsoleSources, name: string): TopicInfo {
  const t = sources.cluster.topic(name);
  if (t === undefined) throw new ConsoleError(404, `unknown topic "${name}"`);
  return t;
}

export function topicDetail(sources: ConsoleSources, name: string) {
  const t = requireTopic(sources, name);
  const cfg = sources.cluster.logConfig(t);
  return {
    name: t.name,
    id: t.id,
    internal: t.internal,
    partitions: partitionViews(sources, t),
    /** The topic's own overrides; every other config has the broker's value. */
    configOverrides: t.configs,
    effective: {
      'cleanup.policy': cfg.cleanupPolicy.join(','),
      'retention.ms': cfg.retentionMs,
      'retention.bytes': cfg.retentionBytes,
      'segment.bytes': cfg.segmentBytes,
      'max.message.bytes': cfg.maxMessageBytes,
      'message.timestamp.type': cfg.messageTimestampType,
    },
  };
}

export function nodeList(sources: ConsoleSources) {
  const leads = new Map<number, number>();
  for (const t of sources.cluster.topics()) for (const p of t.partitions) leads.set(p.leaderId, (leads.get(p.leaderId) ?? 0) + 1);
  return {
    clusterId: sources.clusterId,
    controllerId: sources.cluster.controllerId,
    nodes: sources.cluster.nodes.map((n) => ({
      nodeId: n.nodeId,
      live: sources.cluster.isLive(n.nodeId),
      endpoints: n.endpoints.map((e) => ({ listener: e.listener, host: e.host, port: e.port })),
      rack: n.rack,
      partitionsLed: leads.get(n.nodeId) ?? 0,
    })),
  };
}

export async function groupList(sources: ConsoleSources) {
  const rows = await Promise.all(
    sources.groups.listGroups().map(async (g) => {
      const classic = g.groupType === 'classic' ? sources.groups.groupSnapshot(g.groupId) : undefined;
      const consumer = g.groupType === 'consumer' ? sources.groups.describeConsumerGroups([g.groupId])[0] : undefined;
      return {
        groupId: g.groupId,
        type: g.groupType,
        protocolType: g.protocolType,
        state: g.groupState,
        members: classic?.members.length ?? consumer?.members.length ?? 0,
        totalLag: totalLag(sources, await committedOffsets(sources.groups, g.groupId)),
        rebalances: g.groupType === 'classic' ? sources.groups.rebalanceHistory(g.groupId).length : sources.groups.consumerRebalanceHistory(g.groupId).length,
      };
    }),
  );
  return rows.sort((a, b) => a.groupId.localeCompare(b.groupId));
}

function lagOf(sources: ConsoleSources, topic: string, partition: number, committed: number | undefined): { end: number | null; lag: number | null } {
  const end = sources.logs.log(topic, partition)?.highWatermark ?? null;
  return { end, lag: committed !== undefined && end !== null ? Math.max(0, end - committed) : null };
}

/** Lag over the partitions the group committed, null when it committed none. */
function totalLag(sources: ConsoleSources, committed: Awaited<ReturnType<typeof committedOffsets>>): number | null {
  let sum: number | null = null;
  for (const [t, ps] of Object.entries(committed)) for (const [p, c] of Object.entries(ps)) sum = (sum ?? 0) + (lagOf(sources, t, Number(p), c.offset).lag ?? 0);
  return sum;
}

interface MemberView {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** topic -> partitions the member holds now. */
  readonly assignment: Record<string, number[]>;
}

/** A group's members with their assignments, committed offsets, end offsets and lag per partition. */
export async function groupDetail(sources: ConsoleSources, groupId: string) {
  const listed = sources.groups.listGroups().find((g) => g.groupId === groupId);
  if (listed === undefined) throw new ConsoleError(404, `unknown group "${groupId}"`);
  let members: MemberView[] = [];
  let protocol: string | null = null;
  let generation = -1;
  if (listed.groupType === 'classic') {
    const a = groupAssignment(sources.groups, groupId);
    const snap = sources.groups.groupSnapshot(groupId);
    protocol = snap?.protocolName ?? null;
    generation = a?.generationId ?? -1;
    members = (a?.members ?? []).map((m) => ({
      memberId: m.memberId,
      instanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: Object.fromEntries(Object.entries(m.partitions).map(([t, ps]) => [t, [...ps]])),
    }));
  } else {
    const d = sources.groups.describeConsumerGroups([groupId])[0];
    protocol = d?.assignorName ?? null;
    generation = d?.groupEpoch ?? -1;
    members = (d?.members ?? []).map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: Object.fromEntries(m.assignment.map((tp) => [sources.cluster.topicById(tp.topicId)?.name ?? tp.topicId, [...tp.partitions].sort((x, y) => x - y)])),
    }));
  }
  const owner = new Map<string, string>();
  for (const m of members) for (const [t, ps] of Object.entries(m.assignment)) for (const p of ps) owner.set(`${t}:${p}`, m.memberId);

  // Lag per partition, as kafka-consumer-groups shows it: every partition with a
  // commit or an owner, end offset minus committed offset.
  const committed = await committedOffsets(sources.groups, groupId);
  const keys = new Set<string>([...owner.keys(), ...Object.entries(committed).flatMap(([t, ps]) => Object.keys(ps).map((p) => `${t}:${p}`))]);
  const offsets = [...keys]
    .map((k) => {
      const at = k.lastIndexOf(':');
      const topic = k.slice(0, at);
      const partition = Number(k.slice(at + 1));
      const c = committed[topic]?.[partition];
      const { end, lag } = lagOf(sources, topic, partition, c?.offset);
      return {
        topic,
        partition,
        committedOffset: c?.offset ?? null,
        logEndOffset: end,
        lag,
        owner: owner.get(k) ?? null,
      };
    })
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return {
    groupId,
    type: listed.groupType,
    protocolType: listed.protocolType,
    protocol,
    state: listed.groupState,
    generation,
    members,
    offsets,
    totalLag: offsets.reduce((n, o) => n + (o.lag ?? 0), 0),
  };
}

/**
 * Every rebalance the coordinator recorded for the group, oldest first, in one
 * shape for both protocols: its cause(s), the generation or epoch it went to,
 * the partitions that moved and the pause (classic: the whole group stopped for
 * pausedMs; consumer protocol: only the moved partitions, longest maxPausedMs).
 */
export function rebalanceTimeline(sources: ConsoleSources, groupId: string) {
  const listed = sources.groups.listGroups().find((g) => g.groupId === groupId);
  if (listed === undefined) throw new ConsoleError(404, `unknown group "${groupId}"`);
  const topicName = (id: string) => sources.cluster.topicById(id)?.name ?? id;
  const classic = sources.groups.rebalanceHistory(groupId).map((r) => ({
    protocol: r.protocol,
    causes: r.cause === null ? [] : [r.cause],
    reasons: r.reasons,
    from: r.fromGenerationId,
    to: r.generationId,
    outcome: r.outcome,
    members: r.memberIds.length,
    startedAt: r.startedAt,
    completedAt: r.completedAt,
    pausedMs: r.pausedMs,
    stoppedWholeGroup: true,
    moved: r.partitionsMoved,
  }));
  const consumer = sources.groups.consumerRebalanceHistory(groupId).map((r) => ({
    protocol: r.protocol,
    causes: r.causes,
    reasons: [],
    from: r.fromGroupEpoch,
    to: r.groupEpoch,
    outcome: r.outcome,
    members: r.memberIds.length,
    startedAt: r.startedAt,
    completedAt: r.completedAt,
    pausedMs: r.maxPausedMs,
    stoppedWholeGroup: false,
    moved: r.partitionsMoved.map((m) => ({ ...m, topic: topicName(m.topicId) })),
  }));
  return { groupId, type: listed.groupType, rebalances: [...classic, ...consumer].sort((a, b) => a.startedAt - b.startedAt) };
}
