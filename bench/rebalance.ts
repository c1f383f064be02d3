// bench/rebalance: the group coordinator under load, against the goals of issue 4.
//
// The broker runs as a CHILD process (this same file with --child: startBroker()
// on a fresh data dir on the repo's file system, group.initial.rebalance.delay.ms=0,
// a pino logger at info level into an in-process sink that forwards the lines we
// measure with), one child for all rebalance sizes and one per commit/replay
// scenario, so broker and load generator each get a core of this 2-core machine.
// CPU use of both is printed to show which one is busy. Data dirs go under the OS
// temp dir when it is on the repo's (non-tmpfs) file system.
//
// 1. Rebalance latency, protocol-level members (RawClient), ONE CONNECTION PER
//    MEMBER as real consumers have. (Members cannot share a connection: the
//    broker, like Kafka, handles one request per connection at a time, so a
//    parked JoinGroup would hold back the other members' requests behind it.)
//    One broker child serves all sizes, one group per size. A group of N members
//    is measured like this:
//    N-1 members are Stable; a new member J gets its id (JoinGroup v9 ->
//    MEMBER_ID_REQUIRED, not timed) and then, at t0, sends the JoinGroup that
//    starts the rebalance. At the same instant every Stable member sends the
//    Heartbeat a real client would send (its next heartbeat, without the up to
//    3 s heartbeat.interval.ms wait); REBALANCE_IN_PROGRESS makes it rejoin
//    (JoinGroup v9 with its subscription: consumer protocol v3, owned
//    partitions), a NONE (heartbeat processed before the trigger) makes it
//    heartbeat again (counted). The leader computes a round-robin assignment of a
//    1,000-partition topic (members sorted by id, as Kafka's RoundRobinAssignor)
//    and sends it in its SyncGroup; the others send empty ones. t1 = the last
//    SyncGroup answer. Then J leaves (LeaveGroup), the N-1 others rejoin the same
//    way, and that leave-triggered rebalance is measured too (informational).
//    Every round checks that all N members got the same generation and that the
//    assignments cover each partition exactly once. Sizes 1, 10, 100, 1,000.
//    Size 1 is the Empty-group path (initial delay 0 = a 0 ms timer). The topic
//    itself is not created: a classic rebalance never looks at topic metadata
//    (creating 1,000 partitions on disk would add ~5 s to the run).
//    Next to each size, the FLOOR: the same message pattern (N connections, one
//    plain round trip then two barrier round trips per member) against a
//    trivial Node server child (--echo) with no Kafka logic: what this machine,
//    Node and one connection per member cost before any broker work.
//    Also printed: the broker's own pausedMs (from its 'group rebalance
//    completed' log lines) and the broker's CPU per rebalance.
// 2. Commit throughput: OffsetCommit v8 requests with 10 partitions each, SIMPLE
//    commits (generation -1, no member id) to 1,000 groups, pre-built frames
//    pipelined over a few connections; also member commits from the 4 members of
//    a Stable group (generation and member id checked); default flush mode and
//    log.flush.mode=group-commit. Median of 1-second interval rates, and the
//    broker's CPU per request.
// 3. Start-up replay: 100,000 OffsetCommit requests x 10 partitions = 1,000,000
//    commit records into a broker with a real data dir, clean stop (SIGTERM),
//    then restarts: startBroker() until it returns (listening, coordinator
//    loaded; and its CPU time, steadier on a shared machine), the replay part
//    from the broker's own 'group coordinator state loaded from
//    __consumer_offsets' log line (records read and ms), the data dir size; a
//    committed offset is read back after the restart. By default the records
//    sit in the active 100 MiB segments, which the cleaner never touches; with
//    --replay-segment-bytes N the segments roll at N bytes and every partition
//    is cleaned before the stop, so the restarts replay compacted logs.
//
// 4. KIP-848 beside classic (bench/rebalance-consumer.ts): consumer groups of the same
//    sizes (2 and up) on as many partitions, one member joining and leaving: partitions
//    that stop, the pause until every partition is owned again, the time until the
//    group is Stable, each against a floor measured on the --echo child in the same
//    run; steady-state heartbeats pipelined (rate, broker CPU per heartbeat) and the
//    state machine alone in-process. Printed as one table beside the classic figures.
//
// Run: npx tsx bench/rebalance.ts [--only rebalance,kip848,commit,replay] [--sizes 1,10,100,1000]
//        [--rounds 1=300,10=300,100=200,1000=50] [--seconds 6] [--warmup 2]
//        [--kip848-rounds 10=100,100=50,1000=20]
//        [--connections 4] [--depth 32] [--commits 100000] [--restarts 3] [--replay-segment-bytes N]
//        [--profile DIR]   (broker children under --cpu-prof; prints top self time)
// The machine has 2 cores and may be shared: CPU use of broker and bench is printed
// with every figure; run it a few times and compare medians.
import { summarizeProfile } from './profile.js';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { mkdtemp, readdir, rm, mkdir, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startBroker } from '../broker/broker.js';
import { RawClient } from '../test/support/raw-client.js';
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import { ErrorCode } from '../protocol/errors.js';
import { writeConsumerProtocolSubscription } from '../protocol/messages/data/consumer-protocol-subscription.js';
import { writeConsumerProtocolAssignment, readConsumerProtocolAssignment } from '../protocol/messages/data/consumer-protocol-assignment.js';
import { OffsetCommitApi } from '../protocol/messages/08-offset-commit.js';
import { OffsetFetchApi } from '../protocol/messages/09-offset-fetch.js';
import { JoinGroupApi, type JoinGroupResponse } from '../protocol/messages/11-join-group.js';
import { HeartbeatApi } from '../protocol/messages/12-heartbeat.js';
import { LeaveGroupApi } from '../protocol/messages/13-leave-group.js';
import { SyncGroupApi } from '../protocol/messages/14-sync-group.js';
import { median, percentile, printTable, fmt } from './stats.js';
import { consumerRebalanceScenario, consumerFloorScenario, heartbeatThroughput, closeMembers, stateMachineHeartbeatRate, type ConsumerRebalanceResult, type HeartbeatRate } from './rebalance-consumer.js';
import { awaitCoordinator, measureRate, processCpuSeconds, cpuMeter, prepare, type Prepared, createTopic, Pipeline, preparedCid, decodeResponse } from './raw-load.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SELF = fileURLToPath(import.meta.url);

