// The KIP-848 half of bench/rebalance: consumer groups (ConsumerGroupHeartbeat v1)
// driven over real TCP by protocol-level members, one connection per member, as
// the classic half does. bench/rebalance.ts starts the broker child and prints
// the side-by-side table; this module only drives load and measures.
//
// A group of N members on a topic of N partitions (uniform assignor, the
// default). N-1 members are Stable (each owns one partition, one owns two).
// Join: at t0 a new member J sends its epoch-0 heartbeat; then the member that
// owns two partitions heartbeats (told to revoke one), acknowledges, and J
// heartbeats until it receives that partition: the PAUSE ends (every partition
// owned again). Then every other member's next heartbeat moves it to the new
// epoch: the group is STABLE again. Leave: J leaves (epoch -1; its partition
// stops), every member heartbeats once; the one that receives J's partition
// ends the pause, the last answer makes the group Stable. Members heartbeat at
// once instead of after heartbeat.interval.ms (that wait is the client's) and
// again immediately after a change (acknowledging it, as clients do).
// A partition "stops" when it leaves a member's owned set (or its owner leaves)
// and counts until a member owns it again.
//
// The FLOOR, measured in the same run against the trivial --echo server, is the
// same pattern without Kafka logic: one round trip per step of the moved members'
// chain in sequence (join: 4, leave: 1), then one concurrent round trip per
// member for the others' heartbeats (Stable only).
//
// Heartbeat throughput: the Stable group of the largest size heartbeats
// (id + epoch, other fields null: a steady-state heartbeat) pipelined over a few
// connections; median of 1-second rates and the broker's CPU. Also the pure
// state machine in this process (GroupCoordinatorState.step), no network, no log.
import { randomUUID } from 'node:crypto';
import { RawClient } from '../test/support/raw-client.js';
import { ErrorCode } from '../protocol/errors.js';
import { ConsumerGroupHeartbeatApi, type ConsumerGroupHeartbeatResponse } from '../protocol/messages/68-consumer-group-heartbeat.js';
import { GroupCoordinatorState } from '../broker/groups/group-coordinator-state.js';
import type { TopicMetadataView } from '../broker/groups/consumer-types.js';
import { fmt } from './stats.js';
import { awaitCoordinator, measureRate, type RateSample, cpuMeter, createTopic, decodeResponse, Pipeline, prepare, preparedCid } from './raw-load.js';

const HB_V = 1;
const REBALANCE_TIMEOUT_MS = 60_000;
const WARMUP_ROUNDS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const monoMicros = () => Number(process.hrtime.bigint() / 1000n);
const tick = () => new Promise((r) => setImmediate(r));

class RoundError extends Error {}

class CMember {
  id = randomUUID();
  epoch = 0;
  owned: number[] = [];
  constructor(
    readonly client: RawClient,
    readonly groupId: string,
    readonly topic: string,
    readonly topicId: { id: string | null },
  ) {}

  private owning() {
    return this.topicId.id === null || this.owned.length === 0 ? [] : [{ topicId: this.topicId.id, partitions: this.owned }];
  }

  join(): Promise<ConsumerGroupHeartbeatResponse> {
    this.id = randomUUID();
    this.epoch = 0;
    this.owned = [];
    return prepare(this.client, ConsumerGroupHeartbeatApi, HB_V, {
      groupId: this.groupId,
      memberId: this.id,
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
      subscribedTopicNames: [this.topic],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [],
    }).send();
  }

  /** A steady-state heartbeat: id, epoch and what it owns; null for everything unchanged. */
  heartbeat(): Promise<ConsumerGroupHeartbeatResponse> {
    return prepare(this.client, ConsumerGroupHeartbeatApi, HB_V, this.heartbeatBody()).send();
  }

  heartbeatBody() {
    return {
      groupId: this.groupId,
      memberId: this.id,
      memberEpoch: this.epoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: this.owning(),
    };
  }

  leave(): Promise<ConsumerGroupHeartbeatResponse> {
    return prepare(this.client, ConsumerGroupHeartbeatApi, HB_V, { ...this.heartbeatBody(), memberEpoch: -1, topicPartitions: [] }).send();
  }

  /** Applies an answer; returns the partitions it gave up (stopped) and whether its owned set changed. */
  apply(res: ConsumerGroupHeartbeatResponse): { revoked: number[]; changed: boolean } {
    if (res.errorCode !== ErrorCode.NONE) throw new RoundError(`ConsumerGroupHeartbeat answered ${res.errorCode} ${res.errorMessage ?? ''}`);
    this.epoch = res.memberEpoch;
    if (res.assignment === null) return { revoked: [], changed: false };
    const next: number[] = [];
    for (const t of res.assignment.topicPartitions) {
      this.topicId.id ??= t.topicId;
      next.push(...t.partitions);
    }
    next.sort((a, b) => a - b);
    const revoked = this.owned.filter((p) => !next.includes(p));
    const changed = next.length !== this.owned.length || revoked.length > 0;
    this.owned = next;
    return { revoked, changed };
  }
}

