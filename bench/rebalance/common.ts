// What the rebalance scenarios share: options, constants, the broker children
// (bench/harness/: startBroker() in a child with a log sink, or the trivial
// --echo floor server), protocol-level classic members (one connection each)
// and their rebalance steps, OffsetCommit frames, the report, and the runner
// that runs scenarios alone or all together (bench/rebalance.ts).
//
// Options: [--only rebalance,kip848,commit,replay] [--sizes 1,10,100,1000]
//   [--rounds 1=300,10=300,100=200,1000=50] [--seconds 6] [--warmup 2]
//   [--kip848-rounds 10=100,100=50,1000=20] [--connections 4] [--depth 32]
//   [--commits 100000] [--restarts 3] [--profile DIR] [--quick]
// --quick: few rounds, 2 s windows, 20,000 commits, one restart: shows the
// scenarios work; the figures mean little.
import { readdir, mkdir, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RawClient } from '../../test/support/raw-client.js';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { ErrorCode } from '../../protocol/errors.js';
import { writeConsumerProtocolSubscription } from '../../protocol/messages/data/consumer-protocol-subscription.js';
import { writeConsumerProtocolAssignment, readConsumerProtocolAssignment } from '../../protocol/messages/data/consumer-protocol-assignment.js';
import { OffsetCommitApi } from '../../protocol/messages/08-offset-commit.js';
import { JoinGroupApi, type JoinGroupResponse } from '../../protocol/messages/11-join-group.js';
import { HeartbeatApi } from '../../protocol/messages/12-heartbeat.js';
import { LeaveGroupApi } from '../../protocol/messages/13-leave-group.js';
import { SyncGroupApi } from '../../protocol/messages/14-sync-group.js';
import { fmt, printTable } from '../stats.js';
import { summarizeProfile } from '../profile.js';
import { prepare, type Prepared, decodeResponse } from '../raw-load.js';
import { ensureDataRoot } from '../harness/data-root.js';
import { startEmbeddedChild, type EmbeddedChild } from '../harness/broker.js';
import { Report, type ResultRow } from '../harness/results.js';
import { runAsProgram } from '../harness/main.js';

const { values: argv } = parseArgs({
  options: {
    only: { type: 'string' },
    sizes: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    depth: { type: 'string' },
    commits: { type: 'string' },
    restarts: { type: 'string' },
    profile: { type: 'string' },
    'kip848-rounds': { type: 'string' },
    quick: { type: 'boolean' },
    'replay-segment-bytes': { type: 'string' },
  },
});

const QUICK = argv.quick === true;
const ONLY = (argv.only ?? '').split(',').filter(Boolean);
export const SIZES = (argv.sizes ?? '1,10,100,1000').split(',').map(Number);
const DEFAULT_ROUNDS: Record<number, number> = QUICK ? { 1: 20, 10: 20, 100: 10, 1000: 3 } : { 1: 300, 10: 300, 100: 200, 1000: 50 };
for (const kv of (argv.rounds ?? '').split(',').filter(Boolean)) {
  const [k, v] = kv.split('=').map(Number);
  DEFAULT_ROUNDS[k!] = v!;
}
export const roundsFor = (n: number) => DEFAULT_ROUNDS[n] ?? (QUICK ? 10 : 100);
export const KIP848_ROUNDS: Record<number, number> = QUICK ? { 10: 10, 100: 5, 1000: 3 } : { 10: 100, 100: 50, 1000: 20 };
for (const kv of (argv['kip848-rounds'] ?? '').split(',').filter(Boolean)) {
  const [k, v] = kv.split('=').map(Number);
  KIP848_ROUNDS[k!] = v!;
}
export const WARMUP_ROUNDS = QUICK ? 2 : 10;
export const SECONDS = Number(argv.seconds ?? (QUICK ? 2 : 6));
export const WARMUP = Number(argv.warmup ?? (QUICK ? 1 : 2));
export const CONNECTIONS = Number(argv.connections ?? 4);
export const DEPTH = Number(argv.depth ?? 32);
export const COMMITS = Number(argv.commits ?? (QUICK ? 20_000 : 100_000));
export const RESTARTS = Number(argv.restarts ?? (QUICK ? 1 : 3));
/** --replay-segment-bytes N: __consumer_offsets segments of N bytes, cleaned before the stop. */
export const REPLAY_SEGMENT_BYTES = argv['replay-segment-bytes'];
const PROFILE_DIR = argv.profile;

