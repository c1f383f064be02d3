// bench/rebalance/classic: classic rebalance latency with protocol-level members
// (RawClient), ONE CONNECTION PER MEMBER as real consumers have. (Members cannot
// share a connection: the broker, like Kafka, handles one request per connection
// at a time, so a parked JoinGroup would hold back the other members' requests.)
// One broker child serves all sizes, one group per size. A group of N members
// is measured like this: N-1 members are Stable; a new member J gets its id
// (JoinGroup v9 -> MEMBER_ID_REQUIRED, not timed) and then, at t0, sends the
// JoinGroup that starts the rebalance. At the same instant every Stable member
// sends the Heartbeat a real client would send (its next heartbeat, without the
// up to 3 s heartbeat.interval.ms wait); REBALANCE_IN_PROGRESS makes it rejoin
// (JoinGroup v9 with its subscription: consumer protocol v3, owned partitions),
// a NONE (heartbeat processed before the trigger) makes it heartbeat again
// (counted). The leader computes a round-robin assignment of a 1,000-partition
// topic (members sorted by id, as Kafka's RoundRobinAssignor) and sends it in
// its SyncGroup; the others send empty ones. t1 = the last SyncGroup answer.
// Then J leaves (LeaveGroup), the N-1 others rejoin the same way, and that
// leave-triggered rebalance is measured too (informational). Every round checks
// that all N members got the same generation and that the assignments cover
// each partition exactly once. Sizes 1, 10, 100, 1,000. Size 1 is the
// Empty-group path (initial delay 0 = a 0 ms timer). The topic itself is not
// created: a classic rebalance never looks at topic metadata.
// Next to each size, the FLOOR: the same message pattern (N connections, one
// plain round trip then two barrier round trips per member) against a trivial
// Node server child (echo) with no Kafka logic: what this machine, Node and one
// connection per member cost before any broker work. Also printed: the broker's
// own pausedMs (from its 'group rebalance completed' log lines) and the broker's
// CPU per rebalance.
// Run alone: npx tsx bench/rebalance/classic.ts [--quick] [--sizes 10,100]
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RawClient } from '../../test/support/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';
import { LeaveGroupApi } from '../../protocol/messages/13-leave-group.js';
import { median, percentile, fmt } from '../stats.js';
import { awaitCoordinator, processCpuSeconds, cpuMeter, preparedCid } from '../raw-load.js';
import {
  LEAVE_V,
  SIZES,
  WARMUP_ROUNDS,
  RoundError,
  checkGeneration,
  connectMany,
  cpuText,
  followRebalance,
  isMain,
  main,
  monoMicros,
  result,
  roundsFor,
  settle,
  startChild,
  syncAfterJoin,
  type BrokerChild,
  type Context,
  type Member,
  type Scenario,
  type Window,
} from './common.js';

export interface RebalanceResult {
  size: number;
  rounds: number;
  join: number[];
  leave: number[];
  extraHeartbeats: number;
  brokerPaused: number[];
  cpu: { broker: number; client: number };
  setup?: string;
  measureSeconds?: number;
  error?: string;
}

