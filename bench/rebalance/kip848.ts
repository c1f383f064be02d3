// bench/rebalance/kip848: KIP-848 beside classic (bench/rebalance-consumer.ts
// drives the load). Consumer groups of the classic sizes (2 and up) on as many
// partitions, one member joining and leaving: partitions that stop, the pause
// until every partition is owned again, the time until the group is Stable, each
// against a floor measured on the echo child in the same run; steady-state
// heartbeats pipelined (rate, broker CPU per heartbeat) and the state machine
// alone in-process. Printed as one table beside the classic figures (when the
// classic scenario ran in the same run).
// Run alone: npx tsx bench/rebalance/kip848.ts [--quick] [--sizes 10,100]
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { median, printTable, fmt } from '../stats.js';
import { consumerRebalanceScenario, consumerFloorScenario, heartbeatThroughput, closeMembers, stateMachineHeartbeatRate, type ConsumerRebalanceResult, type HeartbeatRate } from '../rebalance-consumer.js';
import type { RebalanceResult } from './classic.js';
import { CONNECTIONS, DEPTH, KIP848_ROUNDS, RB_PARTITIONS, SECONDS, SIZES, WARMUP, isMain, main, result, startChild, type Context, type Scenario, type Window } from './common.js';

interface Kip848Results {
  groups: ConsumerRebalanceResult[];
  floors: Map<number, { joinPause: number[]; join: number[]; leave: number[] }>;
  heartbeats: HeartbeatRate | null;
  heartbeatMembers: number;
  stateMachine: number;
}

async function kip848Phase(root: string, windows: Window[], started: number): Promise<Kip848Results> {
  const sizes = SIZES.filter((s) => s >= 2);
  const out: Kip848Results = { groups: [], floors: new Map(), heartbeats: null, heartbeatMembers: 0, stateMachine: NaN };
  const dataDir = await mkdtemp(join(root, 'kafkalite-kip848-'));
  const broker = await startChild('kip848', dataDir, {});
  try {
    for (const size of sizes) {
      const { stable, ...r } = await consumerRebalanceScenario(broker.port, broker.pid, size, KIP848_ROUNDS[size] ?? 20);
      out.groups.push(r);
      windows.push({ label: `kip848-${size}`, child: broker, from: r.window[0], to: r.window[1] });
      process.stdout.write(`  kip848 ${size}: ${r.rounds} rounds; setup: ${r.setup ?? '?'}${r.error ? `; FAILED: ${r.error}` : ''} (at ${fmt((performance.now() - started) / 1000)} s)\n`);
      if (!stable) continue;
      if (size === Math.max(...sizes)) {
        out.heartbeatMembers = stable.length;
        out.heartbeats = await heartbeatThroughput(broker.port, broker.pid, stable, { connections: CONNECTIONS, depth: DEPTH, seconds: SECONDS, warmup: WARMUP });
        windows.push({ label: 'kip848-heartbeats', child: broker, from: out.heartbeats.window[0], to: out.heartbeats.window[1] });
      }
      await closeMembers(stable);
    }
  } finally {
    await broker.stop();
    for (const p of broker.problems) process.stdout.write(`  broker (${broker.name}): ${p}\n`);
    await rm(dataDir, { recursive: true, force: true });
  }
  const echo = await startChild('kip848-floor', root, {}, true);
  try {
    for (const size of sizes) {
      const rounds = Math.max(20, KIP848_ROUNDS[size] ?? 20);
      out.floors.set(size, {
        joinPause: await consumerFloorScenario(echo.port, 4, 0, rounds),
        join: await consumerFloorScenario(echo.port, 4, size - 2, rounds),
        leave: await consumerFloorScenario(echo.port, 1, size - 1, rounds),
      });
    }
  } finally {
    await echo.stop();
  }
  out.stateMachine = stateMachineHeartbeatRate(Math.max(...sizes) - 1, 2000);
  return out;
}

