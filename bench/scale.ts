// bench/scale: how the broker's cost grows with partitions, connections and
// groups (issue 15). The broker runs as a CHILD process (the built CLI,
// `dist/bin/kafkalite.js start` on a data directory: tsx alone costs seconds of
// start-up here), this process is the load generator.
//
//   partitions   100 topics x 100 partitions created on an idle broker: RSS per
//                idle partition (RSS after - RSS before, / partitions); then
//                SIGTERM and restart: spawn to listening with those partitions on
//                disk (goal < 2 s), beside the same restart of an EMPTY data dir
//                (the floor: node + the broker's own start, same run); RSS per
//                partition after the restart; and a restart after SIGKILL
//                (unclean: recovery from the checkpoint), for information.
//   connections  10,000 sockets, each sends ApiVersions + Metadata once and
//                stays open: RSS per connection (goal < 20 KiB); then one more
//                ApiVersions on each: all must answer.
//   groups       1,000 groups of 3 members (one connection each), classic
//                (JoinGroup/SyncGroup, Heartbeat every 3 s) and KIP-848
//                (ConsumerGroupHeartbeat, interval set to 3 s): the broker's CPU
//                in steady state (goal < 10% of a core), beside the same
//                connections held idle (the floor).
//
// Run: npm run build && npx tsx bench/scale.ts [partitions] [connections] [groups]   (default: all)
// Env: SCALE_TOPICS (100), SCALE_PARTITIONS (100 per topic), SCALE_CONNECTIONS
// (10000), SCALE_GROUPS (1000), SCALE_RESTARTS (3), SCALE_CPU_SECONDS (15),
// SCALE_PROFILE=<dir> (the broker runs with --cpu-prof; summarized per scenario),
// SCALE_DATA_ROOT (default: the OS temp dir).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../test/support/raw-client.js';
import { ErrorCode } from '../protocol/errors.js';
import { Writer } from '../protocol/writer.js';
import { ApiVersionsApi } from '../protocol/messages/18-api-versions.js';
import { MetadataApi } from '../protocol/messages/03-metadata.js';
import { CreateTopicsApi } from '../protocol/messages/19-create-topics.js';
import { JoinGroupApi, type JoinGroupResponse } from '../protocol/messages/11-join-group.js';
import { SyncGroupApi } from '../protocol/messages/14-sync-group.js';
import { HeartbeatApi } from '../protocol/messages/12-heartbeat.js';
import { ConsumerGroupHeartbeatApi, type ConsumerGroupHeartbeatResponse } from '../protocol/messages/68-consumer-group-heartbeat.js';
import { writeConsumerProtocolSubscription } from '../protocol/messages/data/consumer-protocol-subscription.js';
import { writeConsumerProtocolAssignment } from '../protocol/messages/data/consumer-protocol-assignment.js';
import { awaitCoordinator, cpuMeter, createTopic, prepare, processCpuSeconds } from './raw-load.js';
import { summarizeProfile } from './profile.js';
import { median, printTable } from './stats.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = join(REPO, 'dist', 'bin', 'kafkalite.js');
const TOPICS = Number(process.env.SCALE_TOPICS ?? 100);
const PER_TOPIC = Number(process.env.SCALE_PARTITIONS ?? 100);
const CONNECTIONS = Number(process.env.SCALE_CONNECTIONS ?? 10_000);
const GROUPS = Number(process.env.SCALE_GROUPS ?? 1000);
const RESTARTS = Number(process.env.SCALE_RESTARTS ?? 3);
const CPU_SECONDS = Number(process.env.SCALE_CPU_SECONDS ?? 15);
const PROFILE_DIR = process.env.SCALE_PROFILE;
const DATA_ROOT = process.env.SCALE_DATA_ROOT ?? tmpdir();
const HEARTBEAT_MS = 3000;
const KIB = 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const monoMicros = () => Number(process.hrtime.bigint() / 1000n);

type Row = (string | number)[];
const rows: Row[] = [];
const row = (figure: string, value: number, unit: string, goal: number | null, note = '') =>
  rows.push([figure, `${value.toFixed(value >= 100 ? 0 : 2)} ${unit}`, goal === null ? '' : `< ${goal} ${unit}`, goal === null ? '' : (value / goal).toFixed(2), note]);

// ---------------------------------------------------------------------------------------------
// The broker child
// ---------------------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * KIB : NaN;
}