/** One group size against a running broker child (shared by all sizes; each size has its own group). */
async function rebalanceScenario(broker: BrokerChild, size: number, windows: Window[]): Promise<RebalanceResult> {
  const groupId = `bench-group-${size}`;
  const result: RebalanceResult = { size, rounds: 0, join: [], leave: [], extraHeartbeats: 0, brokerPaused: [], cpu: { broker: NaN, client: NaN } };
  let members: Member[] = [];
  let joiner: Member | null = null;
  try {
    const s1 = performance.now();
    await awaitCoordinator(broker.port, groupId);
    members = await connectMany(broker.port, size - 1, groupId);
    const s2 = performance.now();
    if (members.length > 0) await settle(members);
    const s3 = performance.now();
    result.setup = `connect ${fmt(s2 - s1)} ms, settle ${fmt(s3 - s2)} ms`;
    joiner = (await connectMany(broker.port, 1, groupId))[0]!;
    const J = joiner;
    const all = [...members, J];
    const total = WARMUP_ROUNDS + roundsFor(size);
    let meter: (() => { broker: number; client: number }) | null = null;
    let w0 = 0;
    for (let round = 0; round < total; round++) {
      if (round === WARMUP_ROUNDS) {
        meter = cpuMeter(broker.pid);
        w0 = monoMicros();
      }
      // J gets its member id: not part of the rebalance.
      J.id = '';
      J.owned = [];
      J.generationId = -1;
      const first = await J.joinRequest().send();
      if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) throw new RoundError(`first JoinGroup of the new member answered ${first.errorCode}`);
      J.id = first.memberId;

      // Join-triggered rebalance.
      const trigger = J.joinRequest();
      const follow = followRebalance(members);
      const t0 = performance.now();
      const [, extraJ] = await Promise.all([trigger.send().then((res) => syncAfterJoin(J, res)), follow.start()]);
      const joinMs = performance.now() - t0;
      checkGeneration(all);

      // Leave-triggered rebalance back to size-1 members.
      const leave = J.leaveRequest();
      const follow2 = followRebalance(members);
      const t2 = performance.now();
      const [leaveRes, extraL] = await Promise.all([leave.send(), follow2.start()]);
      const leaveMs = performance.now() - t2;
      if (leaveRes.errorCode !== ErrorCode.NONE || leaveRes.members.some((x) => x.errorCode !== ErrorCode.NONE)) {
        throw new RoundError(`LeaveGroup answered ${leaveRes.errorCode}`);
      }
      checkGeneration(members);

      if (round >= WARMUP_ROUNDS) {
        result.join.push(joinMs);
        result.leave.push(leaveMs);
        result.extraHeartbeats += extraJ + extraL;
        result.rounds++;
      }
    }
    result.cpu = meter!();
    result.measureSeconds = (monoMicros() - w0) / 1e6;
    windows.push({ label: `rebalance-${size}`, child: broker, from: w0, to: monoMicros() });
    // Everyone leaves in one request.
    if (members.length > 0) {
      await members[0]!.client.request(LeaveGroupApi, LEAVE_V, {
        groupId,
        members: members.map((m) => ({ memberId: m.id, groupInstanceId: null, reason: 'bench done' })),
      });
    }
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    for (const m of members) m.client.close();
    joiner?.client.close();
  }
  return result;
}

/**
 * The platform floor for the same message pattern: N connections, each member one
 * immediate round trip (the heartbeat) then two barrier round trips (JoinGroup,
 * SyncGroup), against the trivial --echo server. Returns per-round ms.
 */
async function floorScenario(port: number, pid: number, size: number, rounds: number): Promise<{ ms: number[]; serverCpuMsPerRound: number }> {
  const clients: RawClient[] = [];
  for (let i = 0; i < size; i += 100) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(100, size - i) }, () => RawClient.connect('127.0.0.1', port)))));
  }
  const frame = (kind: number) => {
    const cid = preparedCid();
    const b = Buffer.alloc(13);
    b.writeInt32BE(9, 0);
    b.writeInt32BE(cid, 4);
    b.writeInt8(kind, 8);
    b.writeInt32BE(size, 9);
    return { cid, b };
  };
  const out: number[] = [];
  let cpu0 = NaN;
  try {
    for (let r = 0; r < WARMUP_ROUNDS + rounds; r++) {
      if (r === WARMUP_ROUNDS) cpu0 = processCpuSeconds(pid);
      const plan = clients.map((c) => ({ c, f: [frame(0), frame(1), frame(1)] }));
      const t0 = performance.now();
      await Promise.all(
        plan.map(async ({ c, f }) => {
          for (const x of f) await c.rawRequest(x.b, x.cid);
        }),
      );
      if (r >= WARMUP_ROUNDS) out.push(performance.now() - t0);
    }
  } finally {
    for (const c of clients) c.close();
  }
  return { ms: out, serverCpuMsPerRound: ((processCpuSeconds(pid) - cpu0) * 1000) / rounds };
}

const verdict = (v: number, goal: number) => (Number.isNaN(v) ? 'n/a' : v < goal ? 'pass' : 'MISS');