const { values: argv } = parseArgs({
  options: {
    child: { type: 'boolean' },
    echo: { type: 'boolean' },
    'data-dir': { type: 'string' },
    config: { type: 'string' },
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
    'clean-before-stop': { type: 'boolean' },
    'replay-segment-bytes': { type: 'string' },
  },
});

const ONLY = (argv.only ?? '').split(',').filter(Boolean);
const wants = (s: string) => ONLY.length === 0 || ONLY.includes(s);
const SIZES = (argv.sizes ?? '1,10,100,1000').split(',').map(Number);
const DEFAULT_ROUNDS: Record<number, number> = { 1: 300, 10: 300, 100: 200, 1000: 50 };
for (const kv of (argv.rounds ?? '').split(',').filter(Boolean)) {
  const [k, v] = kv.split('=').map(Number);
  DEFAULT_ROUNDS[k!] = v!;
}
const roundsFor = (n: number) => DEFAULT_ROUNDS[n] ?? 100;
const KIP848_ROUNDS: Record<number, number> = { 10: 100, 100: 50, 1000: 20 };
for (const kv of (argv['kip848-rounds'] ?? '').split(',').filter(Boolean)) {
  const [k, v] = kv.split('=').map(Number);
  KIP848_ROUNDS[k!] = v!;
}
const WARMUP_ROUNDS = 10;
const SECONDS = Number(argv.seconds ?? 6);
const WARMUP = Number(argv.warmup ?? 2);
const CONNECTIONS = Number(argv.connections ?? 4);
const DEPTH = Number(argv.depth ?? 32);
const COMMITS = Number(argv.commits ?? 100_000);
const RESTARTS = Number(argv.restarts ?? 3);
const PROFILE_DIR = argv.profile;

const RB_TOPIC = 'bench-rebalance';
const RB_PARTITIONS = 1000;
const COMMIT_TOPIC = 'bench-commits';
const COMMIT_PARTITIONS = 10;
const COMMIT_GROUPS = 1000;
const JOIN_V = 9;
const SYNC_V = 5;
const HEARTBEAT_V = 4;
const LEAVE_V = 5;
const COMMIT_V = 8;
const SESSION_TIMEOUT_MS = 30_000;
const REBALANCE_TIMEOUT_MS = 60_000;
const BASE_CONFIG: Record<string, string> = { 'group.initial.rebalance.delay.ms': '0' };

