// bench/throughput: the broker's data path end to end, next to this machine's
// ceilings measured in the same run, against the goals of issue 3.
//
// The broker runs as a CHILD process (`bin/kafkalite.ts start`, one per
// scenario, on a fresh data dir on the repo's file system), so broker and load
// generator each get a core. The load generator here speaks the protocol on raw
// sockets with PRE-BUILT request frames (built once, re-sent as they are) and
// pipelining, so it is not the bottleneck; its CPU use is printed to prove it
// (for fetch, receiving the bytes is real work, as it is for the loopback
// ceiling's sink).
//
// Ceilings (bench/ceilings.ts) are measured at the start and again right
// before each scenario compared with one; the ratio uses the adjacent one, as
// this machine is shared and noisy. Every scenario row shows the CPU of the
// broker (all threads, and its main thread = the event loop), of the load
// generator, and of everything else on the machine during the window ("other":
// noise; above ~20% the figures are not trustworthy).
//
// Scenarios (each figure is the median of per-interval rates):
//   a   produce acks=1, 1 KiB records in 64 KiB batches          MB/s vs loopback
//   b   produce acks=1, 100 B records in 16 KiB batches          records/s
//   b64 the same in 64 KiB batches (per-batch vs per-record cost) records/s
//   c   produce acks=-1, log.flush.mode=group-commit, 64 producers = 64
//       connections with one request in flight each, 16 KiB batches of 1 KiB
//       records, one partition (so all share one log's fsync): MB/s vs the
//       fdatasync-every-1-MiB ceiling; fsyncs/s (counted by `perf stat` on
//       syscall tracepoints in the broker process) next to batches acked/s
//   c64 the same with 64 KiB batches (4 MiB in flight instead of 1 MiB)
//   d   fetch from the tail: 4 consumers, each on its own partition, cycling
//       over the last 6 MiB (held by the log's tail cache), 1 MiB per
//       partition per fetch, 4 fetches in flight each: MB/s vs loopback
//   e   produce-to-consume latency at 5,000 records/s (100 B records, one batch
//       per ~1 ms tick, acks=1), a consumer long-polling Fetch (max_wait_ms
//       500); the creation time (hrtime) travels in each record value
//
// Run: npx tsx bench/throughput.ts [--seconds 8] [--warmup 2] [--only a,c,e]
//        [--profile DIR]  (broker child under --cpu-prof; prints top self time)
// Env: BENCH_SECONDS, BENCH_WARMUP, BENCH_ONLY, BENCH_PROFILE (same meaning);
//      BENCH_NODE_FLAGS: extra node flags for the broker child (e.g. --trace-gc);
//      BENCH_FETCH_DEPTH: fetches in flight per consumer in (d) (default 4);
//      BENCH_PRODUCE_DEPTH: requests in flight per connection in (a), (b), (b64).
import { summarizeProfile } from './profile.js';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { RawClient } from '../test/support/raw-client.js';
import { Reader } from '../protocol/reader.js';
import { readResponseHeader } from '../protocol/messages/data/response-header.js';
import { ProduceApi } from '../protocol/messages/00-produce.js';
import { FetchApi } from '../protocol/messages/01-fetch.js';
import { CreateTopicsApi } from '../protocol/messages/19-create-topics.js';
import { buildRecordBatchSync, decodeBatchSync } from '../protocol/record-batch.js';
import { loopbackCeiling, diskCeiling } from './ceilings.js';
import { median, percentile, printTable, fmt } from './stats.js';

const KiB = 1024;
const MiB = 1024 * 1024;
const PRODUCE_V = 9;
const FETCH_V = 12;
const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const KAFKALITE_BIN = join(REPO, 'bin', 'kafkalite.ts');
const TSX_LOADER = (() => {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
})();

