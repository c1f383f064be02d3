// One log segment: `<base>.log` with the batches exactly as appended, and its
// sparse `.index` / `.timeindex` (see indexes.ts). The segment knows its
// files and sizes; the order of writes, syncs and rolls is PartitionLog's.
// Its `.log` handle comes from the data directory's HandlePool on each use
// (handle-pool.ts), so an idle segment holds no file descriptor.
//
// Sizes, in bytes from the start of the file, each <= the previous:
//   size         assigned to batches (some may still be queued for writing)
//   writtenSize  in the file (page cache)
//   syncedSize   fsynced
//   visibleSize  below the high watermark (what reads may return)
//
// Index trust: indexes built in this process (append, recovery) are kept in
// memory and are authoritative. Indexes read from files (a segment loaded after
// a clean shutdown or below the recovery point) pass a structural check when
// loaded, and every look-up is re-checked against the batch header it lands on;
// any mismatch rebuilds both indexes from the log.

import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  MIN_BATCH_LENGTH,
  OFF_LAST_OFFSET_DELTA,
  OFF_LENGTH,
  OFF_MAGIC,
  OFF_MAX_TIMESTAMP,
  batchCrcMatches,
  readInt64,
} from './batch.js';
import type { AbortedTxn } from './txn-index.js';
import { joinPath, isNotFound, type FileHandle, type FileSystem } from './fs.js';
import type { HandlePool } from './handle-pool.js';
import { OffsetIndex, TimeIndex, OFFSET_ENTRY_SIZE, TIME_ENTRY_SIZE } from './indexes.js';
import type { Logger } from './logger.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const SNAPSHOT_SUFFIX = '.producer-snapshot';
export const TXN_INDEX_SUFFIX = '.txnindex';
/**
 * Kafka's suffixes after the file kind for a segment being swapped in by the
 * cleaner: written as `.cleaned`, renamed `.swap` once complete, and the
 * replaced segments' files renamed `.deleted` until they are unlinked.
 */
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
export const DELETED_SUFFIX = '.deleted';
export type FileSuffix = '' | typeof CLEANED_SUFFIX | typeof SWAP_SUFFIX | typeof DELETED_SUFFIX;
const INT32_MAX = 0x7fffffff;

/** Kafka's file name for an offset: 20 digits, zero padded. */
export function offsetFileName(offset: number, suffix: string): string {
  return String(offset).padStart(20, '0') + suffix;
}

export function parseOffsetFileName(name: string, suffix: string): number | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const digits = name.slice(0, name.length - suffix.length);
  if (!/^\d{20}$/.test(digits)) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}

export interface SegmentEnv {
  fs: FileSystem;
  dir: string;
  logger: Logger;
  /** Where the `.log` file's handle comes from (opened on demand, under a budget). */
  files: HandlePool;
  /** Open read-only (offline tools). */
  readOnly?: boolean;
}

/** Visitor for `scan`: return a string to stop with that problem, true to stop quietly. */
export type BatchVisitor = (buf: Buffer, at: number, filePos: number, size: number) => string | boolean | void;

export interface ScanResult {
  /** File position where the scan stopped (the start of the first batch not accepted). */
  end: number;
  /** Why it stopped early (torn tail, corruption, visitor's objection), or null. */
  problem: string | null;
}

export class Segment {
  /** The `.log` file exists (it is created by the first write to a new segment). */
  fileExists = false;
  size = 0;
  writtenSize = 0;
  syncedSize = 0;
  visibleSize = 0;
  nextOffset: number;
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** maxTimestamp of the first batch (segment.ms rolls count from it), -1 if unknown. */
  rollingBaseTimestamp = -1;
  createdMs = 0;
  lastModifiedMs = 0;
  bytesSinceLastIndexEntry = 0;
  offsetIndex: OffsetIndex | null = null;
  timeIndex: TimeIndex | null = null;
  /** No more appends go here (a newer segment exists). */
  sealed = false;
  /** The index files on disk match the in-memory indexes (and were fsynced). */
  indexFilesCurrent = false;
  /** Producer-state snapshot to write as `<nextOffset>.producer-snapshot` when sealed. */
  pendingSnapshot: Buffer | null = null;
  /** The aborted transactions whose marker is in this segment (txn-index.ts), in marker order. */
  abortedTxns: AbortedTxn[] = [];
  /** How many of `abortedTxns` are in the `.txnindex` file. */
  abortedTxnsOnDisk = 0;
  private refs = 1;
  private retired = false;
  private indexLoad: Promise<void> | null = null;

