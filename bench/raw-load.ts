// Shared pieces of the protocol-level benchmarks (bench/rebalance.ts and
// bench/rebalance-consumer.ts): CPU meters from /proc, requests encoded ahead of
// time over a RawClient, and a pipelining load generator.
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { RawClient } from '../test/support/raw-client.js';
import { Reader } from '../protocol/reader.js';
import type { ApiCodec, EncodeInput } from '../protocol/codec-runtime.js';
import { readResponseHeader } from '../protocol/messages/data/response-header.js';
import { CreateTopicsApi } from '../protocol/messages/19-create-topics.js';
import { median } from './stats.js';
import { OffsetFetchApi } from '../protocol/messages/09-offset-fetch.js';
import { ErrorCode } from '../protocol/errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system, all threads) of a process so far. */
export function processCpuSeconds(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

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

/** Splits a response stream into frames; keeps (copies) only every `sampleEvery`-th. */
export class Pipeline {
  responses = 0;
  errors = 0;
  firstError = '';
  private inflight = 0;
  private sent = 0;
  private next = 0;
  private running = true;
  private sizeBuf = Buffer.alloc(4);
  private sizeHave = 0;
  private left = -1;
  private parts: Buffer[] | null = null;
  private drained: (() => void) | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly frames: Buffer[],
    private readonly depth: number,
    private readonly limit: number,
    private readonly check: (frame: Buffer) => string | null,
    private readonly sampleEvery: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.push(c));
    socket.on('error', () => {});
  }

  static async open(port: number, frames: Buffer[], opts: { depth: number; limit?: number; check: (f: Buffer) => string | null; sampleEvery?: number }): Promise<Pipeline> {
    const socket = await new Promise<Socket>((res, rej) => {
      const s = connect({ host: '127.0.0.1', port }, () => res(s));
      s.once('error', rej);
    });
    return new Pipeline(socket, frames, opts.depth, opts.limit ?? Infinity, opts.check, opts.sampleEvery ?? 64);
  }

  start(): void {
    this.fill();
  }

  /** Resolves once `limit` requests were answered (or, after stop(), what was in flight). */
  done(): Promise<void> {
    if (this.inflight === 0 && (this.sent >= this.limit || !this.running)) return Promise.resolve();
    return new Promise((r) => (this.drained = r));
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.inflight > 0) await Promise.race([this.done(), sleep(10_000)]);
    this.socket.destroy();
  }

  private fill(): void {
    if (!this.running) return;
    if (this.inflight >= this.depth || this.sent >= this.limit) return;
    this.socket.cork();
    while (this.inflight < this.depth && this.sent < this.limit) {
      this.socket.write(this.frames[this.next]!);
      this.next = (this.next + 1) % this.frames.length;
      this.inflight++;
      this.sent++;
    }
    this.socket.uncork();
  }

  private push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.left < 0) {
        while (this.sizeHave < 4 && pos < chunk.length) this.sizeBuf[this.sizeHave++] = chunk[pos++]!;
        if (this.sizeHave < 4) return;
        this.sizeHave = 0;
        this.left = this.sizeBuf.readInt32BE(0);
        this.parts = this.responses % this.sampleEvery === 0 ? [] : null;
        if (this.left === 0) this.finish();
        continue;
      }
      const take = Math.min(this.left, chunk.length - pos);
      this.parts?.push(chunk.subarray(pos, pos + take));
      pos += take;
      this.left -= take;
      if (this.left === 0) this.finish();
    }
  }

  private finish(): void {
    const parts = this.parts;
    this.parts = null;
    this.left = -1;
    this.responses++;
    this.inflight--;
    if (parts) {
      const problem = this.check(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
      if (problem) {
        this.errors++;
        this.firstError ||= problem;
      }
    }
    this.fill();
    if (this.inflight === 0 && (this.sent >= this.limit || !this.running)) this.drained?.();
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