export const RB_TOPIC = 'bench-rebalance';
export const RB_PARTITIONS = 1000;
export const COMMIT_TOPIC = 'bench-commits';
export const COMMIT_PARTITIONS = 10;
export const COMMIT_GROUPS = 1000;
const JOIN_V = 9;
const SYNC_V = 5;
const HEARTBEAT_V = 4;
export const LEAVE_V = 5;
const COMMIT_V = 8;
const SESSION_TIMEOUT_MS = 30_000;
const REBALANCE_TIMEOUT_MS = 60_000;
const BASE_CONFIG: Record<string, string> = { 'group.initial.rebalance.delay.ms': '0' };

export type BrokerChild = EmbeddedChild;

/** A measured interval (CLOCK_MONOTONIC µs, as V8's profiler stamps samples) of one broker child. */
export interface Window {
  label: string;
  child: BrokerChild;
  from: number;
  to: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const monoMicros = () => Number(process.hrtime.bigint() / 1000n);

let childSeq = 0;

/** startBroker() in a child on `dataDir` (group.initial.rebalance.delay.ms=0 and `config`), or with `echo` the floor server. */
export function startChild(name: string, dataDir: string, config: Record<string, string>, echo = false, cleanBeforeStop = false): Promise<BrokerChild> {
  const profileDir = PROFILE_DIR ? join(PROFILE_DIR, `${++childSeq}-${name}`) : undefined;
  return startEmbeddedChild({ name, dataDir, config: { ...BASE_CONFIG, ...config }, profileDir, echo, cleanBeforeStop });
}

export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

// =============================================================================================
// Protocol helpers
// =============================================================================================

function subscriptionBytes(owned: readonly number[], generationId: number): Buffer {
  const w = new Writer(64 + owned.length * 4);
  w.int16(3);
  writeConsumerProtocolSubscription(
    w,
    {
      topics: [RB_TOPIC],
      userData: null,
      ownedPartitions: owned.length > 0 ? [{ topic: RB_TOPIC, partitions: owned as number[] }] : [],
      generationId,
      rackId: null,
    },
    3,
  );
  return w.toBuffer();
}

function assignmentBytes(partitions: readonly number[]): Buffer {
  const w = new Writer(32 + partitions.length * 4);
  w.int16(3);
  writeConsumerProtocolAssignment(w, { assignedPartitions: [{ topic: RB_TOPIC, partitions: partitions as number[] }], userData: null }, 3);
  return w.toBuffer();
}

function decodeAssignmentBytes(bytes: Buffer): number[] {
  if (bytes.length === 0) return [];
  const r = new Reader(bytes);
  r.int16();
  const a = readConsumerProtocolAssignment(r, 0);
  return a.assignedPartitions.flatMap((tp) => tp.partitions);
}

/** The leader's work: Kafka's RoundRobinAssignor over one topic (members sorted by id). */
function roundRobinAssignments(members: JoinGroupResponse['members']): { memberId: string; assignment: Buffer }[] {
  const ids = members.map((m) => m.memberId).sort();
  const lists: number[][] = ids.map(() => []);
  for (let p = 0; p < RB_PARTITIONS; p++) lists[p % ids.length]!.push(p);
  return ids.map((memberId, i) => ({ memberId, assignment: assignmentBytes(lists[i]!) }));
}

// =============================================================================================
// Members
// =============================================================================================

export class Member {
  id = '';
  generationId = -1;
  owned: number[] = [];
  assignment: Buffer = Buffer.alloc(0);
  stable = false;
  constructor(
    readonly client: RawClient,
    readonly groupId: string,
  ) {}

  joinRequest(): Prepared<JoinGroupResponse> {
    return prepare(this.client, JoinGroupApi, JOIN_V, {
      groupId: this.groupId,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
      memberId: this.id,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'roundrobin', metadata: subscriptionBytes(this.owned, this.generationId) }],
      reason: null,
    });
  }

  heartbeatRequest() {
    return prepare(this.client, HeartbeatApi, HEARTBEAT_V, {
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.id,
      groupInstanceId: null,
    });
  }

  syncRequest(assignments: { memberId: string; assignment: Buffer }[]) {
    return prepare(this.client, SyncGroupApi, SYNC_V, {
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.id,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'roundrobin',
      assignments,
    });
  }

  leaveRequest() {
    return prepare(this.client, LeaveGroupApi, LEAVE_V, {
      groupId: this.groupId,
      members: [{ memberId: this.id, groupInstanceId: null, reason: 'bench' }],
    });
  }

  /** After a completed round: what the next subscription says it owns. */
  adoptAssignment(): void {
    this.owned = decodeAssignmentBytes(this.assignment);
  }
}

export class RoundError extends Error {}