async function classic(ctx: Context): Promise<void> {
  const results: RebalanceResult[] = [];
  const goals: Record<number, number> = { 100: 5, 1000: 50 };
  const dataDir = await mkdtemp(join(ctx.root, 'kafkalite-rebalance-'));
  const broker = await startChild('rebalance', dataDir, {});
  const floors = new Map<number, { ms: number[]; serverCpuMsPerRound: number }>();
  try {
    for (const size of SIZES) {
      const r = await rebalanceScenario(broker, size, ctx.windows);
      results.push(r);
      process.stdout.write(
        `  rebalance ${size}: ${r.rounds} rounds in ${fmt(r.measureSeconds ?? NaN)} s; setup: ${r.setup ?? '?'}${r.error ? `; FAILED: ${r.error}` : ''} (at ${fmt((performance.now() - ctx.started) / 1000)} s)\n`,
      );
    }
  } finally {
    await broker.stop();
    for (const p of broker.problems) process.stdout.write(`  broker (${broker.name}): ${p}\n`);
    await rm(dataDir, { recursive: true, force: true });
  }
  const echo = await startChild('echo-floor', ctx.root, {}, true);
  try {
    for (const size of SIZES) floors.set(size, await floorScenario(echo.port, echo.pid, size, Math.max(30, Math.min(100, roundsFor(size)))));
  } finally {
    await echo.stop();
  }
  for (const r of results) {
    const size = r.size;
    // Broker-side view (sent at stop): pausedMs of the measured join-triggered rebalances (size members, Stable).
    r.brokerPaused = broker.rebalances
      .filter((e) => e.groupId === `bench-group-${size}` && e.members === size && e.outcome === 'Stable')
      .slice(-r.rounds)
      .map((e) => e.pausedMs);
    const goal = goals[size];
    const p50 = r.join.length ? median(r.join) : NaN;
    const p99 = r.join.length ? percentile(r.join, 99) : NaN;
    ctx.rows.push([
      `rebalance, ${size} member${size > 1 ? 's' : ''}, new member joins (ms)`,
      p50,
      p99,
      r.brokerPaused.length ? `${median(r.brokerPaused)} / ${Math.max(...r.brokerPaused)}` : '-',
      goal !== undefined ? `< ${goal}` : '-',
      goal !== undefined ? `${verdict(p50, goal)} / ${verdict(p99, goal)}` : '-',
      cpuText(r.cpu),
      `${r.rounds} rounds${r.extraHeartbeats ? `, ${r.extraHeartbeats} extra hb` : ''}; broker CPU ${fmt(((r.cpu.broker / 100) * (r.measureSeconds ?? NaN) * 1000) / (2 * r.rounds))} ms/rebalance${r.error ? `; FAILED: ${r.error}` : ''}`,
    ]);
    ctx.rows.push([
      `rebalance, ${size} -> ${size - 1}, member leaves (ms)`,
      r.leave.length ? median(r.leave) : NaN,
      r.leave.length ? percentile(r.leave, 99) : NaN,
      '-',
      '-',
      '-',
      '',
      size === 1 ? 'LeaveGroup answer only (group becomes Empty)' : 'informational',
    ]);
    const floor = floors.get(size);
    const fl = floor?.ms ?? [];
    ctx.rows.push([
      `  floor: same pattern, ${size} conn, trivial Node server (ms)`,
      fl.length ? median(fl) : NaN,
      fl.length ? percentile(fl, 99) : NaN,
      '-',
      '-',
      '-',
      '',
      `${fl.length} rounds: 1 + 2 barrier round trips per member, no Kafka logic; server CPU ${fmt(floor?.serverCpuMsPerRound ?? NaN)} ms/round`,
    ]);
  }
  ctx.classic.push(...results);
  for (const r of results) {
    const fl = floors.get(r.size)?.ms ?? [];
    const p50 = r.join.length ? median(r.join) : NaN;
    const floor = fl.length ? median(fl) : NaN;
    const goal = r.size === 100 || r.size === 1000;
    result(ctx, `classic-${r.size}`, {
      title: `classic rebalance, ${r.size} member${r.size > 1 ? 's' : ''}, new member joins${r.error ? ` (FAILED: ${r.error})` : ''}`,
      figure: 'p50 ms',
      value: p50,
      ceiling: floor,
      ceilingName: 'ms floor',
      ratio: p50 / floor,
      goal: goal ? '<= 1.25x floor' : undefined,
      met: goal ? p50 / floor <= 1.25 : undefined,
      notes: `${r.rounds} rounds`,
    });
    result(ctx, `classic-${r.size}`, { figure: 'p99 ms', value: r.join.length ? percentile(r.join, 99) : NaN });
    result(ctx, `classic-${r.size}`, { figure: 'leave p50 ms', value: r.leave.length ? median(r.leave) : NaN });
  }
}

export const scenarios: Scenario[] = [{ id: 'rebalance', run: classic }];

if (isMain(import.meta.url)) main('bench/rebalance/classic', scenarios);
