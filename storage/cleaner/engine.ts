// The CPU side of a cleaning round, apart from its I/O: the offset map (key
// hashing) and the batch filter, fed whole chunks of CRC-checked batches (one
// Buffer each, batches back to back). clean.ts reads and writes the segments
// and drives an engine; manager.ts runs each cleaner thread's engine in a
// worker_thread (worker-engine.ts) so this work leaves the broker's event loop.

import { OFF_ATTRIBUTES, OFF_PRODUCER_ID, ATTR_CONTROL, ATTR_TRANSACTIONAL, batchLastOffset, batchSize, readInt64 } from '../batch.js';
import { batchRecordsPayload, parseBatchHeader } from '../../protocol/record-batch.js';
import { readEndTxnMarker } from '../control-batch.js';
import type { AbortedTxn } from '../txn-index.js';
import { filterBatch, type LastRecord } from './filter.js';
import type { OffsetMap } from './offset-map.js';
import { scanRecords } from './records.js';
import { CleanedTxnState } from './txn.js';

export interface MapProgress {
  /** The map filled: the rest of the chunk is unmapped. */
  full: boolean;
  /** The last offset the map covers. */
  latestOffset: number;
}

export interface FilterSetup {
  now: number;
  deleteRetentionMs: number;
  highWatermark: number;
  activeProducers: [number, LastRecord][];
  /** The aborted transactions of all the round's segments (carried across groups, KAFKA-8351). */
  aborted: AbortedTxn[];
}

export interface FilterOutput {
  /** The kept batches, back to back. */
  kept: Buffer;
  records: number;
}

/** One cleaner thread's CPU work; every call may run on another thread. */
export interface CleanerEngine {
  /** Clears the map for a pass over [firstDirty, ...); `aborted` from the dirty segments' .txnindex. */
  beginMap(firstDirty: number, aborted: AbortedTxn[]): Promise<void>;
  mapChunk(chunk: Buffer): Promise<MapProgress>;
  /** A wholly mapped segment is mapped up to where the next one starts (gaps included). */
  segmentMapped(nextBaseOffset: number): Promise<MapProgress>;
  beginFilter(setup: FilterSetup): Promise<void>;
  filterChunk(chunk: Buffer): Promise<FilterOutput>;
  /** The aborted transactions whose markers the filter kept since the last call (the group's .txnindex). */
  takeKeptAborts(): Promise<AbortedTxn[]>;
  /** Keys mapped / slots (stats). */
  utilization(): Promise<number>;
}

/** The whole batches of a chunk, as views. */
export function splitBatches(chunk: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < chunk.length; ) {
    const end = at + batchSize(chunk, at);
    out.push(chunk.subarray(at, end));
    at = end;
  }
  return out;
}

/** `batches` copied back to back into a buffer that owns its ArrayBuffer (so it can be transferred). */
export function joinBatches(batches: readonly Buffer[]): Buffer {
  let total = 0;
  for (const b of batches) total += b.length;
  const out = Buffer.from(new ArrayBuffer(total));
  let at = 0;
  for (const b of batches) at += b.copy(out, at);
  return out;
}

function isControl(b: Buffer): boolean {
  return (b.readInt16BE(OFF_ATTRIBUTES) & ATTR_CONTROL) !== 0;
}

function isTransactional(b: Buffer): boolean {
  return (b.readInt16BE(OFF_ATTRIBUTES) & ATTR_TRANSACTIONAL) !== 0;
}

/** The uncompressed records section of the whole batch `b`. */
function recordsPayload(b: Buffer): Promise<Buffer> {
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

/** The engine on the calling thread, over its own offset map. */
export class LocalEngine implements CleanerEngine {
  private firstDirty = 0;
  private mapTxns = new CleanedTxnState([]);
  private filter: (Omit<FilterSetup, 'activeProducers' | 'aborted'> & { activeProducers: Map<number, LastRecord>; txns: CleanedTxnState; map: OffsetMap }) | null = null;

  constructor(readonly map: OffsetMap) {}

  async beginMap(firstDirty: number, aborted: AbortedTxn[]): Promise<void> {
    this.map.clear();
    this.map.latestOffset = firstDirty - 1;
    this.firstDirty = firstDirty;
    // the whole range of every segment: a transaction may start before firstDirty (KAFKA-13727)
    this.mapTxns = new CleanedTxnState(aborted);
  }

  async mapChunk(chunk: Buffer): Promise<MapProgress> {
    const { map, firstDirty } = this;
    for (const b of splitBatches(chunk)) {
      const last = batchLastOffset(b);
      const count = b.readInt32BE(57);
      if (!txnStep(this.mapTxns, b, count) && !isControl(b) && count > 0) {
        const base = readInt64(b, 0);
        let full = false;
        const payload = await recordsPayload(b);
        scanRecords(payload, count, (r) => {
          const offset = base + r.offsetDelta;
          if (r.keyStart < 0 || offset < firstDirty) return true;
          full = !map.put(payload, offset, r.keyStart, r.keyEnd);
          return !full;
        });
        if (full) return { full: true, latestOffset: map.latestOffset };
      }
      if (last >= firstDirty) map.latestOffset = Math.max(map.latestOffset, last);
    }
    return { full: false, latestOffset: map.latestOffset };
  }

  async segmentMapped(nextBaseOffset: number): Promise<MapProgress> {
    this.map.latestOffset = Math.max(this.map.latestOffset, nextBaseOffset - 1);
    return { full: false, latestOffset: this.map.latestOffset };
  }

  async beginFilter(setup: FilterSetup): Promise<void> {
    const { aborted, activeProducers, ...rest } = setup;
    this.filter = { ...rest, activeProducers: new Map(activeProducers), txns: new CleanedTxnState(aborted), map: this.map };
  }

  async filterChunk(chunk: Buffer): Promise<FilterOutput> {
    const ctx = this.filter;
    if (!ctx) throw new Error('filterChunk before beginFilter');
    const kept: Buffer[] = [];
    let records = 0;
    for (const b of splitBatches(chunk)) {
      const r = await filterBatch(b, ctx);
      if (r.kind === 'dropped') continue;
      kept.push(r.kind === 'original' ? b : r.bytes);
      records += r.records;
    }
    return { kept: joinBatches(kept), records };
  }

  async takeKeptAborts(): Promise<AbortedTxn[]> {
    const ctx = this.filter;
    if (!ctx) return [];
    const out = ctx.txns.keptAborts;
    ctx.txns.keptAborts = [];
    return out;
  }

  async utilization(): Promise<number> {
    return this.map.utilization;
  }
}