/** JoinGroup answered: SyncGroup (the leader assigns). Throws on any error (a measured round must be clean). */
export async function syncAfterJoin(m: Member, res: JoinGroupResponse): Promise<void> {
  if (res.errorCode !== ErrorCode.NONE) throw new RoundError(`JoinGroup answered ${res.errorCode}`);
  m.generationId = res.generationId;
  const assignments = res.leader === m.id ? roundRobinAssignments(res.members) : [];
  const s = await m.syncRequest(assignments).send();
  if (s.errorCode !== ErrorCode.NONE) throw new RoundError(`SyncGroup answered ${s.errorCode}`);
  m.assignment = s.assignment;
}

/** Heartbeats until the broker says REBALANCE_IN_PROGRESS; returns the extra heartbeats needed. */
async function heartbeatUntilRebalance(m: Member, first: Prepared<{ errorCode: number }>): Promise<number> {
  let extra = 0;
  for (let hb = first; ; hb = m.heartbeatRequest()) {
    const r = await hb.send();
    if (r.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) return extra;
    if (r.errorCode !== ErrorCode.NONE) throw new RoundError(`Heartbeat answered ${r.errorCode}`);
    if (++extra > 10_000) throw new RoundError('the rebalance never showed in heartbeats');
    await new Promise((r2) => setImmediate(r2));
  }
}

/** The Stable members' side of a rebalance: heartbeat, rejoin, sync. */
export function followRebalance(stable: Member[]): { start(): Promise<number> } {
  const hbs = stable.map((m) => m.heartbeatRequest());
  const joins = stable.map((m) => m.joinRequest());
  return {
    async start() {
      const extras = await Promise.all(
        stable.map(async (m, i) => {
          const extra = await heartbeatUntilRebalance(m, hbs[i]!);
          await syncAfterJoin(m, await joins[i]!.send());
          return extra;
        }),
      );
      return extras.reduce((a, b) => a + b, 0);
    },
  };
}

export function checkGeneration(members: Member[]): void {
  if (members.length === 0) return;
  const gens = new Set(members.map((m) => m.generationId));
  if (gens.size !== 1) throw new RoundError(`members ended in different generations: ${[...gens].join(',')}`);
  const seen = new Uint8Array(RB_PARTITIONS);
  for (const m of members) {
    m.adoptAssignment();
    for (const p of m.owned) {
      if (seen[p]) throw new RoundError(`partition ${p} assigned twice in generation ${[...gens][0]}`);
      seen[p] = 1;
    }
  }
  if (seen.some((x) => x === 0)) throw new RoundError('some partition is unassigned');
}

/**
 * Brings members into one Stable generation the way real clients would: JoinGroup
 * (with MEMBER_ID_REQUIRED first for everyone, so the ids are pending and the group
 * waits for all of them), SyncGroup, then heartbeats every 20 ms, rejoining on
 * REBALANCE_IN_PROGRESS, until every member is Stable in the same generation.
 */
export async function settle(members: Member[]): Promise<void> {
  await Promise.all(
    members
      .filter((m) => m.id === '')
      .map(async (m) => {
        const r = await m.joinRequest().send();
        if (r.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) throw new Error(`first JoinGroup answered ${r.errorCode}`);
        m.id = r.memberId;
      }),
  );
  const joinLoop = async (m: Member) => {
    m.stable = false;
    for (;;) {
      const r = await m.joinRequest().send();
      if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        m.id = r.memberId;
        continue;
      }
      if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        m.id = '';
        continue;
      }
      if (r.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`JoinGroup answered ${r.errorCode}`);
      m.generationId = r.generationId;
      const s = await m.syncRequest(r.leader === m.id ? roundRobinAssignments(r.members) : []).send();
      if (s.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || s.errorCode === ErrorCode.ILLEGAL_GENERATION) continue;
      if (s.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        m.id = '';
        continue;
      }
      if (s.errorCode !== ErrorCode.NONE) throw new Error(`SyncGroup answered ${s.errorCode}`);
      m.assignment = s.assignment;
      m.stable = true;
      return;
    }
  };
  let stop = false;
  const loops = members.map(async (m) => {
    await joinLoop(m);
    while (!stop) {
      await sleep(20);
      if (stop) break;
      const r = await m.heartbeatRequest().send();
      if (r.errorCode === ErrorCode.NONE) continue;
      if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) m.id = '';
      await joinLoop(m);
    }
  });
  const deadline = Date.now() + 120_000;
  let calm = 0;
  while (calm < 3) {
    await sleep(50);
    const gens = new Set(members.map((m) => m.generationId));
    calm = members.every((m) => m.stable) && gens.size === 1 ? calm + 1 : 0;
    if (Date.now() > deadline) {
      // The members' loops end (their clients close after this throws) without an unhandled rejection.
      stop = true;
      for (const l of loops) l.catch(() => {});
      throw new Error(`group of ${members.length} did not settle within 120 s`);
    }
  }
  stop = true;
  await Promise.all(loops);
  checkGeneration(members);
}

