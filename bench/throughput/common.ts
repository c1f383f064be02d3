// What the throughput scenarios share: options, the run context (data root,
// ceilings measured in the same run, the report), the measured window (rates
// per second, CPU, broker counters from its /metrics), request building and
// answer checks, and the runner that runs a list of scenarios alone or all
// together (bench/throughput.ts).
//
// Options: --seconds N (8) --warmup N (2) --only a,c,e --profile DIR (broker
// children under --cpu-prof; prints top self time) --no-ceilings --quick (2 s
// windows, 1 s warm-up: shows a scenario works, figures mean little).
// Env: BENCH_SECONDS, BENCH_WARMUP, BENCH_ONLY, BENCH_PROFILE (same meaning);
//      BENCH_NODE_FLAGS: extra node flags for the broker child (e.g. --trace-gc);
//      BENCH_FETCH_DEPTH: fetches in flight per consumer in (d) (default 4);
//      BENCH_PRODUCE_DEPTH: requests in flight per connection in (a), (b), (b64).
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { RawClient } from '../../test/support/raw-client.js';
import { Reader } from '../../protocol/reader.js';
import { readResponseHeader } from '../../protocol/messages/data/response-header.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { FetchApi } from '../../protocol/messages/01-fetch.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import { loopbackCeiling, diskCeiling } from '../ceilings.js';
import { median } from '../stats.js';
import { summarizeProfile } from '../profile.js';
import { ensureDataRoot, describeFs } from '../harness/data-root.js';
import { startBrokerChild, type BrokerChild } from '../harness/broker.js';
import { cpuWindow, type CpuShares } from '../harness/cpu.js';
import { countersWindow, type BrokerCounters } from '../harness/metrics.js';
import { Report, type ResultRow } from '../harness/results.js';
import { runAsProgram } from '../harness/main.js';
import { Pipeline } from '../harness/pipeline.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const PRODUCE_V = 9;
export const FETCH_V = 12;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const monoMicros = () => Number(process.hrtime.bigint() / 1000n);

export interface Options {
  seconds: number;
  warmup: number;
  only: string[];
  profileDir: string | undefined;
  withCeilings: boolean;
  nodeFlags: string[];
  fetchDepth: number;
  produceDepth: number | undefined;
}

export function parseOptions(): Options {
  const { values: argv } = parseArgs({
    options: {
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'string' },
      'no-ceilings': { type: 'boolean' },
      quick: { type: 'boolean' },
    },
  });
  const quick = argv.quick === true;
  return {
    seconds: Number(argv.seconds ?? process.env.BENCH_SECONDS ?? (quick ? 2 : 8)),
    warmup: Number(argv.warmup ?? process.env.BENCH_WARMUP ?? (quick ? 1 : 2)),
    only: (argv.only ?? process.env.BENCH_ONLY ?? '').split(',').filter(Boolean),
    profileDir: argv.profile ?? process.env.BENCH_PROFILE,
    withCeilings: !argv['no-ceilings'],
    nodeFlags: (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    fetchDepth: Number(process.env.BENCH_FETCH_DEPTH ?? 4),
    produceDepth: process.env.BENCH_PRODUCE_DEPTH ? Number(process.env.BENCH_PRODUCE_DEPTH) : undefined,
  };
}

/**
 * This machine's ceilings, measured in this run: once at the start, and again
 * right before each scenario compared with one, so that ratio and scenario see
 * the same machine (it is shared and noisy). Ratios use the adjacent measurement.
 */
export class Ceilings {
  readonly loopback = new Map<number, number[]>();
  readonly buffered: number[] = [];
  readonly synced: { mbps: number; syncsPerSec: number }[] = [];

  constructor(
    private readonly root: string,
    readonly enabled: boolean,
  ) {}

  /** MB/s through loopback TCP to a sink process, in writes of `writeBytes` (64 KiB). */
  async measureLoopback(writeBytes = 64 * KiB): Promise<number> {
    if (!this.enabled) return NaN;
    const v = await loopbackCeiling(1.5, writeBytes);
    let list = this.loopback.get(writeBytes);
    if (!list) this.loopback.set(writeBytes, (list = []));
    list.push(v);
    return v;
  }

