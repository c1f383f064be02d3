// The log cleaner (Kafka's LogCleaner + LogCleanerManager): `log.cleaner.threads`
// async workers, each with its own offset map (log.cleaner.dedupe.buffer.size
// / threads) in its own worker_thread (worker-engine.ts: key hashing and batch
// filtering leave the broker's event loop), pick the dirtiest compacted log
// (choose.ts), read and write it in steps of at most 256 KiB that give the
// loop back to produce and fetch (budget.ts, which also holds all workers
// together under log.cleaner.io.max.bytes.per.second), and sleep
// log.cleaner.backoff.ms when nothing is cleanable. The worker threads end
// with `stop`.
//
// Per log: none -> in progress -> none, or aborted (truncation, deletion,
// close: checked between chunks, the round's `.cleaned` files dropped) and
// paused until resumed. A log whose round throws is marked uncleanable until
// restart (logged), as Kafka does.
//
// `<data dir>/cleaner-offset-checkpoint` (Kafka's checkpoint format) holds
// each log's first dirty offset; written after every round, atomically.

import { partitionKey, readCheckpoint, writeCheckpoint } from '../checkpoint.js';
import { joinPath, type FileSystem } from '../fs.js';
import type { LogConfig } from '../log-config.js';
import type { Clock, Logger } from '../logger.js';
import type { Segment } from '../segment.js';
import { CleanerBudget } from './budget.js';
import { cleanableRange, isCleanable, type CleanableRange } from './choose.js';
import { abortedIn, buildOffsetMap, cleanGroup, groupSegments, type CleanedSink, type CleanerSource } from './clean.js';
import type { LastRecord } from './filter.js';
import { WorkerEngine } from './worker-engine.js';

export const CLEANER_CHECKPOINT = 'cleaner-offset-checkpoint';

/** One segment as the log describes it to the cleaner (log/segments.ts's SegmentInfo). */
export interface CleanerSegmentInfo {
  segment: Segment;
  baseOffset: number;
  size: number;
  /** Largest record timestamp, else the file's last modification. */
  largestTimestamp: number;
  active: boolean;
}

/** What the cleaner needs of a partition log (implemented by PartitionLog). */
export interface CleanableLog<C extends CleanedSink = CleanedSink> {
  readonly topic: string;
  readonly partition: number;
  readonly config: LogConfig;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** min(first unstable offset, high watermark). */
  readonly lastStableOffset: number;
  readonly state: string;
  /** Every segment, oldest first; the last one is the active segment. */
  describeSegments(): Promise<CleanerSegmentInfo[]>;
  /** The CRC-checked batches of a segment from file position `from`. */
  segmentBatches(seg: Segment, from?: number): AsyncIterable<{ bytes: Buffer }>;
  createCleanedSegment(baseOffset: number): C;
  /** Swaps `cleaned` in for `old` crash-safely; false (cleaned files dropped) if `old` are no longer the log's. */
  replaceSegments(old: readonly Segment[], cleaned: C, fileDeleteDelayMs: number): Promise<boolean>;
  /** Producers not expired: their last data offset (null: only a marker) and epoch. */
  activeProducers(now: number): Map<number, LastRecord>;
}

export interface LogCleanerOptions {
  fs: FileSystem;
  dataDir: string;
  logger: Logger;
  clock: Clock;
  /** The logs that exist now (compacted or not). */
  logs: () => Iterable<CleanableLog>;
  threads: number;
  dedupeBufferSize: number;
  loadFactor: number;
  ioMaxBytesPerSecond: number;
  backoffMs: number;
}

export interface RoundResult {
  firstDirty: number;
  endOffset: number;
  bytesRead: number;
  bytesWritten: number;
  groups: number;
  mapFull: boolean;
}

/** One worker's last round, as Kafka's CleanerStats. */
export interface LastRoundStats {
  elapsedMs: number;
  /** Keys mapped / Kafka's slot count. */
  bufferUtilization: number;
  /** Bytes read and written by the rewrite (not the map build): the recopy rate. */
  cleanBytesRead: number;
  bytesWritten: number;
}

export interface CleanerStats {
  rounds: number;
  /** Bytes read by both passes (map build and rewrite), and written, since start. */
  bytesRead: number;
  bytesWritten: number;
  lastRoundMs: number;
  /** By worker (`clean` runs on the first one's map). */
  lastRounds: (LastRoundStats | undefined)[];
  /** The largest dirty ratio among the compacted logs the last choice looked at, cleanable or not (Kafka's max-dirty-percent). */
  maxDirtyRatio: number;
  /** Clock time the workers last chose a log, null before the first time. */
  lastRunMs: number | null;
}

class CleaningAborted extends Error {
  override name = 'CleaningAborted';
}