const { values: argv } = parseArgs({
  options: {
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'string' },
    'no-ceilings': { type: 'boolean' },
  },
});
const SECONDS = Number(argv.seconds ?? process.env.BENCH_SECONDS ?? 8);
const WARMUP = Number(argv.warmup ?? process.env.BENCH_WARMUP ?? 2);
const ONLY = (argv.only ?? process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const PROFILE_DIR = argv.profile ?? process.env.BENCH_PROFILE;
/** Fetches in flight per consumer in (d) (BENCH_FETCH_DEPTH, default 4). */
const FETCH_DEPTH = Number(process.env.BENCH_FETCH_DEPTH ?? 4);
/** Overrides the requests in flight per connection of (a), (b), (b64) (BENCH_PRODUCE_DEPTH), for experiments. */
const PRODUCE_DEPTH = process.env.BENCH_PRODUCE_DEPTH ? Number(process.env.BENCH_PRODUCE_DEPTH) : undefined;
/** Extra node flags for the broker child (e.g. `--trace-gc`), from BENCH_NODE_FLAGS. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const wants = (s: string) => ONLY.length === 0 || ONLY.includes(s);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- where data goes: the repo's file system, never tmpfs --------------------------------

function dataRoot(): string {
  const t = tmpdir();
  const fsType = (p: string) => {
    try {
      return execFileSync('df', ['--output=fstype', p], { encoding: 'utf8' }).trim().split('\n').pop()!.trim();
    } catch {
      return 'unknown';
    }
  };
  if (statSync(t).dev === statSync(REPO).dev && fsType(t) !== 'tmpfs') return t;
  return join(REPO, 'node_modules', '.cache', 'kafkalite-bench'); // ignored by git, same file system as the repo
}

function describeFs(dir: string): string {
  try {
    const line = execFileSync('df', ['-T', dir], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/);
    return `${dir} on ${line[0]} (${line[1]}, mounted at ${line[6]})`;
  } catch {
    return dir;
  }
}

// ---- the broker child --------------------------------------------------------------------

interface BrokerChild {
  name: string;
  proc: ChildProcess;
  pid: number;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

async function startBrokerChild(root: string, name: string, sets: string[]): Promise<BrokerChild> {
  const dataDir = await mkdtemp(join(root, `kafkalite-bench-${name}-`));
  const port = await freePort();
  const profileArgs = PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', join(PROFILE_DIR, name)] : [];
  const args = [
    ...profileArgs,
    ...NODE_FLAGS,
    '--import',
    TSX_LOADER,
    KAFKALITE_BIN,
    'start',
    '--port',
    String(port),
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
    ...sets.flatMap((s) => ['--set', s]),
  ];
  // cwd = the data dir, so whatever a node flag drops in the cwd (v8 logs...) goes away with it
  const proc = spawn(process.execPath, args, { cwd: dataDir, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (dead) throw new Error(`broker child for ${name} exited during start`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`broker child for ${name} did not listen within 30 s`);
    await sleep(50);
  }
  return {
    name,
    proc,
    pid: proc.pid!,
    port,
    dataDir,
    async stop() {
      if (!dead) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 60_000);
        await exited;
        clearTimeout(t);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system) of a process so far: all threads, or with `mainOnly` its main thread (the event loop). */
function processCpuSeconds(pid: number, mainOnly = false): number {
  try {
    const stat = readFileSync(mainOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (CLK_TCK 100)
  } catch {
    return NaN;
  }
}

/** CPU seconds the whole machine has spent busy so far (all cores). */
function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + (f[4] ?? 0);
    return (f.reduce((a, b) => a + b, 0) - idle) / 100;
  } catch {
    return NaN;
  }
}

const SYSCALLS = ['fdatasync', 'fsync', 'pwritev', 'pwrite64', 'writev', 'write', 'read'] as const;
type SyscallCounts = Partial<Record<(typeof SYSCALLS)[number], number>>;