/** Every partition owned exactly once, every member at one epoch. */
function isStable(members: CMember[], partitions: number): boolean {
  const epoch = members[0]!.epoch;
  const seen = new Uint8Array(partitions);
  let owned = 0;
  for (const m of members) {
    if (m.epoch !== epoch) return false;
    for (const p of m.owned) {
      if (seen[p]) throw new RoundError(`partition ${p} owned twice at epoch ${epoch}`);
      seen[p] = 1;
      owned++;
    }
  }
  return owned === partitions;
}

/** Joins everyone and heartbeats every 20 ms until the group is Stable for 3 checks in a row. */
async function settle(port: number, members: CMember[], partitions: number): Promise<void> {
  await awaitCoordinator(port, members[0]!.groupId);
  members[0]!.apply(await members[0]!.join());
  await Promise.all(members.slice(1).map(async (m) => m.apply(await m.join())));
  let stop = false;
  const loops = members.map(async (m) => {
    while (!stop) {
      const { changed } = m.apply(await m.heartbeat());
      if (!changed) await sleep(20);
    }
  });
  const deadline = Date.now() + 120_000;
  for (let calm = 0; calm < 3; ) {
    await sleep(50);
    calm = isStable(members, partitions) ? calm + 1 : 0;
    if (Date.now() > deadline) {
      stop = true;
      for (const l of loops) l.catch(() => {});
      throw new Error(`consumer group of ${members.length} did not settle within 120 s`);
    }
  }
  stop = true;
  await Promise.all(loops);
}

/**
 * One member's side of a measured round: heartbeat now; again at once after any change
 * (acknowledging it) and while below `epoch()` or not `done()`. Returns the heartbeats sent.
 */
async function follow(m: CMember, epoch: () => number, done: (m: CMember) => boolean, stopped: Set<number>, onChange?: (m: CMember) => void): Promise<number> {
  let sent = 0;
  for (;;) {
    sent++;
    const { revoked, changed } = m.apply(await m.heartbeat());
    for (const p of revoked) stopped.add(p);
    if (changed) onChange?.(m);
    if (changed) continue;
    if (m.epoch >= epoch() && done(m)) return sent;
    if (sent > 100_000) throw new RoundError('the round never settled');
    await tick();
  }
}

export interface ConsumerRebalanceResult {
  size: number;
  rounds: number;
  /** Until the group is Stable again (every member at the new epoch). */
  join: number[];
  leave: number[];
  /** Until every partition is owned again (the moved partition's pause). */
  joinPause: number[];
  leavePause: number[];
  stoppedJoin: number[];
  stoppedLeave: number[];
  /** Heartbeats (all members) per measured round, join + leave. */
  heartbeatsPerRound: number[];
  cpu: { broker: number; client: number };
  window: [number, number];
  setup?: string;
  error?: string;
}

async function connectMany(port: number, n: number, groupId: string, topic: string, topicId: { id: string | null }): Promise<CMember[]> {
  const out: CMember[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => RawClient.connect('127.0.0.1', port)));
    for (const c of batch) out.push(new CMember(c, groupId, topic, topicId));
  }
  return out;
}