  /** MB/s of 64 KiB writes to the data root, buffered (0) or with fdatasync every `syncEvery` bytes. */
  async measureDisk(syncEvery: number): Promise<number> {
    if (!this.enabled) return NaN;
    const dir = await mkdtemp(join(this.root, 'kafkalite-ceiling-'));
    try {
      const r = await diskCeiling(dir, { seconds: 2, syncEvery });
      if (syncEvery) this.synced.push(r);
      else this.buffered.push(r.mbps);
      return r.mbps;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

export interface Context {
  opts: Options;
  root: string;
  ceilings: Ceilings;
  report: Report;
  /** The measured windows (CLOCK_MONOTONIC µs, as V8's profiler stamps samples) by broker name, for --profile. */
  windows: Map<string, [number, number]>;
}

/** A broker child for scenario `name`, profiled into <profile>/<name> with --profile. */
export function startBroker(ctx: Context, name: string, sets: string[] = []): Promise<BrokerChild> {
  return startBrokerChild({ name, root: ctx.root, sets, profileDir: ctx.opts.profileDir ? join(ctx.opts.profileDir, name) : undefined, nodeFlags: ctx.opts.nodeFlags });
}

export interface Rates {
  /** Per-interval rates of each counter. */
  series: Record<string, number[]>;
  seconds: number;
  cpu: CpuShares;
  /** The broker's own counters over the window (from its /metrics). */
  counters: BrokerCounters | null;
}

/** Warm up, then sample `counters()` every second for the window; CPU and broker counters over it. */
export async function measure(ctx: Context, broker: BrokerChild, counters: () => Record<string, number>): Promise<Rates> {
  await sleep(ctx.opts.warmup * 1000);
  const endCounters = await countersWindow(broker.scrape);
  const series: Record<string, number[]> = {};
  let prev = counters();
  let prevT = performance.now();
  const endCpu = cpuWindow(broker.pid);
  const t0 = prevT;
  const w0 = monoMicros();
  for (let i = 0; i < ctx.opts.seconds; i++) {
    await sleep(1000);
    const now = performance.now();
    const cur = counters();
    for (const k of Object.keys(cur)) (series[k] ??= []).push((cur[k]! - prev[k]!) / ((now - prevT) / 1000));
    prev = cur;
    prevT = now;
  }
  const seconds = (performance.now() - t0) / 1000;
  ctx.windows.set(broker.name, [w0, monoMicros()]);
  const cpu = endCpu();
  return { series, seconds, cpu, counters: await endCounters() };
}

export const rangeOf = (xs: number[]): [number, number] | undefined => (xs.length ? [Math.min(...xs), Math.max(...xs)] : undefined);
export const medianOf = (xs: number[] | undefined) => (xs && xs.length ? median(xs) : NaN);

// ---- request building ----------------------------------------------------------------------

/** A v2 batch of as many records of `valueBytes` as fit in `batchBytes`. */
export function buildBatch(valueBytes: number, batchBytes: number): { batch: Buffer; records: number } {
  const value = randomBytes(valueBytes);
  const timestamp = Date.now();
  let n = Math.max(1, Math.floor((batchBytes - 61) / (valueBytes + 8)));
  for (;;) {
    const batch = buildRecordBatchSync({ records: Array.from({ length: n }, () => ({ value, timestamp })) });
    if (batch.length <= batchBytes || n === 1) return { batch, records: n };
    n--;
  }
}

export function produceCheck(frame: Buffer): string | null {
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

export function fetchCheck(frame: Buffer): string | null {
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

/** Creates `topic` and returns the (open) client that did. */
export async function setup(port: number, topic: string, partitions: number): Promise<RawClient> {
  const client = await RawClient.connect('127.0.0.1', port);
  const res = await client.request(CreateTopicsApi, 5, {
    topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 60_000,
    validateOnly: false,
  });
  const t = res.topics[0]!;
  if (t.errorCode !== 0) throw new Error(`CreateTopics ${topic}: error ${t.errorCode} ${t.errorMessage ?? ''}`);
  return client;
}

export function produceFrame(client: RawClient, topic: string, partition: number, batch: Buffer, acks: number, cid: number): Buffer {
  return client.encode(ProduceApi, PRODUCE_V, { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] }, cid);
}

export function fetchFrame(client: RawClient, topic: string, partition: number, offset: number, opts: { maxWaitMs: number; partitionMaxBytes: number }, cid: number): Buffer {
  return client.encode(
    FetchApi,
    FETCH_V,
    {
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
    },
    cid,
  );
}

// ---- produce load --------------------------------------------------------------------------

export interface ProduceSpec {
  name: string;
  sets: string[];
  partitions: number;
  connections: number;
  depth: number;
  valueBytes: number;
  batchBytes: number;
  acks: number;
}

export interface ProduceResult {
  rates: Rates;
  batchBytes: number;
  records: number;
  errors: number;
  /** Medians per second. */
  mbps: number;
  recordsPerSec: number;
  requestsPerSec: number;
}

/**
 * Produce load: `connections` connections, each keeping `depth` pre-built Produce
 * requests of one batch in flight; connection c writes partitions c, c +
 * connections, ... (mod partitions) in turn, one batch per request.
 */
export async function produceScenario(ctx: Context, spec: ProduceSpec): Promise<ProduceResult> {
  const broker = await startBroker(ctx, spec.name, spec.sets);
  const topic = `bench-${spec.name}`;
  const pipes: Pipeline[] = [];
  try {
    const client = await setup(broker.port, topic, spec.partitions);
    const { batch, records } = buildBatch(spec.valueBytes, spec.batchBytes);
    for (let c = 0; c < spec.connections; c++) {
      // distinct frames per connection (distinct correlation ids and, with more partitions than connections, partitions), each re-sent as is
      const perConn = Math.ceil(spec.partitions / spec.connections);
      const count = Math.max(1, Math.min(spec.depth, 8), perConn);
      const frames = Array.from({ length: count }, (_, k) => produceFrame(client, topic, (c + k * spec.connections) % spec.partitions, batch, spec.acks, 1000 + k));
      pipes.push(await Pipeline.open(broker.port, frames, { depth: spec.depth, check: produceCheck, sampleEvery: 16, sampleFirst: 4 }));
    }
    client.close();
    for (const p of pipes) p.start();
    const rates = await measure(ctx, broker, () => {
      let n = 0;
      for (const p of pipes) n += p.responses;
      return { requests: n, bytes: n * batch.length, records: n * records };
    });
    await Promise.all(pipes.map((p) => p.stop()));
    const errors = pipes.reduce((s, p) => s + p.errors, 0);
    if (errors) process.stderr.write(`${spec.name}: ${errors} sampled responses carried errors, first: ${pipes.find((p) => p.errors)!.firstError}\n`);
    const s = rates.series;
    return { rates, batchBytes: batch.length, records, errors, mbps: medianOf(s.bytes) / 1e6, recordsPerSec: medianOf(s.records), requestsPerSec: medianOf(s.requests) };
  } finally {
    for (const p of pipes) await p.stop().catch(() => {});
    await broker.stop();
  }
}

// ---- the runner ----------------------------------------------------------------------------

export interface Scenario {
  /** Its --only name. */
  id: string;
  run(ctx: Context): Promise<void>;
}

/** A row of scenario `id` in the report (scenario key "throughput/<id>"). */
export function row(ctx: Context, id: string, r: Omit<ResultRow, 'scenario'>): ResultRow {
  return ctx.report.add({ scenario: `throughput/${id}`, ...r });
}

/** Runs `scenarios` (those --only names, or all), prints the table, writes the JSON result. */
export async function runScenarios(bench: string, scenarios: readonly Scenario[]): Promise<void> {
  const opts = parseOptions();
  const root = await ensureDataRoot();
  if (opts.profileDir) await mkdir(opts.profileDir, { recursive: true });
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(`${bench}: ${opts.seconds} s per scenario after ${opts.warmup} s warm-up; data dir ${describeFs(root)}; load average ${load()}\n`);
  const ctx: Context = { opts, root, ceilings: new Ceilings(root, opts.withCeilings), report: new Report(bench), windows: new Map() };
  const selected = scenarios.filter((s) => opts.only.length === 0 || opts.only.includes(s.id));
  if (selected.length === 0) throw new Error(`no scenario among ${scenarios.map((s) => s.id).join(', ')} matches --only ${opts.only.join(',')}`);
  if (opts.withCeilings) {
    await ctx.ceilings.measureLoopback();
    await ctx.ceilings.measureDisk(0);
    await ctx.ceilings.measureDisk(MiB);
  }
  for (const s of selected) await s.run(ctx);

  const ceilingRows: ResultRow[] = [];
  if (opts.withCeilings) {
    const c = (scenario: string, title: string, figure: string, xs: number[]) => {
      if (xs.length) ceilingRows.push({ scenario, title, figure, value: median(xs), range: xs.length > 1 ? rangeOf(xs) : undefined });
    };
    for (const [size, xs] of ctx.ceilings.loopback) c(`ceiling/loopback-${size / KiB}k`, `ceiling: loopback TCP, ${size / KiB} KiB writes to a sink process (${xs.length} x 1.5 s)`, 'MB/s', xs);
    c('ceiling/disk-buffered', `ceiling: data dir, 64 KiB writes, buffered (${ctx.ceilings.buffered.length} x 2 s)`, 'MB/s', ctx.ceilings.buffered);
    c('ceiling/disk-fdatasync', `ceiling: data dir, 64 KiB writes + fdatasync every 1 MiB (${ctx.ceilings.synced.length} x 2 s)`, 'MB/s', ctx.ceilings.synced.map((x) => x.mbps));
    c('ceiling/disk-fdatasync', '', 'fdatasync/s', ctx.ceilings.synced.map((x) => x.syncsPerSec));
    ctx.report.rows.unshift(...ceilingRows);
  }
  process.stdout.write(`load average at the end: ${load()} (this machine has 2 cores: anything above ~2 means other work shared them)\n`);
  ctx.report.print(`${bench} (medians of ${opts.seconds} one-second intervals; ratio = median / the ceiling measured right before the scenario; MB = 10^6 bytes)`);
  ctx.report.printCounters();
  if (opts.profileDir) for (const [name, window] of ctx.windows) await summarizeProfile(join(opts.profileDir, name), window, `(${name})`);
  await ctx.report.write();
}

export { isMain } from '../harness/main.js';

/** Runs the scenarios as the whole program. */
export function main(bench: string, scenarios: readonly Scenario[]): void {
  runAsProgram(bench, () => runScenarios(bench, scenarios));
}