export async function connectMany(port: number, n: number, groupId: string): Promise<Member[]> {
  const out: Member[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => RawClient.connect('127.0.0.1', port)));
    for (const c of batch) out.push(new Member(c, groupId));
  }
  return out;
}


// =============================================================================================
// OffsetCommit frames (commits and replay)
// =============================================================================================


export function commitCheck(frame: Buffer): string | null {
  try {
    const res = decodeResponse(OffsetCommitApi, COMMIT_V, frame);
    for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== 0) return `OffsetCommit partition error ${p.errorCode}`;
    if (res.topics.length !== 1 || res.topics[0]!.partitions.length !== COMMIT_PARTITIONS) return 'OffsetCommit answer of the wrong shape';
    return null;
  } catch (e) {
    return `bad OffsetCommit answer: ${(e as Error).message}`;
  }
}

export function commitFrame(client: RawClient, groupId: string, offset: bigint, member?: Member): Buffer {
  return client.encode(
    OffsetCommitApi,
    COMMIT_V,
    {
      groupId,
      generationIdOrMemberEpoch: member ? member.generationId : -1,
      memberId: member ? member.id : '',
      groupInstanceId: null,
      topics: [
        {
          name: COMMIT_TOPIC,
          partitions: Array.from({ length: COMMIT_PARTITIONS }, (_, p) => ({
            partitionIndex: p,
            committedOffset: offset + BigInt(p),
            committedLeaderEpoch: -1,
            committedMetadata: '',
          })),
        },
      ],
    },
    1,
  );
}

/** Simple-commit frames for connection c: groups cycled, offsets growing along the cycle. */
export function simpleCommitFrames(encoder: RawClient, c: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => commitFrame(encoder, `commit-group-${(c * count + i) % COMMIT_GROUPS}`, BigInt(1000 * (i + 1))));
}


// =============================================================================================
// The runner
// =============================================================================================

export interface Context {
  root: string;
  started: number;
  windows: Window[];
  /** Rows of the main table: figure, median / p50, p99 / range, broker pausedMs, goal, verdict, CPU, notes. */
  rows: (string | number)[][];
  /** The same figures for the JSON result, with floors and goals. */
  report: Report;
  /** Classic results by size, for the KIP-848 side-by-side table. */
  classic: import('./classic.js').RebalanceResult[];
}

export interface Scenario {
  /** Its --only name. */
  id: string;
  run(ctx: Context): Promise<void>;
  /** Printed after the main table (the side-by-side table). */
  after?(ctx: Context): void;
}

/** A row of scenario `id` in the JSON result (key "rebalance/<id>"). */
export function result(ctx: Context, id: string, r: Omit<ResultRow, 'scenario'>): ResultRow {
  return ctx.report.add({ scenario: `rebalance/${id}`, ...r });
}

export const cpuText = (c: { broker: number; client: number }) => `${Math.round(c.broker)}% / ${Math.round(c.client)}%`;

async function runScenarios(bench: string, scenarios: readonly Scenario[]): Promise<void> {
  const root = await ensureDataRoot();
  if (PROFILE_DIR) await mkdir(PROFILE_DIR, { recursive: true });
  const started = performance.now();
  process.stdout.write(
    `${bench}: broker in a child process (one per scenario), data dirs under ${root}; ` +
      `group.initial.rebalance.delay.ms=0; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`,
  );
  const ctx: Context = { root, started, windows: [], rows: [], report: new Report(bench), classic: [] };
  const selected = scenarios.filter((s) => ONLY.length === 0 || ONLY.includes(s.id));
  if (selected.length === 0) throw new Error(`no scenario among ${scenarios.map((s) => s.id).join(', ')} matches --only ${ONLY.join(',')}`);
  for (const s of selected) await s.run(ctx);
  if (ctx.rows.length > 0)
    printTable(
      `${bench} (${fmt((performance.now() - started) / 1000)} s; rebalance figures: client-observed, from the triggering request to the last SyncGroup answer)`,
      ['figure', 'median / p50', 'p99 / range', 'broker pausedMs p50/max', 'goal', 'p50 / p99 vs goal', 'CPU broker/bench', 'notes'],
      ctx.rows,
    );
  for (const s of selected) s.after?.(ctx);
  ctx.report.print(`${bench}: figures against floors and goals (issue 15)`);
  if (PROFILE_DIR) {
    for (const w of ctx.windows) if (w.child.profileDir) await summarizeProfile(w.child.profileDir, [w.from, w.to], w.label);
  }
  await ctx.report.write();
}

export { isMain } from '../harness/main.js';

/** Runs the scenarios as the whole program. */
export function main(bench: string, scenarios: readonly Scenario[]): void {
  runAsProgram(bench, () => runScenarios(bench, scenarios));
}