type LogState = { kind: 'in-progress' } | { kind: 'aborted'; done: Promise<void> } | { kind: 'paused'; count: number };

function keyOf(log: CleanableLog): string {
  return partitionKey(log.topic, log.partition);
}

export class LogCleaner {
  private readonly checkpoints = new Map<string, number>();
  private readonly states = new Map<string, LogState>();
  private readonly roundDone = new Map<string, () => void>();
  private readonly uncleanable = new Set<string>();
  private readonly waiters = new Set<{ key: string; offset: number; resolve: () => void }>();
  private readonly engines: WorkerEngine[] = [];
  private checkpointWrite: Promise<void> = Promise.resolve();
  private readonly budget: CleanerBudget;
  private readonly logger: Logger;
  private running = false;
  private workers: Promise<void>[] = [];
  /** Workers sleeping through log.cleaner.backoff.ms, each woken by `kick` or `stop`. */
  private readonly sleepers = new Set<{ wake(): void; timer: { cancel(): void } }>();
  /** Totals since start, and the last round of each worker (Kafka's LogCleaner and LogCleanerManager metrics read these). */
  readonly stats: CleanerStats = { rounds: 0, bytesRead: 0, bytesWritten: 0, lastRoundMs: 0, lastRounds: [], maxDirtyRatio: 0, lastRunMs: null };

  constructor(private readonly opts: LogCleanerOptions) {
    this.logger = opts.logger.child({ component: 'log-cleaner' });
    this.budget = new CleanerBudget(opts.ioMaxBytesPerSecond);
    const threads = Math.max(1, opts.threads);
    for (let i = 0; i < threads; i++) this.engines.push(new WorkerEngine(i, Math.floor(opts.dedupeBufferSize / threads), opts.loadFactor));
  }

  private get checkpointPath(): string {
    return joinPath(this.opts.dataDir, CLEANER_CHECKPOINT);
  }

  /** Reads the checkpoint (creating it empty if missing). */
  async load(): Promise<void> {
    const read = await readCheckpoint(this.opts.fs, this.checkpointPath);
    if (read === null) this.logger.error({ file: this.checkpointPath }, 'malformed cleaner checkpoint; cleaning starts again from each log start');
    for (const [k, v] of read ?? []) this.checkpoints.set(k, v);
    if (read === null || !(await this.opts.fs.exists(this.checkpointPath))) await this.writeCheckpoints();
  }