  constructor(
    private readonly env: SegmentEnv,
    readonly baseOffset: number,
    /** Appended to every file name of the segment (see CLEANED_SUFFIX). */
    private suffix: FileSuffix = '',
  ) {
    this.nextOffset = baseOffset;
  }

  get fileSuffix(): FileSuffix {
    return this.suffix;
  }
  get logPath(): string {
    // asked on every write and fsync: built once per suffix
    if (this.logPathFor !== this.suffix) {
      this.logPathCache = this.path(LOG_SUFFIX);
      this.logPathFor = this.suffix;
    }
    return this.logPathCache;
  }
  private logPathCache = '';
  private logPathFor: FileSuffix | null = null;
  get indexPath(): string {
    return this.path(INDEX_SUFFIX);
  }
  get timeIndexPath(): string {
    return this.path(TIME_INDEX_SUFFIX);
  }
  get txnIndexPath(): string {
    return this.path(TXN_INDEX_SUFFIX);
  }

  private path(kind: string): string {
    return joinPath(this.env.dir, offsetFileName(this.baseOffset, kind) + this.suffix);
  }

  /**
   * Renames the segment's files from the current suffix to `to` (Kafka's
   * changeFileSuffixes); files that do not exist (an empty `.txnindex`) are
   * skipped. Open handles keep working; the caller fsyncs the directory.
   */
  async changeFileSuffix(to: FileSuffix): Promise<void> {
    const from = [this.logPath, this.indexPath, this.timeIndexPath, this.txnIndexPath];
    const old = this.suffix;
    this.suffix = to;
    const dest = [this.logPath, this.indexPath, this.timeIndexPath, this.txnIndexPath];
    try {
      for (let i = 0; i < from.length; i++) {
        if (await this.env.fs.exists(from[i]!)) await this.env.fs.rename(from[i]!, dest[i]!);
      }
    } catch (e) {
      // some files may have moved: the loader's rules for leftover suffixes repair the directory
      this.suffix = old;
      throw e;
    }
  }

  /**
   * Offsets only grow from batch to batch; they may skip ahead in any log (a
   * log compacted once keeps its gaps whatever its policy becomes), as Kafka
   * allows. A base offset below the previous batch's end (rot outside the
   * CRC) is caught; one that rotted upwards cannot be told from a gap.
   */
  private follows(base: number, expected: number): boolean {
    return base >= expected;
  }

  // ---- lifetime ------------------------------------------------------------------

