// One cleaning round over a log's sealed segments (Kafka's Cleaner.doClean):
//   1. buildOffsetMap: key -> latest offset over the dirty section
//      [firstDirty, firstUncleanable), stopping early when the map is full; the
//      round's end offset (and next checkpoint) is the map's latest offset + 1;
//   2. groupSegments: consecutive segments from the log start through the one
//      holding endOffset - 1, grouped so each group fits one segment
//      (segment.bytes, segment.index.bytes, relative offsets in an int32);
//   3. cleanGroup: each group becomes one new segment named by its first base
//      offset (`<base>.log.cleaned` and its indexes, written by the log's
//      CleanedSegment, log/segments.ts), holding what filter.ts keeps of every
//      batch, finished (fsynced) and ready for the log's crash-safe swap.
// Offsets never change; nothing here touches the live segments.

import { OFF_ATTRIBUTES, OFF_PRODUCER_ID, ATTR_CONTROL, ATTR_TRANSACTIONAL, batchLastOffset, readInt64 } from '../batch.js';
import { batchRecordsPayload, parseBatchHeader } from '../../protocol/record-batch.js';
import { readEndTxnMarker } from '../control-batch.js';
import type { OffsetIndex, TimeIndex } from '../indexes.js';
import { OFFSET_ENTRY_SIZE, TIME_ENTRY_SIZE } from '../indexes.js';
import type { AbortedTxn } from '../txn-index.js';
import type { CleanerBudget } from './budget.js';
import { filterBatch, type LastRecord } from './filter.js';
import type { OffsetMap } from './offset-map.js';
import { scanRecords } from './records.js';
import { CleanedTxnState } from './txn.js';

/** Bytes read or written per step (Kafka's cleaner reads in chunks of its I/O buffer). */
export const CLEANER_CHUNK_BYTES = 256 * 1024;
const INT32_MAX = 0x7fffffff;

/** What the cleaner reads of a sealed segment (storage/segment.ts's Segment). */
export interface SourceSegment {
  readonly baseOffset: number;
  readonly writtenSize: number;
  readonly lastModifiedMs: number;
  readonly abortedTxns: readonly AbortedTxn[];
  readonly offsetIndex: OffsetIndex | null;
  readonly timeIndex: TimeIndex | null;
  ensureIndexes(): Promise<void>;
  findPosition(offset: number, upper: number, indexIntervalBytes: number): Promise<number>;
}

/** A segment the cleaner writes (log/segments.ts's CleanedSegment). */
export interface CleanedSink {
  readonly size: number;
  append(batches: readonly Buffer[]): Promise<void>;
  addAbortedTxn(t: AbortedTxn): void;
  finish(lastModifiedMs: number): Promise<void>;
  abort(): Promise<void>;
}

/** The log's side of a round: its segments' checked batches, and new cleaned segments. */
export interface CleanerSource<S extends SourceSegment, C extends CleanedSink> {
  /** The whole batches of `seg` from file position `from`, CRC-checked (corruption throws). */
  batches(seg: S, from?: number): AsyncIterable<{ bytes: Buffer }>;
  createCleaned(baseOffset: number): C;
}

/** Throws to abort the round (the log was truncated, deleted or is closing). */
export type AbortCheck = () => void;

export interface ReadOptions {
  budget: CleanerBudget;
  checkAborted: AbortCheck;
}

/** The batches of `seg` from `from`, each reported to the budget (which yields the loop), checking for an abort per chunk. */
async function* batchesOf<S extends SourceSegment>(source: CleanerSource<S, CleanedSink>, seg: S, from: number, opts: ReadOptions): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const b of source.batches(seg, from)) {
    yield b.bytes;
    await opts.budget.spend(b.bytes.length);
    bytes += b.bytes.length;
    if (bytes >= CLEANER_CHUNK_BYTES) {
      opts.checkAborted();
      bytes = 0;
    }
  }
}

function isControl(b: Buffer): boolean {
  return (b.readInt16BE(OFF_ATTRIBUTES) & ATTR_CONTROL) !== 0;
}

function isTransactional(b: Buffer): boolean {
  return (b.readInt16BE(OFF_ATTRIBUTES) & ATTR_TRANSACTIONAL) !== 0;
}

/** The uncompressed records section of the whole batch `b`. */
export function recordsPayload(b: Buffer): Promise<Buffer> {
  return batchRecordsPayload(b, { header: parseBatchHeader(b, 0), start: 0, end: b.length });
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
export async function buildOffsetMap<S extends SourceSegment>(
  source: CleanerSource<S, CleanedSink>,
  dirty: readonly S[],
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
    for await (const b of batchesOf(source, seg, from, opts)) {
      bytesRead += b.length;
      const last = batchLastOffset(b);
      const count = b.readInt32BE(57);
      if (!txnStep(txns, b, count) && !isControl(b) && count > 0) {
        const base = readInt64(b, 0);
        let full = false;
        const payload = await recordsPayload(b);
        scanRecords(payload, count, (r) => {
          const offset = base + r.offsetDelta;
          if (r.keyStart < 0 || offset < firstDirty) return true;
          full = !map.put(payload, offset, r.keyStart, r.keyEnd);
          return !full;
        });
        if (full) return { endOffset: map.latestOffset + 1, full: true, bytesRead };
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

/** What the cleaning of one round carries from group to group. */
export interface CleanContext extends ReadOptions {
  map: OffsetMap;
  now: number;
  deleteRetentionMs: number;
  highWatermark: number;
  activeProducers: ReadonlyMap<number, LastRecord>;
  /** Carried across groups (KAFKA-8351); built over all the round's segments. */
  txns: CleanedTxnState;
}

export interface GroupResult<C> {
  cleaned: C;
  bytesRead: number;
  recordsKept: number;
}

/** Writes the cleaned copy of `group` as a finished `.cleaned` segment; the live segments are untouched. */
export async function cleanGroup<S extends SourceSegment, C extends CleanedSink>(source: CleanerSource<S, C>, group: readonly S[], ctx: CleanContext): Promise<GroupResult<C>> {
  const cleaned = source.createCleaned(group[0]!.baseOffset);
  let bytesRead = 0;
  let recordsKept = 0;
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      await cleaned.append(pending);
      await ctx.budget.spend(pendingBytes);
      pending = [];
      pendingBytes = 0;
    };
    for (const seg of group) {
      for await (const b of batchesOf(source, seg, 0, ctx)) {
        bytesRead += b.length;
        const r = await filterBatch(b, ctx);
        if (r.kind === 'dropped') continue;
        const out = r.kind === 'original' ? b : r.bytes;
        recordsKept += r.records;
        pending.push(out);
        pendingBytes += out.length;
        if (pendingBytes >= CLEANER_CHUNK_BYTES) await flush();
      }
    }
    await flush();
    for (const t of ctx.txns.keptAborts) cleaned.addAbortedTxn(t);
    ctx.txns.keptAborts = [];
    ctx.checkAborted();
    await cleaned.finish(group[group.length - 1]!.lastModifiedMs);
  } catch (e) {
    await cleaned.abort().catch(() => undefined);
    throw e;
  }
  return { cleaned, bytesRead, recordsKept };
}