/** Join and leave rounds for one group size; leaves the N-1 members Stable for `heartbeatThroughput` when asked. */
export async function consumerRebalanceScenario(port: number, pid: number, size: number, rounds: number): Promise<ConsumerRebalanceResult & { stable?: CMember[] }> {
  const groupId = `bench-consumer-group-${size}`;
  const topic = `bench-consumer-${size}`;
  const topicId = { id: null as string | null };
  const result: ConsumerRebalanceResult & { stable?: CMember[] } = {
    size,
    rounds: 0,
    join: [],
    leave: [],
    joinPause: [],
    leavePause: [],
    stoppedJoin: [],
    stoppedLeave: [],
    heartbeatsPerRound: [],
    cpu: { broker: NaN, client: NaN },
    window: [0, 0],
  };
  let members: CMember[] = [];
  let J: CMember | null = null;
  try {
    const s0 = performance.now();
    await createTopic(port, topic, size);
    const s1 = performance.now();
    members = await connectMany(port, size - 1, groupId, topic, topicId);
    await settle(port, members, size);
    const s2 = performance.now();
    result.setup = `topic ${fmt(s1 - s0)} ms, connect+settle ${fmt(s2 - s1)} ms`;
    J = (await connectMany(port, 1, groupId, topic, topicId))[0]!;
    const joiner = J;
    const all = [...members, joiner];
    let meter: (() => { broker: number; client: number }) | null = null;
    for (let round = 0; round < WARMUP_ROUNDS + rounds; round++) {
      if (round === WARMUP_ROUNDS) {
        meter = cpuMeter(pid);
        result.window[0] = monoMicros();
      }
      // Join. The pause: J's join, the old owner's heartbeat (told to revoke one partition),
      // its acknowledging heartbeat, J's heartbeat that receives the partition. Then every
      // other member's next heartbeat moves it to the new epoch: the group is Stable.
      const owner = members.find((m) => m.owned.length > 1);
      if (owner === undefined) throw new RoundError('no member owns two partitions before the join');
      const stoppedJ = new Set<number>();
      let hbJoin = 0;
      const t0 = performance.now();
      joiner.apply(await joiner.join());
      const target = joiner.epoch;
      hbJoin += await follow(owner, () => target, () => true, stoppedJ);
      let joinPauseMs = NaN;
      hbJoin += await follow(joiner, () => target, (m) => m.owned.length > 0, stoppedJ, (m) => {
        if (m.owned.length > 0 && Number.isNaN(joinPauseMs)) joinPauseMs = performance.now() - t0;
      });
      const others = members.filter((m) => m !== owner);
      hbJoin += (await Promise.all(others.map((m) => follow(m, () => target, () => true, stoppedJ)))).reduce((a, b) => a + b, 1);
      const joinMs = performance.now() - t0;
      if (!isStable(all, size)) throw new RoundError('group not stable after the join round');

      // Leave: J leaves (its partition stops at once), then every member's next heartbeat;
      // one of them receives J's partition (the pause ends), all reach the new epoch (Stable).
      const stoppedL = new Set<number>(joiner.owned);
      const leaveEpoch = joiner.epoch + 1;
      let leavePauseMs = NaN;
      const t2 = performance.now();
      const left = await joiner.leave();
      if (left.errorCode !== ErrorCode.NONE || left.memberEpoch !== -1) throw new RoundError(`leave answered ${left.errorCode} epoch ${left.memberEpoch}`);
      const gained = (m: CMember) => {
        if (Number.isNaN(leavePauseMs) && m.owned.some((p) => stoppedL.has(p))) leavePauseMs = performance.now() - t2;
      };
      const hbLeave = (await Promise.all(members.map((m) => follow(m, () => leaveEpoch, () => true, stoppedL, gained)))).reduce((a, b) => a + b, 1);
      const leaveMs = performance.now() - t2;
      if (!isStable(members, size)) throw new RoundError('group not stable after the leave round');
      if (round >= WARMUP_ROUNDS) {
        result.join.push(joinMs);
        result.joinPause.push(joinPauseMs);
        result.leave.push(leaveMs);
        result.leavePause.push(leavePauseMs);
        result.stoppedJoin.push(stoppedJ.size);
        result.stoppedLeave.push(stoppedL.size);
        result.heartbeatsPerRound.push(hbJoin + hbLeave);
        result.rounds++;
      }
    }
    result.cpu = meter!();
    result.window[1] = monoMicros();
    result.stable = members;
  } catch (err) {
    result.error = (err as Error).message;
    for (const m of members) m.client.close();
  } finally {
    J?.client.close();
  }
  return result;
}

/** Everyone leaves and the connections close. */
export async function closeMembers(members: CMember[]): Promise<void> {
  await Promise.all(members.map((m) => m.leave().catch(() => undefined)));
  for (const m of members) m.client.close();
}

/** The floor: `chain` sequential round trips, then `n` connections one round trip at once. Per-round ms. */
export async function consumerFloorScenario(port: number, chain: number, n: number, rounds: number): Promise<number[]> {
  const clients: RawClient[] = [];
  const conns = Math.max(1, n);
  for (let i = 0; i < conns; i += 100) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(100, conns - i) }, () => RawClient.connect('127.0.0.1', port)))));
  }
  // Kind 0 frames of the --echo server: answered at once.
  const frame = () => {
    const cid = preparedCid();
    const b = Buffer.alloc(13);
    b.writeInt32BE(9, 0);
    b.writeInt32BE(cid, 4);
    b.writeInt8(0, 8);
    b.writeInt32BE(n, 9);
    return { cid, b };
  };
  const out: number[] = [];
  try {
    for (let r = 0; r < WARMUP_ROUNDS + rounds; r++) {
      const plan = clients.slice(0, n).map((c) => ({ c, f: frame() }));
      const head = Array.from({ length: chain }, frame);
      const t0 = performance.now();
      for (const f of head) await clients[0]!.rawRequest(f.b, f.cid);
      await Promise.all(plan.map(({ c, f }) => c.rawRequest(f.b, f.cid)));
      if (r >= WARMUP_ROUNDS) out.push(performance.now() - t0);
    }
  } finally {
    for (const c of clients) c.close();
  }
  return out;
}