/** A measured interval (CLOCK_MONOTONIC µs, as V8's profiler stamps samples) of one broker child. */
interface Window {
  label: string;
  child: BrokerChild;
  from: number;
  to: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const monoMicros = () => Number(process.hrtime.bigint() / 1000n);

// =============================================================================================
// The broker child: `--child --data-dir DIR --config JSON`. Prints JSON lines on stdout:
// {ev:'listening', port, startBrokerMs, startBrokerCpuMs, sinceProcessStartMs}, {ev:'replay', records, ms},
// {ev:'rebalance', groupId, members, pausedMs}, {ev:'log', line} for warnings and errors,
// {ev:'stopped', closeMs}. SIGTERM closes the broker cleanly.
// =============================================================================================

async function childMain(): Promise<void> {
  const config = JSON.parse(argv.config ?? '{}') as Record<string, string>;
  const emit = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
  // Rebalance summaries are kept here and sent once, at stop: a pipe write per
  // rebalance would be measurable next to a 1-member rebalance.
  const rebalances: object[] = [];
  // Lines are serialized by pino as in a real broker at info level; only a few are kept.
  const sink = {
    write(line: string): void {
      if (line.includes('"group rebalance completed"')) {
        const o = JSON.parse(line) as { groupId: string; memberCount: number; pausedMs: number; outcome: string };
        rebalances.push({ groupId: o.groupId, members: o.memberCount, pausedMs: o.pausedMs, outcome: o.outcome });
      } else if (line.includes('state loaded from __consumer_offsets')) {
        const o = JSON.parse(line) as { records: number; ms: number };
        emit({ ev: 'replay', records: o.records, ms: o.ms });
      } else if (line.includes('"level":40') || line.includes('"level":50') || line.includes('"level":60')) {
        emit({ ev: 'log', line: line.trim().slice(0, 500) });
      }
    },
  };
  const logger = pino({ level: 'info' }, sink);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const broker = await startBroker({ config, dataDir: argv['data-dir'], logger, host: '127.0.0.1', port: 0, requestLogSize: 0 });
  const cpu = process.cpuUsage(cpu0);
  emit({ ev: 'listening', port: broker.port, startBrokerMs: performance.now() - t0, startBrokerCpuMs: (cpu.user + cpu.system) / 1000, sinceProcessStartMs: performance.now() });
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    const c0 = performance.now();
    // --clean-before-stop: a cleaning round on every __consumer_offsets partition first (the replay scenario's cleaned variant)
    const offsets = broker.cluster.topic('__consumer_offsets');
    const cleaned = argv['clean-before-stop'] && offsets ? Promise.all(offsets.partitions.map((p) => broker.cleaner.clean('__consumer_offsets', p.index))) : Promise.resolve();
    cleaned.then(() => broker.close()).then(
      () => {
        const closeMs = performance.now() - c0;
        emit({ ev: 'rebalances', list: rebalances });
        emit({ ev: 'stopped', closeMs });
        process.exit(0);
      },
      (err: unknown) => {
        emit({ ev: 'log', line: `close failed: ${(err as Error).message}` });
        process.exit(1);
      },
    );
  });
}

// =============================================================================================
// The floor child: `--echo`. A trivial server with the rebalance's message pattern and no
// Kafka logic: frames [size][cid int32][kind int8][members int32]; kind 0 is answered at once,
// kind 1 is held until `members` of them are held, then all are answered (a JoinGroup or
// SyncGroup barrier). Each answer is one buffer, one socket.write.
// =============================================================================================