  acquire(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0) void this.env.files.close(this);
  }

  /** Runs `fn` holding a reference (so a concurrent deletion does not close the file under it). */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Drops the log's own reference: the file closes once in-flight reads finish. */
  retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.release();
  }

  get isRetired(): boolean {
    return this.retired;
  }

  /** For the handle pool: the handle may be closed when only the log holds the segment. */
  evictable(): boolean {
    return this.refs <= 1;
  }

  /** Runs `fn` with the `.log` file open (from the pool; created if missing). */
  withFile<T>(fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    if (this.retired && !this.env.files.isOpen(this)) return Promise.reject(new Error(`${this.logPath}: segment was deleted`));
    return this.env.files.use(this, this.logPath, this.env.readOnly ? 'r' : 'rw', fn);
  }

  /** Writes `bufs` at `position` synchronously if the `.log` file is open and its handle can; false when it did not write. */
  writevSync(bufs: readonly Buffer[], position: number): boolean {
    if (this.retired) return false;
    return this.env.files.useSync(this, (fh) => {
      if (!fh.writevSync) return false;
      fh.writevSync(bufs, position);
      return true;
    }) ?? false;
  }

  /** Removes the segment's files (open handles keep reading until released). */
  async deleteFiles(): Promise<void> {
    this.retire();
    await this.env.fs.unlink(this.logPath);
    await this.env.fs.unlink(this.indexPath);
    await this.env.fs.unlink(this.timeIndexPath);
    await this.env.fs.unlink(this.txnIndexPath);
  }

  // ---- indexing --------------------------------------------------------------------

  /** Starts empty in-memory indexes (a new segment, or a rebuild). */
  resetIndexes(): void {
    this.offsetIndex = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.bytesSinceLastIndexEntry = 0;
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.indexFilesCurrent = false;
    this.timeIndexTrusted = true;
  }

  /** Installs indexes built by `scanIndexes`. */
  adopt(built: Segment, nextOffset: number): void {
    this.offsetIndex = built.offsetIndex;
    this.timeIndex = built.timeIndex;
    this.maxTimestamp = built.maxTimestamp;
    this.offsetOfMaxTimestamp = built.offsetOfMaxTimestamp;
    this.bytesSinceLastIndexEntry = built.bytesSinceLastIndexEntry;
    this.timeIndexTrusted = true;
    this.indexFilesCurrent = false;
    this.nextOffset = nextOffset;
  }

  /** Accounts one batch appended at `position` (Kafka's LogSegment.append rule). */
  indexBatch(position: number, size: number, lastOffset: number, maxTimestamp: number, indexIntervalBytes: number): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > indexIntervalBytes) {
      this.offsetIndex!.append(lastOffset - this.baseOffset, position);
      if (this.maxTimestamp >= 0) this.timeIndex!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
  }

  /** The time-index entry Kafka adds when a segment stops being active. */
  finalTimeIndexEntry(): void {
    if (this.maxTimestamp >= 0) this.timeIndex!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset);
  }

  isIndexFull(segmentIndexBytes: number): boolean {
    if (!this.offsetIndex || !this.timeIndex) return false;
    return (
      this.offsetIndex.length >= Math.floor(segmentIndexBytes / OFFSET_ENTRY_SIZE) ||
      this.timeIndex.length >= Math.floor(segmentIndexBytes / TIME_ENTRY_SIZE)
    );
  }

  /** Loads the index files if they are not in memory yet (rebuilding them if they fail the check). */
  ensureIndexes(): Promise<void> {
    if (this.offsetIndex && this.timeIndex) return Promise.resolve();
    this.indexLoad ??= this.loadIndexes().finally(() => {
      this.indexLoad = null;
    });
    return this.indexLoad;
  }

  private async loadIndexes(): Promise<void> {
    const maxRel = Math.min(INT32_MAX, Math.max(0, this.nextOffset - 1 - this.baseOffset));
    let problem: string | null = null;
    try {
      const oi = OffsetIndex.parse(await this.env.fs.readFile(this.indexPath), this.writtenSize, maxRel);
      const ti = TimeIndex.parse(await this.env.fs.readFile(this.timeIndexPath), maxRel);
      if (typeof oi === 'string') problem = `offset index: ${oi}`;
      else if (typeof ti === 'string') problem = `time index: ${ti}`;
      else {
        this.offsetIndex = oi;
        this.timeIndex = ti;
        this.indexFilesCurrent = true;
        this.timeIndexTrusted = false;
        if (ti.length > 0 && ti.lastTimestamp() > this.maxTimestamp) {
          this.maxTimestamp = ti.lastTimestamp();
          this.offsetOfMaxTimestamp = this.baseOffset + ti.lastRelOffset();
        }
        return;
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
      problem = 'index file missing';
    }
    this.env.logger.warn({ segment: this.logPath, problem }, 'rebuilding segment indexes');
    await this.rebuildIndexes(this.indexIntervalForRebuild);
  }

  /** index.interval.bytes to use when an index must be rebuilt outside an append. */
  indexIntervalForRebuild = 4096;
  /**
   * False while the time index comes from a file not yet checked against the
   * log: its entries decide where timestamp searches start and which segments
   * retention.ms deletes, which lookups cannot re-check, so the first such use
   * rebuilds it from the batch headers (once per segment and process).
   */
  timeIndexTrusted = true;
  private rebuilding: Promise<void> | null = null;

  /**
   * Rebuilds both indexes and the largest timestamp from the batch headers below
   * writtenSize (for a sealed segment, rewriting the index files if they differ).
   * Requires offsets to follow on from the base offset; throws otherwise.
   * Not for the active segment while appends run.
   */
  rebuildIndexes(indexIntervalBytes: number): Promise<void> {
    this.rebuilding ??= this.doRebuild(indexIntervalBytes).finally(() => {
      this.rebuilding = null;
    });
    return this.rebuilding;
  }

  private async doRebuild(indexIntervalBytes: number): Promise<void> {
    const r = await this.scanIndexes(indexIntervalBytes);
    if (r.problem !== null || r.end !== this.writtenSize) {
      throw new Error(`cannot rebuild indexes of ${this.logPath}: ${r.problem ?? 'short scan'} at ${r.end}`);
    }
    const t = r.built;
    const oldO = this.offsetIndex?.serialize();
    const oldT = this.timeIndex?.serialize();
    this.offsetIndex = t.offsetIndex;
    this.timeIndex = t.timeIndex;
    this.maxTimestamp = t.maxTimestamp;
    this.offsetOfMaxTimestamp = t.offsetOfMaxTimestamp;
    this.bytesSinceLastIndexEntry = t.bytesSinceLastIndexEntry;
    this.timeIndexTrusted = true;
    if (this.sealed) {
      t.finalTimeIndexEntry();
      const sameO = oldO !== undefined && oldO.equals(this.offsetIndex!.serialize());
      const sameT = oldT !== undefined && oldT.equals(this.timeIndex!.serialize());
      if (!(sameO && sameT && this.indexFilesCurrent)) {
        this.env.logger.warn({ segment: this.logPath }, 'index files did not match the log; rewriting them');
        await this.writeIndexFiles();
      }
      this.indexFilesCurrent = true;
    } else this.indexFilesCurrent = false;
  }

  /**
   * Scans the batch headers below writtenSize into fresh indexes (not installed),
   * checking that offsets follow on from the base offset. `nextOffset` is the
   * offset after the last good batch, `end` the position after it.
   */
  async scanIndexes(indexIntervalBytes: number): Promise<{ built: Segment; nextOffset: number; end: number; problem: string | null }> {
    const built = new Segment(this.env, this.baseOffset);
    built.resetIndexes();
    let expected = this.baseOffset;
    const r = await this.scan(0, this.writtenSize, false, (buf, at, filePos, size) => {
      const base = readInt64(buf, at);
      if (!this.follows(base, expected)) return `batch base offset ${base}, expected at least ${expected}`;
      const last = base + buf.readInt32BE(at + OFF_LAST_OFFSET_DELTA);
      if (last - this.baseOffset > INT32_MAX) return 'offset does not fit the segment';
      built.indexBatch(filePos, size, last, readInt64(buf, at + OFF_MAX_TIMESTAMP), indexIntervalBytes);
      expected = last + 1;
      return undefined;
    });
    return { built, nextOffset: expected, end: r.end, problem: r.problem };
  }

  /** Makes sure the time index and largest timestamp were checked against the log (see timeIndexTrusted). */
  async ensureTrustedTimeIndex(indexIntervalBytes: number): Promise<void> {
    await this.ensureIndexes();
    if (!this.timeIndexTrusted) await this.rebuildIndexes(indexIntervalBytes);
  }

  /** Writes both index files in full and fsyncs them. */
  async writeIndexFiles(): Promise<void> {
    await writeAndSync(this.env.fs, this.indexPath, this.offsetIndex!.serialize());
    await writeAndSync(this.env.fs, this.timeIndexPath, this.timeIndex!.serialize());
    this.indexFilesCurrent = true;
  }

  /**
   * Reads the last time-index entry only (for retention and ListOffsets -3 on a
   * segment whose indexes are not loaded). Returns false if the file is missing
   * or malformed, in which case the caller loads (and so rebuilds) the indexes.
   */
  async loadTimeSummary(): Promise<boolean> {
    let fh: FileHandle;
    try {
      fh = await this.env.fs.open(this.timeIndexPath, 'r');
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    try {
      const size = await fh.size();
      if (size % TIME_ENTRY_SIZE !== 0) return false;
      if (size === 0) return this.writtenSize === 0;
      const b = Buffer.alloc(TIME_ENTRY_SIZE);
      await fh.read(b, 0, TIME_ENTRY_SIZE, size - TIME_ENTRY_SIZE);
      const ts = readInt64(b, 0);
      const rel = b.readInt32BE(8);
      if (ts < 0 || rel < 0 || this.baseOffset + rel >= this.nextOffset) return false;
      this.maxTimestamp = ts;
      this.offsetOfMaxTimestamp = this.baseOffset + rel;
      this.timeIndexTrusted = false;
      return true;
    } finally {
      await fh.close();
    }
  }

  // ---- reading -------------------------------------------------------------------------

  /**
   * Walks the batches in [from, to) in chunked reads of about `chunkBytes`.
   * With `verifyCrc` every batch is read whole and checked (length, magic, CRC);
   * without, only headers are guaranteed to be in `buf` (the body may not be).
   */
  async scan(from: number, to: number, verifyCrc: boolean, visit: BatchVisitor, chunkBytes = 1 << 20): Promise<ScanResult> {
    if (from >= to) return { end: from, problem: null };
    return this.withFile((fh) => this.scanWith(fh, from, to, verifyCrc, visit, chunkBytes));
  }

  private async scanWith(fh: FileHandle, from: number, to: number, verifyCrc: boolean, visit: BatchVisitor, chunkBytes: number): Promise<ScanResult> {
    let chunk = Buffer.alloc(0);
    let chunkStart = from;
    let pos = from;
    const load = async (at: number, want: number): Promise<void> => {
      const n = Math.min(Math.max(want, chunkBytes), to - at);
      const b = Buffer.allocUnsafe(n);
      const got = await fh.read(b, 0, n, at);
      chunk = b.subarray(0, got);
      chunkStart = at;
    };
    while (pos < to) {
      if (to - pos < BATCH_HEADER_SIZE) return { end: pos, problem: 'partial batch header' };
      if (pos + BATCH_HEADER_SIZE > chunkStart + chunk.length) await load(pos, BATCH_HEADER_SIZE);
      if (pos + BATCH_HEADER_SIZE > chunkStart + chunk.length) return { end: pos, problem: 'partial batch header' };
      let at = pos - chunkStart;
      const length = chunk.readInt32BE(at + OFF_LENGTH);
      if (length < MIN_BATCH_LENGTH) return { end: pos, problem: `batch length ${length}` };
      const magic = chunk[at + OFF_MAGIC];
      if (magic !== 2) return { end: pos, problem: `magic ${magic}` };
      const size = LOG_OVERHEAD + length;
      if (pos + size > to) return { end: pos, problem: 'partial batch' };
      if (chunk.readInt32BE(at + OFF_LAST_OFFSET_DELTA) < 0) return { end: pos, problem: 'negative lastOffsetDelta' };
      if (verifyCrc) {
        if (pos + size > chunkStart + chunk.length) {
          await load(pos, size);
          at = 0;
          if (chunk.length < size) return { end: pos, problem: 'partial batch' };
        }
        if (!batchCrcMatches(chunk, at, size)) return { end: pos, problem: 'CRC mismatch' };
      }
      const v = visit(chunk, at, pos, size);
      if (typeof v === 'string') return { end: pos, problem: v };
      if (v === true) return { end: pos, problem: null };
      pos += size;
    }
    return { end: pos, problem: null };
  }

  /**
   * Position of the batch holding `offset` (or of the first batch after it),
   * searching below `upper`; `upper` if none. Re-checks the index entry used
   * against the batch it points at, rebuilding the indexes once on a mismatch.
   */
  async findPosition(offset: number, upper: number, indexIntervalBytes: number): Promise<number> {
    return (await this.locate(offset, upper, indexIntervalBytes)).position;
  }

  /**
   * `findPosition`, plus the base offset the batch there must have: the scan
   * checks that the index entry names the last offset of the batch it points at
   * and that offsets follow on from there (or from the segment's base offset),
   * so a reader can tell a batch whose (CRC-less) base offset rotted backwards.
   */
  async locate(offset: number, upper: number, indexIntervalBytes: number): Promise<{ position: number; base: number }> {
    await this.ensureIndexes();
    for (let attempt = 0; ; attempt++) {
      const idx = this.offsetIndex!;
      const i = idx.floor(offset - this.baseOffset);
      const start = i >= 0 ? idx.positionAt(i) : 0;
      const claimed = i >= 0 ? this.baseOffset + idx.relOffsetAt(i) : -1;
      let found = upper;
      let expected = claimed >= 0 ? -1 : this.baseOffset;
      const r = await this.scan(
        Math.min(start, upper),
        upper,
        false,
        (buf, at, filePos) => {
          const base = readInt64(buf, at);
          const last = base + buf.readInt32BE(at + OFF_LAST_OFFSET_DELTA);
          if (expected < 0) {
            if (last !== claimed) return 'index entry does not match the batch it points at';
          } else if (!this.follows(base, expected)) return `batch base offset ${base}, expected at least ${expected}`;
          expected = base;
          if (last >= offset) {
            found = filePos;
            return true;
          }
          expected = last + 1;
          return undefined;
        },
        16 * 1024,
      );
      if (r.problem === null) return { position: found, base: expected };
      if (attempt > 0 || (i < 0 && start === 0)) throw new Error(`${this.logPath}: ${r.problem} at position ${r.end}`);
      this.env.logger.warn({ segment: this.logPath, problem: r.problem, position: r.end }, 'index look-up failed its check; rebuilding indexes');
      await this.rebuildIndexes(indexIntervalBytes);
    }
  }

  /**
   * Whole batches starting at `position`, at most `maxBytes` in total and below
   * `upper`; with `minOneBatch` the first batch is returned even if larger.
   */
  async readBatches(position: number, maxBytes: number, upper: number, minOneBatch: boolean): Promise<Buffer[]> {
    if (position >= upper) return [];
    return this.withFile((fh) => this.readBatchesWith(fh, position, maxBytes, upper, minOneBatch));
  }

  private async readBatchesWith(fh: FileHandle, position: number, maxBytes: number, upper: number, minOneBatch: boolean): Promise<Buffer[]> {
    const avail = upper - position;
    let want = Math.min(avail, maxBytes);
    if (want < LOG_OVERHEAD) want = minOneBatch ? Math.min(avail, BATCH_HEADER_SIZE) : 0;
    if (want <= 0) return [];
    let buf = Buffer.allocUnsafe(want);
    const got = await fh.read(buf, 0, want, position);
    buf = buf.subarray(0, got);
    const out: Buffer[] = [];
    let p = 0;
    while (p + LOG_OVERHEAD <= buf.length) {
      const size = LOG_OVERHEAD + buf.readInt32BE(p + OFF_LENGTH);
      if (size < BATCH_HEADER_SIZE) throw new Error(`${this.logPath}: bad batch length at ${position + p}`);
      if (p + size > buf.length) break;
      out.push(buf.subarray(p, p + size));
      p += size;
    }
    if (out.length === 0 && minOneBatch && buf.length >= LOG_OVERHEAD) {
      const size = LOG_OVERHEAD + buf.readInt32BE(OFF_LENGTH);
      if (size < BATCH_HEADER_SIZE || size > avail) throw new Error(`${this.logPath}: bad batch length at ${position}`);
      const whole = Buffer.allocUnsafe(size);
      const n = await fh.read(whole, 0, size, position);
      if (n !== size) throw new Error(`${this.logPath}: short read at ${position}`);
      out.push(whole);
    }
    return out;
  }

  // ---- recovery ------------------------------------------------------------------------

  /**
   * Kafka's LogSegment.recover: validates every batch (length, magic 2, CRC32C,
   * offsets growing from `baseOffset`, gaps allowed, relative offsets that
   * fit an int32), rebuilds the indexes in memory, and truncates the file at the
   * first bad byte. Returns the number of bytes cut off.
   */
  async recover(indexIntervalBytes: number): Promise<number> {
    this.resetIndexes();
    let expected = this.baseOffset;
    const fileSize = this.writtenSize;
    const r = await this.scan(0, fileSize, true, (buf, at, filePos, size) => {
      const base = readInt64(buf, at);
      if (!this.follows(base, expected)) return `batch base offset ${base}, expected at least ${expected}`;
      const last = base + buf.readInt32BE(at + OFF_LAST_OFFSET_DELTA);
      if (last - this.baseOffset > INT32_MAX) return 'offset does not fit the segment';
      this.indexBatch(filePos, size, last, readInt64(buf, at + OFF_MAX_TIMESTAMP), indexIntervalBytes);
      expected = last + 1;
      return undefined;
    });
    this.nextOffset = expected;
    const cut = fileSize - r.end;
    if (cut > 0) {
      this.env.logger.warn({ segment: this.logPath, position: r.end, bytes: cut, problem: r.problem }, 'truncating invalid bytes at the end of the segment');
      await this.withFile((fh) => fh.truncate(r.end));
    }
    this.size = this.writtenSize = this.visibleSize = r.end;
    this.syncedSize = Math.min(this.syncedSize, r.end);
    return cut;
  }
}

async function writeAndSync(fs: FileSystem, path: string, data: Buffer): Promise<void> {
  const fh = await fs.open(path, 'rw-truncate');
  try {
    if (data.length > 0) await fh.writev([data], 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export { writeAndSync };
