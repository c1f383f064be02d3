// The data directory's partition logs, keyed by topic id and partition, and the
// files that make a restart keep them. Which topics and partitions exist is the
// broker's to decide (broker/cluster.ts owns topic metadata and its file); this
// store opens, creates and deletes the logs it is told about.
//
// <data-dir>/
//   recovery-point-offset-checkpoint   Kafka's format; per partition, offsets below are fsynced
//   log-start-offset-checkpoint        Kafka's format; per partition, the log start offset
//   .kafka_cleanshutdown               present only after a clean shutdown (Kafka's marker)
//   .lock                              locked while a broker uses the directory (dir-lock.ts)
//   <topic>-<partition>/               one PartitionLog each (see partition-log.ts), with
//     partition.metadata               Kafka's file: version and topic id (base64)
//
// Start: read the checkpoints and the marker; delete partition directories the
// broker did not name (a delete interrupted by a crash, or a directory of an
// older topic with the same name); load every named log (with recovery unless the
// marker was there); then delete the marker, so a crash from here on is seen as
// unclean. Close: close every log (flush, indexes, producer snapshots), write the
// checkpoints, then the marker.
//
// Background (on the injected clock): retention every
// log.retention.check.interval.ms (300000), checkpoints every
// log.flush.offset.checkpoint.interval.ms (60000), expired producer ids removed
// every producer.id.expiration.check.interval.ms (600000).
//
// Works on either FileSystem; `kafkalite start --memory` passes a
// MemoryFileSystem (with trackDurability: false, as nothing survives anyway).

