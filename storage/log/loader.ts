// Loading one log from its directory (Kafka's LogLoader).
//
// Clean shutdown: trust the segments (reads check them), load indexes lazily
//   (checked), find the end of the last segment by a header scan (the segment a
//   crash could have left stale).
// Unclean: from the segment holding the recovery point on, check every batch
//   (length, magic, CRC32C, offsets that only grow: compaction leaves gaps),
//   truncate at the first bad byte and then delete every later segment (also
//   when a segment's offsets run into the next one's), rebuild indexes, fsync.
// Leftovers of a segment swap (log/segments.ts, replaceSegments), first, by
//   Kafka's rules: `.deleted` files are deleted; `.cleaned` files (an
//   unfinished swap) are deleted with every `.swap` file at or above the lowest
//   `.cleaned` offset; the remaining `.swap` segments are a committed swap:
//   every other file whose offset lies in their range [base, next offset) is
//   deleted (the old segments), and the `.swap` files lose their suffix.
// Producer state: newest valid snapshot at or below the log end (and at or
//   below the first segment whose transaction index is rebuilt), then the batch
//   headers after it. Transaction indexes: read, or rebuilt by that replay for
//   every segment recovered or whose file is damaged.

import { LOG_OVERHEAD, MIN_BATCH_LENGTH, OFF_LAST_OFFSET_DELTA, OFF_MAX_TIMESTAMP, OFF_PRODUCER_ID, readInt64, readProducerInfo } from '../batch.js';
import { readEndTxnMarker } from '../control-batch.js';
import { storageError } from '../errors.js';
import { isNotFound, joinPath, mkdirDurable } from '../fs.js';
import type { LogConfig } from '../log-config.js';
import type { Clock } from '../logger.js';
import type { ProducerStateManager } from '../producer-state.js';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  SNAPSHOT_SUFFIX,
  SWAP_SUFFIX,
  Segment,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  parseOffsetFileName,
  type SegmentEnv,
} from '../segment.js';
import { abortedTxnEntry, readTxnIndex, writeTxnIndex } from '../txn-index.js';
import type { ProducerSnapshots } from './snapshots.js';

export interface LoadParams {
  env: SegmentEnv;
  config: LogConfig;
  clock: Clock;
  producers: ProducerStateManager;
  snapshots: ProducerSnapshots;
  /** The clean-shutdown marker was there. */
  hadCleanShutdown: boolean;
  /** Offsets below this were fsynced (recovery-point checkpoint). */
  recoveryPoint: number;
  /** The log start offset checkpoint. */
  logStartOffset: number;
}

export interface LoadedLog {
  /** The segments, oldest first; the last one is active (unsealed, indexes in memory). */
  segments: Segment[];
  logStartOffset: number;
  logEndOffset: number;
  /** A name in the directory still awaits its fsync. */
  dirDirty: boolean;
  /**
   * The directory is as a clean close left it at this log end: the active
   * segment's index files and a producer snapshot at the log end are there, so
   * a close with nothing appended since need not write them again.
   */
  closedCleanly: boolean;
}

