// One cleaning round over a log's sealed segments (Kafka's Cleaner.doClean):
//   1. buildOffsetMap: key -> latest offset over the dirty section
//      [firstDirty, firstUncleanable), stopping early when the map is full; the
//      round's end offset (and next checkpoint) is the map's latest offset + 1;
//   2. groupSegments: consecutive segments from the log start through the one
//      holding endOffset - 1, grouped so each group fits one segment
//      (segment.bytes, segment.index.bytes, relative offsets in an int32);
//   3. cleanGroup: each group becomes one new segment named by its first base
//      offset, written as `<base>.log.cleaned` (+ .index/.timeindex/.txnindex
//      `.cleaned`), fsynced, holding what filter.ts keeps of every batch.
// The swap of a written group into the log (`.cleaned` -> `.swap` -> live) is
// the log's. Offsets never change; nothing here touches the live segments.

import { OFF_ATTRIBUTES, OFF_MAX_TIMESTAMP, OFF_PRODUCER_ID, ATTR_CONTROL, ATTR_TRANSACTIONAL, batchCrcMatches, batchLastOffset, readInt64 } from '../batch.js';
import { decodeBatch } from '../../protocol/record-batch.js';
import { readEndTxnMarker } from '../control-batch.js';
import { joinPath, type FileSystem } from '../fs.js';
import type { OffsetIndex, TimeIndex } from '../indexes.js';
import { OFFSET_ENTRY_SIZE, TIME_ENTRY_SIZE } from '../indexes.js';
import { Segment, offsetFileName, writeAndSync, LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, type SegmentEnv } from '../segment.js';
import { writeTxnIndex, type AbortedTxn } from '../txn-index.js';
import type { CleanerBudget } from './budget.js';
import { filterBatch, type LastRecord } from './filter.js';
import type { OffsetMap } from './offset-map.js';
import { CleanedTxnState } from './txn.js';

export const CLEANED_SUFFIX = '.cleaned';
/** Bytes read or written per step (Kafka's cleaner reads in chunks of its I/O buffer). */
export const CLEANER_CHUNK_BYTES = 256 * 1024;
const INT32_MAX = 0x7fffffff;

/** What the cleaner reads of a sealed segment (storage/segment.ts's Segment). */
export interface SourceSegment {
  readonly baseOffset: number;
  readonly nextOffset: number;
  readonly writtenSize: number;
  readonly abortedTxns: readonly AbortedTxn[];
  readonly offsetIndex: OffsetIndex | null;
  readonly timeIndex: TimeIndex | null;
  ensureIndexes(): Promise<void>;
  findPosition(offset: number, upper: number, indexIntervalBytes: number): Promise<number>;
  readBatches(position: number, maxBytes: number, upper: number, minOneBatch: boolean): Promise<Buffer[]>;
}

/** Throws to abort the round (the log was truncated, deleted or is closing). */
export type AbortCheck = () => void;

export interface ReadOptions {
  budget: CleanerBudget;
  checkAborted: AbortCheck;
}

/**
 * The CRC-checked batches of `seg` from file position `from`, read a chunk at
 * a time. A batch that fails its CRC throws: the log is then uncleanable.
 */
async function* batchesOf(seg: SourceSegment, from: number, opts: ReadOptions): AsyncGenerator<Buffer> {
  let pos = from;
  while (pos < seg.writtenSize) {
    opts.checkAborted();
    const batches = await seg.readBatches(pos, CLEANER_CHUNK_BYTES, seg.writtenSize, true);
    if (batches.length === 0) throw new Error(`segment ${seg.baseOffset}: no whole batch at position ${pos}`);
    let bytes = 0;
    for (const b of batches) {
      if (!batchCrcMatches(b, 0, b.length)) throw new Error(`segment ${seg.baseOffset}: CRC mismatch at position ${pos + bytes}`);
      bytes += b.length;
      yield b;
    }
    pos += bytes;
    await opts.budget.spend(bytes);
  }
}

function isControl(b: Buffer): boolean {
  return (b.readInt16BE(OFF_ATTRIBUTES) & ATTR_CONTROL) !== 0;
}