import type { Decompressor } from './batch.js';
import {
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  partitionKey,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
import { lockDataDir } from './dir-lock.js';
import { LogError } from './errors.js';
import { HandlePool, defaultOpenFileLimit } from './handle-pool.js';
import { joinPath, mkdirDurable, readFileIfExists, writeFileAtomic, type FileLock, type FileSystem } from './fs.js';
import { RealFileSystem } from './fs-real.js';
import type { LogConfig } from './log-config.js';
import { silentLogger, systemClock, type Clock, type Logger } from './logger.js';
import { PartitionLog } from './partition-log.js';
import { LogCleaner } from './cleaner/manager.js';

const DEFAULT_TAIL_CACHE_BYTES = 8 * 1024 * 1024;
const DEFAULT_TAIL_CACHE_BUDGET_BYTES = 256 * 1024 * 1024;
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const PARTITION_METADATA_FILE = 'partition.metadata';
/**
 * Logs loaded (and closed) at once: enough to keep the file system's thread
 * pool busy with the few small reads an idle log's load is, as Kafka's
 * num.recovery.threads.per.data.dir loads logs in parallel.
 */
const LOAD_CONCURRENCY = 64;

/** The logs of one topic, as the broker names them. */
export interface TopicLogs {
  /** UUID, 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'. */
  readonly topicId: string;
  /** The topic name: Kafka's directory layout is `<topic>-<partition>`. */
  readonly topic: string;
  readonly partitions: number;
  /** The topic's effective log config (resolved by the broker's config table). */
  readonly config: LogConfig;
}

export interface LogManagerOptions {
  dataDir: string;
  /** Default: the real file system. */
  fs?: FileSystem;
  logger?: Logger;
  clock?: Clock;
  /** The logs that exist; directories of any other partition are deleted at start. */
  topics?: readonly TopicLogs[];
  /** The data directory's lock (dir-lock.ts) when the caller took it first; released on close. */
  dirLock?: FileLock;
  /** producer.id.expiration.ms (Kafka's default: one day). */
  producerIdExpirationMs?: number;
  /** producer.id.expiration.check.interval.ms (Kafka's default: ten minutes). */
  producerIdExpirationCheckIntervalMs?: number;
  /** log.retention.check.interval.ms (Kafka's default: five minutes). */
  retentionCheckIntervalMs?: number;
  /** log.flush.offset.checkpoint.interval.ms (Kafka's default: one minute). */
  checkpointIntervalMs?: number;
  /** Per-partition tail cache of recent batches for fetches (default 8 MiB). */
  tailCacheBytes?: number;
  /**
   * All tail caches together stay within this (default 256 MiB): with many
   * partitions each gets an equal share, so memory does not grow with the
   * partition count.
   */
  tailCacheBudgetBytes?: number;
  /** For ListOffsets by timestamp on compressed batches. */
  decompress?: Decompressor;
  /** Run retention and checkpoints on timers (default true). */
  background?: boolean;
  /** log.max.open.files: segment files open at once over all logs (default: half of ulimit -n). */
  maxOpenFiles?: number;
  /** The log cleaner's log.cleaner.* settings (default: Kafka's, enabled). */
  cleaner?: CleanerSettings;
}

/** Kafka's defaults (the broker passes the config table's values). */
const DEFAULT_CLEANER: CleanerSettings = {
  enable: true,
  threads: 1,
  dedupeBufferSize: 128 * 1024 * 1024,
  loadFactor: 0.9,
  ioMaxBytesPerSecond: Number.MAX_VALUE,
  backoffMs: 15_000,
};

export interface CleanerSettings {
  enable: boolean;
  threads: number;
  dedupeBufferSize: number;
  loadFactor: number;
  ioMaxBytesPerSecond: number;
  backoffMs: number;
}

interface OpenTopic {
  topicId: string;
  topic: string;
  logs: (PartitionLog | undefined)[];
}

/** Runs `jobs`, at most `width` at a time (a pool: a slow job does not hold up a whole wave). */
async function inParallel(jobs: readonly (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    try {
      while (next < jobs.length && !failed) await jobs[next++]!();
    } catch (e) {
      failed = true;
      throw e;
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
}

/**
 * How many logs load or close at once under a budget of `openFiles` handles: each
 * holds one pooled segment handle plus a file it reads or writes whole
 * (partition.metadata, an index), and the sockets need the rest of the limit.
 */
function ioWidth(openFiles: number): number {
  return Math.max(1, Math.min(LOAD_CONCURRENCY, Math.floor(openFiles / 4)));
}

/** Partition directories stay inside the data directory whatever the broker passes. */
function checkDirectoryName(topic: string): void {
  if (topic === '' || topic === '.' || topic === '..' || /[/\\\0]/.test(topic)) {
    throw new LogError('KAFKA_STORAGE_ERROR', `'${topic}' cannot name a partition directory`);
  }
}

/** Kafka's base64 form of a UUID (partition.metadata, Uuid.toString). */
export function uuidToBase64(uuid: string): string {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64url');
}

export class LogManager {
  readonly dataDir: string;
  readonly fs: FileSystem;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly producerIdExpirationMs: number;
  private readonly retentionCheckIntervalMs: number;
  private readonly producerIdExpirationCheckIntervalMs: number;
  private readonly checkpointIntervalMs: number;
  private readonly tailCacheBytes: number;
  private readonly tailCacheBudgetBytes: number;
  private readonly decompress: Decompressor | undefined;
  private readonly byId = new Map<string, OpenTopic>();
  /** Directory name (`<topic>-<partition>`) to log. */
  private readonly logsByKey = new Map<string, PartitionLog>();
  private mutex: Promise<unknown> = Promise.resolve();
  private timers: { cancel(): void }[] = [];
  /** The log cleaner (log.cleaner.enable), compacting cleanup.policy=compact logs. */
  readonly cleaner: LogCleaner | null;
  private closed = false;
  private _hadCleanShutdown = false;
  private checkpointQueued: Promise<void> | null = null;
  private dirLock: FileLock | null = null;
  /** Every log's segment files share this budget of open handles. */
  readonly files: HandlePool;

  private constructor(opts: LogManagerOptions) {
    this.dataDir = opts.dataDir;
    this.fs = opts.fs ?? new RealFileSystem();
    this.logger = (opts.logger ?? silentLogger).child({ component: 'log-manager' });
    this.clock = opts.clock ?? systemClock;
    this.producerIdExpirationMs = opts.producerIdExpirationMs ?? 86_400_000;
    this.retentionCheckIntervalMs = opts.retentionCheckIntervalMs ?? 300_000;
    this.producerIdExpirationCheckIntervalMs = opts.producerIdExpirationCheckIntervalMs ?? 600_000;
    this.checkpointIntervalMs = opts.checkpointIntervalMs ?? 60_000;
    this.tailCacheBytes = opts.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES;
    this.tailCacheBudgetBytes = opts.tailCacheBudgetBytes ?? DEFAULT_TAIL_CACHE_BUDGET_BYTES;
    this.decompress = opts.decompress;
    this.files = new HandlePool(this.fs, opts.maxOpenFiles ?? defaultOpenFileLimit(), this.logger);
    const c = { ...DEFAULT_CLEANER, ...opts.cleaner };
    this.cleaner = c.enable
      ? new LogCleaner({
          fs: this.fs,
          dataDir: this.dataDir,
          logger: this.logger,
          clock: this.clock,
          logs: () => this.logsByKey.values(),
          threads: c.threads,
          dedupeBufferSize: c.dedupeBufferSize,
          loadFactor: c.loadFactor,
          ioMaxBytesPerSecond: c.ioMaxBytesPerSecond,
          backoffMs: c.backoffMs,
        })
      : null;
  }

  /**
   * Opens the data directory, creating it if needed, locks it (DataDirLockedError
   * if another broker has it; a caller that locked it already passes `dirLock`)
   * and loads (recovering) every named log.
   */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(opts);
    await mkdirDurable(m.fs, m.dataDir);
    m.dirLock = opts.dirLock ?? (await lockDataDir(m.fs, m.dataDir, m.clock.now()));
    try {
      await m.load(opts.topics ?? []);
      await m.cleaner?.load();
    } catch (e) {
      await m.releaseDirLock();
      throw e;
    }
    if (opts.background ?? true) m.startBackground();
    return m;
  }

  get hadCleanShutdown(): boolean {
    return this._hadCleanShutdown;
  }

  // ---- queries -----------------------------------------------------------------------------

  /** A partition's log by topic id. */
  logOf(topicId: string, partition: number): PartitionLog | undefined {
    return this.byId.get(topicId)?.logs[partition];
  }

  /** A partition's log by topic name (its directory, `<topic>-<partition>`). */
  log(topic: string, partition: number): PartitionLog | undefined {
    return this.logsByKey.get(partitionKey(topic, partition));
  }

  logs(): IterableIterator<PartitionLog> {
    return this.logsByKey.values();
  }

  // ---- changes (serialized) ------------------------------------------------------------------

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(fn, fn);
    this.mutex = run.catch(() => undefined);
    return run;
  }

  /**
   * Creates partitions [from, to) of a topic (all of a new topic, or the ones
   * CreatePartitions adds). On failure nothing of them is left behind.
   */
  createLogs(t: Omit<TopicLogs, 'partitions'>, from: number, to: number): Promise<void> {
    checkDirectoryName(t.topic);
    return this.serialized(async () => {
      this.checkOpen();
      const open = this.byId.get(t.topicId) ?? { topicId: t.topicId, topic: t.topic, logs: [] };
      this.byId.set(t.topicId, open);
      try {
        await this.openNewPartitions(open, t.config, from, to);
      } catch (e) {
        await this.undoNewPartitions(open, from, to);
        if (open.logs.length === 0) this.byId.delete(t.topicId);
        throw e;
      }
      this.logger.info({ topic: t.topic, topicId: t.topicId, from, to }, 'created partition logs');
    });
  }

  /** Deletes every log of a topic and its directories. */
  deleteLogs(topicId: string): Promise<void> {
    return this.serialized(async () => {
      this.checkOpen();
      const t = this.byId.get(topicId);
      if (!t) return;
      this.byId.delete(topicId);
      for (let p = 0; p < t.logs.length; p++) {
        const key = partitionKey(t.topic, p);
        const log = t.logs[p];
        if (log && this.logsByKey.get(key) === log) this.logsByKey.delete(key);
        if (log) {
          await this.cleaner?.abortAndPause(log);
          await log.discard();
          this.cleaner?.forget(log);
          this.cleaner?.resume(log);
        }
        await this.fs.rmrf(joinPath(this.dataDir, key));
      }
      await this.fs.syncDir(this.dataDir);
      this.shareTailCaches();
      this.logger.info({ topic: t.topic, topicId }, 'deleted partition logs');
    });
  }

  /** Size and free space of the data directory's volume; null in memory. */
  async volume(): Promise<{ totalBytes: number; usableBytes: number } | null> {
    return this.fs.volume ? this.fs.volume(this.dataDir) : null;
  }

  /** Applies a topic's new effective config to its logs, or to one of them (a node's own configs apply to the partitions it leads). */
  setConfig(topicId: string, config: LogConfig, partition?: number): void {
    const logs = this.byId.get(topicId)?.logs ?? [];
    for (const log of partition === undefined ? logs : [logs[partition]]) log?.updateConfig(config);
  }

  /** Each log's tail cache size when `logs` logs share the budget. */
  private tailCacheShare(logs: number): number {
    return Math.min(this.tailCacheBytes, Math.floor(this.tailCacheBudgetBytes / Math.max(1, logs)));
  }

  /** Re-divides the tail-cache budget after logs were added or removed. */
  private shareTailCaches(): void {
    const share = this.tailCacheShare(this.logsByKey.size);
    for (const log of this.logsByKey.values()) log.setTailCacheLimit(share);
  }

  private checkOpen(): void {
    if (this.closed) throw new LogError('KAFKA_STORAGE_ERROR', 'the log manager is closed');
  }

  private async openNewPartitions(t: OpenTopic, config: LogConfig, from: number, to: number): Promise<void> {
    for (let p = from; p < to; p++) {
      const dir = joinPath(this.dataDir, partitionKey(t.topic, p));
      await this.fs.rmrf(dir); // leftovers of an interrupted delete of a same-named topic
      await this.fs.mkdir(dir);
      await this.writePartitionMetadata(dir, t.topicId);
    }
    await this.fs.syncDir(this.dataDir);
    for (let p = from; p < to; p++) {
      const log = await this.openLog(t, p, config, { hadCleanShutdown: true, recoveryPoint: 0, logStartOffset: 0 });
      this.addLog(t, p, log);
    }
    this.shareTailCaches();
  }

  private addLog(t: OpenTopic, partition: number, log: PartitionLog): void {
    t.logs[partition] = log;
    this.logsByKey.set(partitionKey(t.topic, partition), log);
  }

  /** After openNewPartitions failed: closes the logs it opened and removes their directories, as far as the disk lets us. */
  private async undoNewPartitions(t: OpenTopic, from: number, to: number): Promise<void> {
    for (let p = from; p < to; p++) {
      const key = partitionKey(t.topic, p);
      const log = t.logs[p];
      if (log && this.logsByKey.get(key) === log) this.logsByKey.delete(key);
      await log?.discard().catch(() => undefined);
      await this.fs.rmrf(joinPath(this.dataDir, key)).catch(() => undefined);
    }
    t.logs.length = Math.min(t.logs.length, from);
  }

  private async writePartitionMetadata(dir: string, topicId: string): Promise<void> {
    await writeFileAtomic(this.fs, joinPath(dir, PARTITION_METADATA_FILE), Buffer.from(`version: 0\ntopic_id: ${uuidToBase64(topicId)}\n`));
  }

  private openLog(
    t: OpenTopic,
    partition: number,
    config: LogConfig,
    load: { hadCleanShutdown: boolean; recoveryPoint: number; logStartOffset: number },
  ): Promise<PartitionLog> {
    return PartitionLog.open({
      fs: this.fs,
      dir: joinPath(this.dataDir, partitionKey(t.topic, partition)),
      topic: t.topic,
      partition,
      config,
      logger: this.logger,
      clock: this.clock,
      tailCacheBytes: this.tailCacheShare(this.logsByKey.size + 1),
      decompress: this.decompress,
      producerIdExpirationMs: this.producerIdExpirationMs,
      ...load,
      onLogStartOffsetChanged: () => void this.requestCheckpoint(),
      files: this.files,
    });
  }

  // ---- start -----------------------------------------------------------------------------------

  private async load(topics: readonly TopicLogs[]): Promise<void> {
    const fs = this.fs;
    const markerPath = joinPath(this.dataDir, CLEAN_SHUTDOWN_FILE);
    this._hadCleanShutdown = await fs.exists(markerPath);
    // No checkpoint and no marker: nothing was ever stored here, so there is nothing to recover.
    const newDataDirectory = !this._hadCleanShutdown && !(await fs.exists(joinPath(this.dataDir, RECOVERY_POINT_CHECKPOINT)));
    let recoveryPoints = await readCheckpoint(fs, joinPath(this.dataDir, RECOVERY_POINT_CHECKPOINT));
    if (recoveryPoints === null) {
      this.logger.warn('recovery point checkpoint is malformed; recovering every log from its start');
      recoveryPoints = new Map();
    }
    const logStarts = (await readCheckpoint(fs, joinPath(this.dataDir, LOG_START_OFFSET_CHECKPOINT))) ?? new Map<string, number>();

    // directories of partitions that are gone (or belong to an older topic of the same name)
    const wanted = new Map<string, { t: TopicLogs; partition: number }>();
    for (const t of topics) {
      checkDirectoryName(t.topic);
      for (let p = 0; p < t.partitions; p++) wanted.set(partitionKey(t.topic, p), { t, partition: p });
    }
    /** Directories of named partitions whose partition.metadata is there (and names their topic). */
    const present = new Set<string>();
    const check = async (name: string): Promise<void> => {
      const path = joinPath(this.dataDir, name);
      const w = wanted.get(name);
      if (!w) {
        if ((/-\d+$/.test(name) || name.endsWith('-delete')) && (await fs.stat(path)).isDirectory) {
          this.logger.warn({ dir: name }, 'deleting the directory of a partition that no longer exists');
          await fs.rmrf(path);
        }
        return;
      }
      const meta = await readFileIfExists(fs, joinPath(path, PARTITION_METADATA_FILE));
      if (meta === undefined) return;
      const id = meta.toString('utf8').match(/topic_id:\s*(\S+)/)?.[1];
      if (id !== undefined && id !== uuidToBase64(w.t.topicId)) {
        this.logger.warn({ dir: name }, 'partition directory belongs to an older topic of the same name; deleting it');
        await fs.rmrf(path);
        return;
      }
      present.add(name);
    };
    await inParallel((await fs.readdir(this.dataDir)).map((name) => () => check(name)), ioWidth(this.files.limit));

    for (const t of topics) this.byId.set(t.topicId, { topicId: t.topicId, topic: t.topic, logs: [] });
    const jobs: (() => Promise<void>)[] = [];
    for (const [key, { t, partition }] of wanted) {
      jobs.push(async () => {
        const dir = joinPath(this.dataDir, key);
        if (!present.has(key)) {
          await fs.mkdir(dir);
          await this.writePartitionMetadata(dir, t.topicId);
          await fs.syncDir(this.dataDir);
        }
        const open = this.byId.get(t.topicId)!;
        const log = await this.openLog(open, partition, t.config, {
          hadCleanShutdown: this._hadCleanShutdown,
          recoveryPoint: recoveryPoints.get(key) ?? 0,
          logStartOffset: logStarts.get(key) ?? 0,
        });
        this.addLog(open, partition, log);
      });
    }
    await inParallel(jobs, ioWidth(this.files.limit));
    this.shareTailCaches();

    if (this._hadCleanShutdown) {
      await fs.unlink(markerPath);
      await fs.syncDir(this.dataDir);
    }
    await this.checkpoint();
    const start = newDataDirectory ? { newDataDirectory: true } : { clean: this._hadCleanShutdown };
    this.logger.info({ topics: this.byId.size, partitions: this.logsByKey.size, ...start }, 'logs loaded');
  }

  private startBackground(): void {
    const every = (ms: number, fn: () => Promise<unknown>): void => {
      if (!(ms > 0) || ms > 0x7fffffff) return;
      const arm = (): void => {
        const t = this.clock.setTimeout(() => {
          this.timers = this.timers.filter((x) => x !== t);
          if (this.closed) return;
          fn()
            .catch((e: unknown) => this.logger.error({ err: e }, 'background storage task failed'))
            .finally(() => {
              if (!this.closed) arm();
            });
        }, ms);
        this.timers.push(t);
      };
      arm();
    };
    every(this.retentionCheckIntervalMs, () => this.runRetention());
    every(this.checkpointIntervalMs, () => this.checkpoint());
    every(this.producerIdExpirationCheckIntervalMs, async () => this.removeExpiredProducers());
    this.cleaner?.start();
  }

  /** Forgets idle producer ids in every log (producer.id.expiration.ms). */
  removeExpiredProducers(now = this.clock.now()): void {
    for (const log of this.logsByKey.values()) log.removeExpiredProducers(now);
  }

  // ---- maintenance -----------------------------------------------------------------------------

  /** One retention pass over every log; returns the number of segments deleted. */
  async runRetention(now = this.clock.now()): Promise<number> {
    let n = 0;
    for (const log of [...this.logsByKey.values()]) n += await log.runRetention(now);
    if (n > 0) await this.checkpoint();
    return n;
  }

  /** Writes the recovery-point and log-start-offset checkpoints. */
  checkpoint(): Promise<void> {
    return this.serialized(() => this.writeCheckpoints());
  }

  private async writeCheckpoints(): Promise<void> {
    const logs = [...this.logsByKey.values()];
    await writeCheckpoint(
      this.fs,
      joinPath(this.dataDir, RECOVERY_POINT_CHECKPOINT),
      logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.recoveryPoint })),
    );
    await writeCheckpoint(
      this.fs,
      joinPath(this.dataDir, LOG_START_OFFSET_CHECKPOINT),
      logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.logStartOffset })),
    );
  }

  /** Coalesces checkpoint requests (log start offset moved). */
  private requestCheckpoint(): Promise<void> {
    this.checkpointQueued ??= Promise.resolve().then(() => {
      this.checkpointQueued = null;
      return this.checkpoint().catch((e: unknown) => this.logger.error({ err: e }, 'writing checkpoints failed'));
    });
    return this.checkpointQueued;
  }

  /** fsyncs every log (tests, tools; the broker relies on the flush policy). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.logsByKey.values()].map((l) => l.flush()));
  }

  /**
   * Clean shutdown (SIGTERM): every log flushed with its indexes and producer
   * snapshot, checkpoints written, then the clean-shutdown marker. If any log
   * could not close cleanly the marker is not written and the next start recovers.
   */
  close(): Promise<void> {
    for (const t of this.timers) t.cancel();
    this.timers = [];
    const cleanerStopped = this.cleaner?.stop() ?? Promise.resolve();
    return this.serialized(async () => {
      await cleanerStopped;
      if (this.closed) return;
      this.closed = true;
      try {
        let clean = true;
        await inParallel([...this.logsByKey.values()].map((log) => async () => void (clean = (await log.close()) && clean)), ioWidth(this.files.limit));
        await this.writeCheckpoints();
        if (clean) {
          await writeFileAtomic(this.fs, joinPath(this.dataDir, CLEAN_SHUTDOWN_FILE), Buffer.from(`{"version":0,"closedAt":${this.clock.now()}}\n`));
        } else this.logger.warn('some logs did not close cleanly; no clean-shutdown marker');
        this.logger.info({ clean }, 'log manager closed');
      } finally {
        await this.releaseDirLock();
      }
    });
  }

  private async releaseDirLock(): Promise<void> {
    const lock = this.dirLock;
    this.dirLock = null;
    await lock?.release().catch((e: unknown) => this.logger.warn({ err: e }, 'releasing the data directory lock failed'));
  }
}