/** Loads the log in `env.dir` (creating the directory if needed); fills `producers` and `snapshots`. */
export async function loadLog(p: LoadParams): Promise<LoadedLog> {
  const { env, config: cfg, producers } = p;
  const { fs, dir, logger } = env;
  let dirDirty = false;
  const names = await recoverSwaps(env);
  const bases: number[] = [];
  const snapshots: number[] = [];
  const indexFiles: { name: string; base: number }[] = [];
  for (const name of names) {
    const logBase = parseOffsetFileName(name, LOG_SUFFIX);
    if (logBase !== undefined) {
      bases.push(logBase);
      continue;
    }
    const snap = parseOffsetFileName(name, SNAPSHOT_SUFFIX);
    if (snap !== undefined) {
      snapshots.push(snap);
      continue;
    }
    const idx = parseOffsetFileName(name, INDEX_SUFFIX) ?? parseOffsetFileName(name, TIME_INDEX_SUFFIX) ?? parseOffsetFileName(name, TXN_INDEX_SUFFIX);
    if (idx !== undefined) indexFiles.push({ name, base: idx });
  }
  bases.sort((a, b) => a - b);
  const baseSet = new Set(bases);
  for (const f of indexFiles) {
    if (!baseSet.has(f.base)) {
      logger.warn({ file: f.name }, 'deleting an index file without its log file');
      await fs.unlink(joinPath(dir, f.name));
    }
  }

  const segs: Segment[] = [];
  for (const base of bases) {
    const seg = new Segment(env, base);
    seg.indexIntervalForRebuild = cfg.indexIntervalBytes;
    seg.fileExists = true;
    const st = await fs.stat(seg.logPath);
    seg.size = seg.writtenSize = seg.syncedSize = seg.visibleSize = st.size;
    seg.lastModifiedMs = st.mtimeMs;
    seg.createdMs = st.mtimeMs;
    seg.sealed = true;
    seg.indexFilesCurrent = true;
    segs.push(seg);
  }
  for (let i = 0; i + 1 < segs.length; i++) segs[i]!.nextOffset = segs[i + 1]!.baseOffset;

  const recovered = new Set<Segment>();
  /** Segments whose `.txnindex` is rebuilt from the log (recovered, or a damaged file). */
  const txnRebuild = new Set<Segment>();
  const dropFrom = async (i: number): Promise<void> => {
    const dropped = segs.splice(i);
    for (const s of dropped) {
      logger.warn({ baseOffset: s.baseOffset }, 'deleting a segment after the recovered end of the log');
      await s.deleteFiles();
    }
  };
  /** The active segment when a clean shutdown left it whole (its index files are then those the close wrote). */
  let activeAsClosed: Segment | null = null;
  if (!p.hadCleanShutdown) {
    let i0 = 0;
    for (let i = 0; i < segs.length; i++) if (segs[i]!.baseOffset <= p.recoveryPoint) i0 = i;
    for (let i = i0; i < segs.length; i++) {
      const seg = segs[i]!;
      const cut = await seg.recover(cfg.indexIntervalBytes);
      recovered.add(seg);
      txnRebuild.add(seg);
      const next = segs[i + 1];
      if (!next) continue;
      // as Kafka: later segments go only after a truncation or an overlap; a
      // segment ending before the next base (the cleaner dropped its last
      // batches) is a gap, which reads skip into the next segment
      if (cut > 0 || seg.nextOffset > next.baseOffset) {
        await dropFrom(i + 1);
        break;
      }
      seg.nextOffset = next.baseOffset;
    }
  } else if (segs.length > 0) {
    // the active segment's indexes are rebuilt from a header scan, not read:
    // it is the segment a crash could have left stale, and the scan finds its end
    const last = segs[segs.length - 1]!;
    const r = await last.scanIndexes(cfg.indexIntervalBytes);
    if (r.problem !== null || r.end !== last.writtenSize) {
      logger.warn({ baseOffset: last.baseOffset, problem: r.problem, position: r.end }, 'active segment is damaged despite a clean shutdown; recovering it');
      await last.recover(cfg.indexIntervalBytes);
      txnRebuild.add(last);
    } else {
      last.adopt(r.built, r.nextOffset);
      activeAsClosed = last;
    }
    recovered.add(last);
  }

  // a log end below the log start checkpoint: the files were lost; start over there
  if (segs.length > 0 && segs[segs.length - 1]!.nextOffset < p.logStartOffset) {
    logger.warn({ logStartCheckpoint: p.logStartOffset }, 'log end is below the log start offset; deleting all segments');
    await dropFrom(0);
  }
  if (segs.length === 0) {
    const seg = new Segment(env, p.logStartOffset);
    seg.indexIntervalForRebuild = cfg.indexIntervalBytes;
    seg.resetIndexes();
    await seg.withFile(async () => undefined); // creates it
    seg.fileExists = true;
    seg.createdMs = seg.lastModifiedMs = p.clock.now();
    dirDirty = true;
    segs.push(seg);
    recovered.add(seg);
  }

  // segments not recovered: their largest timestamp from the time index (or a rebuild)
  for (const s of segs) {
    if (recovered.has(s) || s.offsetIndex) continue;
    if (!(await s.loadTimeSummary())) await s.ensureIndexes();
  }
  // recovered segments that are no longer active get their index files now
  const active = segs[segs.length - 1]!;
  for (const s of segs) if (recovered.has(s) && s !== active) await s.writeIndexFiles();
  await active.ensureIndexes();
  active.sealed = false;
  active.indexFilesCurrent = false;
  active.bytesSinceLastIndexEntry = active.offsetIndex!.length > 0 ? active.size - active.offsetIndex!.positionAt(active.offsetIndex!.length - 1) : active.size;
  active.rollingBaseTimestamp = await firstBatchTimestamp(active);

  const logEnd = active.nextOffset;
  const logStartOffset = Math.max(p.logStartOffset, segs[0]!.baseOffset);
  if (!p.hadCleanShutdown) {
    // make the recovered state durable (truncations, names) before serving it
    for (const s of segs) {
      if (recovered.has(s)) {
        await s.withFile((fh) => fh.sync());
        s.syncedSize = s.writtenSize;
      }
    }
    await fs.syncDir(dir);
    dirDirty = false;
  }

  // aborted-transaction indexes: read them, rebuild the recovered or damaged ones by the replay below
  const txnIndexes = new Set(indexFiles.filter((f) => f.name.endsWith(TXN_INDEX_SUFFIX)).map((f) => f.base));
  for (const s of segs) {
    if (txnRebuild.has(s)) continue;
    // a segment without aborted transactions has no .txnindex file: nothing to read (most segments, and every idle log)
    const list = txnIndexes.has(s.baseOffset) ? await readTxnIndex(fs, s.txnIndexPath, s.baseOffset, s.nextOffset) : [];
    if (typeof list === 'string') {
      logger.warn({ segment: s.txnIndexPath, problem: list }, 'rebuilding a damaged transaction index');
      txnRebuild.add(s);
    } else {
      s.abortedTxns = list;
      s.abortedTxnsOnDisk = list.length;
    }
  }
  let rebuildFrom = Infinity;
  for (const s of txnRebuild) rebuildFrom = Math.min(rebuildFrom, s.baseOffset);

  // producer state: drop snapshots past the log end, load the newest valid one
  // (at or below the first segment whose transaction index is rebuilt), replay after it
  for (const off of snapshots) {
    if (off > logEnd) await fs.unlink(p.snapshots.path(off));
  }
  const usable = snapshots.filter((o) => o <= logEnd).sort((a, b) => a - b);
  let replayFrom = segs[0]!.baseOffset;
  for (let i = usable.length - 1; i >= 0; i--) {
    const off = usable[i]!;
    if (off > rebuildFrom) continue;
    const path = p.snapshots.path(off);
    // A snapshot that cannot be READ (EMFILE, EIO, EACCES...) says nothing about
    // its contents: the load fails and the file stays. Only one read whole and
    // found invalid is deleted.
    let raw: Buffer;
    try {
      raw = await fs.readFile(path);
    } catch (e) {
      throw storageError(`cannot read producer snapshot ${path}: ${(e as Error).message}`, e);
    }
    if (producers.load(raw)) {
      replayFrom = Math.max(off, segs[0]!.baseOffset);
      break;
    }
    logger.warn({ snapshot: path }, 'deleting an invalid producer snapshot');
    await fs.unlink(path);
    usable.splice(i, 1);
  }
  p.snapshots.reset(usable);
  await replayProducerState(segs, producers, cfg.indexIntervalBytes, replayFrom, txnRebuild);
  for (const s of txnRebuild) {
    await writeTxnIndex(fs, s.txnIndexPath, s.abortedTxns);
    s.abortedTxnsOnDisk = s.abortedTxns.length;
  }
  if (txnRebuild.size > 0) await fs.syncDir(dir);
  producers.truncateHead(logStartOffset);
  producers.removeExpired(p.clock.now());
  const hasFile = (suffix: string) => indexFiles.some((f) => f.base === active.baseOffset && f.name.endsWith(suffix));
  // a log that never held a batch has no producer snapshot (partition-log.ts close)
  const snapshotAtEnd = usable.includes(logEnd) || (usable.length === 0 && segs.length === 1 && active.writtenSize === 0 && producers.size === 0);
  const closedCleanly = activeAsClosed === active && hasFile(INDEX_SUFFIX) && hasFile(TIME_INDEX_SUFFIX) && snapshotAtEnd && txnRebuild.size === 0;
  logger.debug({ logStartOffset, logEndOffset: logEnd, segments: segs.length, clean: p.hadCleanShutdown }, 'log loaded');
  return { segments: segs, logStartOffset, logEndOffset: logEnd, dirDirty, closedCleanly };
}

