// Shared pieces of the durability tests (crash, restart, faults): a broker
// child process running the real CLI, protocol calls through RawClient, a
// seeded random source, and a log reader that checks every batch it is served.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../support/raw-client.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { ProduceApi, type ProduceResponsePartitionProduceResponse } from '../../protocol/messages/00-produce.js';
import { FetchApi } from '../../protocol/messages/01-fetch.js';
import { ListOffsetsApi } from '../../protocol/messages/02-list-offsets.js';
import { InitProducerIdApi } from '../../protocol/messages/22-init-producer-id.js';
import { MetadataApi, type MetadataResponse } from '../../protocol/messages/03-metadata.js';
import { walkBatches, decodeBatch, type DecodedBatch } from '../../protocol/record-batch.js';
import { ErrorCode } from '../../protocol/errors.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------
// seeded randomness

export { prng } from '../support/prng.js';

/** A seed from the environment variable `name`, else a fresh one. */
export function seedFrom(name: string): number {
  const v = process.env[name];
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new Error(`${name}=${v} is not an integer seed`);
    return n >>> 0;
  }
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// the broker child process

/** Source files the build turns into dist/ (tsconfig.build.json). */
function buildSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (name === 'codegen' || name === 'node_modules') continue;
        walk(p);
      } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of ['protocol', 'broker', 'storage', 'bin', 'client']) walk(join(REPO, d));
  out.push(join(REPO, 'index.ts'));
  return out;
}

/**
 * How to run the CLI: `node dist/bin/kafkalite.js` when every source file has a
 * built .js at least as new as itself (about 3x faster to start), else
 * `node --import tsx bin/kafkalite.ts`. KAFKALITE_TEST_RUNNER=dist|tsx forces one.
 */
export function cliCommand(): { args: string[]; runner: 'dist' | 'tsx'; why: string } {
  cachedCommand ??= chooseCliCommand();
  return cachedCommand;
}
let cachedCommand: ReturnType<typeof chooseCliCommand> | undefined;

function chooseCliCommand(): { args: string[]; runner: 'dist' | 'tsx'; why: string } {
  const dist = join(REPO, 'dist', 'bin', 'kafkalite.js');
  const tsx = { args: ['--import', 'tsx', join(REPO, 'bin', 'kafkalite.ts')], runner: 'tsx' as const };
  const forced = process.env.KAFKALITE_TEST_RUNNER;
  if (forced === 'tsx') return { ...tsx, why: 'forced by KAFKALITE_TEST_RUNNER' };
  if (forced === 'dist') return { args: [dist], runner: 'dist', why: 'forced by KAFKALITE_TEST_RUNNER' };
  if (!existsSync(dist)) return { ...tsx, why: 'no dist/ (npm run build)' };
  for (const src of buildSources()) {
    const built = join(REPO, 'dist', relative(REPO, src)).replace(/\.ts$/, '.js');
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(src).mtimeMs) {
      return { ...tsx, why: `dist/ is stale (${relative(REPO, src)} is newer; npm run build)` };
    }
  }
  return { args: [dist], runner: 'dist', why: 'dist/ is fresh' };
}

export interface ChildBrokerOptions {
  dataDir: string;
  /** --set key=value pairs. */
  set?: Record<string, string>;
  /** Stop waiting for "listening" after this long (default 20 s). */
  startTimeoutMs?: number;
  /** --log-level (default info). */
  logLevel?: string;
  /** Run under `ulimit -n` this many open files (a bash wrapper that execs the broker). */
  ulimitNoFile?: number;
}

/** `kafkalite start` in a child process on a free port. */
export class ChildBroker {
  /** Last lines of stdout and stderr, for failure messages. */
  private tail: string[] = [];
  private lineBuf = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  port = 0;
  host = '127.0.0.1';
  /** ms from spawn to the "listening" line. */
  startupMs = -1;
  /** The `clean` field of the "logs loaded" line (the previous stop was clean). */
  loadedClean: boolean | undefined;
  private readonly listeners: ((line: Record<string, unknown>) => void)[] = [];

  private constructor(
    readonly proc: ChildProcess,
    readonly spawnedAt: number,
  ) {
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    proc.stdout!.setEncoding('utf8');
    proc.stderr!.setEncoding('utf8');
    proc.stdout!.on('data', (s: string) => this.onStdout(s));
    proc.stderr!.on('data', (s: string) => this.remember(`[stderr] ${s.trimEnd()}`));
  }