function isTransactional(b: Buffer): boolean {
  return (b.readInt16BE(OFF_ATTRIBUTES) & ATTR_TRANSACTIONAL) !== 0;
}

/** Feeds one batch to the transaction bookkeeping; true when it may be discarded. */
function txnStep(txns: CleanedTxnState, b: Buffer, recordCount: number): boolean {
  const pid = readInt64(b, OFF_PRODUCER_ID);
  const last = batchLastOffset(b);
  if (isControl(b)) {
    const marker = readEndTxnMarker(b, 0, b.length);
    return txns.onControlBatch(pid, last, marker ? marker.commit : null, recordCount === 0);
  }
  return txns.onDataBatch(pid, last, isTransactional(b));
}

/** The aborted transactions recorded in these segments' .txnindex entries. */
export function abortedIn(segments: readonly SourceSegment[]): AbortedTxn[] {
  return segments.flatMap((s) => s.abortedTxns);
}

export interface MapResult {
  /** This round cleans [log start, endOffset); the next checkpoint. */
  endOffset: number;
  /** The map filled before firstUncleanable. */
  full: boolean;
  bytesRead: number;
}

/**
 * Kafka's buildOffsetMap over `dirty` (the segments holding [firstDirty,
 * firstUncleanable), firstUncleanable being a segment base offset).
 */
export async function buildOffsetMap(
  dirty: readonly SourceSegment[],
  firstDirty: number,
  firstUncleanable: number,
  map: OffsetMap,
  indexIntervalBytes: number,
  opts: ReadOptions,
): Promise<MapResult> {
  map.clear();
  map.latestOffset = firstDirty - 1;
  // the whole range of every segment: a transaction may start before firstDirty (KAFKA-13727)
  const txns = new CleanedTxnState(abortedIn(dirty));
  let bytesRead = 0;
  for (let i = 0; i < dirty.length; i++) {
    const seg = dirty[i]!;
    const from = firstDirty > seg.baseOffset ? await seg.findPosition(firstDirty, seg.writtenSize, indexIntervalBytes) : 0;
    for await (const b of batchesOf(seg, from, opts)) {
      bytesRead += b.length;
      const last = batchLastOffset(b);
      const count = b.readInt32BE(57);
      if (!txnStep(txns, b, count) && !isControl(b) && count > 0) {
        for (const r of (await decodeBatch(b, 0)).records) {
          const offset = Number(r.offset);
          if (r.key === null || offset < firstDirty) continue;
          if (!map.put(r.key, offset)) return { endOffset: map.latestOffset + 1, full: true, bytesRead };
        }
      }
      if (last >= firstDirty) map.latestOffset = Math.max(map.latestOffset, last);
    }
    // a wholly mapped segment is mapped up to where the next one starts (gaps included)
    const next = i + 1 < dirty.length ? dirty[i + 1]!.baseOffset : firstUncleanable;
    map.latestOffset = Math.max(map.latestOffset, next - 1);
  }
  return { endOffset: map.latestOffset + 1, full: false, bytesRead };
}

/**
 * Kafka's groupSegmentsBySize: consecutive groups whose log bytes fit
 * `maxBytes`, whose index and time index bytes each fit `maxIndexBytes`, and
 * whose offsets fit an int32 relative to the group's base.
 */
export async function groupSegments<S extends SourceSegment>(segments: readonly S[], maxBytes: number, maxIndexBytes: number, firstUncleanable: number): Promise<S[][]> {
  for (const s of segments) await s.ensureIndexes();
  const indexBytes = (s: S): number => (s.offsetIndex?.length ?? 0) * OFFSET_ENTRY_SIZE;
  const timeBytes = (s: S): number => (s.timeIndex?.length ?? 0) * TIME_ENTRY_SIZE;
  const groups: S[][] = [];
  let i = 0;
  while (i < segments.length) {
    const first = segments[i]!;
    const group = [first];
    let log = first.writtenSize;
    let index = indexBytes(first);
    let time = timeBytes(first);
    i++;
    while (i < segments.length) {
      const s = segments[i]!;
      const lastEstimate = i + 1 < segments.length ? segments[i + 1]!.baseOffset - 1 : firstUncleanable - 1;
      const fits =
        log + s.writtenSize <= maxBytes &&
        index + indexBytes(s) <= maxIndexBytes &&
        time + timeBytes(s) <= maxIndexBytes &&
        (s.writtenSize === 0 || lastEstimate - first.baseOffset <= INT32_MAX);
      if (!fits) break;
      group.push(s);
      log += s.writtenSize;
      index += indexBytes(s);
      time += timeBytes(s);
      i++;
    }
    groups.push(group);
  }
  return groups;
}