/** Counts syscalls of a process (all threads) with `perf stat` on tracepoints; null when perf cannot. */
function countSyscalls(pid: number): { stop(): Promise<SyscallCounts | null> } {
  let proc: ChildProcess;
  try {
    proc = spawn('perf', ['stat', '-x', ',', '-e', SYSCALLS.map((s) => `syscalls:sys_enter_${s}`).join(','), '-p', String(pid)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch {
    return { stop: async () => null };
  }
  let err = '';
  proc.stderr?.on('data', (d) => (err += d));
  const done = new Promise<number | null>((r) => {
    proc.once('exit', (code) => r(code));
    proc.once('error', () => r(-1));
  });
  return {
    async stop() {
      proc.kill('SIGINT');
      const code = await done;
      const out: SyscallCounts = {};
      for (const line of err.split('\n')) {
        const f = line.split(',');
        const m = /syscalls:sys_enter_(\w+)/.exec(f[2] ?? '');
        if (m && /^\d+$/.test(f[0]!)) out[m[1] as keyof SyscallCounts] = Number(f[0]);
      }
      return code === -1 || out.fdatasync === undefined ? null : out;
    },
  };
}

// ---- framing -----------------------------------------------------------------------------

/** Splits a response stream into frames without copying; `capture(n)` keeps the bytes of frame n. */
class FrameReader {
  frames = 0;
  bytes = 0;
  private sizeBuf = Buffer.alloc(4);
  private sizeHave = 0;
  private left = -1;
  private parts: Buffer[] | null = null;

  constructor(
    private readonly capture: (n: number) => boolean,
    private readonly onFrame: (n: number, frame: Buffer | null, size: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let pos = 0;
    const n = chunk.length;
    this.bytes += n;
    while (pos < n) {
      if (this.left < 0) {
        while (this.sizeHave < 4 && pos < n) this.sizeBuf[this.sizeHave++] = chunk[pos++]!;
        if (this.sizeHave < 4) return;
        this.sizeHave = 0;
        this.left = this.sizeBuf.readInt32BE(0);
        this.size = this.left;
        this.parts = this.capture(this.frames) ? [] : null;
        if (this.left === 0) this.finish();
        continue;
      }
      const take = Math.min(this.left, n - pos);
      this.parts?.push(chunk.subarray(pos, pos + take));
      pos += take;
      this.left -= take;
      if (this.left === 0) this.finish();
    }
  }

  private size = 0;

  private finish(): void {
    const parts = this.parts;
    this.parts = null;
    this.left = -1;
    const frame = parts ? (parts.length === 1 ? parts[0]! : Buffer.concat(parts)) : null;
    this.onFrame(this.frames++, frame, this.size);
  }
}

/** One connection keeping `depth` pre-built requests in flight, cycling through `frames`. */
class Pipeline {
  responses = 0;
  errors = 0;
  firstError = '';
  private inflight = 0;
  private running = true;
  private next = 0;
  private drained: (() => void) | null = null;
  private readonly reader: FrameReader;

  private constructor(
    private readonly socket: Socket,
    private readonly frames: Buffer[],
    private readonly depth: number,
    check: (frame: Buffer) => string | null,
    sampleEvery: number,
  ) {
    this.reader = new FrameReader(
      (n) => n < 4 || n % sampleEvery === 0,
      (_n, frame) => {
        this.responses++;
        this.inflight--;
        if (frame) {
          const problem = check(frame);
          if (problem) {
            this.errors++;
            this.firstError ||= problem;
          }
        }
        this.fill();
        if (this.inflight === 0) this.drained?.();
      },
    );
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.reader.push(c));
    socket.on('error', () => {});
  }

  static async open(port: number, frames: Buffer[], depth: number, check: (frame: Buffer) => string | null, sampleEvery = 16): Promise<Pipeline> {
    const socket = await new Promise<Socket>((res, rej) => {
      const s = connect({ host: '127.0.0.1', port }, () => res(s));
      s.once('error', rej);
    });
    return new Pipeline(socket, frames, depth, check, sampleEvery);
  }

  get bytesIn(): number {
    return this.reader.bytes;
  }

  start(): void {
    this.fill();
  }

  private fill(): void {
    if (!this.running || this.inflight >= this.depth) return;
    this.socket.cork();
    while (this.inflight < this.depth) {
      this.socket.write(this.frames[this.next]!);
      this.next = (this.next + 1) % this.frames.length;
      this.inflight++;
    }
    this.socket.uncork();
  }

  /** Stops sending, waits (a while) for what is in flight, closes. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.inflight > 0) {
      await Promise.race([new Promise<void>((r) => (this.drained = r)), sleep(10_000)]);
    }
    this.socket.destroy();
  }
}

// ---- request building --------------------------------------------------------------------

/** A v2 batch of as many records of `valueBytes` as fit in `batchBytes`. */
function buildBatch(valueBytes: number, batchBytes: number): { batch: Buffer; records: number } {
  const value = randomBytes(valueBytes);
  const timestamp = Date.now();
  let n = Math.max(1, Math.floor((batchBytes - 61) / (valueBytes + 8)));
  for (;;) {
    const batch = buildRecordBatchSync({ records: Array.from({ length: n }, () => ({ value, timestamp })) });
    if (batch.length <= batchBytes || n === 1) return { batch, records: n };
    n--;
  }
}

function produceCheck(frame: Buffer): string | null {
  try {
    const r = new Reader(frame);
    readResponseHeader(r, 1);
    const res = ProduceApi.response.read(r, PRODUCE_V);
    for (const t of res.responses) for (const p of t.partitionResponses) if (p.errorCode !== 0) return `produce error ${p.errorCode} ${p.errorMessage ?? ''}`;
    return null;
  } catch (e) {
    return `bad produce response: ${(e as Error).message}`;
  }
}

function fetchCheck(frame: Buffer): string | null {
  try {
    const r = new Reader(frame);
    readResponseHeader(r, 1);
    const res = FetchApi.response.read(r, FETCH_V);
    if (res.errorCode !== 0) return `fetch error ${res.errorCode}`;
    for (const t of res.responses) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) return `fetch partition error ${p.errorCode}`;
        const len = Buffer.isBuffer(p.records) ? p.records.length : 0;
        if (len === 0) return 'empty fetch from the tail';
      }
    }
    return null;
  } catch (e) {
    return `bad fetch response: ${(e as Error).message}`;
  }
}

async function setup(port: number, topic: string, partitions: number): Promise<RawClient> {
  const client = await RawClient.connect('127.0.0.1', port);
  const res = await client.request(CreateTopicsApi, 5, {
    topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  const t = res.topics[0]!;
  if (t.errorCode !== 0) throw new Error(`CreateTopics ${topic}: error ${t.errorCode} ${t.errorMessage ?? ''}`);
  return client;
}

function produceFrame(client: RawClient, topic: string, partition: number, batch: Buffer, acks: number, cid: number): Buffer {
  return client.encode(ProduceApi, PRODUCE_V, {
    transactionalId: null,
    acks,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  }, cid);
}

function fetchFrame(client: RawClient, topic: string, partition: number, offset: number, opts: { maxWaitMs: number; partitionMaxBytes: number }, cid: number): Buffer {
  return client.encode(FetchApi, FETCH_V, {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs,
    minBytes: 1,
    maxBytes: 50 * MiB,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: opts.partitionMaxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  }, cid);
}

// ---- measuring ---------------------------------------------------------------------------

/** The measured windows (CLOCK_MONOTONIC, µs, as V8's profiler stamps samples), per scenario, for --profile. */
const windows = new Map<string, [number, number]>();
const monoMicros = () => Number(process.hrtime.bigint() / 1000n);

interface Rates {
  /** per-interval rates of each counter */
  series: Record<string, number[]>;
  seconds: number;
  brokerCpu: number;
  /** the broker's main thread alone: near 100% means the event loop is the bottleneck */
  brokerMainCpu: number;
  loadCpu: number;
  /** CPU used by everything else on the machine during the window (noise: other work on the 2 cores) */
  otherCpu: number;
  syscalls: SyscallCounts | null;
}

/** Warm up, then sample `counters()` every second for SECONDS; broker CPU and syscalls over the window. */
async function measure(broker: BrokerChild, counters: () => Record<string, number>): Promise<Rates> {
  await sleep(WARMUP * 1000);
  const perf = countSyscalls(broker.pid);
  await sleep(150); // perf attaches
  const series: Record<string, number[]> = {};
  let prev = counters();
  let prevT = performance.now();
  const cpu0 = processCpuSeconds(broker.pid);
  const main0 = processCpuSeconds(broker.pid, true);
  const load0 = process.cpuUsage();
  const machine0 = machineBusySeconds();
  const t0 = prevT;
  const w0 = monoMicros();
  for (let i = 0; i < SECONDS; i++) {
    await sleep(1000);
    const now = performance.now();
    const cur = counters();
    for (const k of Object.keys(cur)) (series[k] ??= []).push((cur[k]! - prev[k]!) / ((now - prevT) / 1000));
    prev = cur;
    prevT = now;
  }
  const seconds = (performance.now() - t0) / 1000;
  windows.set(broker.name, [w0, monoMicros()]);
  const brokerCpu = (processCpuSeconds(broker.pid) - cpu0) / seconds;
  const brokerMainCpu = (processCpuSeconds(broker.pid, true) - main0) / seconds;
  const lu = process.cpuUsage(load0);
  const loadCpu = (lu.user + lu.system) / 1e6 / seconds;
  const otherCpu = (machineBusySeconds() - machine0) / seconds - brokerCpu - loadCpu;
  const syscalls = await perf.stop();
  return { series, seconds, brokerCpu, brokerMainCpu, loadCpu, otherCpu, syscalls };
}

interface Row {
  scenario: string;
  figure: string;
  value: number;
  spread: string;
  goal: string;
  ceiling: string;
  ratio: string;
  met: string;
  broker: string;
  load: string;
  other: string;
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const cpu = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '?');
const cpu2 = (all: number, main: number) => `${cpu(all)} (${cpu(main)})`;
const spreadOf = (xs: number[]) => (xs.length ? `${fmt(Math.min(...xs))}..${fmt(Math.max(...xs))}` : '');

// ---- scenarios -----------------------------------------------------------------------------

interface ProduceSpec {
  name: string;
  sets: string[];
  partitions: number;
  connections: number;
  depth: number;
  valueBytes: number;
  batchBytes: number;
  acks: number;
}

async function produceScenario(root: string, spec: ProduceSpec): Promise<{ rates: Rates; batchBytes: number; records: number; errors: number }> {
  const broker = await startBrokerChild(root, spec.name, spec.sets);
  const topic = `bench-${spec.name}`;
  const pipes: Pipeline[] = [];
  try {
    const client = await setup(broker.port, topic, spec.partitions);
    const { batch, records } = buildBatch(spec.valueBytes, spec.batchBytes);
    for (let c = 0; c < spec.connections; c++) {
      const partition = c % spec.partitions;
      // a few distinct frames per connection (distinct correlation ids), each re-sent as is
      const frames = Array.from({ length: Math.max(1, Math.min(spec.depth, 8)) }, (_, k) => produceFrame(client, topic, partition, batch, spec.acks, 1000 + k));
      pipes.push(await Pipeline.open(broker.port, frames, spec.depth, produceCheck));
    }
    client.close();
    for (const p of pipes) p.start();
    const rates = await measure(broker, () => {
      let n = 0;
      for (const p of pipes) n += p.responses;
      return { requests: n, bytes: n * batch.length, records: n * records };
    });
    await Promise.all(pipes.map((p) => p.stop()));
    const errors = pipes.reduce((s, p) => s + p.errors, 0);
    if (errors) process.stderr.write(`${spec.name}: ${errors} sampled responses carried errors, first: ${pipes.find((p) => p.errors)!.firstError}\n`);
    return { rates, batchBytes: batch.length, records, errors };
  } finally {
    for (const p of pipes) await p.stop().catch(() => {});
    await broker.stop();
  }
}

async function fetchScenario(root: string): Promise<{ rates: Rates; errors: number }> {
  const PARTITIONS = 4;
  const TAIL = 6 * MiB;
  const broker = await startBrokerChild(root, 'd', []);
  const topic = 'bench-d';
  const pipes: Pipeline[] = [];
  try {
    const client = await setup(broker.port, topic, PARTITIONS);
    const { batch, records } = buildBatch(1 * KiB, 64 * KiB);
    const perPartition = Math.ceil(TAIL / batch.length);
    // fill each partition's tail; offsets are sequential per partition (one request at a time)
    for (let p = 0; p < PARTITIONS; p++) {
      for (let k = 0; k < perPartition; k++) {
        const res = await client.request(ProduceApi, PRODUCE_V, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: p, records: batch }] }] });
        const pr = res.responses[0]!.partitionResponses[0]!;
        if (pr.errorCode !== 0 || Number(pr.baseOffset) !== k * records) throw new Error(`prefill: error ${pr.errorCode} at offset ${pr.baseOffset}`);
      }
    }
    const batchesPerFetch = Math.floor(MiB / batch.length);
    for (let p = 0; p < PARTITIONS; p++) {
      const frames: Buffer[] = [];
      for (let k = 0; k + batchesPerFetch <= perPartition; k += batchesPerFetch) {
        frames.push(fetchFrame(client, topic, p, k * records, { maxWaitMs: 500, partitionMaxBytes: MiB }, 2000 + frames.length));
      }
      pipes.push(await Pipeline.open(broker.port, frames, FETCH_DEPTH, fetchCheck, 64));
    }
    client.close();
    for (const p of pipes) p.start();
    const rates = await measure(broker, () => {
      let bytes = 0;
      let n = 0;
      for (const p of pipes) {
        bytes += p.bytesIn;
        n += p.responses;
      }
      return { bytes, requests: n };
    });
    await Promise.all(pipes.map((p) => p.stop()));
    const errors = pipes.reduce((s, p) => s + p.errors, 0);
    if (errors) process.stderr.write(`d: ${errors} sampled responses carried errors, first: ${pipes.find((p) => p.errors)!.firstError}\n`);
    return { rates, errors };
  } finally {
    for (const p of pipes) await p.stop().catch(() => {});
    await broker.stop();
  }
}

