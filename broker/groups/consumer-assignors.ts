// Server-side assignors of consumer groups (KIP-848), as Kafka's:
// - uniform: balanced (member sizes differ by at most one), then sticky. With
//   identical subscriptions: quota floor(P/M), P mod M members get one more; each
//   member keeps what it had up to its quota, the rest fills members under quota
//   (so scale 3 -> 4 on 12 partitions moves exactly 3). Different subscriptions:
//   keep, give each free partition to its least-loaded subscriber, then move
//   partitions from a member to a subscriber with two fewer until none is left.
// - range: per topic, subscribers sorted (static members by instance id first,
//   then member id) get contiguous ranges, the first P mod M one more; the same
//   on every topic, so equal-sized topics are co-partitioned. Not sticky.
// Members are visited in member-id order so the result is deterministic.

/** topic id -> partitions. */
export type PartitionMap = Map<string, Set<number>>;

export interface AssignorMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  /** Topic ids the member subscribes to (existing topics only). */
  readonly topics: ReadonlySet<string>;
  /** Its current target. */
  readonly current: PartitionMap | undefined;
}

export interface AssignorInput {
  readonly members: readonly AssignorMember[];
  /** topic id -> partition count, for every subscribed topic. */
  readonly topics: ReadonlyMap<string, number>;
}

export type Assignor = (input: AssignorInput) => Map<string, PartitionMap>;

export const ASSIGNORS: Readonly<Record<string, Assignor>> = Object.freeze({ uniform: uniformAssign, range: rangeAssign });

type TP = readonly [string, number];

function add(map: PartitionMap, topicId: string, p: number): void {
  let s = map.get(topicId);
  if (s === undefined) map.set(topicId, (s = new Set()));
  s.add(p);
}

function byId(a: AssignorMember, b: AssignorMember): number {
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

function sortedTopics(topics: ReadonlyMap<string, number>): string[] {
  return [...topics.keys()].sort();
}

/** The member's current partitions that are still valid (subscribed, existing), in order. */
function keepable(m: AssignorMember, topics: ReadonlyMap<string, number>): TP[] {
  const out: TP[] = [];
  if (m.current === undefined) return out;
  // One topic, one partition is the common case at scale: nothing to sort.
  for (const t of m.current.size === 1 ? m.current.keys() : [...m.current.keys()].sort()) {
    const n = topics.get(t);
    if (n === undefined || !m.topics.has(t)) continue;
    const ps = m.current.get(t)!;
    for (const p of ps.size === 1 ? ps : [...ps].sort((a, b) => a - b)) if (p < n) out.push([t, p]);
  }
  return out;
}

export function uniformAssign(input: AssignorInput): Map<string, PartitionMap> {
  const members = [...input.members].sort(byId);
  const result = new Map<string, PartitionMap>();
  for (const m of members) result.set(m.memberId, new Map());
  if (members.length === 0) return result;
  return sameTopics(members) ? uniformHomogeneous(members, input.topics, result) : uniformHeterogeneous(members, input.topics, result);
}

function sameTopics(members: readonly AssignorMember[]): boolean {
  const first = members[0]!.topics;
  for (const m of members) {
    if (m.topics === first) continue;
    if (m.topics.size !== first.size) return false;
    for (const t of m.topics) if (!first.has(t)) return false;
  }
  return true;
}

// Partitions are marked taken in one byte array per subscribed topic, not as
// "topic:partition" strings: at 1,000 members this runs once per rebalance.
function uniformHomogeneous(members: AssignorMember[], topics: ReadonlyMap<string, number>, result: Map<string, PartitionMap>): Map<string, PartitionMap> {
  const subscribed = sortedTopics(topics).filter((t) => members[0]!.topics.has(t));
  const taken = new Map<string, Uint8Array>();
  let total = 0;
  for (const t of subscribed) {
    const n = topics.get(t)!;
    taken.set(t, new Uint8Array(n));
    total += n;
  }
  const minQuota = Math.floor(total / members.length);
  let extra = total % members.length;
  const counts = new Int32Array(members.length);
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!;
    const kept = keepable(m, topics);
    let limit = minQuota;
    if (kept.length > minQuota && extra > 0) {
      limit++;
      extra--;
    }
    const mine = result.get(m.memberId)!;
    const n = Math.min(kept.length, limit);
    for (let k = 0; k < n; k++) {
      const [t, p] = kept[k]!;
      add(mine, t, p);
      taken.get(t)![p] = 1;
    }
    counts[i] = n;
  }
  // The free partitions in (topic, partition) order, handed out from `next`.
  const freeTopic: string[] = [];
  const freePartition: number[] = [];
  for (const t of subscribed) {
    const marks = taken.get(t)!;
    for (let p = 0; p < marks.length; p++) {
      if (marks[p] === 1) continue;
      freeTopic.push(t);
      freePartition.push(p);
    }
  }
  let next = 0;
  for (let i = 0; i < members.length; i++) {
    if (counts[i]! >= minQuota || next >= freeTopic.length) continue;
    const mine = result.get(members[i]!.memberId)!;
    while (counts[i]! < minQuota && next < freeTopic.length) {
      add(mine, freeTopic[next]!, freePartition[next]!);
      next++;
      counts[i]++;
    }
  }
  for (let i = 0; i < members.length; i++) {
    if (next >= freeTopic.length || extra === 0) break;
    if (counts[i] !== minQuota) continue;
    add(result.get(members[i]!.memberId)!, freeTopic[next]!, freePartition[next]!);
    next++;
    counts[i] = minQuota + 1;
    extra--;
  }
  return result;
}