function printSideBySide(classic: readonly RebalanceResult[], k: Kip848Results): void {
  const rows: (string | number)[][] = [];
  const p50 = (xs: readonly number[]) => (xs.length ? median([...xs]) : NaN);
  const n = (x: number) => x.toLocaleString('en-US');
  for (const g of k.groups) {
    const c = classic.find((x) => x.size === g.size && !x.error);
    const fl = k.floors.get(g.size);
    const lines = [
      ['new member joins', c?.join ?? [], g.stoppedJoin, g.joinPause, fl?.joinPause ?? [], g.join, fl?.join ?? []],
      ['member leaves', c?.leave ?? [], g.stoppedLeave, g.leavePause, fl?.leave ?? [], g.leave, fl?.leave ?? []],
    ] as const;
    for (const [change, cMs, stopped, pause, pauseFloor, stable, stableFloor] of lines) {
      const ratio = p50(pause) / p50(pauseFloor);
      rows.push([
        `${n(g.size)} members, ${change}${g.error ? ` (FAILED: ${g.error})` : ''}`,
        c ? `all ${n(RB_PARTITIONS)}` : '-',
        p50(cMs),
        `${p50(stopped)} of ${n(g.size)}`,
        p50(pause),
        p50(pauseFloor),
        ratio,
        g.size === 1000 ? (ratio <= 2 ? 'pass (<= 2x)' : 'MISS (<= 2x)') : '-',
        p50(stable),
        p50(stableFloor),
        p50(stable) / p50(stableFloor),
        `${g.rounds} rounds, ${fmt(p50(g.heartbeatsPerRound))} hb/round, broker CPU ${Math.round(g.cpu.broker)}%`,
      ]);
    }
  }
  const hb = k.heartbeats;
  const none = ['-', '-', '-', '-', '-', '-'];
  if (hb) {
    const perCore = hb.rate / (hb.cpu.broker / 100);
    rows.push([
      `heartbeats/s, ${n(k.heartbeatMembers)} Stable members, ${CONNECTIONS} conn x ${DEPTH} pipelined (TCP)`,
      '-',
      '-',
      '-',
      hb.rate,
      ...none,
      `${fmt(hb.min)}..${fmt(hb.max)}; broker CPU ${Math.round(hb.cpu.broker)}%, bench ${Math.round(hb.cpu.client)}%${hb.errors || hb.firstError ? `; ERRORS ${hb.errors} ${hb.firstError}` : ''}`,
    ]);
    rows.push([
      `heartbeats per broker CPU-second (one core)`,
      '-',
      '-',
      '-',
      perCore,
      '-',
      '-',
      perCore >= 50_000 ? 'pass (>= 50,000)' : 'MISS (>= 50,000)',
      '-',
      '-',
      '-',
      `${fmt(1e6 / perCore)} µs of broker CPU per heartbeat (decode, coordinator, encode, socket)`,
    ]);
  }
  rows.push([`heartbeats/s, the coordinator's state machine alone, in-process`, '-', '-', '-', k.stateMachine, ...none, `${n(Math.max(...k.groups.map((g) => g.size)) - 1)} Stable members, GroupCoordinatorState.step, no TCP, no log`]);
  printTable(
    'classic (eager JoinGroup/SyncGroup, 1,000-partition topic) vs KIP-848 (ConsumerGroupHeartbeat v1, uniform, N partitions): ms, medians over the rounds',
    [
      'group, change',
      'classic: stop',
      'classic: pause = Stable',
      'KIP-848: stop',
      'KIP-848: pause',
      'floor',
      'x floor',
      'goal',
      'KIP-848: Stable',
      'floor',
      'x floor',
      'notes',
    ],
    rows,
  );
  process.stdout.write(
    'pause: until every partition is owned again (classic: every partition stops until the last SyncGroup answer); Stable: every member at the new epoch.\n' +
      'floor: the same round trips against a trivial Node server (pause: the moved members\' chain in sequence, join 4, leave 1; Stable: then one per other member at once).\n',
  );
}

let results: Kip848Results | null = null;

async function kip848(ctx: Context): Promise<void> {
  const k = await kip848Phase(ctx.root, ctx.windows, ctx.started);
  results = k;
  const p50 = (xs: readonly number[]) => (xs.length ? median([...xs]) : NaN);
  for (const g of k.groups) {
    const fl = k.floors.get(g.size);
    const pause = p50(g.joinPause);
    const floor = p50(fl?.joinPause ?? []);
    result(ctx, `kip848-${g.size}`, {
      title: `KIP-848, ${g.size} members, new member joins${g.error ? ` (FAILED: ${g.error})` : ''}`,
      figure: 'pause p50 ms',
      value: pause,
      ceiling: floor,
      ceilingName: 'ms floor',
      ratio: pause / floor,
      goal: g.size === 1000 ? '<= 2x floor' : undefined,
      met: g.size === 1000 ? pause / floor <= 2 : undefined,
    });
    result(ctx, `kip848-${g.size}`, { figure: 'Stable p50 ms', value: p50(g.join), ceiling: p50(fl?.join ?? []), ceilingName: 'ms floor' });
  }
  if (k.heartbeats) {
    result(ctx, 'kip848-heartbeats', { title: `KIP-848 heartbeats, ${k.heartbeatMembers} Stable members, pipelined`, figure: 'heartbeats/s', value: k.heartbeats.rate, range: [k.heartbeats.min, k.heartbeats.max] });
    result(ctx, 'kip848-heartbeats', { figure: 'per broker CPU-second', value: k.heartbeats.rate / (k.heartbeats.cpu.broker / 100), goal: '>= 50,000', met: k.heartbeats.rate / (k.heartbeats.cpu.broker / 100) >= 50_000 });
  }
}

export const scenarios: Scenario[] = [{ id: 'kip848', run: kip848, after: (ctx) => results && printSideBySide(ctx.classic, results) }];

if (isMain(import.meta.url)) main('bench/rebalance/kip848', scenarios);