async function latencyScenario(root: string, recordsPerSec = 5000): Promise<{ latenciesMs: number[]; ackLatenciesMs: number[]; perIntervalP99: number[]; sent: number; received: number; brokerCpu: number; brokerMainCpu: number; loadCpu: number; otherCpu: number }> {
  const broker = await startBrokerChild(root, 'e', []);
  const topic = 'bench-e';
  const client = await setup(broker.port, topic, 1);
  const producer = await RawClient.connect('127.0.0.1', broker.port);
  const consumerSock = await new Promise<Socket>((res, rej) => {
    const s = connect({ host: '127.0.0.1', port: broker.port }, () => res(s));
    s.once('error', rej);
  });
  consumerSock.setNoDelay(true);
  const pad = randomBytes(92);
  let running = true;
  let measuring = false;
  const latencies: number[] = [];
  const ackLatencies: number[] = [];
  let intervalLat: number[] = [];
  const perIntervalP99: number[] = [];
  let received = 0;
  let sent = 0;
  let produceErrors = 0;
  let cid = 1;

  // consumer: one long-poll fetch at a time from the next offset
  let offset = 0;
  const sendFetch = () => consumerSock.write(fetchFrame(client, topic, 0, offset, { maxWaitMs: 500, partitionMaxBytes: MiB }, cid++));
  const reader = new FrameReader(
    () => true,
    (_n, frame) => {
      const at = process.hrtime.bigint();
      const r = new Reader(frame!);
      readResponseHeader(r, 1);
      const res = FetchApi.response.read(r, FETCH_V);
      const p = res.responses[0]?.partitions[0];
      if (p && p.errorCode === 0 && Buffer.isBuffer(p.records)) {
        const recs = p.records;
        let pos = 0;
        while (pos < recs.length) {
          const b = decodeBatchSync(recs, pos);
          for (const rec of b.records) {
            const ms = Number(at - rec.value!.readBigInt64BE(0)) / 1e6;
            received++;
            if (measuring) {
              latencies.push(ms);
              intervalLat.push(ms);
            }
          }
          offset = Number(b.header.baseOffset) + b.header.lastOffsetDelta + 1;
          pos = b.end;
        }
      }
      if (running) sendFetch();
    },
  );
  consumerSock.on('data', (c: Buffer) => reader.push(c));
  sendFetch();

  // producer: every ~1 ms, the records due since the start, in one batch
  const t0 = process.hrtime.bigint();
  const tick = setInterval(() => {
    const due = Math.floor((Number(process.hrtime.bigint() - t0) / 1e9) * recordsPerSec) - sent;
    if (due <= 0) return;
    const now = process.hrtime.bigint();
    const ts = Date.now();
    const records = Array.from({ length: due }, () => {
      const value = Buffer.allocUnsafe(100);
      value.writeBigInt64BE(now, 0);
      pad.copy(value, 8);
      return { value, timestamp: ts };
    });
    sent += due;
    const sentAt = process.hrtime.bigint();
    producer
      .request(ProduceApi, PRODUCE_V, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: buildRecordBatchSync({ records }) }] }] })
      .then((res) => {
        if (measuring) ackLatencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
        if (res.responses[0]!.partitionResponses[0]!.errorCode !== 0) produceErrors++;
      }, () => produceErrors++);
  }, 1);

  try {
    await sleep(WARMUP * 1000);
    measuring = true;
    const cpu0 = processCpuSeconds(broker.pid);
    const main0 = processCpuSeconds(broker.pid, true);
    const load0 = process.cpuUsage();
    const machine0 = machineBusySeconds();
    const w0 = performance.now();
    const m0 = monoMicros();
    for (let i = 0; i < SECONDS; i++) {
      await sleep(1000);
      perIntervalP99.push(intervalLat.length ? percentile(intervalLat, 99) : NaN);
      intervalLat = [];
    }
    measuring = false;
    windows.set(broker.name, [m0, monoMicros()]);
    const secs = (performance.now() - w0) / 1000;
    const brokerCpu = (processCpuSeconds(broker.pid) - cpu0) / secs;
    const brokerMainCpu = (processCpuSeconds(broker.pid, true) - main0) / secs;
    const lu = process.cpuUsage(load0);
    const loadCpu = (lu.user + lu.system) / 1e6 / secs;
    const otherCpu = (machineBusySeconds() - machine0) / secs - brokerCpu - loadCpu;
    clearInterval(tick);
    running = false;
    await sleep(600);
    if (produceErrors) process.stderr.write(`e: ${produceErrors} produce errors\n`);
    return { latenciesMs: latencies, ackLatenciesMs: ackLatencies, perIntervalP99, sent, received, brokerCpu, brokerMainCpu, loadCpu, otherCpu };
  } finally {
    clearInterval(tick);
    running = false;
    producer.close();
    consumerSock.destroy();
    client.close();
    await broker.stop();
  }
}

