// Shared pieces of the protocol-level benchmarks: requests encoded ahead of time
// over a RawClient, rates of running pipelines, and (re-exported from
// bench/harness/) the CPU meters and the pipelining load generator.
import { RawClient } from '../test/support/raw-client.js';
import { Reader } from '../protocol/reader.js';
import type { ApiCodec, EncodeInput } from '../protocol/codec-runtime.js';
import { readResponseHeader } from '../protocol/messages/data/response-header.js';
import { CreateTopicsApi } from '../protocol/messages/19-create-topics.js';
import { median } from './stats.js';
import { OffsetFetchApi } from '../protocol/messages/09-offset-fetch.js';
import { ErrorCode } from '../protocol/errors.js';
import { processCpuSeconds, selfCpuSeconds } from './harness/cpu.js';
import type { Pipeline } from './harness/pipeline.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { processCpuSeconds, selfCpuSeconds } from './harness/cpu.js';
export { Pipeline } from './harness/pipeline.js';

/** Measures broker and load-generator CPU over a window, as % of one core. */
export function cpuMeter(pid: number): () => { broker: number; client: number } {
  const b0 = processCpuSeconds(pid);
  const c0 = selfCpuSeconds();
  const t0 = performance.now();
  return () => {
    const s = (performance.now() - t0) / 1000;
    return { broker: (100 * (processCpuSeconds(pid) - b0)) / s, client: (100 * (selfCpuSeconds() - c0)) / s };
  };
}

const isFlexible = (api: ApiCodec<unknown, unknown>, v: number) => api.firstFlexibleVersion >= 0 && v >= api.firstFlexibleVersion;

export function decodeResponse<Res>(api: ApiCodec<unknown, Res>, version: number, frame: Buffer): Res {
  const r = new Reader(frame);
  readResponseHeader(r, isFlexible(api as ApiCodec<unknown, unknown>, version) ? 1 : 0);
  return api.response.read(r, version);
}

/** Correlation ids of pre-encoded frames: far above what RawClient.request hands out. */
let nextPreparedCid = 1 << 28;

export function preparedCid(): number {
  return nextPreparedCid++;
}

/** A request encoded ahead of time; send() writes it and resolves with the decoded answer. */
export interface Prepared<Res> {
  send(): Promise<Res>;
}

export function prepare<Req, Res>(client: RawClient, api: ApiCodec<Req, Res>, version: number, body: EncodeInput<Req>): Prepared<Res> {
  const cid = preparedCid();
  const frame = client.encode(api, version, body, cid);
  return { send: () => client.rawRequest(frame, cid).then((f) => decodeResponse(api, version, f)) };
}

export async function createTopic(port: number, name: string, partitions: number): Promise<void> {
  const c = await RawClient.connect('127.0.0.1', port);
  try {
    const res = await c.request(CreateTopicsApi, 5, {
      topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 60_000,
      validateOnly: false,
    });
    const t = res.topics[0]!;
    if (t.errorCode !== 0) throw new Error(`CreateTopics ${name}: error ${t.errorCode} ${t.errorMessage ?? ''}`);
  } finally {
    c.close();
  }
}

/**
 * Waits until the broker coordinates `groupId` (OffsetFetch answers without a
 * coordinator error): the first group request may create __consumer_offsets, and
 * clients retry NOT_COORDINATOR / COORDINATOR_* until its shard serves.
 */
export async function awaitCoordinator(port: number, groupId: string, timeoutMs = 60_000): Promise<void> {
  const c = await RawClient.connect('127.0.0.1', port);
  const retriable: number[] = [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR];
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const res = await c.request(OffsetFetchApi, 8, { groupId: '', topics: [], groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
      const code = res.groups[0]?.errorCode ?? res.errorCode;
      if (!retriable.includes(code)) return;
      if (Date.now() > deadline) throw new Error(`no coordinator for ${groupId} within ${timeoutMs} ms (error ${code})`);
      await sleep(20);
    }
  } finally {
    c.close();
  }
}

export interface RateSample {
  /** Median of the 1-second rates, and their range. */
  rate: number;
  min: number;
  max: number;
  /** Broker and load-generator CPU over the measured seconds, % of one core. */
  cpu: { broker: number; client: number };
  /** The measured interval, CLOCK_MONOTONIC µs (as --cpu-prof stamps samples). */
  window: [number, number];
}

/** Answers per second of running pipelines: `warmup` s unmeasured, then `seconds` 1-second rates. */
export async function measureRate(pipes: readonly Pipeline[], brokerPid: number, seconds: number, warmup: number): Promise<RateSample> {
  const answered = () => pipes.reduce((sum, p) => sum + p.responses, 0);
  const monoMicros = () => Number(process.hrtime.bigint() / 1000n);
  await sleep(warmup * 1000);
  const meter = cpuMeter(brokerPid);
  const from = monoMicros();
  const rates: number[] = [];
  let last = answered();
  let lastT = performance.now();
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    const now = answered();
    const t = performance.now();
    rates.push((now - last) / ((t - lastT) / 1000));
    last = now;
    lastT = t;
  }
  return {
    rate: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    cpu: meter(),
    window: [from, monoMicros()],
  };
}