  /** Starts the background workers (`clean` works without them). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.workers = this.engines.map((engine) => this.work(engine));
  }

  /** Stops the workers; a round in progress is aborted (its `.cleaned` files dropped); the worker threads end. */
  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    const aborted = [...this.states.keys()].map((key) => this.abortKey(key));
    await Promise.all([...this.workers, ...aborted]);
    this.workers = [];
    await Promise.all(this.engines.map((e) => e.close()));
  }

  /** log.cleaner.threads: the workers, each with its own offset map. */
  get workerCount(): number {
    return this.engines.length;
  }

  /** Milliseconds since the workers last chose a log, null before the first time. */
  msSinceLastRun(): number | null {
    return this.stats.lastRunMs === null ? null : Math.max(0, this.opts.clock.now() - this.stats.lastRunMs);
  }

  /** Partitions whose round threw, left alone until restart (Kafka's uncleanable-partitions-count). */
  get uncleanableCount(): number {
    return this.uncleanable.size;
  }

  /** The first dirty offset recorded for a log (its next round starts there). */
  checkpointOf(topic: string, partition: number): number | undefined {
    return this.checkpoints.get(partitionKey(topic, partition));
  }

  /** Wakes the workers now (a test, or a log that just became dirty). */
  kick(): void {
    for (const s of this.sleepers) {
      s.timer.cancel();
      s.wake();
    }
  }

  /**
   * Runs one round on `log` now, whatever its dirty ratio (its cleanable
   * range still applies). Waits for a round already running on it first.
   */
  async clean(log: CleanableLog): Promise<RoundResult | null> {
    const key = keyOf(log);
    while (this.states.has(key)) {
      const st = this.states.get(key)!;
      if (st.kind === 'paused') return null;
      await new Promise<void>((resolve) => this.onRoundDone(key, resolve));
    }
    return this.runRound(log, this.engines[0]!, true);
  }

  /** Resolves once the log's checkpoint reaches `offset` (a round cleaned everything below it). */
  awaitCleaned(log: CleanableLog, offset: number): Promise<void> {
    const key = keyOf(log);
    if ((this.checkpoints.get(key) ?? -1) >= offset) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.add({ key, offset, resolve });
      this.kick();
    });
  }

  /** Kafka's abortAndPauseCleaning: a round in progress stops (its files dropped); no new one starts until `resume`. */
  async abortAndPause(log: CleanableLog): Promise<void> {
    const key = keyOf(log);
    const st = this.states.get(key);
    if (st?.kind === 'in-progress') {
      await this.abortKey(key);
    }
    const now = this.states.get(key);
    this.states.set(key, { kind: 'paused', count: now?.kind === 'paused' ? now.count + 1 : 1 });
  }

  resume(log: CleanableLog): void {
    const key = keyOf(log);
    const st = this.states.get(key);
    if (st?.kind !== 'paused') return;
    if (st.count > 1) this.states.set(key, { kind: 'paused', count: st.count - 1 });
    else this.states.delete(key);
  }

  /** Truncation below the checkpoint lowers it (Kafka's maybeTruncateCheckpoint). */
  truncated(log: CleanableLog, offset: number): void {
    const key = keyOf(log);
    const cp = this.checkpoints.get(key);
    if (cp !== undefined && cp > offset) this.checkpoints.set(key, offset);
  }

  /** A deleted log: forget it (the next checkpoint write drops it). */
  forget(log: CleanableLog): void {
    const key = keyOf(log);
    this.checkpoints.delete(key);
    this.uncleanable.delete(key);
  }

  private abortKey(key: string): Promise<void> {
    const st = this.states.get(key);
    if (st?.kind === 'aborted') return st.done;
    if (st?.kind !== 'in-progress') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.onRoundDone(key, resolve));
    this.states.set(key, { kind: 'aborted', done });
    return done;
  }

  private onRoundDone(key: string, fn: () => void): void {
    const prev = this.roundDone.get(key);
    this.roundDone.set(key, () => {
      prev?.();
      fn();
    });
  }

  private async work(engine: WorkerEngine): Promise<void> {
    while (this.running) {
      const log = await this.dirtiest().catch((err: unknown) => {
        this.logger.error({ err }, 'choosing a log to clean failed');
        return null;
      });
      if (log) {
        await this.runRound(log, engine, false);
        continue;
      }
      await new Promise<void>((resolve) => {
        const sleeper = {
          wake: () => {
            this.sleepers.delete(sleeper);
            resolve();
          },
          timer: this.opts.clock.setTimeout(() => sleeper.wake(), this.opts.backoffMs),
        };
        this.sleepers.add(sleeper);
      });
    }
  }

  private compacted(): CleanableLog[] {
    const out: CleanableLog[] = [];
    for (const log of this.opts.logs()) {
      const key = keyOf(log);
      if (log.state !== 'online' || !log.config.cleanupPolicy.includes('compact')) continue;
      if (this.states.has(key) || this.uncleanable.has(key)) continue;
      out.push(log);
    }
    return out;
  }

  private range(log: CleanableLog, segments: readonly CleanerSegmentInfo[], now: number): CleanableRange {
    return cleanableRange({
      segments: segments.map((s) => ({
        baseOffset: s.baseOffset,
        size: s.size,
        largestTimestamp: s.largestTimestamp,
        firstBatchTimestamp: s.segment.rollingBaseTimestamp,
      })),
      logStartOffset: log.logStartOffset,
      logEndOffset: log.logEndOffset,
      lastStableOffset: log.lastStableOffset,
      checkpoint: this.checkpoints.get(keyOf(log)),
      now,
      minCompactionLagMs: log.config.minCompactionLagMs,
      maxCompactionLagMs: log.config.maxCompactionLagMs,
    });
  }

  /** The cleanable log with the largest dirty ratio (a log awaited by a test counts whatever its ratio). */
  private async dirtiest(): Promise<CleanableLog | null> {
    const now = this.opts.clock.now();
    let best: CleanableLog | null = null;
    let bestRatio = -1;
    let maxDirty = 0;
    for (const log of this.compacted()) {
      const r = this.range(log, await log.describeSegments(), now);
      maxDirty = Math.max(maxDirty, r.ratio);
      const awaited = [...this.waiters].some((w) => w.key === keyOf(log)) && r.cleanableBytes > 0;
      if (!awaited && !isCleanable(r, log.config.minCleanableDirtyRatio)) continue;
      const ratio = awaited ? Infinity : r.ratio;
      if (ratio > bestRatio) {
        best = log;
        bestRatio = ratio;
      }
    }
    this.stats.maxDirtyRatio = maxDirty;
    this.stats.lastRunMs = now;
    return best;
  }

  private async runRound(log: CleanableLog, engine: WorkerEngine, forced: boolean): Promise<RoundResult | null> {
    const key = keyOf(log);
    if (this.states.has(key)) return null;
    this.states.set(key, { kind: 'in-progress' });
    const started = this.opts.clock.now();
    try {
      const now = this.opts.clock.now();
      const infos = await log.describeSegments();
      const range = this.range(log, infos, now);
      if (range.cleanableBytes === 0 || (!forced && !isCleanable(range, log.config.minCleanableDirtyRatio))) {
        if (range.checkpointReset) await this.setCheckpoint(key, range.firstDirty);
        return null;
      }
      const checkAborted = (): void => {
        if (this.states.get(key)?.kind === 'aborted' || (!this.running && !forced)) throw new CleaningAborted();
        if (log.state !== 'online') throw new CleaningAborted();
      };
      const io = { budget: this.budget, checkAborted };
      const source: CleanerSource<Segment, CleanedSink> = {
        batches: (seg, from) => log.segmentBatches(seg, from),
        createCleaned: (base) => log.createCleanedSegment(base),
      };
      const cfg = log.config;
      const sealed = infos.filter((i) => !i.active);
      const dirty = sealed.filter((s, i) => s.baseOffset < range.firstUncleanable && infos[i + 1]!.baseOffset > range.firstDirty).map((i) => i.segment);
      const mapped = await buildOffsetMap(source, dirty, range.firstDirty, range.firstUncleanable, engine, cfg.indexIntervalBytes, io);
      const toClean = sealed.filter((s) => s.baseOffset < mapped.endOffset).map((i) => i.segment);
      const groups = await groupSegments(toClean, cfg.segmentBytes, cfg.segmentIndexBytes, range.firstUncleanable);
      await engine.beginFilter({
        now,
        deleteRetentionMs: cfg.deleteRetentionMs,
        highWatermark: log.highWatermark,
        activeProducers: [...log.activeProducers(now)],
        aborted: abortedIn(toClean),
      });
      const ctx = { ...io, engine };
      let cleanBytesRead = 0;
      let bytesWritten = 0;
      for (const g of groups) {
        const r = await cleanGroup(source, g, ctx);
        checkAborted();
        if (!(await log.replaceSegments(g, r.cleaned, cfg.fileDeleteDelayMs))) throw new CleaningAborted();
        cleanBytesRead += r.bytesRead;
        bytesWritten += r.cleaned.size;
      }
      const bytesRead = mapped.bytesRead + cleanBytesRead;
      await this.setCheckpoint(key, mapped.endOffset);
      const elapsedMs = this.opts.clock.now() - started;
      this.stats.rounds++;
      this.stats.bytesRead += bytesRead;
      this.stats.bytesWritten += bytesWritten;
      this.stats.lastRoundMs = elapsedMs;
      this.stats.lastRounds[this.engines.indexOf(engine)] = { elapsedMs, bufferUtilization: await engine.utilization(), cleanBytesRead, bytesWritten };
      const result = { firstDirty: range.firstDirty, endOffset: mapped.endOffset, bytesRead, bytesWritten, groups: groups.length, mapFull: mapped.full };
      this.logger.info({ topic: log.topic, partition: log.partition, ...result }, 'cleaned log');
      return result;
    } catch (err) {
      if (err instanceof CleaningAborted) {
        this.logger.info({ topic: log.topic, partition: log.partition }, 'cleaning aborted');
      } else {
        this.uncleanable.add(key);
        this.logger.error({ err, topic: log.topic, partition: log.partition }, 'cleaning failed; the partition is uncleanable until restart');
      }
      return null;
    } finally {
      const st = this.states.get(key);
      if (st?.kind === 'in-progress' || st?.kind === 'aborted') this.states.delete(key);
      const done = this.roundDone.get(key);
      this.roundDone.delete(key);
      done?.();
    }
  }

  private async setCheckpoint(key: string, offset: number): Promise<void> {
    this.checkpoints.set(key, offset);
    await this.writeCheckpoints();
    for (const w of [...this.waiters]) {
      if (w.key === key && offset >= w.offset) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** One checkpoint write at a time: workers finishing together would race on the file's temporary copy. */
  private writeCheckpoints(): Promise<void> {
    const write = this.checkpointWrite.then(() => this.writeCheckpointsNow());
    this.checkpointWrite = write.catch(() => undefined);
    return write;
  }

  private async writeCheckpointsNow(): Promise<void> {
    const live = new Set<string>();
    for (const log of this.opts.logs()) live.add(keyOf(log));
    const entries: { topic: string; partition: number; offset: number }[] = [];
    for (const log of this.opts.logs()) {
      const off = this.checkpoints.get(keyOf(log));
      if (off !== undefined) entries.push({ topic: log.topic, partition: log.partition, offset: off });
    }
    for (const k of [...this.checkpoints.keys()]) if (!live.has(k)) this.checkpoints.delete(k);
    await writeCheckpoint(this.opts.fs, this.checkpointPath, entries);
  }
}
