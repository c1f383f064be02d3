// The data directory: topics, their partitions' logs, per-topic configs, and
// the files that make a restart keep everything.
//
// <data-dir>/
//   kafkalite-topics.json              topics: name, id, partition count, configs
//                                      (replaced atomically: temp, fsync, rename, dir fsync)
//   recovery-point-offset-checkpoint   Kafka's format; per partition, offsets below are fsynced
//   log-start-offset-checkpoint        Kafka's format; per partition, the log start offset
//   .kafka_cleanshutdown               present only after a clean shutdown (Kafka's marker)
//   <topic>-<partition>/               one PartitionLog each (see partition-log.ts), with
//     partition.metadata               Kafka's file: version and topic id (base64)
//
// Start: read the topic file, the checkpoints and the marker; delete partition
// directories of topics that no longer exist (a delete interrupted by a crash);
// load every log (with recovery unless the marker was there); then delete the
// marker, so a crash from here on is seen as unclean. Close: close every log
// (flush, indexes, producer snapshots), write the checkpoints, then the marker.
//
// Background (on the injected clock): retention every
// log.retention.check.interval.ms (300000), checkpoints every
// log.flush.offset.checkpoint.interval.ms (60000).
//
// Works on either FileSystem; `kafkalite start --memory` passes a
// MemoryFileSystem (with trackDurability: false, as nothing survives anyway).

