// Open segment files as a budget: at most `limit` handles open at once across
// every log that shares the pool, least recently used closed first. A file is
// opened on its first use and reopened transparently after it was closed. A
// handle is pinned while an operation runs on it, and its owner may refuse
// eviction while it is busy (a reader holding the segment), so nothing in
// flight ever loses its handle. When every open handle is pinned the pool goes
// over the limit rather than fail, and warns (at most once a minute).
//
// Closing a handle with unsynced writes loses nothing: the bytes are in the
// page cache, and an fsync through a later handle makes them durable (fsync
// works on the file, not on the descriptor).

import { readFileSync } from 'node:fs';
import type { FileHandle, FileSystem, OpenMode } from './fs.js';
import type { Logger } from './logger.js';

export interface PoolOwner {
  /** False while the owner relies on its handle staying open (reads in flight). */
  evictable(): boolean;
}

interface Entry {
  fh: Promise<FileHandle>;
  /** The handle once opened (for synchronous use). */
  ready?: FileHandle;
  pins: number;
  path: string;
}

const WARN_EVERY_MS = 60_000;

export class HandlePool {
  /** Insertion order is recency: the first entry is the least recently used. */
  private readonly entries = new Map<PoolOwner, Entry>();
  private lastWarnMs = -Infinity;
  /** Counters for tests and the report: opens, closes by eviction, peak open handles. */
  readonly stats = { opens: 0, evictions: 0, peak: 0 };

  constructor(
    private readonly fs: FileSystem,
    readonly limit: number,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit >= 1)) throw new RangeError(`the open file limit must be at least 1, got ${limit}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Runs `fn` with `owner`'s file open (opening it with `mode` if needed), pinned meanwhile. */
  async use<T>(owner: PoolOwner, path: string, mode: OpenMode, fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    let e = this.entries.get(owner);
    if (e) {
      this.entries.delete(owner);
      this.entries.set(owner, e);
    } else {
      this.makeRoom(); // synchronous with the insert below, so concurrent opens cannot overshoot
      {
        const entry: Entry = { fh: this.fs.open(path, mode), pins: 0, path };
        e = entry;
        this.entries.set(owner, entry);
        this.stats.opens++;
        if (this.entries.size > this.stats.peak) this.stats.peak = this.entries.size;
        entry.fh.then(
          (fh) => (entry.ready = fh),
          () => {
            if (this.entries.get(owner) === entry) this.entries.delete(owner);
          },
        );
      }
    }
    e.pins++;
    try {
      return await fn(await e.fh);
    } finally {
      e.pins--;
    }
  }

  /** Runs `fn` synchronously on `owner`'s handle if it is open already; undefined (nothing run) otherwise. */
  useSync<T>(owner: PoolOwner, fn: (fh: FileHandle) => T): T | undefined {
    const e = this.entries.get(owner);
    if (!e?.ready) return undefined;
    this.entries.delete(owner);
    this.entries.set(owner, e);
    e.pins++;
    try {
      return fn(e.ready);
    } finally {
      e.pins--;
    }
  }

  /** Whether `owner` has a handle open right now. */
  isOpen(owner: PoolOwner): boolean {
    return this.entries.has(owner);
  }

  /** Closes `owner`'s handle if it has one (its operations in flight finish first on their own handle). */
  async close(owner: PoolOwner): Promise<void> {
    const e = this.entries.get(owner);
    if (!e) return;
    this.entries.delete(owner);
    await this.closeEntry(e);
  }

  private makeRoom(): void {
    if (this.entries.size < this.limit) return;
    for (const [owner, e] of this.entries) {
      if (this.entries.size < this.limit) return;
      if (e.pins > 0 || !owner.evictable()) continue;
      this.entries.delete(owner);
      this.stats.evictions++;
      void this.closeEntry(e);
    }
    if (this.entries.size >= this.limit && this.now() - this.lastWarnMs >= WARN_EVERY_MS) {
      this.lastWarnMs = this.now();
      this.logger?.warn({ open: this.entries.size, limit: this.limit }, 'every open segment file is in use; going over log.max.open.files');
    }
  }

  private async closeEntry(e: Entry): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await e.fh;
    } catch {
      return; // never opened
    }
    // a handle still pinned closes once its operations are done
    while (e.pins > 0) await new Promise((r) => setImmediate(r));
    await fh.close().catch((err: unknown) => this.logger?.warn({ err, file: e.path }, 'closing a segment file failed'));
  }
}

/**
 * The default budget: half the process's soft open-file limit (Linux
 * /proc/self/limits; 1024 where it cannot be read), leaving the other half to
 * sockets, directory fsyncs and the files written in passing.
 */
export function defaultOpenFileLimit(limits = (): string => readFileSync('/proc/self/limits', 'utf8')): number {
  let soft = 1024;
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits());
    if (m) soft = m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  } catch {
    // not Linux: keep the common default
  }
  return Math.max(16, Math.floor(soft / 2));
}