export interface HeartbeatRate extends RateSample {
  errors: number;
  firstError: string;
}

/** Steady-state heartbeats of Stable members, pipelined: `connections` x `depth`, for `seconds` after `warmup`. */
export async function heartbeatThroughput(
  port: number,
  pid: number,
  members: CMember[],
  opts: { connections: number; depth: number; seconds: number; warmup: number },
): Promise<HeartbeatRate> {
  const encoder = await RawClient.connect('127.0.0.1', port);
  const pipes: Pipeline[] = [];
  const result: HeartbeatRate = { rate: NaN, min: NaN, max: NaN, errors: 0, firstError: '', cpu: { broker: NaN, client: NaN }, window: [0, 0] };
  const check = (f: Buffer) => {
    const r = decodeResponse(ConsumerGroupHeartbeatApi, HB_V, f);
    return r.errorCode === ErrorCode.NONE ? null : `error ${r.errorCode} ${r.errorMessage ?? ''}`;
  };
  try {
    for (let c = 0; c < opts.connections; c++) {
      const mine = members.filter((_, i) => i % opts.connections === c);
      const frames = mine.map((m) => encoder.encode(ConsumerGroupHeartbeatApi, HB_V, { ...m.heartbeatBody(), topicPartitions: null }, preparedCid()));
      pipes.push(await Pipeline.open(port, frames, { depth: opts.depth, check }));
    }
    for (const p of pipes) p.start();
    Object.assign(result, await measureRate(pipes, pid, opts.seconds, opts.warmup));
  } finally {
    await Promise.all(pipes.map((p) => p.stop()));
    for (const p of pipes) {
      result.errors += p.errors;
      result.firstError ||= p.firstError;
    }
    encoder.close();
  }
  return result;
}

/**
 * The pure state machine in this process: `size` Stable members on `size` partitions, then
 * steady-state heartbeats through GroupCoordinatorState.step (records built, not written). Heartbeats/s.
 */
export function stateMachineHeartbeatRate(size: number, ms: number): number {
  const topicId = randomUUID();
  const meta = { id: topicId, name: 'sm', numPartitions: size };
  const topics: TopicMetadataView = {
    topicByName: (name) => (name === 'sm' ? meta : undefined),
    topicById: (id) => (id === topicId ? meta : undefined),
    topicNames: () => ['sm'],
  };
  const state = new GroupCoordinatorState({ topics });
  let handle = 1;
  const now = 1_700_000_000_000;
  const hb = (request: object) => {
    const out = state.step({ type: 'consumer-heartbeat', handle: handle++, request: request as never }, now);
    return out.responses[0]!.body as { errorCode: number; memberEpoch: number; assignment: { topicId: string; partitions: number[] }[] | null };
  };
  const base = { groupId: 'sm', instanceId: null, rackId: null, subscribedTopicRegex: null, serverAssignor: null, apiVersion: 1, clientId: 'bench', clientHost: '/127.0.0.1' };
  const members = Array.from({ length: size }, () => ({ id: randomUUID(), epoch: 0, owned: [] as { topicId: string; partitions: number[] }[] }));
  for (const m of members) {
    const r = hb({ ...base, memberId: m.id, memberEpoch: 0, rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS, subscribedTopicNames: ['sm'], topicPartitions: [] });
    m.epoch = r.memberEpoch;
  }
  for (let pass = 0; pass < 3; pass++) {
    for (const m of members) {
      const r = hb({ ...base, memberId: m.id, memberEpoch: m.epoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: m.owned });
      if (r.errorCode !== 0) throw new Error(`state machine heartbeat answered ${r.errorCode}`);
      m.epoch = r.memberEpoch;
      if (r.assignment) m.owned = r.assignment;
    }
  }
  const bodies = members.map((m) => ({ ...base, memberId: m.id, memberEpoch: m.epoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null }));
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (const b of bodies) {
      const r = hb(b);
      if (r.errorCode !== 0) throw new Error(`state machine heartbeat answered ${r.errorCode}`);
    }
    n += bodies.length;
  }
  return n / ((performance.now() - t0) / 1000);
}