import { randomUUID } from 'node:crypto';
import type { Decompressor } from './batch.js';
import {
  LOG_START_OFFSET_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  partitionKey,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
import { LogError } from './errors.js';
import { joinPath, mkdirDurable, readFileIfExists, writeFileAtomic, type FileSystem } from './fs.js';
import { RealFileSystem } from './fs-real.js';
import type { LogConfig, LogConfigResolver } from './log-config.js';
import { silentLogger, systemClock, type Clock, type Logger } from './logger.js';
import { PartitionLog } from './partition-log.js';
import { invalidTopicNameReason } from './topic-name.js';

export const TOPICS_FILE = 'kafkalite-topics.json';
const DEFAULT_TAIL_CACHE_BYTES = 8 * 1024 * 1024;
const DEFAULT_TAIL_CACHE_BUDGET_BYTES = 256 * 1024 * 1024;
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const PARTITION_METADATA_FILE = 'partition.metadata';
const LOAD_CONCURRENCY = 8;

export interface TopicInfo {
  readonly name: string;
  /** UUID, 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'. */
  readonly topicId: string;
  readonly partitions: number;
  /** Topic-level overrides only, by Kafka's topic config names. */
  readonly configs: Readonly<Record<string, string>>;
}

export interface LogManagerOptions {
  dataDir: string;
  /** Default: the real file system. */
  fs?: FileSystem;
  logger?: Logger;
  clock?: Clock;
  /**
   * A topic's effective log config from its overrides (topic names). The broker's
   * config table owns names, defaults and validation; storage only applies the result.
   */
  logConfig: LogConfigResolver;
  /** producer.id.expiration.ms (Kafka's default: one day). */
  producerIdExpirationMs?: number;
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
}

interface TopicsFile {
  version: 1;
  topics: TopicInfo[];
}

/** Kafka's legal topic names (the rules in topic-name.ts); also what keeps partition directories inside the data dir. */
export function checkTopicName(name: string): void {
  const problem = invalidTopicNameReason(name);
  if (problem) throw new LogError('INVALID_TOPIC_EXCEPTION', problem);
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
  private readonly resolveConfig: LogConfigResolver;
  private readonly producerIdExpirationMs: number;
  private readonly retentionCheckIntervalMs: number;
  private readonly checkpointIntervalMs: number;
  private readonly tailCacheBytes: number;
  private readonly tailCacheBudgetBytes: number;
  private readonly decompress: Decompressor | undefined;
  private readonly topicsByName = new Map<string, TopicInfo>();
  private readonly logsByKey = new Map<string, PartitionLog>();
  private mutex: Promise<unknown> = Promise.resolve();
  private timers: { cancel(): void }[] = [];
  private closed = false;
  private _hadCleanShutdown = false;
  private checkpointQueued: Promise<void> | null = null;

  private constructor(opts: LogManagerOptions) {
    this.dataDir = opts.dataDir;
    this.fs = opts.fs ?? new RealFileSystem();
    this.logger = (opts.logger ?? silentLogger).child({ component: 'log-manager' });
    this.clock = opts.clock ?? systemClock;
    this.resolveConfig = opts.logConfig;
    this.producerIdExpirationMs = opts.producerIdExpirationMs ?? 86_400_000;
    this.retentionCheckIntervalMs = opts.retentionCheckIntervalMs ?? 300_000;
    this.checkpointIntervalMs = opts.checkpointIntervalMs ?? 60_000;
    this.tailCacheBytes = opts.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES;
    this.tailCacheBudgetBytes = opts.tailCacheBudgetBytes ?? DEFAULT_TAIL_CACHE_BUDGET_BYTES;
    this.decompress = opts.decompress;
  }

  /** Opens the data directory, creating it if needed, and loads (recovering) every log. */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(opts);
    await m.load();
    if (opts.background ?? true) m.startBackground();
    return m;
  }

  get hadCleanShutdown(): boolean {
    return this._hadCleanShutdown;
  }

  // ---- queries -----------------------------------------------------------------------------

  topics(): TopicInfo[] {
    return [...this.topicsByName.values()];
  }

  topic(name: string): TopicInfo | undefined {
    return this.topicsByName.get(name);
  }

  topicById(topicId: string): TopicInfo | undefined {
    for (const t of this.topicsByName.values()) if (t.topicId === topicId) return t;
    return undefined;
  }

  log(topic: string, partition: number): PartitionLog | undefined {
    return this.logsByKey.get(partitionKey(topic, partition));
  }

  logs(): IterableIterator<PartitionLog> {
    return this.logsByKey.values();
  }

  /** Effective config of a topic's logs (overrides over broker settings over defaults). */
  logConfig(topic: string): LogConfig {
    const t = this.topicsByName.get(topic);
    if (!t) throw new LogError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${topic}`);
    return this.resolveConfig(t.configs);
  }

  // ---- topic changes (serialized) ------------------------------------------------------------

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(fn, fn);
    this.mutex = run.catch(() => undefined);
    return run;
  }

  /**
   * CreateTopics. Throws LogError: INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS,
   * INVALID_PARTITIONS, INVALID_CONFIG. With `validateOnly` nothing changes.
   */
  createTopic(
    name: string,
    partitions: number,
    configs: Readonly<Record<string, string>> = {},
    opts: { topicId?: string; validateOnly?: boolean } = {},
  ): Promise<TopicInfo> {
    checkTopicName(name);
    if (!Number.isSafeInteger(partitions) || partitions < 1) throw new LogError('INVALID_PARTITIONS', `partition count ${partitions} must be at least 1`);
    this.resolveConfig(configs);
    return this.serialized(async () => {
      this.checkOpen();
      if (this.topicsByName.has(name)) throw new LogError('TOPIC_ALREADY_EXISTS', `topic '${name}' already exists`);
      const info: TopicInfo = { name, topicId: opts.topicId ?? randomUUID(), partitions, configs: { ...configs } };
      if (opts.validateOnly) return info;
      this.topicsByName.set(name, info);
      try {
        await this.writeTopicsFile();
      } catch (e) {
        this.topicsByName.delete(name);
        throw e;
      }
      try {
        await this.openNewPartitions(info, 0, partitions);
      } catch (e) {
        // No half-made topic: the broker never learns of it, so undo it here.
        this.topicsByName.delete(name);
        await this.undoNewPartitions(name, 0, partitions);
        throw e;
      }
      this.logger.info({ topic: name, partitions, topicId: info.topicId }, 'created topic');
      return info;
    });
  }

  /** DeleteTopics: the topic disappears from the topic file first, then its directories. */
  deleteTopic(name: string): Promise<void> {
    return this.serialized(async () => {
      this.checkOpen();
      const t = this.topicsByName.get(name);
      if (!t) throw new LogError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`);
      this.topicsByName.delete(name);
      try {
        await this.writeTopicsFile();
      } catch (e) {
        this.topicsByName.set(name, t);
        throw e;
      }
      for (let p = 0; p < t.partitions; p++) {
        const key = partitionKey(name, p);
        const log = this.logsByKey.get(key);
        this.logsByKey.delete(key);
        if (log) await log.discard();
        await this.fs.rmrf(joinPath(this.dataDir, key));
      }
      await this.fs.syncDir(this.dataDir);
      this.shareTailCaches();
      this.logger.info({ topic: name }, 'deleted topic');
    });
  }

  /** CreatePartitions: grows the topic to `totalCount` partitions (INVALID_PARTITIONS otherwise). */
  createPartitions(name: string, totalCount: number, opts: { validateOnly?: boolean } = {}): Promise<TopicInfo> {
    return this.serialized(async () => {
      this.checkOpen();
      const t = this.topicsByName.get(name);
      if (!t) throw new LogError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`);
      if (!Number.isSafeInteger(totalCount) || totalCount <= t.partitions) {
        throw new LogError('INVALID_PARTITIONS', `topic '${name}' has ${t.partitions} partitions; ${totalCount} is not more`);
      }
      const info: TopicInfo = { ...t, partitions: totalCount };
      if (opts.validateOnly) return info;
      this.topicsByName.set(name, info);
      try {
        await this.writeTopicsFile();
      } catch (e) {
        this.topicsByName.set(name, t);
        throw e;
      }
      try {
        await this.openNewPartitions(info, t.partitions, totalCount);
      } catch (e) {
        this.topicsByName.set(name, t);
        await this.undoNewPartitions(name, t.partitions, totalCount);
        throw e;
      }
      return info;
    });
  }

  /** Replaces a topic's overrides (AlterConfigs; callers merge for the incremental API). */
  alterTopicConfigs(name: string, configs: Readonly<Record<string, string>>, opts: { validateOnly?: boolean } = {}): Promise<TopicInfo> {
    const resolved = this.resolveConfig(configs);
    return this.serialized(async () => {
      this.checkOpen();
      const t = this.topicsByName.get(name);
      if (!t) throw new LogError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`);
      const info: TopicInfo = { ...t, configs: { ...configs } };
      if (opts.validateOnly) return info;
      this.topicsByName.set(name, info);
      try {
        await this.writeTopicsFile();
      } catch (e) {
        this.topicsByName.set(name, t);
        throw e;
      }
      for (let p = 0; p < info.partitions; p++) this.log(name, p)?.updateConfig(resolved);
      return info;
    });
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

  private async writeTopicsFile(): Promise<void> {
    const data: TopicsFile = { version: 1, topics: [...this.topicsByName.values()] };
    await writeFileAtomic(this.fs, joinPath(this.dataDir, TOPICS_FILE), Buffer.from(`${JSON.stringify(data, null, 2)}\n`));
  }

  private async openNewPartitions(info: TopicInfo, from: number, to: number): Promise<void> {
    const config = this.resolveConfig(info.configs);
    for (let p = from; p < to; p++) {
      const dir = joinPath(this.dataDir, partitionKey(info.name, p));
      await this.fs.rmrf(dir); // leftovers of an interrupted delete of a same-named topic
      await this.fs.mkdir(dir);
      await this.writePartitionMetadata(dir, info.topicId);
    }
    await this.fs.syncDir(this.dataDir);
    for (let p = from; p < to; p++) {
      const log = await this.openLog(info, p, config, { hadCleanShutdown: true, recoveryPoint: 0, logStartOffset: 0 });
      this.logsByKey.set(partitionKey(info.name, p), log);
    }
    this.shareTailCaches();
  }

  /**
   * After openNewPartitions failed: closes the logs it opened, removes their
   * directories and rewrites the topic file without them, as far as the disk
   * lets us (a start deletes directories of partitions the topic file lacks).
   */
  private async undoNewPartitions(name: string, from: number, to: number): Promise<void> {
    for (let p = from; p < to; p++) {
      const key = partitionKey(name, p);
      const log = this.logsByKey.get(key);
      this.logsByKey.delete(key);
      await log?.discard().catch(() => undefined);
      await this.fs.rmrf(joinPath(this.dataDir, key)).catch(() => undefined);
    }
    await this.writeTopicsFile().catch((e: unknown) => this.logger.error({ err: e, topic: name }, 'cannot undo a failed topic change in the topic file'));
  }

  private async writePartitionMetadata(dir: string, topicId: string): Promise<void> {
    await writeFileAtomic(this.fs, joinPath(dir, PARTITION_METADATA_FILE), Buffer.from(`version: 0\ntopic_id: ${uuidToBase64(topicId)}\n`));
  }

  private openLog(
    info: TopicInfo,
    partition: number,
    config: LogConfig,
    load: { hadCleanShutdown: boolean; recoveryPoint: number; logStartOffset: number },
  ): Promise<PartitionLog> {
    return PartitionLog.open({
      fs: this.fs,
      dir: joinPath(this.dataDir, partitionKey(info.name, partition)),
      topic: info.name,
      partition,
      config,
      logger: this.logger,
      clock: this.clock,
      tailCacheBytes: this.tailCacheShare(this.logsByKey.size + 1),
      decompress: this.decompress,
      producerIdExpirationMs: this.producerIdExpirationMs,
      ...load,
      onLogStartOffsetChanged: () => void this.requestCheckpoint(),
    });
  }

  // ---- start -----------------------------------------------------------------------------------

  private async load(): Promise<void> {
    const fs = this.fs;
    await mkdirDurable(fs, this.dataDir);
    const raw = await readFileIfExists(fs, joinPath(this.dataDir, TOPICS_FILE));
    if (raw !== undefined) {
      let parsed: TopicsFile;
      try {
        parsed = JSON.parse(raw.toString('utf8')) as TopicsFile;
      } catch (e) {
        throw new Error(`${joinPath(this.dataDir, TOPICS_FILE)} is not valid JSON; refusing to start`, { cause: e });
      }
      if (parsed.version !== 1 || !Array.isArray(parsed.topics)) throw new Error(`${TOPICS_FILE}: unsupported version`);
      for (const t of parsed.topics) this.topicsByName.set(t.name, { name: t.name, topicId: t.topicId, partitions: t.partitions, configs: t.configs ?? {} });
    }
    const markerPath = joinPath(this.dataDir, CLEAN_SHUTDOWN_FILE);
    this._hadCleanShutdown = await fs.exists(markerPath);
    // No topics file and no marker: nothing was ever stored here, so there is nothing to recover.
    const newDataDirectory = raw === undefined && !this._hadCleanShutdown;
    let recoveryPoints = await readCheckpoint(fs, joinPath(this.dataDir, RECOVERY_POINT_CHECKPOINT));
    if (recoveryPoints === null) {
      this.logger.warn('recovery point checkpoint is malformed; recovering every log from its start');
      recoveryPoints = new Map();
    }
    const logStarts = (await readCheckpoint(fs, joinPath(this.dataDir, LOG_START_OFFSET_CHECKPOINT))) ?? new Map<string, number>();

    // directories of topics that are gone (or were re-created with another id)
    const wanted = new Map<string, TopicInfo>();
    for (const t of this.topicsByName.values()) for (let p = 0; p < t.partitions; p++) wanted.set(partitionKey(t.name, p), t);
    for (const name of await fs.readdir(this.dataDir)) {
      const path = joinPath(this.dataDir, name);
      const st = await fs.stat(path);
      if (!st.isDirectory) continue;
      const t = wanted.get(name);
      if (!t) {
        if (/-\d+$/.test(name) || name.endsWith('-delete')) {
          this.logger.warn({ dir: name }, 'deleting the directory of a partition that no longer exists');
          await fs.rmrf(path);
        }
        continue;
      }
      const meta = await readFileIfExists(fs, joinPath(path, PARTITION_METADATA_FILE));
      const id = meta?.toString('utf8').match(/topic_id:\s*(\S+)/)?.[1];
      if (id !== undefined && id !== uuidToBase64(t.topicId)) {
        this.logger.warn({ dir: name }, 'partition directory belongs to an older topic of the same name; deleting it');
        await fs.rmrf(path);
      }
    }

    const jobs: (() => Promise<void>)[] = [];
    for (const [key, t] of wanted) {
      const partition = Number(key.slice(t.name.length + 1));
      jobs.push(async () => {
        const dir = joinPath(this.dataDir, key);
        if (!(await fs.exists(joinPath(dir, PARTITION_METADATA_FILE)))) {
          await fs.mkdir(dir);
          await this.writePartitionMetadata(dir, t.topicId);
          await fs.syncDir(this.dataDir);
        }
        const log = await this.openLog(t, partition, this.resolveConfig(t.configs), {
          hadCleanShutdown: this._hadCleanShutdown,
          recoveryPoint: recoveryPoints.get(key) ?? 0,
          logStartOffset: logStarts.get(key) ?? 0,
        });
        this.logsByKey.set(key, log);
      });
    }
    for (let i = 0; i < jobs.length; i += LOAD_CONCURRENCY) await Promise.all(jobs.slice(i, i + LOAD_CONCURRENCY).map((j) => j()));
    this.shareTailCaches();

    if (this._hadCleanShutdown) {
      await fs.unlink(markerPath);
      await fs.syncDir(this.dataDir);
    }
    await this.checkpoint();
    const start = newDataDirectory ? { newDataDirectory: true } : { clean: this._hadCleanShutdown };
    this.logger.info({ topics: this.topicsByName.size, partitions: this.logsByKey.size, ...start }, 'logs loaded');
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
    return this.serialized(async () => {
      if (this.closed) return;
      this.closed = true;
      let clean = true;
      for (const log of this.logsByKey.values()) clean = (await log.close()) && clean;
      await this.writeCheckpoints();
      if (clean) {
        await writeFileAtomic(this.fs, joinPath(this.dataDir, CLEAN_SHUTDOWN_FILE), Buffer.from(`{"version":0,"closedAt":${this.clock.now()}}\n`));
      } else this.logger.warn('some logs did not close cleanly; no clean-shutdown marker');
      this.logger.info({ clean }, 'log manager closed');
    });
  }
}
