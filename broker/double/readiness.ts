// What a test reads back from the broker instead of sleeping: who holds which
// partitions in a group, what a group committed, what a partition holds.
import type { GroupShards } from '../group-shards.js';
import type { LogManager } from '../../storage/log-manager.js';
import { parseConsumerAssignment } from '../group-service.js';
import { decodeBatch } from '../../protocol/record-batch.js';

export interface MemberAssignment {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  /** As Kafka shows it: "/127.0.0.1". */
  readonly clientHost: string;
  /** Topic -> partitions this member holds (from its consumer-protocol assignment). */
  readonly partitions: Readonly<Record<string, readonly number[]>>;
}

export interface GroupAssignment {
  readonly groupId: string;
  readonly state: string;
  readonly generationId: number;
  readonly members: readonly MemberAssignment[];
}

/**
 * The partitions each member holds now (in a Stable group: the current
 * generation's), decoded from the assignments the leader handed out; undefined
 * when the group does not exist.
 */
export function groupAssignment(groups: Pick<GroupShards, 'groupSnapshot'>, groupId: string): GroupAssignment | undefined {
  const s = groups.groupSnapshot(groupId);
  if (s === undefined) return undefined;
  return {
    groupId,
    state: s.state,
    generationId: s.generationId,
    members: s.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      partitions: Object.fromEntries(
        [...(parseConsumerAssignment(m.assignment) ?? new Map<string, number[]>())].map(([t, ps]) => [t, [...ps].sort((a, b) => a - b)]),
      ),
    })),
  };
}

export interface CommittedOffset {
  readonly offset: number;
  readonly metadata: string;
}

/** topic -> partition -> committed offset and metadata ({} for a group with none). */
export async function committedOffsets(
  groups: Pick<GroupShards, 'fetchOffsets'>,
  groupId: string,
): Promise<Record<string, Record<number, CommittedOffset>>> {
  const out: Record<string, Record<number, CommittedOffset>> = {};
  const res = await groups.fetchOffsets({ groupId, topics: null });
  if (res === undefined) return out;
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.committedOffset < 0n) continue;
      (out[t.name] ??= {})[p.partitionIndex] = { offset: Number(p.committedOffset), metadata: p.metadata };
    }
  }
  return out;
}

export interface StoredRecord {
  readonly offset: number;
  /** Epoch ms (the producer's, or the broker's for LogAppendTime topics). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly { readonly key: string; readonly value: Buffer | null }[];
}

const READ_BYTES = 1024 * 1024;

/**
 * The records of one partition, decoded (decompressed) from the log, from offset
 * `from` (default: the log start) up to the high watermark, at most `max`
 * (default 1000). Control records (transaction markers) are not listed.
 */
export async function partitionRecords(
  logs: LogManager,
  topic: string,
  partition: number,
  opts: { from?: number; max?: number } = {},
): Promise<StoredRecord[]> {
  const log = logs.log(topic, partition);
  if (log === undefined) throw new Error(`no partition ${topic}-${partition}`);
  const max = opts.max ?? 1000;
  const out: StoredRecord[] = [];
  let next = Math.max(opts.from ?? log.logStartOffset, log.logStartOffset);
  while (out.length < max && next < log.highWatermark) {
    const { batches } = await log.read(next, READ_BYTES);
    if (batches.length === 0) break;
    for (const buf of batches) {
      for (let at = 0; at < buf.length && out.length < max; ) {
        const batch = await decodeBatch(buf, at);
        at = batch.end;
        next = Number(batch.header.baseOffset) + batch.header.lastOffsetDelta + 1;
        if (batch.header.isControl) continue;
        for (const r of batch.records) {
          if (r.offset < BigInt(opts.from ?? 0) || out.length >= max) continue;
          out.push({ offset: Number(r.offset), timestamp: Number(r.timestamp), key: r.key, value: r.value, headers: r.headers });
        }
      }
    }
  }
  return out;
}