// ---- profiles ------------------------------------------------------------------------------


// ---- main ----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const root = dataRoot();
  await mkdir(root, { recursive: true });
  if (PROFILE_DIR) await mkdir(PROFILE_DIR, { recursive: true });
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(`bench/throughput: ${SECONDS} s per scenario after ${WARMUP} s warm-up; data dir ${describeFs(root)}; load average ${load()}\n`);
  const rows: Row[] = [];
  const add = (r: Partial<Row> & { scenario: string; figure: string; value: number }) =>
    rows.push({ spread: '', goal: '', ceiling: '', ratio: '', met: '', broker: '', load: '', other: '', ...r });

  // Ceilings, measured in this run: once at the start, and again right before
  // each scenario that is compared with one, so that ratio and scenario see the
  // same machine (it is shared and noisy). Ratios use the adjacent measurement.
  const ceil = { loopback: [] as number[], buffered: [] as number[], synced: [] as { mbps: number; syncsPerSec: number }[] };
  const withCeilings = !argv['no-ceilings'];
  const measureLoopback = async () => {
    if (!withCeilings) return NaN;
    const v = await loopbackCeiling(1.5);
    ceil.loopback.push(v);
    return v;
  };
  const measureDisk = async (syncEvery: number) => {
    if (!withCeilings) return NaN;
    const dir = await mkdtemp(join(root, 'kafkalite-ceiling-'));
    try {
      const r = await diskCeiling(dir, { seconds: 2, syncEvery });
      if (syncEvery) ceil.synced.push(r);
      else ceil.buffered.push(r.mbps);
      return r.mbps;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  await measureLoopback();
  await measureDisk(0);
  await measureDisk(MiB);

  const produceRows = (label: string, r: Awaited<ReturnType<typeof produceScenario>>) => {
    const s = r.rates.series;
    return {
      mb: median(s.bytes!) / 1e6,
      mbSpread: spreadOf(s.bytes!.map((x) => x / 1e6)),
      rec: median(s.records!),
      recSpread: spreadOf(s.records!),
      req: median(s.requests!),
      broker: cpu2(r.rates.brokerCpu, r.rates.brokerMainCpu),
      load: cpu(r.rates.loadCpu),
      other: cpu(r.rates.otherCpu),
      note: r.errors ? ` [${r.errors} ERRORS]` : '',
      label,
    };
  };

  if (wants('a')) {
    const loopback = await measureLoopback();
    const diskBuffered = await measureDisk(0);
    const r = await produceScenario(root, { name: 'a', sets: [], partitions: 4, connections: 4, depth: PRODUCE_DEPTH ?? 16, valueBytes: 1 * KiB, batchBytes: 64 * KiB, acks: 1 });
    const x = produceRows('a', r);
    const ratio = x.mb / loopback;
    add({ scenario: `(a) produce acks=1, 1 KiB rec, 64 KiB batch; 4 conn x ${PRODUCE_DEPTH ?? 16} in flight, 4 part${x.note}`, figure: 'MB/s', value: x.mb, spread: x.mbSpread, goal: '>= 500 MB/s, >= 40% loopback', ceiling: fmt(loopback), ratio: pct(ratio), met: x.mb >= 500 && ratio >= 0.4 ? 'yes' : 'NO', broker: x.broker, load: x.load, other: x.other });
    add({ scenario: '', figure: 'batches/s', value: x.req });
    add({ scenario: '', figure: 'vs buffered disk', value: x.mb, ceiling: fmt(diskBuffered), ratio: pct(x.mb / diskBuffered) });
  }
  if (wants('b')) {
    const r = await produceScenario(root, { name: 'b', sets: [], partitions: 4, connections: 4, depth: PRODUCE_DEPTH ?? 32, valueBytes: 100, batchBytes: 16 * KiB, acks: 1 });
    const x = produceRows('b', r);
    add({ scenario: `(b) produce acks=1, 100 B rec, 16 KiB batch (${r.records} rec); 4 conn x 32, 4 part${x.note}`, figure: 'records/s', value: x.rec, spread: x.recSpread, goal: '>= 1,000,000 rec/s', ratio: pct(x.rec / 1e6), met: x.rec >= 1e6 ? 'yes' : 'NO', broker: x.broker, load: x.load, other: x.other });
    add({ scenario: '', figure: 'batches/s', value: x.req });
    add({ scenario: '', figure: 'MB/s', value: x.mb });
  }
  if (wants('b64')) {
    const r = await produceScenario(root, { name: 'b64', sets: [], partitions: 4, connections: 4, depth: PRODUCE_DEPTH ?? 16, valueBytes: 100, batchBytes: 64 * KiB, acks: 1 });
    const x = produceRows('b64', r);
    add({ scenario: `(b64) same, 64 KiB batch (${r.records} rec); 4 conn x 16, 4 part${x.note}`, figure: 'records/s', value: x.rec, spread: x.recSpread, goal: '(>= 1,000,000 rec/s)', ratio: pct(x.rec / 1e6), met: x.rec >= 1e6 ? 'yes' : 'NO', broker: x.broker, load: x.load, other: x.other });
    add({ scenario: '', figure: 'batches/s', value: x.req });
  }
  for (const name of ['c', 'c64']) {
    if (!wants(name)) continue;
    const synced = await measureDisk(MiB);
    const batchBytes = name === 'c' ? 16 * KiB : 64 * KiB;
    const r = await produceScenario(root, { name, sets: ['log.flush.mode=group-commit'], partitions: 1, connections: 64, depth: 1, valueBytes: 1 * KiB, batchBytes, acks: -1 });
    const x = produceRows(name, r);
    const ratio = x.mb / synced;
    const title =
      name === 'c'
        ? `(c) produce acks=-1 group-commit, 64 conn x 1 in flight, 16 KiB batch, 1 part${x.note}`
        : `(c64) same, 64 KiB batch${x.note}`;
    add({ scenario: title, figure: 'MB/s', value: x.mb, spread: x.mbSpread, goal: name === 'c' ? '>= 60% fdatasync/1MiB' : '(>= 60%)', ceiling: fmt(synced), ratio: pct(ratio), met: ratio >= 0.6 ? 'yes' : 'NO', broker: x.broker, load: x.load, other: x.other });
    add({ scenario: '', figure: 'batches acked/s', value: x.req, spread: spreadOf(r.rates.series.requests!) });
    const sc = r.rates.syscalls;
    if (sc) {
      const syncs = ((sc.fdatasync ?? 0) + (sc.fsync ?? 0)) / r.rates.seconds;
      add({ scenario: '  (fsyncs: perf stat on the broker, whole window)', figure: 'fsyncs/s', value: syncs });
      add({ scenario: '', figure: 'batches per fsync', value: x.req / syncs });
      add({ scenario: '', figure: 'MB per fsync', value: x.mb / syncs });
      add({ scenario: '', figure: 'file writes/s', value: ((sc.pwritev ?? 0) + (sc.pwrite64 ?? 0)) / r.rates.seconds });
    } else add({ scenario: '  (perf unavailable: no fsync count)', figure: 'fsyncs/s', value: NaN });
  }
  if (wants('d')) {
    const loopback = await measureLoopback();
    const r = await fetchScenario(root);
    const mb = median(r.rates.series.bytes!) / 1e6;
    const ratio = mb / loopback;
    add({ scenario: `(d) fetch tail, 4 consumers x ${FETCH_DEPTH} in flight, 1 MiB/fetch, 4 part${r.errors ? ` [${r.errors} ERRORS]` : ''}`, figure: 'MB/s', value: mb, spread: spreadOf(r.rates.series.bytes!.map((v) => v / 1e6)), goal: '>= 60% loopback', ceiling: fmt(loopback), ratio: pct(ratio), met: ratio >= 0.6 ? 'yes' : 'NO', broker: cpu2(r.rates.brokerCpu, r.rates.brokerMainCpu), load: cpu(r.rates.loadCpu), other: cpu(r.rates.otherCpu) });
    add({ scenario: '', figure: 'fetches/s', value: median(r.rates.series.requests!) });
  }
  if (wants('e')) {
    const r = await latencyScenario(root);
    const p50 = percentile(r.latenciesMs, 50);
    const p99 = percentile(r.latenciesMs, 99);
    add({ scenario: `(e) produce->consume latency, 5,000 rec/s, long-poll fetch (${r.latenciesMs.length} samples)`, figure: 'p50 ms', value: p50, goal: '(reported)', broker: cpu2(r.brokerCpu, r.brokerMainCpu), load: cpu(r.loadCpu), other: cpu(r.otherCpu) });
    add({ scenario: '', figure: 'p99 ms', value: p99, spread: spreadOf(r.perIntervalP99), goal: '<= 5 ms', ratio: pct(p99 / 5), met: p99 <= 5 ? 'yes' : 'NO' });
    add({ scenario: '', figure: 'max ms', value: Math.max(...r.latenciesMs) });
    add({ scenario: '  (produce request -> acks=1 answer, same run)', figure: 'p50 ms', value: percentile(r.ackLatenciesMs, 50) });
    add({ scenario: '', figure: 'p99 ms', value: percentile(r.ackLatenciesMs, 99) });
    if (r.received < r.sent * 0.9) process.stderr.write(`e: received ${r.received} of ${r.sent} records\n`);
  }

  if (withCeilings) {
    const ceilingRows: Row[] = [];
    const c = (scenario: string, figure: string, xs: number[]) =>
      ceilingRows.push({ scenario, figure, value: median(xs), spread: xs.length > 1 ? spreadOf(xs) : '', goal: '', ceiling: '', ratio: '', met: '', broker: '', load: '', other: '' });
    c(`ceiling: loopback TCP, 64 KiB writes to a sink process (${ceil.loopback.length} x 1.5 s)`, 'MB/s', ceil.loopback);
    c(`ceiling: data dir, 64 KiB writes, buffered (${ceil.buffered.length} x 2 s)`, 'MB/s', ceil.buffered);
    c(`ceiling: data dir, 64 KiB writes + fdatasync every 1 MiB (${ceil.synced.length} x 2 s)`, 'MB/s', ceil.synced.map((x) => x.mbps));
    c('', 'fdatasync/s', ceil.synced.map((x) => x.syncsPerSec));
    rows.unshift(...ceilingRows);
  }
  process.stdout.write(`load average at the end: ${load()} (this machine has 2 cores: anything above ~2 means other work shared them)\n`);
  printTable(
    `bench/throughput (medians of ${SECONDS} one-second intervals; ratio = median / the ceiling measured right before the scenario (ceiling rows: median of all measurements); MB = 10^6 bytes; CPU 100% = one core; other CPU = the rest of the machine in the window, i.e. noise)`,
    ['scenario', 'figure', 'median', 'min..max', 'goal', 'ceiling', 'ratio', 'met', 'broker CPU (main thr)', 'loadgen CPU', 'other CPU'],
    rows.map((r) => [r.scenario, r.figure, Number.isFinite(r.value) ? fmt(r.value) : 'n/a', r.spread, r.goal, r.ceiling, r.ratio, r.met, r.broker, r.load, r.other]),
  );

  const noisy = rows.filter((r) => Number.parseFloat(r.other) > 20).map((r) => r.scenario.split(' ')[0]);
  if (noisy.length) process.stdout.write(`\nnote: other work used more than 20% of a core during ${noisy.join(', ')}: those figures are low by an unknown amount; run again when the machine is idle\n`);

  if (PROFILE_DIR) {
    for (const s of ['a', 'b', 'b64', 'c', 'c64', 'd', 'e']) if (wants(s)) await summarizeProfile(join(PROFILE_DIR, s), windows.get(s), `(${s})`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench/throughput failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