  /** Spawns the broker; resolve with `ready()`. */
  static spawn(opts: ChildBrokerOptions): ChildBroker {
    const cmd = cliCommand();
    const args = [...cmd.args, 'start', '--port', '0', '--data-dir', opts.dataDir, '--log-level', opts.logLevel ?? 'info'];
    for (const [k, v] of Object.entries(opts.set ?? {})) args.push('--set', `${k}=${v}`);
    const [bin, argv] =
      opts.ulimitNoFile === undefined ? [process.execPath, args] : ['bash', ['-c', `ulimit -n ${opts.ulimitNoFile} && exec "$0" "$@"`, process.execPath, ...args]];
    const proc = spawn(bin, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    return new ChildBroker(proc, performance.now());
  }

  static async start(opts: ChildBrokerOptions): Promise<ChildBroker> {
    const b = ChildBroker.spawn(opts);
    await b.ready(opts.startTimeoutMs);
    return b;
  }

  private remember(line: string): void {
    this.tail.push(line.length > 600 ? `${line.slice(0, 600)}...` : line);
    if (this.tail.length > 40) this.tail.shift();
  }

  private onStdout(s: string): void {
    this.lineBuf += s;
    let nl: number;
    while ((nl = this.lineBuf.indexOf('\n')) >= 0) {
      const line = this.lineBuf.slice(0, nl);
      this.lineBuf = this.lineBuf.slice(nl + 1);
      this.remember(line);
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (parsed.msg === 'logs loaded' && typeof parsed.clean === 'boolean') this.loadedClean = parsed.clean;
      for (const l of this.listeners) l(parsed);
    }
  }

  /** Calls `fn` with every JSON log line from now on. */
  onLine(fn: (line: Record<string, unknown>) => void): void {
    this.listeners.push(fn);
  }

  /** Resolves once the broker listens (port known); rejects if it exits first. */
  ready(timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`broker did not start within ${timeoutMs} ms\n${this.output()}`)), timeoutMs);
      this.listeners.push((line) => {
        if (typeof line.advertised === 'string' && typeof line.msg === 'string' && line.msg.includes('listening on')) {
          const i = line.advertised.lastIndexOf(':');
          this.host = line.advertised.slice(0, i);
          this.port = Number(line.advertised.slice(i + 1));
          this.startupMs = performance.now() - this.spawnedAt;
          clearTimeout(timer);
          resolve();
        }
      });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`broker exited (code ${code}, signal ${signal}) before listening\n${this.output()}`));
      });
    });
  }

  connect(): Promise<RawClient> {
    return RawClient.connect(this.host, this.port);
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (clean shutdown); resolves with the exit code. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const { code } = await this.exited;
    clearTimeout(timer);
    return code;
  }

  output(): string {
    return `--- broker output (last ${this.tail.length} lines) ---\n${this.tail.join('\n')}`;
  }
}

// ---------------------------------------------------------------------------
// protocol calls

export const PRODUCE_VERSION = 9;
export const FETCH_VERSION = 16;

