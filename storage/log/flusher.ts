// The flusher of one log: fsync batching (group commit). At most one fsync
// round in flight; a round covers everything written before it started, so all
// durability waiters up to that offset resolve together, however many producers
// they came from. Policies (log-config.ts): flush.messages (the log requests a
// flush up to the append that crossed it), flush.ms (the timer here), segment
// roll (the log requests a flush of the rolled segment), and
// flush.mode=group-commit (flush whenever anything written is unflushed). A
// failed fsync rejects the durability waiters that round was to cover with
// KAFKA_STORAGE_ERROR; later ones wait for a retry shortly after.
//
// State owned here: the durable offset (Kafka's recovery point), the flush
// target, whether the directory has names to fsync, the durability waiters.

import { storageError } from '../errors.js';
import type { FileSystem } from '../fs.js';
import type { LogConfig } from '../log-config.js';
import type { Clock, Logger } from '../logger.js';
import type { Segment } from '../segment.js';
import { OffsetWaiters } from './offset-waiters.js';
import type { LogSegments } from './segments.js';

/** Pause before an fsync that failed is tried again for the appends it did not cover. */
const FLUSH_RETRY_MS = 10;
/** Longest timer Node accepts; longer flush.ms values mean "never". */
export const MAX_TIMER_MS = 0x7fffffff;

export interface FlusherHost {
  readonly name: string;
  readonly fs: FileSystem;
  readonly dir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly segments: LogSegments;
  readonly stats: { fsyncs: number };
  config(): LogConfig;
  /** Offsets below this are in the files (page cache). */
  writtenOffset(): number;
  /** group-commit mode: offsets below `durable` are fsynced and become visible. */
  onGroupCommitted(durable: number): void;
}

export class Flusher {
  /** Offsets below this are fsynced. */
  durableOffset = 0;
  /** A create, rename or unlink in the directory awaits its fsync. */
  dirDirty = false;
  lastFlushMs = 0;
  private target = 0;
  private flushing = false;
  private idleWaiters: (() => void)[] = [];
  private readonly waiters = new OffsetWaiters();
  private timer: { cancel(): void } | null = null;

  constructor(private readonly host: FlusherHost) {}

  /** After a load: everything up to the log end is durable. */
  reset(logEnd: number, dirDirty: boolean): void {
    this.durableOffset = logEnd;
    this.target = logEnd;
    this.dirDirty = dirDirty;
    this.lastFlushMs = this.host.clock.now();
  }

  /** Forgets the flush target (a reload starts over). */
  clearTarget(): void {
    this.target = 0;
    this.dirDirty = false;
  }

  /** Flushes up to `upTo` (or as far as written) soon. */
  request(upTo: number): void {
    if (upTo > this.target) this.target = upTo;
    this.kick();
  }

  /** Called after each write: group commit flushes at once, a pending request resumes. */
  afterWrite(): void {
    if (this.host.config().flushMode === 'group-commit' || this.target > this.durableOffset) this.kick();
  }

  /** flush.ms: flushes the log end `flushMs` after the first unflushed append (interval mode). */
  armTimer(logEnd: () => number): void {
    const cfg = this.host.config();
    if (cfg.flushMode === 'group-commit' || this.timer !== null || cfg.flushMs >= MAX_TIMER_MS) return;
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = null;
      this.request(logEnd());
    }, cfg.flushMs);
  }

  cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** Resolves once every offset below `end` is fsynced; starts a flush if none would come. */
  waitForDurable(end: number): Promise<void> {
    if (end <= this.durableOffset) return Promise.resolve();
    const p = this.waiters.add(end);
    this.request(end);
    return p;
  }

  rejectAll(e: Error): void {
    this.waiters.rejectAll(e);
  }

  /** Resolves when no fsync round runs. */
  waitIdle(): Promise<void> {
    if (!this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    if (this.flushing) return;
    void this.loop();
  }

  private async loop(): Promise<void> {
    const host = this.host;
    this.flushing = true;
    let attempted = this.durableOffset;
    try {
      for (;;) {
        const groupCommit = host.config().flushMode === 'group-commit';
        const written = host.writtenOffset();
        const want = groupCommit ? written : Math.min(this.target, written);
        if (want <= this.durableOffset) break;
        // capture, in one synchronous step, what this round covers
        const covered = written;
        const work: { seg: Segment; size: number }[] = [];
        for (const s of host.segments.all) {
          if (s.baseOffset >= covered) break;
          if (s.syncedSize < s.writtenSize && s.fileExists) work.push({ seg: s, size: s.writtenSize });
        }
        attempted = covered;
        for (const { seg, size } of work) {
          seg.acquire();
          try {
            if (seg.isRetired) continue; // deleted by retention meanwhile
            await seg.withFile((fh) => fh.sync());
          } finally {
            seg.release();
          }
          host.stats.fsyncs++;
          if (size > seg.syncedSize) seg.syncedSize = size;
        }
        if (this.dirDirty) {
          this.dirDirty = false;
          try {
            await host.fs.syncDir(host.dir);
          } catch (e) {
            this.dirDirty = true;
            throw e;
          }
        }
        if (covered > this.durableOffset) this.durableOffset = covered;
        this.lastFlushMs = host.clock.now();
        if (host.config().flushMode === 'group-commit') {
          for (const { seg, size } of work) if (size > seg.visibleSize) seg.visibleSize = size;
          host.onGroupCommitted(this.durableOffset);
        }
        this.waiters.resolveUpTo(this.durableOffset);
      }
    } catch (e) {
      // Only the appends this fsync was to cover fail; later ones wait for the retry.
      host.logger.error({ err: e, upTo: attempted }, 'fsync failed; rejecting the durability waiters it covered');
      this.target = this.durableOffset;
      this.waiters.rejectUpTo(attempted, storageError(`fsync of ${host.name} failed`, e));
      if (this.waiters.size > 0) {
        host.clock.setTimeout(() => this.request(host.writtenOffset()), FLUSH_RETRY_MS);
      }
    } finally {
      this.flushing = false;
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }
}