/** Median of RSS read 5 times 200 ms apart, after `settleMs` idle. */
async function settledRss(pid: number, settleMs = 2000): Promise<number> {
  await sleep(settleMs);
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    xs.push(rssBytes(pid));
    await sleep(200);
  }
  return median(xs);
}

interface Broker {
  proc: ChildProcess;
  pid: number;
  port: number;
  /** ms from spawn to the first accepted connection. */
  readyMs: number;
  /** CPU seconds the child had used by then (a figure a busy machine distorts less than wall time). */
  readyCpu: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

async function startBroker(dataDir: string, port: number, sets: string[] = [], profileName?: string): Promise<Broker> {
  const prof = PROFILE_DIR && profileName ? ['--cpu-prof', '--cpu-prof-dir', join(PROFILE_DIR, profileName)] : [];
  const args = [...prof, CLI, 'start', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', ...sets.flatMap((s) => ['--set', s])];
  const t0 = performance.now();
  const proc = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
  let dead = false;
  const exited = new Promise<void>((r) => proc.once('exit', () => ((dead = true), r())));
  for (;;) {
    if (dead) throw new Error(`broker child on ${dataDir} exited during start`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) break;
    if (performance.now() - t0 > 120_000) throw new Error('broker child did not listen within 120 s');
    await sleep(10);
  }
  const readyMs = performance.now() - t0;
  const readyCpu = processCpuSeconds(proc.pid!);
  return {
    proc,
    pid: proc.pid!,
    port,
    readyMs,
    readyCpu,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!dead) {
        proc.kill(signal);
        const t = setTimeout(() => proc.kill('SIGKILL'), 120_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Partitions
// ---------------------------------------------------------------------------------------------

async function partitionsScenario(): Promise<void> {
  const partitions = TOPICS * PER_TOPIC;
  const dataDir = await mkdtemp(join(DATA_ROOT, 'kafkalite-scale-parts-'));
  const emptyDir = await mkdtemp(join(DATA_ROOT, 'kafkalite-scale-empty-'));
  const port = await freePort();
  try {
    let b = await startBroker(dataDir, port);
    // warm the CreateTopics path with one small topic, so the figure is per partition, not first-use code
    await createTopic(port, 'scale-warm', 1);
    const before = await settledRss(b.pid);
    const c = await RawClient.connect('127.0.0.1', port);
    const t0 = performance.now();
    for (let t = 0; t < TOPICS; t++) {
      const res = await c.request(CreateTopicsApi, 5, {
        topics: [{ name: `scale-${t}`, numPartitions: PER_TOPIC, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 60_000,
        validateOnly: false,
      });
      const e = res.topics[0]!;
      if (e.errorCode !== 0) throw new Error(`CreateTopics scale-${t}: ${e.errorCode} ${e.errorMessage ?? ''}`);
    }
    const createMs = performance.now() - t0;
    c.close();
    const after = await settledRss(b.pid);
    row(`RSS per idle partition (${partitions.toLocaleString('en-US')} created)`, (after - before) / partitions / KIB, 'KiB', 20, `RSS ${(before / 2 ** 20).toFixed(0)} -> ${(after / 2 ** 20).toFixed(0)} MiB`);
    row(`CreateTopics ${TOPICS} x ${PER_TOPIC} partitions`, createMs / 1000, 's', null);
    await b.stop();

    // restarts: the same data dir, and an empty one (the floor)
    const full: number[] = [];
    const empty: number[] = [];
    const fullCpu: number[] = [];
    const emptyCpu: number[] = [];
    const rssAfter: number[] = [];
    const rssEmpty: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      const e = await startBroker(emptyDir, port);
      empty.push(e.readyMs);
      emptyCpu.push(e.readyCpu);
      if (i === 0) rssEmpty.push(await settledRss(e.pid));
      await e.stop();
      b = await startBroker(dataDir, port, [], i === 0 ? 'restart' : undefined);
      full.push(b.readyMs);
      fullCpu.push(b.readyCpu);
      if (i === 0) rssAfter.push(await settledRss(b.pid));
      await b.stop();
    }
    const floor = median(empty);
    row(`restart to listening, ${partitions.toLocaleString('en-US')} partitions (clean)`, median(full) / 1000, 's', 2, `${full.map((x) => (x / 1000).toFixed(2)).join(' ')}`);
    row('restart to listening, empty data dir (floor)', floor / 1000, 's', null, `${empty.map((x) => (x / 1000).toFixed(2)).join(' ')}`);
    row(`  CPU used to listening, ${partitions.toLocaleString('en-US')} partitions`, median(fullCpu), 's', 2, `empty data dir: ${median(emptyCpu).toFixed(2)} s; machine load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
    row('RSS per partition after restart', (median(rssAfter) - median(rssEmpty)) / partitions / KIB, 'KiB', 20, `RSS ${(median(rssEmpty) / 2 ** 20).toFixed(0)} (empty) vs ${(median(rssAfter) / 2 ** 20).toFixed(0)} MiB`);

    // unclean: SIGKILL, then a restart recovers (from the recovery point checkpoint)
    b = await startBroker(dataDir, port);
    await b.stop('SIGKILL');
    b = await startBroker(dataDir, port, [], 'restart-unclean');
    row(`restart after SIGKILL (recovery), ${partitions.toLocaleString('en-US')} partitions`, b.readyMs / 1000, 's', null);
    await b.stop();
    if (PROFILE_DIR) {
      await summarizeProfile(join(PROFILE_DIR, 'restart'), undefined, 'clean restart with 10,000 partitions (whole run)');
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await rm(emptyDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------------

/** Runs `fn` over `items`, `width` at a time. */
async function inWaves<T, R>(items: readonly T[], width: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

async function connectionsScenario(): Promise<void> {
  const dataDir = await mkdtemp(join(DATA_ROOT, 'kafkalite-scale-conns-'));
  const port = await freePort();
  const b = await startBroker(dataDir, port, [], 'connections');
  const held: RawClient[] = [];
  try {
    await createTopic(port, 'scale-conn', 1);
    const enc = await RawClient.connect('127.0.0.1', port, 'scale-bench');
    const versions = enc.encode(ApiVersionsApi, 3, { clientSoftwareName: 'scale-bench', clientSoftwareVersion: '1' }, 1);
    const metadata = enc.encode(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, 2);
    const again = enc.encode(ApiVersionsApi, 3, { clientSoftwareName: 'scale-bench', clientSoftwareVersion: '1' }, 3);
    enc.close();
    // what a client does first on a new connection (answers are not decoded: the broker's cost is measured)
    const hello = async (): Promise<RawClient> => {
      const c = await RawClient.connect('127.0.0.1', port, 'scale-bench');
      await Promise.all([c.rawRequest(versions, 1), c.rawRequest(metadata, 2)]);
      return c;
    };
    // warm: a few connections through the same path, closed again
    for (let i = 0; i < 50; i++) (await hello()).close();
    const before = await settledRss(b.pid);
    const t0 = performance.now();
    held.push(...(await inWaves(Array.from({ length: CONNECTIONS }), 200, hello)));
    const openMs = performance.now() - t0;
    const after = await settledRss(b.pid);
    row(`RSS per idle connection (${CONNECTIONS.toLocaleString('en-US')} held)`, (after - before) / CONNECTIONS / KIB, 'KiB', 20, `RSS ${(before / 2 ** 20).toFixed(0)} -> ${(after / 2 ** 20).toFixed(0)} MiB; opened in ${(openMs / 1000).toFixed(1)} s`);
    const t1 = performance.now();
    let served = 0;
    await inWaves(held, 1000, async (c) => {
      await Promise.race([c.rawRequest(again, 3).then(() => served++), sleep(60_000)]);
    });
    row(`held connections answering one more ApiVersions`, served, `of ${CONNECTIONS}`, null, `in ${((performance.now() - t1) / 1000).toFixed(1)} s (goal: all)`);
  } finally {
    for (const c of held) c.close();
    await b.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  if (PROFILE_DIR) await summarizeProfile(join(PROFILE_DIR, 'connections'), undefined, 'connections (whole run)');
}

// ---------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------

const GROUP_TOPIC = 'scale-groups';
const MEMBERS = 3;

function subscription(): Buffer {
  const w = new Writer(64);
  w.int16(3);
  writeConsumerProtocolSubscription(w, { topics: [GROUP_TOPIC], userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 3);
  return w.toBuffer();
}

function assignment(p: number): Buffer {
  const w = new Writer(64);
  w.int16(3);
  writeConsumerProtocolAssignment(w, { assignedPartitions: [{ topic: GROUP_TOPIC, partitions: [p] }], userData: null }, 3);
  return w.toBuffer();
}

interface GroupLoad {
  /** Starts heartbeating every `HEARTBEAT_MS` (members spread over the interval). */
  start(): void;
  stop(): Promise<void>;
  heartbeats(): number;
  errors(): string[];
}

/** Classic: every member joins (MEMBER_ID_REQUIRED, then again), the leader assigns one partition each, all sync. */
async function classicGroups(port: number, clients: RawClient[]): Promise<GroupLoad> {
  const meta = subscription();
  const members = clients.map((client, i) => ({ client, group: `scale-classic-${Math.floor(i / MEMBERS)}`, id: '', generation: -1 }));
  const join = (m: (typeof members)[number]) =>
    m.client.request(JoinGroupApi, 9, {
      groupId: m.group,
      sessionTimeoutMs: 45_000,
      rebalanceTimeoutMs: 60_000,
      memberId: m.id,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: meta }],
      reason: null,
    });
  await inWaves(members, 500, async (m) => {
    const r = await join(m);
    if (r.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) throw new Error(`first JoinGroup answered ${r.errorCode}`);
    m.id = r.memberId;
  });
  await Promise.all(
    members.map(async (m) => {
      const r: JoinGroupResponse = await join(m);
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`JoinGroup answered ${r.errorCode}`);
      m.generation = r.generationId;
      const assignments = r.leader === m.id ? r.members.map((x, p) => ({ memberId: x.memberId, assignment: assignment(p) })) : [];
      const s = await m.client.request(SyncGroupApi, 5, {
        groupId: m.group,
        generationId: m.generation,
        memberId: m.id,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments,
      });
      if (s.errorCode !== ErrorCode.NONE) throw new Error(`SyncGroup answered ${s.errorCode}`);
    }),
  );
  return periodic(members.length, (i) =>
    prepare(members[i]!.client, HeartbeatApi, 4, { groupId: members[i]!.group, generationId: members[i]!.generation, memberId: members[i]!.id, groupInstanceId: null })
      .send()
      .then((r) => (r.errorCode === ErrorCode.NONE ? null : `Heartbeat answered ${r.errorCode}`)),
  );
}

/** KIP-848: epoch-0 heartbeats, then heartbeats (acknowledging a new assignment once) until every member has one partition. */
async function consumerGroups(port: number, clients: RawClient[]): Promise<GroupLoad> {
  const members = clients.map((client, i) => ({
    client,
    group: `scale-848-${Math.floor(i / MEMBERS)}`,
    id: `m-${i}-${Math.random().toString(36).slice(2)}`,
    epoch: 0,
    owned: null as { topicId: string; partitions: number[] }[] | null,
    ack: false,
  }));
  const beat = async (m: (typeof members)[number]): Promise<string | null> => {
    const first = m.epoch === 0;
    const r: ConsumerGroupHeartbeatResponse = await m.client.request(ConsumerGroupHeartbeatApi, 1, {
      groupId: m.group,
      memberId: m.id,
      memberEpoch: m.epoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: first ? 60_000 : -1,
      subscribedTopicNames: first ? [GROUP_TOPIC] : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      // as the Java client: the owned partitions when joining or after a change, else null (unchanged)
      topicPartitions: first ? [] : m.ack ? m.owned : null,
    });
    if (r.errorCode !== ErrorCode.NONE) return `ConsumerGroupHeartbeat answered ${r.errorCode} ${r.errorMessage ?? ''}`;
    m.epoch = r.memberEpoch;
    m.ack = false;
    if (r.assignment !== null) {
      m.owned = r.assignment.topicPartitions.map((t) => ({ topicId: t.topicId, partitions: t.partitions }));
      m.ack = true;
    }
    return null;
  };
  await awaitCoordinator(port, members[0]!.group);
  await inWaves(members, 500, async (m) => {
    const e = await beat(m);
    if (e) throw new Error(e);
  });
  // settle: heartbeat (fast) until every member owns one partition and has acknowledged it
  for (let round = 0; ; round++) {
    const pending = members.filter((m) => m.ack || (m.owned ?? []).reduce((n, t) => n + t.partitions.length, 0) !== 1);
    if (pending.length === 0) break;
    if (round > 200) throw new Error(`${pending.length} KIP-848 members never settled`);
    await inWaves(pending, 500, async (m) => {
      const e = await beat(m);
      if (e) throw new Error(e);
    });
    await sleep(50);
  }
  return periodic(members.length, (i) => beat(members[i]!));
}

/** Member i heartbeats every HEARTBEAT_MS, the first at i/n of the interval. */
function periodic(n: number, beat: (i: number) => Promise<string | null>): GroupLoad {
  let sent = 0;
  let running = true;
  const errs: string[] = [];
  const loops: Promise<void>[] = [];
  return {
    start() {
      for (let i = 0; i < n; i++) {
        loops.push(
          (async () => {
            await sleep((i * HEARTBEAT_MS) / n);
            while (running) {
              const t = performance.now();
              const e = await beat(i).catch((x: unknown) => String(x));
              sent++;
              if (e && errs.length < 5) errs.push(e);
              await sleep(Math.max(0, HEARTBEAT_MS - (performance.now() - t)));
            }
          })(),
        );
      }
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
    heartbeats: () => sent,
    errors: () => errs,
  };
}

async function groupsScenario(kind: 'classic' | 'consumer'): Promise<void> {
  const dataDir = await mkdtemp(join(DATA_ROOT, `kafkalite-scale-groups-${kind}-`));
  const port = await freePort();
  // the broker tells KIP-848 members the interval: 3 s like the classic clients' default
  const sets = kind === 'consumer' ? [`group.consumer.heartbeat.interval.ms=${HEARTBEAT_MS}`, `group.consumer.min.heartbeat.interval.ms=${HEARTBEAT_MS}`] : [];
  const b = await startBroker(dataDir, port, sets, `groups-${kind}`);
  const clients: RawClient[] = [];
  try {
    await createTopic(port, GROUP_TOPIC, MEMBERS);
    await awaitCoordinator(port, 'scale-warm');
    clients.push(...(await inWaves(Array.from({ length: GROUPS * MEMBERS }), 200, () => RawClient.connect('127.0.0.1', port, `scale-${kind}`))));
    await sleep(2000);
    const idle = cpuMeter(b.pid);
    await sleep(CPU_SECONDS * 1000);
    const floor = idle().broker;
    const t0 = performance.now();
    const load = kind === 'classic' ? await classicGroups(port, clients) : await consumerGroups(port, clients);
    const settleMs = performance.now() - t0;
    load.start();
    await sleep(2 * HEARTBEAT_MS); // one whole interval of heartbeats before measuring
    const from = monoMicros();
    const n0 = load.heartbeats();
    const meter = cpuMeter(b.pid);
    await sleep(CPU_SECONDS * 1000);
    const cpu = meter();
    const rate = (load.heartbeats() - n0) / CPU_SECONDS;
    const window: [number, number] = [from, monoMicros()];
    await load.stop();
    const errs = load.errors();
    const label = kind === 'classic' ? 'classic Heartbeat' : 'KIP-848 ConsumerGroupHeartbeat';
    row(`broker CPU, ${GROUPS.toLocaleString('en-US')} groups x ${MEMBERS}, ${label} every 3 s`, cpu.broker, '% core', 10, `${rate.toFixed(0)} hb/s; settled in ${(settleMs / 1000).toFixed(1)} s${errs.length ? `; ERRORS: ${errs.join('; ')}` : ''}`);
    row(`  same ${(GROUPS * MEMBERS).toLocaleString('en-US')} connections idle (floor)`, floor, '% core', null);
    if (PROFILE_DIR) {
      for (const c of clients) c.close();
      clients.length = 0;
      await b.stop();
      await summarizeProfile(join(PROFILE_DIR, `groups-${kind}`), window, `${kind} groups steady state`);
    }
  } finally {
    for (const c of clients) c.close();
    await b.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

/** The newest mtime of the sources dist/ is built from. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}
if (!existsSync(CLI) || ['broker', 'storage', 'protocol', 'bin'].some((d) => newestSource(join(REPO, d)) > statSync(CLI).mtimeMs)) {
  process.stderr.write('bench/scale runs the built CLI: dist/ is missing or older than the sources; run `npm run build` first\n');
  process.exit(2);
}

const which = new Set(process.argv.slice(2));
const all = which.size === 0;
if (all || which.has('partitions')) await partitionsScenario();
if (all || which.has('connections')) await connectionsScenario();
if (all || which.has('groups')) {
  await groupsScenario('classic');
  await groupsScenario('consumer');
}
printTable(
  `scale (issue 15; ${TOPICS}x${PER_TOPIC} partitions, ${CONNECTIONS} connections, ${GROUPS} groups; RSS medians of 5 reads; ratio = value / goal)`,
  ['figure', 'value', 'goal', 'ratio', 'notes'],
  rows,
);
