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
// Here is the I/O (reading chunks of batches, writing the cleaned segment);
// the CPU work (hashing keys, filtering batches) is the engine's (engine.ts),
// run in a worker thread by the manager. Offsets never change; nothing here
// touches the live segments.

import type { OffsetIndex, TimeIndex } from '../indexes.js';
import { OFFSET_ENTRY_SIZE, TIME_ENTRY_SIZE } from '../indexes.js';
import type { AbortedTxn } from '../txn-index.js';
import type { CleanerBudget } from './budget.js';
import { joinBatches, splitBatches, type CleanerEngine, type FilterOutput, type MapProgress } from './engine.js';

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

/** The batches of `seg` from `from` in chunks of about CLEANER_CHUNK_BYTES (one buffer each), each batch reported to the budget (which yields the loop), checking for an abort per chunk. */
async function* chunksOf<S extends SourceSegment>(source: CleanerSource<S, CleanedSink>, seg: S, from: number, opts: ReadOptions): AsyncGenerator<Buffer> {
  let batches: Buffer[] = [];
  let bytes = 0;
  for await (const b of source.batches(seg, from)) {
    batches.push(b.bytes);
    bytes += b.bytes.length;
    await opts.budget.spend(b.bytes.length);
    if (bytes >= CLEANER_CHUNK_BYTES) {
      opts.checkAborted();
      yield joinBatches(batches);
      batches = [];
      bytes = 0;
    }
  }
  if (bytes > 0) yield joinBatches(batches);
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
  engine: CleanerEngine,
  indexIntervalBytes: number,
  opts: ReadOptions,
): Promise<MapResult> {
  await engine.beginMap(firstDirty, abortedIn(dirty));
  let latestOffset = firstDirty - 1;
  let bytesRead = 0;
  // the next chunk is read while the engine maps this one
  let mapping: Promise<MapProgress> | null = null;
  try {
    for (let i = 0; i < dirty.length; i++) {
      const seg = dirty[i]!;
      const from = firstDirty > seg.baseOffset ? await seg.findPosition(firstDirty, seg.writtenSize, indexIntervalBytes) : 0;
      for await (const chunk of chunksOf(source, seg, from, opts)) {
        const done = mapping;
        mapping = null;
        const p = await done;
        if (p?.full) return { endOffset: p.latestOffset + 1, full: true, bytesRead };
        bytesRead += chunk.length;
        mapping = engine.mapChunk(chunk);
      }
      const done = mapping;
      mapping = null;
      const p = await done;
      if (p?.full) return { endOffset: p.latestOffset + 1, full: true, bytesRead };
      ({ latestOffset } = await engine.segmentMapped(i + 1 < dirty.length ? dirty[i + 1]!.baseOffset : firstUncleanable));
    }
  } catch (e) {
    await mapping?.catch(() => undefined);
    throw e;
  }
  return { endOffset: latestOffset + 1, full: false, bytesRead };
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
  /** Set up by `beginFilter` for the round (its transaction state carried across groups, KAFKA-8351). */
  engine: CleanerEngine;
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
  // the next chunk is read while the engine filters this one
  let filtering: Promise<FilterOutput> | null = null;
  const write = async (done: Promise<FilterOutput> | null): Promise<void> => {
    const r = await done;
    if (!r || r.kept.length === 0) return;
    recordsKept += r.records;
    await cleaned.append(splitBatches(r.kept));
    await ctx.budget.spend(r.kept.length);
  };
  try {
    for (const seg of group) {
      for await (const chunk of chunksOf(source, seg, 0, ctx)) {
        bytesRead += chunk.length;
        const done = filtering;
        filtering = ctx.engine.filterChunk(chunk);
        await write(done);
      }
    }
    const done = filtering;
    filtering = null;
    await write(done);
    for (const t of await ctx.engine.takeKeptAborts()) cleaned.addAbortedTxn(t);
    ctx.checkAborted();
    await cleaned.finish(group[group.length - 1]!.lastModifiedMs);
  } catch (e) {
    await filtering?.catch(() => undefined);
    await cleaned.abort().catch(() => undefined);
    throw e;
  }
  return { cleaned, bytesRead, recordsKept };
}
