// Rebalance history of consumer groups (KIP-848): from the group epoch bump that
// started it to the moment the group is Stable (or Empty) again, which
// partitions moved between which members and, per partition, how long it did
// not move forward: from the old owner giving it up (its acknowledging heartbeat,
// its leave or its fencing; the epoch bump for a partition nobody owned) to the
// new owner's first heartbeat that owns it. Partitions that stay put never stop.
// Live bookkeeping only (not replayed): a restart starts with no open rebalance.

import type { PartitionMap } from './consumer-assignors.js';
import type { ConsumerGroup, ConsumerMember } from './consumer-group.js';
import type { ConsumerRebalanceCause, MovedPartition } from './consumer-types.js';
import type { StepOutput } from './types.js';

export interface ConsumerRebalanceSummary {
  readonly protocol: 'consumer';
  readonly groupId: string;
  /** The group epoch the rebalance ended at. */
  readonly groupEpoch: number;
  /** The group epoch before it started. */
  readonly fromGroupEpoch: number;
  readonly outcome: 'Stable' | 'Empty';
  /** The causes of the epoch bumps, in order (bounded; causeCount counts them all). */
  readonly causes: readonly ConsumerRebalanceCause[];
  readonly causeCount: number;
  readonly memberIds: readonly string[];
  readonly startedAt: number;
  readonly completedAt: number;
  readonly partitionsMoved: readonly MovedPartition[];
  /** The longest pause of any moved partition (0 when none moved). */
  readonly maxPausedMs: number;
}

interface Move {
  from: string | null;
  to: string;
  releasedAt: number | null;
  ownedAt: number | null;
}

interface Episode {
  readonly startedAt: number;
  readonly fromEpoch: number;
  readonly causes: ConsumerRebalanceCause[];
  causeCount: number;
  /** "topicId:partition" -> move. */
  readonly moves: Map<string, Move>;
}

const CAUSES_KEPT = 20;

function split(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

/** "topicId:partition" -> the member whose current target holds it. */
function targetOwners(group: ConsumerGroup): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [memberId, target] of group.targets) for (const [t, ps] of target) for (const p of ps) owners.set(`${t}:${p}`, memberId);
  return owners;
}

export class ConsumerRebalanceTracker {
  private readonly episodes = new Map<string, Episode>();
  /** Per group: partition -> the member that held it before it left or rejoined. */
  private readonly released = new Map<string, Map<string, string>>();

  epochBumped(group: ConsumerGroup, cause: ConsumerRebalanceCause, now: number): void {
    let ep = this.episodes.get(group.groupId);
    if (ep === undefined) {
      ep = { startedAt: now, fromEpoch: group.groupEpoch, causes: [], causeCount: 0, moves: new Map() };
      this.episodes.set(group.groupId, ep);
    }
    if (ep.causes.length < CAUSES_KEPT) ep.causes.push(cause);
    ep.causeCount++;
  }

  /** Called with the new targets before they replace the old ones. */
  targetsComputed(group: ConsumerGroup, targets: ReadonlyMap<string, PartitionMap>, now: number): void {
    const ep = this.episodes.get(group.groupId);
    if (ep === undefined) return;
    // A partition nobody owns now came from the member whose target held it.
    const released = this.released.get(group.groupId);
    this.released.delete(group.groupId);
    // Built only when a moved partition has no owner (most rebalances have none).
    let previousTarget: Map<string, string> | null = null;
    for (const [memberId, target] of targets) {
      const old = group.targets.get(memberId);
      for (const [t, ps] of target) {
        for (const p of ps) {
          if (old?.get(t)?.has(p) === true) continue;
          const key = `${t}:${p}`;
          const owner = group.ownerOf(t, p);
          const move = ep.moves.get(key);
          if (move !== undefined) move.to = memberId;
          else if (owner !== memberId) {
            if (owner === undefined && previousTarget === null) previousTarget = targetOwners(group);
            const from = owner ?? previousTarget!.get(key) ?? released?.get(key) ?? null;
            ep.moves.set(key, { from, to: memberId, releasedAt: owner === undefined ? now : null, ownedAt: null });
          }
        }
      }
    }
  }

  /** Called before a member's partitions are freed (leave, fencing, rejoin with epoch 0). */
  memberRemoved(group: ConsumerGroup, member: ConsumerMember, now: number): void {
    let released = this.released.get(group.groupId);
    if (released === undefined) this.released.set(group.groupId, (released = new Map()));
    for (const map of [member.assigned, member.pendingRevocation, group.targets.get(member.memberId) ?? new Map<string, Set<number>>()]) {
      for (const [t, ps] of map) for (const p of ps) released.set(`${t}:${p}`, member.memberId);
    }
    const ep = this.episodes.get(group.groupId);
    if (ep === undefined) return;
    for (const m of ep.moves.values()) if (m.from === member.memberId && m.releasedAt === null) m.releasedAt = now;
  }

  /** After every change: stamps releases and takeovers, closes the rebalance once the group is Stable or Empty. */
  observe(group: ConsumerGroup, now: number, out: StepOutput): void {
    const ep = this.episodes.get(group.groupId);
    if (ep === undefined) return;
    for (const [key, m] of ep.moves) {
      const [t, p] = split(key);
      const owner = group.ownerOf(t, p);
      if (m.releasedAt === null && owner !== m.from) m.releasedAt = now;
      if (m.ownedAt === null && owner === m.to) m.ownedAt = now;
    }
    const state = group.state;
    if (state !== 'Stable' && state !== 'Empty') return;
    this.episodes.delete(group.groupId);
    const moved: MovedPartition[] = [];
    let maxPausedMs = 0;
    for (const [key, m] of ep.moves) {
      const [topicId, partition] = split(key);
      const owner = group.ownerOf(topicId, partition);
      if (owner === undefined || owner === m.from) continue;
      const pausedMs = (m.ownedAt ?? now) - (m.releasedAt ?? ep.startedAt);
      maxPausedMs = Math.max(maxPausedMs, pausedMs);
      moved.push({ topicId, partition, from: m.from, to: owner, pausedMs });
    }
    out.consumerRebalances.push({
      protocol: 'consumer',
      groupId: group.groupId,
      groupEpoch: group.groupEpoch,
      fromGroupEpoch: ep.fromEpoch,
      outcome: state,
      causes: ep.causes,
      causeCount: ep.causeCount,
      memberIds: [...group.members.keys()],
      startedAt: ep.startedAt,
      completedAt: now,
      partitionsMoved: moved,
      maxPausedMs,
    });
  }

  forget(groupId: string): void {
    this.episodes.delete(groupId);
    this.released.delete(groupId);
  }
}