/** Applies the swap rules above; returns the names left in the directory. */
async function recoverSwaps(env: SegmentEnv): Promise<string[]> {
  const { fs, dir, logger } = env;
  const names = await listOrCreate(env);
  let changed = false;
  const remove = async (name: string, why: string): Promise<void> => {
    logger.info({ file: name }, why);
    await fs.unlink(joinPath(dir, name));
    changed = true;
  };
  let minCleaned = Infinity;
  const swaps: string[] = [];
  for (const name of names) {
    if (name.endsWith('.tmp')) await fs.unlink(joinPath(dir, name));
    else if (name.endsWith(DELETED_SUFFIX)) await remove(name, 'deleting a file of a replaced segment');
    else if (name.endsWith(CLEANED_SUFFIX)) minCleaned = Math.min(minCleaned, fileOffset(name) ?? -1);
    else if (name.endsWith(SWAP_SUFFIX)) swaps.push(name);
  }
  const committed: string[] = [];
  for (const name of swaps) {
    const off = fileOffset(name);
    if (off === undefined || off >= minCleaned) await remove(name, 'deleting a file of an unfinished segment swap');
    else committed.push(name);
  }
  for (const name of names) if (name.endsWith(CLEANED_SUFFIX)) await remove(name, 'deleting a file of an unfinished cleaning');
  // the range the committed swap segments cover, from their batches
  let lo = Infinity;
  let hi = -Infinity;
  for (const name of committed) {
    const base = parseOffsetFileName(name.slice(0, -SWAP_SUFFIX.length), LOG_SUFFIX);
    if (base === undefined) continue;
    const seg = new Segment(env, base, SWAP_SUFFIX);
    seg.writtenSize = (await fs.stat(seg.logPath)).size;
    let next = base;
    const r = await seg.scan(0, seg.writtenSize, false, (buf, at) => {
      next = readInt64(buf, at) + buf.readInt32BE(at + OFF_LAST_OFFSET_DELTA) + 1;
    });
    seg.retire();
    if (r.problem !== null) logger.warn({ segment: seg.logPath, problem: r.problem, position: r.end }, 'a swapped-in segment ends early; recovery checks it');
    lo = Math.min(lo, base);
    hi = Math.max(hi, next);
  }
  for (const name of names) {
    if (name.endsWith(SWAP_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith(DELETED_SUFFIX)) continue;
    const off = fileOffset(name);
    if (off !== undefined && off >= lo && off < hi && (await fs.exists(joinPath(dir, name)))) await remove(name, 'deleting a file of a segment replaced by a committed swap');
  }
  for (const name of committed) {
    logger.info({ file: name }, 'completing a segment swap');
    await fs.rename(joinPath(dir, name), joinPath(dir, name.slice(0, -SWAP_SUFFIX.length)));
    changed = true;
  }
  if (changed) await fs.syncDir(dir);
  return changed ? fs.readdir(dir) : names;
}

/** The names in the log's directory, creating it (durably) when it is missing: one call when it exists, as at every start. */
async function listOrCreate(env: SegmentEnv): Promise<string[]> {
  try {
    return await env.fs.readdir(env.dir);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  await mkdirDurable(env.fs, env.dir);
  return env.fs.readdir(env.dir);
}

/** The offset a segment-related file name starts with (20 digits, then '.'), as Kafka's offsetFromFile. */
function fileOffset(name: string): number | undefined {
  const m = /^(\d{20})\./.exec(name);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

async function firstBatchTimestamp(seg: Segment): Promise<number> {
  if (seg.size === 0 || !seg.fileExists) return -1;
  const b = Buffer.alloc(LOG_OVERHEAD + MIN_BATCH_LENGTH);
  const n = await seg.withFile((fh) => fh.read(b, 0, b.length, 0));
  return n === b.length ? readInt64(b, OFF_MAX_TIMESTAMP) : -1;
}

/** Replays the batch headers from `from` into the producer state, indexing the aborts of the `rebuild` segments. */
async function replayProducerState(
  segments: readonly Segment[],
  producers: ProducerStateManager,
  indexIntervalBytes: number,
  from: number,
  rebuild: Set<Segment>,
): Promise<void> {
  for (const seg of segments) {
    if (seg.nextOffset <= from || seg.writtenSize === 0) continue;
    const start = from > seg.baseOffset ? await seg.findPosition(from, seg.writtenSize, indexIntervalBytes) : 0;
    const r = await seg.scan(start, seg.writtenSize, false, (buf, at, _filePos, size) => {
      if (readInt64(buf, at + OFF_PRODUCER_ID) < 0) return undefined;
      const base = readInt64(buf, at);
      const info = readProducerInfo(buf, at);
      const last = base + info.lastOffsetDelta;
      if (last < from) return undefined;
      const pa = producers.beginAppend('replay');
      pa.appendBatch(info, base, last, info.isControl ? readEndTxnMarker(buf, at, size) : null);
      pa.commit();
      if (rebuild.has(seg)) {
        for (const t of pa.completed) if (t.aborted) seg.abortedTxns.push(abortedTxnEntry(producers, t.producerId, t.firstOffset, t.lastOffset));
      }
      return undefined;
    });
    if (r.problem !== null) throw new Error(`replaying producer state from ${seg.logPath}: ${r.problem} at ${r.end}`);
  }
}