function echoMain(): void {
  let held: { socket: Socket; cid: number }[] = [];
  const answer = (socket: Socket, cid: number) => {
    const b = Buffer.allocUnsafe(32);
    b.writeInt32BE(28, 0);
    b.writeInt32BE(cid, 4);
    b.fill(0, 8);
    socket.write(b);
  };
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const size = buf.readInt32BE(0);
        const cid = buf.readInt32BE(4);
        const kind = buf.readInt8(8);
        const members = buf.readInt32BE(9);
        buf = buf.subarray(4 + size);
        if (kind === 0) {
          answer(socket, cid);
        } else {
          held.push({ socket, cid });
          if (held.length >= members) {
            const all = held;
            held = [];
            for (const h of all) answer(h.socket, h.cid);
          }
        }
      }
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    process.stdout.write(`${JSON.stringify({ ev: 'listening', port: typeof a === 'object' && a ? a.port : 0, startBrokerMs: 0, sinceProcessStartMs: performance.now() })}\n`);
  });
  process.on('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ ev: 'stopped', closeMs: 0 })}\n`);
    process.exit(0);
  });
}

// =============================================================================================
// Parent side: broker children
// =============================================================================================

function dataRoot(): string {
  const t = tmpdir();
  try {
    const fsType = execFileSync('df', ['--output=fstype', t], { encoding: 'utf8' }).trim().split('\n').pop()!.trim();
    if (fsType !== 'tmpfs' && statSync(t).dev === statSync(REPO).dev) return t;
  } catch {
    // fall through
  }
  return join(REPO, 'node_modules', '.cache', 'kafkalite-bench');
}

interface RebalanceEvent {
  groupId: string;
  members: number;
  pausedMs: number;
  outcome: string;
}

interface BrokerChild {
  name: string;
  /** Where --cpu-prof writes this child's profiles (with --profile). */
  profileDir: string | null;
  pid: number;
  port: number;
  dataDir: string;
  startBrokerMs: number;
  /** CPU time (user + system) of startBroker(): steadier than wall time on a shared machine. */
  startBrokerCpuMs: number;
  sinceProcessStartMs: number;
  replay: { records: number; ms: number } | null;
  rebalances: RebalanceEvent[];
  problems: string[];
  /** SIGTERM, waits for the clean close; returns close ms as the child measured it. */
  stop(): Promise<number>;
}

let childSeq = 0;

async function startChild(name: string, dataDir: string, config: Record<string, string>, mode: '--child' | '--echo' = '--child', extra: string[] = []): Promise<BrokerChild> {
  const profileDir = PROFILE_DIR ? join(PROFILE_DIR, `${++childSeq}-${name}`) : null;
  const profileArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const args = [...profileArgs, '--import', 'tsx', SELF, mode, ...extra, '--data-dir', dataDir, '--config', JSON.stringify({ ...BASE_CONFIG, ...config })];
  const proc: ChildProcess = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let closeMs = NaN;
  const child: Partial<BrokerChild> & { rebalances: RebalanceEvent[]; problems: string[] } = {
    name,
    profileDir,
    pid: proc.pid!,
    dataDir,
    replay: null,
    rebalances: [],
    problems: [],
  };
  const listening = new Promise<void>((resolveListening, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      switch (o.ev) {
        case 'listening':
          child.port = o.port as number;
          child.startBrokerMs = o.startBrokerMs as number;
          child.startBrokerCpuMs = (o.startBrokerCpuMs as number | undefined) ?? NaN;
          child.sinceProcessStartMs = o.sinceProcessStartMs as number;
          resolveListening();
          break;
        case 'replay':
          child.replay = { records: o.records as number, ms: o.ms as number };
          break;
        case 'rebalances':
          child.rebalances.push(...(o.list as RebalanceEvent[]));
          break;
        case 'stopped':
          closeMs = o.closeMs as number;
          break;
        case 'log':
          if (child.problems.length < 20) child.problems.push(String(o.line));
          break;
      }
    });
    void exited.then((code) => reject(new Error(`broker child ${name} exited (${code}) before listening`)));
  });
  const timeout = sleep(180_000).then(() => {
    throw new Error(`broker child ${name} did not listen within 180 s`);
  });
  await Promise.race([listening, timeout]);
  child.stop = async () => {
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 120_000);
    await exited;
    clearTimeout(t);
    return closeMs;
  };
  return child as BrokerChild;
}