export async function createTopic(
  c: RawClient,
  name: string,
  numPartitions: number,
  configs: Record<string, string> = {},
): Promise<{ topicId: string; errorCode: number; errorMessage: string | null }> {
  const res = await c.request(CreateTopicsApi, 7, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  const t = res.topics[0]!;
  return { topicId: t.topicId, errorCode: t.errorCode, errorMessage: t.errorMessage };
}

export type PartitionAnswer = ProduceResponsePartitionProduceResponse;

export async function produce(
  c: RawClient,
  topic: string,
  partition: number,
  batch: Buffer,
  acks: number,
  opts: { timeoutMs?: number; version?: number } = {},
): Promise<PartitionAnswer> {
  const res = await c.request(ProduceApi, opts.version ?? PRODUCE_VERSION, {
    transactionalId: null,
    acks,
    timeoutMs: opts.timeoutMs ?? 30_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
  return res.responses[0]!.partitionResponses[0]!;
}

export async function initProducerId(c: RawClient): Promise<{ producerId: bigint; producerEpoch: number }> {
  const res = await c.request(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  if (res.errorCode !== ErrorCode.NONE) throw new Error(`InitProducerId failed with error ${res.errorCode}`);
  return { producerId: res.producerId, producerEpoch: res.producerEpoch };
}

export function metadata(c: RawClient, topics: string[] | null = null): Promise<MetadataResponse> {
  return c.request(MetadataApi, 12, {
    topics: topics === null ? null : topics.map((name) => ({ name })),
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
}

/** ListOffsets for one partition: -2 earliest, -1 latest, -3 max timestamp, or a timestamp. */
export async function listOffset(c: RawClient, topic: string, partition: number, timestamp: bigint): Promise<{ errorCode: number; offset: bigint; timestamp: bigint }> {
  const res = await c.request(ListOffsetsApi, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }],
  });
  const p = res.topics[0]!.partitions[0]!;
  return { errorCode: p.errorCode, offset: p.offset, timestamp: p.timestamp };
}

export interface FetchAnswer {
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  records: Buffer;
}

export async function fetchOnce(c: RawClient, topicId: string, partition: number, offset: number, maxBytes = 4 << 20): Promise<FetchAnswer> {
  const res = await c.request(FetchApi, FETCH_VERSION, {
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topicId, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  if (res.errorCode !== ErrorCode.NONE) throw new Error(`fetch failed with top-level error ${res.errorCode}`);
  const p = res.responses[0]!.partitions[0]!;
  return {
    errorCode: p.errorCode,
    highWatermark: Number(p.highWatermark),
    logStartOffset: Number(p.logStartOffset),
    records: (p.records as Buffer | null) ?? Buffer.alloc(0),
  };
}

export interface ServedLog {
  logStartOffset: number;
  highWatermark: number;
  /** Every batch from the log start to the high watermark, decoded, in order. */
  batches: DecodedBatch[];
  /** The raw bytes of each batch as served. */
  raw: Buffer[];
}

/**
 * Fetches a whole partition, from its log start offset to its high watermark,
 * and checks what it is served: every fetched chunk is whole batches with good
 * CRCs, batch offsets are contiguous from the log start, record offsets inside
 * a batch are base..base+n-1. Throws with the reason otherwise.
 */
export async function readServedLog(c: RawClient, topicId: string, partition: number, where = ''): Promise<ServedLog> {
  const first = await fetchOnce(c, topicId, partition, 0, 0);
  let offset = first.logStartOffset;
  let hw = first.highWatermark;
  const logStartOffset = first.logStartOffset;
  if (first.errorCode !== ErrorCode.NONE && first.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) {
    throw new Error(`${where} partition ${partition}: fetch error ${first.errorCode}`);
  }
  const batches: DecodedBatch[] = [];
  const raw: Buffer[] = [];
  while (offset < hw) {
    const r = await fetchOnce(c, topicId, partition, offset);
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`${where} partition ${partition}: fetch at ${offset} failed with error ${r.errorCode}`);
    hw = Math.max(hw, r.highWatermark);
    if (r.records.length === 0) throw new Error(`${where} partition ${partition}: fetch at ${offset} below the high watermark ${hw} returned nothing`);
    const walk = walkBatches(r.records);
    if (walk.error) {
      throw new Error(`${where} partition ${partition}: fetch at ${offset} served a torn or corrupt batch at byte ${walk.validEnd} of ${r.records.length}: ${walk.error.message}`);
    }
    for (const span of walk.batches) {
      const h = span.header;
      if (batches.length === 0 && Number(h.baseOffset) > offset) {
        throw new Error(`${where} partition ${partition}: fetch at ${offset} starts at batch ${h.baseOffset}, a gap`);
      }
      // The first batch may start below the fetch offset (it holds it); skip ones already read.
      if (Number(h.baseOffset) + h.lastOffsetDelta < offset) continue;
      if (batches.length > 0 && Number(h.baseOffset) !== offset) {
        throw new Error(`${where} partition ${partition}: batch at ${h.baseOffset} follows one ending at ${offset - 1}: offsets are not contiguous`);
      }
      if (batches.length === 0 && Number(h.baseOffset) !== logStartOffset && Number(h.baseOffset) > logStartOffset) {
        throw new Error(`${where} partition ${partition}: first batch at ${h.baseOffset}, log start ${logStartOffset}`);
      }
      const d = await decodeBatch(r.records, span.start);
      if (d.records.length !== h.lastOffsetDelta + 1) {
        throw new Error(`${where} partition ${partition}: batch ${h.baseOffset} holds ${d.records.length} records for ${h.lastOffsetDelta + 1} offsets`);
      }
      d.records.forEach((rec, i) => {
        if (rec.offset !== h.baseOffset + BigInt(i)) throw new Error(`${where} partition ${partition}: record ${i} of batch ${h.baseOffset} has offset ${rec.offset}`);
      });
      batches.push(d);
      raw.push(Buffer.from(r.records.subarray(span.start, span.end)));
      offset = Number(h.baseOffset) + h.lastOffsetDelta + 1;
    }
  }
  if (offset !== hw) throw new Error(`${where} partition ${partition}: read up to ${offset}, high watermark ${hw}`);
  return { logStartOffset, highWatermark: hw, batches, raw };
}