function uniformHeterogeneous(members: AssignorMember[], topics: ReadonlyMap<string, number>, result: Map<string, PartitionMap>): Map<string, PartitionMap> {
  const owner = new Map<string, string>();
  const count = new Map<string, number>(members.map((m) => [m.memberId, 0]));
  const subscribers = new Map<string, AssignorMember[]>();
  for (const m of members) {
    for (const t of m.topics) {
      if (!topics.has(t)) continue;
      let list = subscribers.get(t);
      if (list === undefined) subscribers.set(t, (list = []));
      list.push(m);
    }
    for (const [t, p] of keepable(m, topics)) {
      owner.set(`${t}:${p}`, m.memberId);
      count.set(m.memberId, count.get(m.memberId)! + 1);
    }
  }
  const leastLoaded = (t: string): AssignorMember | undefined => {
    let best: AssignorMember | undefined;
    for (const m of subscribers.get(t) ?? []) if (best === undefined || count.get(m.memberId)! < count.get(best.memberId)!) best = m;
    return best;
  };
  for (const t of sortedTopics(topics)) {
    for (let p = 0; p < topics.get(t)!; p++) {
      const key = `${t}:${p}`;
      if (owner.has(key)) continue;
      const m = leastLoaded(t);
      if (m === undefined) continue;
      owner.set(key, m.memberId);
      count.set(m.memberId, count.get(m.memberId)! + 1);
    }
  }
  // Each move lowers the sum of squared loads, so this ends.
  for (let moved = true; moved; ) {
    moved = false;
    for (const [key, from] of owner) {
      const t = key.slice(0, key.lastIndexOf(':'));
      const to = leastLoaded(t);
      if (to !== undefined && count.get(to.memberId)! < count.get(from)! - 1) {
        owner.set(key, to.memberId);
        count.set(from, count.get(from)! - 1);
        count.set(to.memberId, count.get(to.memberId)! + 1);
        moved = true;
      }
    }
  }
  for (const [key, m] of owner) {
    const i = key.lastIndexOf(':');
    add(result.get(m)!, key.slice(0, i), Number(key.slice(i + 1)));
  }
  return result;
}

export function rangeAssign(input: AssignorInput): Map<string, PartitionMap> {
  const result = new Map<string, PartitionMap>(input.members.map((m) => [m.memberId, new Map()]));
  const order = (a: AssignorMember, b: AssignorMember): number => {
    if (a.instanceId !== null && b.instanceId !== null) return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : byId(a, b);
    if (a.instanceId !== null) return -1;
    if (b.instanceId !== null) return 1;
    return byId(a, b);
  };
  for (const t of sortedTopics(input.topics)) {
    const subs = input.members.filter((m) => m.topics.has(t)).sort(order);
    if (subs.length === 0) continue;
    const n = input.topics.get(t)!;
    const quota = Math.floor(n / subs.length);
    const extra = n % subs.length;
    let start = 0;
    subs.forEach((m, i) => {
      const len = quota + (i < extra ? 1 : 0);
      for (let p = start; p < start + len; p++) add(result.get(m.memberId)!, t, p);
      start += len;
    });
  }
  return result;
}