/** The four files of a cleaned segment before the swap. */
export function cleanedPaths(dir: string, baseOffset: number): { log: string; index: string; timeIndex: string; txnIndex: string } {
  const p = (suffix: string): string => joinPath(dir, offsetFileName(baseOffset, suffix) + CLEANED_SUFFIX);
  return { log: p(LOG_SUFFIX), index: p(INDEX_SUFFIX), timeIndex: p(TIME_INDEX_SUFFIX), txnIndex: p(TXN_INDEX_SUFFIX) };
}

/** What the cleaning of one round carries from group to group. */
export interface CleanContext extends ReadOptions {
  map: OffsetMap;
  now: number;
  deleteRetentionMs: number;
  highWatermark: number;
  activeProducers: ReadonlyMap<number, LastRecord>;
  /** Carried across groups (KAFKA-8351); built over all the round's segments. */
  txns: CleanedTxnState;
  indexIntervalBytes: number;
}

export interface CleanedSegment {
  baseOffset: number;
  /** The offset after the last source segment (the cleaned one may end earlier: a gap). */
  nextOffset: number;
  size: number;
  /** Built indexes (also written to the `.cleaned` files), largest timestamp and its offset. */
  built: Segment;
  abortedTxns: AbortedTxn[];
  paths: ReturnType<typeof cleanedPaths>;
  bytesRead: number;
  recordsKept: number;
}

/** Writes the cleaned copy of `group` as `.cleaned` files, fsynced; the live segments are untouched. */
export async function cleanGroup(fs: FileSystem, env: SegmentEnv, group: readonly SourceSegment[], ctx: CleanContext): Promise<CleanedSegment> {
  const base = group[0]!.baseOffset;
  const paths = cleanedPaths(env.dir, base);
  for (const p of Object.values(paths)) await fs.unlink(p);
  const built = new Segment(env, base);
  built.resetIndexes();
  const fh = await fs.open(paths.log, 'rw-truncate');
  let size = 0;
  let bytesRead = 0;
  let recordsKept = 0;
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let pendingAt = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      await fh.writev(pending, pendingAt);
      await ctx.budget.spend(pendingBytes);
      pending = [];
      pendingAt += pendingBytes;
      pendingBytes = 0;
    };
    for (const seg of group) {
      for await (const b of batchesOf(seg, 0, ctx)) {
        bytesRead += b.length;
        const r = await filterBatch(b, ctx);
        if (r.kind === 'dropped') continue;
        const out = r.kind === 'original' ? b : r.bytes;
        recordsKept += r.records;
        built.indexBatch(size, out.length, batchLastOffset(out), readInt64(out, OFF_MAX_TIMESTAMP), ctx.indexIntervalBytes);
        pending.push(out);
        pendingBytes += out.length;
        size += out.length;
        if (pendingBytes >= CLEANER_CHUNK_BYTES) await flush();
      }
    }
    await flush();
    await fh.sync();
  } finally {
    await fh.close();
  }
  built.finalTimeIndexEntry();
  built.size = built.writtenSize = built.syncedSize = built.visibleSize = size;
  built.nextOffset = group[group.length - 1]!.nextOffset;
  await writeAndSync(fs, paths.index, built.offsetIndex!.serialize());
  await writeAndSync(fs, paths.timeIndex, built.timeIndex!.serialize());
  const abortedTxns = ctx.txns.keptAborts;
  ctx.txns.keptAborts = [];
  await writeTxnIndex(fs, paths.txnIndex, abortedTxns);
  return { baseOffset: base, nextOffset: built.nextOffset, size, built, abortedTxns, paths, bytesRead, recordsKept };
}