async function dirBytes(dir: string): Promise<number> {
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

class Member {
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

class RoundError extends Error {}

/** JoinGroup answered: SyncGroup (the leader assigns). Throws on any error (a measured round must be clean). */
async function syncAfterJoin(m: Member, res: JoinGroupResponse): Promise<void> {
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
function followRebalance(stable: Member[]): { start(): Promise<number> } {
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

function checkGeneration(members: Member[]): void {
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
async function settle(members: Member[]): Promise<void> {
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

async function connectMany(port: number, n: number, groupId: string): Promise<Member[]> {
  const out: Member[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => RawClient.connect('127.0.0.1', port)));
    for (const c of batch) out.push(new Member(c, groupId));
  }
  return out;
}

// =============================================================================================
// 1. Rebalance latency
// =============================================================================================

interface RebalanceResult {
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

// =============================================================================================
// 2. Commit throughput (and 3's load)
// =============================================================================================


function commitCheck(frame: Buffer): string | null {
  try {
    const res = decodeResponse(OffsetCommitApi, COMMIT_V, frame);
    for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== 0) return `OffsetCommit partition error ${p.errorCode}`;
    if (res.topics.length !== 1 || res.topics[0]!.partitions.length !== COMMIT_PARTITIONS) return 'OffsetCommit answer of the wrong shape';
    return null;
  } catch (e) {
    return `bad OffsetCommit answer: ${(e as Error).message}`;
  }
}

function commitFrame(client: RawClient, groupId: string, offset: bigint, member?: Member): Buffer {
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
function simpleCommitFrames(encoder: RawClient, c: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => commitFrame(encoder, `commit-group-${(c * count + i) % COMMIT_GROUPS}`, BigInt(1000 * (i + 1))));
}

interface CommitResult {
  name: string;
  rate: number;
  min: number;
  max: number;
  errors: number;
  firstError: string;
  cpu: { broker: number; client: number };
  error?: string;
}

async function commitScenario(
  root: string,
  name: string,
  config: Record<string, string>,
  kind: 'simple' | 'member',
  connections: number,
  depth: number,
  windows: Window[],
): Promise<CommitResult> {
  const dataDir = await mkdtemp(join(root, `kafkalite-${name}-`));
  const broker = await startChild(name, dataDir, config);
  const result: CommitResult = { name, rate: NaN, min: NaN, max: NaN, errors: 0, firstError: '', cpu: { broker: NaN, client: NaN } };
  let members: Member[] = [];
  const pipes: Pipeline[] = [];
  try {
    await createTopic(broker.port, COMMIT_TOPIC, COMMIT_PARTITIONS);
    const encoder = await RawClient.connect('127.0.0.1', broker.port);
    if (kind === 'member') {
      await awaitCoordinator(broker.port, 'commit-members');
      members = await connectMany(broker.port, connections, 'commit-members');
      await settle(members);
    }
    for (let c = 0; c < connections; c++) {
      const frames =
        kind === 'simple'
          ? simpleCommitFrames(encoder, c, 250)
          : Array.from({ length: 250 }, (_, i) => commitFrame(encoder, 'commit-members', BigInt(1000 * (i + 1)), members[c]!));
      pipes.push(await Pipeline.open(broker.port, frames, { depth, check: commitCheck }));
    }
    encoder.close();
    for (const p of pipes) p.start();
    const m = await measureRate(pipes, broker.pid, SECONDS, WARMUP);
    windows.push({ label: name, child: broker, from: m.window[0], to: m.window[1] });
    Object.assign(result, { rate: m.rate, min: m.min, max: m.max, cpu: m.cpu });
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    await Promise.all(pipes.map((p) => p.stop()));
    for (const p of pipes) {
      result.errors += p.errors;
      result.firstError ||= p.firstError;
    }
    for (const m of members) m.client.close();
    await broker.stop();
    for (const p of broker.problems) process.stdout.write(`  broker (${broker.name}): ${p}\n`);
    await rm(dataDir, { recursive: true, force: true });
  }
  return result;
}

// =============================================================================================
// 3. Start-up replay of 1,000,000 commits
// =============================================================================================

interface ReplayResult {
  requests: number;
  records: number;
  driveSeconds: number;
  driveRate: number;
  driveErrors: number;
  firstError: string;
  closeMs: number;
  dataBytes: number;
  offsetsBytes: number;
  restarts: { startBrokerMs: number; startBrokerCpuMs: number; sinceProcessStartMs: number; replayMs: number; replayRecords: number }[];
  readBack: string;
  error?: string;
}

async function replayScenario(root: string, windows: Window[]): Promise<ReplayResult> {
  const dataDir = await mkdtemp(join(root, 'kafkalite-replay-'));
  const result: ReplayResult = {
    requests: COMMITS,
    records: COMMITS * COMMIT_PARTITIONS,
    driveSeconds: NaN,
    driveRate: NaN,
    driveErrors: 0,
    firstError: '',
    closeMs: NaN,
    dataBytes: NaN,
    offsetsBytes: NaN,
    restarts: [],
    readBack: '',
  };
  try {
    // --replay-segment-bytes N: __consumer_offsets with N-byte segments, and a cleaning round on
    // every partition before the stop, so the restarts replay cleaned logs (the active segment stays)
    const cleaned = argv['replay-segment-bytes'] !== undefined;
    const broker = await startChild(
      'replay-load',
      dataDir,
      cleaned ? { 'offsets.topic.segment.bytes': argv['replay-segment-bytes']! } : {},
      '--child',
      cleaned ? ['--clean-before-stop'] : [],
    );
    let pipes: Pipeline[] = [];
    try {
      await createTopic(broker.port, COMMIT_TOPIC, COMMIT_PARTITIONS);
      const encoder = await RawClient.connect('127.0.0.1', broker.port);
      const per = Math.ceil(COMMITS / CONNECTIONS);
      for (let c = 0; c < CONNECTIONS; c++) {
        const limit = Math.min(per, COMMITS - c * per);
        pipes.push(await Pipeline.open(broker.port, simpleCommitFrames(encoder, c, 250), { depth: DEPTH, limit, check: commitCheck }));
      }
      encoder.close();
      const w0 = monoMicros();
      const t0 = performance.now();
      for (const p of pipes) p.start();
      await Promise.all(pipes.map((p) => p.done()));
      result.driveSeconds = (performance.now() - t0) / 1000;
      windows.push({ label: 'replay-drive', child: broker, from: w0, to: monoMicros() });
      result.driveRate = COMMITS / result.driveSeconds;
      for (const p of pipes) {
        result.driveErrors += p.errors;
        result.firstError ||= p.firstError;
      }
      await Promise.all(pipes.map((p) => p.stop()));
      pipes = [];
    } finally {
      await Promise.all(pipes.map((p) => p.stop()));
      result.closeMs = await broker.stop();
      for (const p of broker.problems) process.stdout.write(`  broker (${broker.name}): ${p}\n`);
    }
    result.dataBytes = await dirBytes(dataDir);
    result.offsetsBytes = 0;
    for (const e of await readdir(dataDir)) if (e.startsWith('__consumer_offsets-')) result.offsetsBytes += await dirBytes(join(dataDir, e));

    for (let i = 0; i < RESTARTS; i++) {
      const b = await startChild(`replay-restart-${i}`, dataDir, {});
      try {
        result.restarts.push({
          startBrokerMs: b.startBrokerMs,
          startBrokerCpuMs: b.startBrokerCpuMs,
          sinceProcessStartMs: b.sinceProcessStartMs,
          replayMs: b.replay?.ms ?? NaN,
          replayRecords: b.replay?.records ?? 0,
        });
        if (i === 0) {
          // Read a group's offsets back: every partition must have a committed offset.
          const c = await RawClient.connect('127.0.0.1', b.port);
          const res = await c.request(OffsetFetchApi, 7, {
            groupId: 'commit-group-1',
            topics: [{ name: COMMIT_TOPIC, partitionIndexes: Array.from({ length: COMMIT_PARTITIONS }, (_, p) => p) }],
            requireStable: false,
          });
          c.close();
          const offs = res.topics[0]?.partitions.map((p) => p.committedOffset) ?? [];
          const ok = offs.length === COMMIT_PARTITIONS && offs.every((o) => o >= 0n);
          result.readBack = ok ? `ok (commit-group-1 p0 at ${offs[0]})` : `MISSING offsets after restart: ${offs.join(',')}`;
        }
      } finally {
        await b.stop();
        for (const p of b.problems) process.stdout.write(`  broker (${b.name}): ${p}\n`);
      }
    }
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return result;
}

// =============================================================================================
// Profiles
// =============================================================================================


// =============================================================================================
// Main
// =============================================================================================

// =============================================================================================
// 4. KIP-848 beside classic (bench/rebalance-consumer.ts drives the load)
// =============================================================================================

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
  const echo = await startChild('kip848-floor', root, {}, '--echo');
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

function printSideBySide(classic: RebalanceResult[], k: Kip848Results): void {
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

async function main(): Promise<void> {
  const root = dataRoot();
  await mkdir(root, { recursive: true });
  if (PROFILE_DIR) await mkdir(PROFILE_DIR, { recursive: true });
  const started = performance.now();
  process.stdout.write(
    `bench/rebalance: broker in a child process (one per scenario), data dirs under ${root}; ` +
      `group.initial.rebalance.delay.ms=0; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`,
  );
  const windows: Window[] = [];
  const rows: (string | number)[][] = [];
  const verdict = (v: number, goal: number) => (Number.isNaN(v) ? 'n/a' : v < goal ? 'pass' : 'MISS');
  const cpu = (c: { broker: number; client: number }) => `${Math.round(c.broker)}% / ${Math.round(c.client)}%`;

  const results: RebalanceResult[] = [];
  if (wants('rebalance')) {
    const goals: Record<number, number> = { 100: 5, 1000: 50 };
    const dataDir = await mkdtemp(join(root, 'kafkalite-rebalance-'));
    const broker = await startChild('rebalance', dataDir, {});
    const floors = new Map<number, { ms: number[]; serverCpuMsPerRound: number }>();
    try {
      for (const size of SIZES) {
        const r = await rebalanceScenario(broker, size, windows);
        results.push(r);
        process.stdout.write(
          `  rebalance ${size}: ${r.rounds} rounds in ${fmt(r.measureSeconds ?? NaN)} s; setup: ${r.setup ?? '?'}${r.error ? `; FAILED: ${r.error}` : ''} (at ${fmt((performance.now() - started) / 1000)} s)\n`,
        );
      }
    } finally {
      await broker.stop();
      for (const p of broker.problems) process.stdout.write(`  broker (${broker.name}): ${p}\n`);
      await rm(dataDir, { recursive: true, force: true });
    }
    const echo = await startChild('echo-floor', root, {}, '--echo');
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
      rows.push([
        `rebalance, ${size} member${size > 1 ? 's' : ''}, new member joins (ms)`,
        p50,
        p99,
        r.brokerPaused.length ? `${median(r.brokerPaused)} / ${Math.max(...r.brokerPaused)}` : '-',
        goal !== undefined ? `< ${goal}` : '-',
        goal !== undefined ? `${verdict(p50, goal)} / ${verdict(p99, goal)}` : '-',
        cpu(r.cpu),
        `${r.rounds} rounds${r.extraHeartbeats ? `, ${r.extraHeartbeats} extra hb` : ''}; broker CPU ${fmt(((r.cpu.broker / 100) * (r.measureSeconds ?? NaN) * 1000) / (2 * r.rounds))} ms/rebalance${r.error ? `; FAILED: ${r.error}` : ''}`,
      ]);
      rows.push([
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
      rows.push([
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
  }

  const kip848 = wants('kip848') ? await kip848Phase(root, windows, started) : null;

  if (wants('commit')) {
    const scenarios: [string, Record<string, string>, 'simple' | 'member', number, number][] = [
      ['commit-simple', {}, 'simple', CONNECTIONS, DEPTH],
      ['commit-member', {}, 'member', CONNECTIONS, DEPTH],
      ['commit-simple-groupcommit', { 'log.flush.mode': 'group-commit' }, 'simple', CONNECTIONS, DEPTH],
      ['commit-simple-groupcommit-64conn', { 'log.flush.mode': 'group-commit' }, 'simple', 64, 4],
    ];
    for (const [name, config, kind, conns, depth] of scenarios) {
      const r = await commitScenario(root, name, config, kind, conns, depth, windows);
      process.stdout.write(`  ${name}: ${fmt(r.rate)} req/s${r.error ? `, FAILED: ${r.error}` : ''} (${fmt((performance.now() - started) / 1000)} s)\n`);
      const mode = config['log.flush.mode'] ?? 'interval (default)';
      rows.push([
        `OffsetCommit x10 partitions, ${kind === 'simple' ? 'simple (gen -1, 1,000 groups)' : 'members of a Stable group'}, ${mode}, ${conns} conn x ${depth} (req/s)`,
        r.rate,
        `${fmt(r.min)}..${fmt(r.max)}`,
        '-',
        '-',
        r.errors || r.error ? `ERRORS ${r.errors} ${r.firstError} ${r.error ?? ''}` : 'ok',
        cpu(r.cpu),
        `${fmt(r.rate * COMMIT_PARTITIONS)} offsets/s; broker CPU ${fmt((r.cpu.broker / 100 / r.rate) * 1e6)} µs/request`,
      ]);
    }
  }

  if (wants('replay')) {
    const r = await replayScenario(root, windows);
    process.stdout.write(`  replay: drive ${fmt(r.driveSeconds)} s${r.error ? `, FAILED: ${r.error}` : ''} (${fmt((performance.now() - started) / 1000)} s)\n`);
    const med = (f: (x: ReplayResult['restarts'][number]) => number) => (r.restarts.length ? median(r.restarts.map(f)) : NaN);
    const spread = (f: (x: ReplayResult['restarts'][number]) => number) =>
      r.restarts.length ? `${fmt(Math.min(...r.restarts.map(f)))}..${fmt(Math.max(...r.restarts.map(f)))}` : '';
    rows.push([
      `drive ${fmt(r.records)} commit records (${fmt(r.requests)} OffsetCommit x10, ${CONNECTIONS} conn x ${DEPTH}) (req/s)`,
      r.driveRate,
      `${fmt(r.driveSeconds)} s`,
      '-',
      '-',
      r.driveErrors || r.error ? `ERRORS ${r.driveErrors} ${r.firstError} ${r.error ?? ''}` : 'ok',
      '',
      `clean stop ${fmt(r.closeMs)} ms`,
    ]);
    rows.push([`restart: startBroker() until listening, coordinator loaded (ms)`, med((x) => x.startBrokerMs), spread((x) => x.startBrokerMs), '-', '-', '-', '', `${r.restarts.length} restarts`]);
    rows.push([`restart: CPU time of that startBroker() (ms, user + system)`, med((x) => x.startBrokerCpuMs), spread((x) => x.startBrokerCpuMs), '-', '-', '-', '', 'steadier than wall time when the machine is shared']);
    rows.push([
      `restart: replay of __consumer_offsets (ms, broker's log line)`,
      med((x) => x.replayMs),
      spread((x) => x.replayMs),
      '-',
      '-',
      '-',
      '',
      `${fmt((med((x) => x.replayMs) * 1000) / med((x) => x.replayRecords))} µs/record; read back ${r.readBack}`,
    ]);
    rows.push([
      `restart: records replayed (of ${fmt(r.records)} commit records written)`,
      med((x) => x.replayRecords),
      '',
      '-',
      '-',
      '-',
      '',
      `records read; the latest of each of the ${COMMIT_GROUPS * COMMIT_PARTITIONS} live keys is applied${argv['replay-segment-bytes'] ? ` (segments of ${argv['replay-segment-bytes']} bytes, cleaned before the stop)` : ''}`,
    ]);
    rows.push([`restart: process spawn to listening (ms, incl. node + tsx)`, med((x) => x.sinceProcessStartMs), spread((x) => x.sinceProcessStartMs), '-', '-', '-', '', '']);
    rows.push([`data dir size after ${fmt(r.records)} commit records (MB)`, r.dataBytes / 1e6, `__consumer_offsets ${fmt(r.offsetsBytes / 1e6)} MB`, '-', '-', '-', '', '']);
  }

  if (rows.length > 0) printTable(
    `bench/rebalance (${fmt((performance.now() - started) / 1000)} s; rebalance figures: client-observed, from the triggering request to the last SyncGroup answer)`,
    ['figure', 'median / p50', 'p99 / range', 'broker pausedMs p50/max', 'goal', 'p50 / p99 vs goal', 'CPU broker/bench', 'notes'],
    rows,
  );

  if (kip848) printSideBySide(results, kip848);

  if (PROFILE_DIR) {
    for (const w of windows) if (w.child.profileDir) await summarizeProfile(w.child.profileDir, [w.from, w.to], w.label);
  }
}

if (argv.echo) {
  echoMain();
} else if (argv.child) {
  childMain().catch((err: unknown) => {
    process.stderr.write(`broker child failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
