// Test helper: real Segments on the in-memory file system, written batch by
// batch with offsets stamped as the log stamps them, and loaded back with the
// segment's own recovery scan (so the cleaner reads them as it reads a log's).

import { buildRecordBatch, buildRecordBatchSync, decodeBatchSync, type BuildBatchOptions, type RecordHeader } from '../../protocol/record-batch.js';
import { batchLastOffset, writeInt64, restampCrc } from '../batch.js';
import { joinPath } from '../fs.js';
import { MemoryFileSystem } from '../fs-memory.js';
import { HandlePool } from '../handle-pool.js';
import { silentLogger } from '../logger.js';
import { Segment, offsetFileName, LOG_SUFFIX, type SegmentEnv } from '../segment.js';
import { LogSegments, type CleanedSegment } from '../log/segments.js';
import type { CleanerSource } from './clean.js';
import { CleanerBudget } from './budget.js';
import type { PartitionLog } from '../partition-log.js';
import { readAll } from '../test-env.js';

export interface TestRec {
  key: string | null;
  value: string | null;
  timestamp: number;
  headers?: RecordHeader[];
}

export interface Harness {
  fs: MemoryFileSystem;
  env: SegmentEnv;
  dir: string;
  /** The log's reading of segments and writing of cleaned ones. */
  source: CleanerSource<Segment, CleanedSegment>;
}

export async function harness(): Promise<Harness> {
  const fs = new MemoryFileSystem();
  const dir = '/data/t-0';
  await fs.mkdir(dir);
  const env = { fs, dir, logger: silentLogger, files: new HandlePool(fs, 64) };
  const segments = new LogSegments(env);
  return { fs, dir, env, source: { batches: (seg, from) => segments.batches(seg, from), createCleaned: (base) => segments.createCleaned(base, 4096) } };
}

export interface BatchSpec {
  records: TestRec[];
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  compression?: number;
}

export function batch(spec: BatchSpec, baseOffset: number): Buffer {
  return buildRecordBatchSync(batchOptions(spec, baseOffset));
}

/** `batch` for every codec (zstd has no synchronous encoder). */
export function batchAsync(spec: BatchSpec, baseOffset: number): Promise<Buffer> {
  return buildRecordBatch(batchOptions(spec, baseOffset));
}

function batchOptions(spec: BatchSpec, baseOffset: number): BuildBatchOptions {
  return {
    baseOffset: BigInt(baseOffset),
    records: spec.records.map((r) => ({
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      timestamp: r.timestamp,
      ...(r.headers ? { headers: r.headers } : {}),
    })),
    producerId: BigInt(spec.producerId ?? -1),
    producerEpoch: spec.producerEpoch ?? -1,
    baseSequence: spec.baseSequence ?? -1,
    isTransactional: spec.transactional ?? false,
    ...(spec.compression !== undefined ? { compression: spec.compression } : {}),
  };
}

/** Restamps the base offset of already built bytes (a marker batch, say). */
export function atOffset(b: Buffer, baseOffset: number): Buffer {
  const out = Buffer.from(b);
  writeInt64(out, 0, baseOffset);
  restampCrc(out, 0, out.length);
  return out;
}

/** Writes `batches` as the segment `<base>.log` and loads it as the log would after a restart. */
export async function writeSegment(h: Harness, base: number, batches: Buffer[]): Promise<Segment> {
  const path = joinPath(h.dir, offsetFileName(base, LOG_SUFFIX));
  const data = Buffer.concat(batches);
  await h.fs.writeFile(path, data);
  return loadSegment(h, base, data.length);
}

export async function loadSegment(h: Harness, base: number, size: number): Promise<Segment> {
  const seg = new Segment(h.env, base);
  seg.fileExists = true;
  seg.size = seg.writtenSize = seg.visibleSize = size;
  await seg.recover(4096);
  seg.sealed = true;
  return seg;
}

/** The next offset after these batches. */
export function nextAfter(batches: readonly Buffer[], fallback: number): number {
  return batches.length === 0 ? fallback : batchLastOffset(batches[batches.length - 1]!) + 1;
}

export interface ReadRec {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

export interface LogRec {
  offset: number;
  key: string;
  value: string | null;
}

/** Every keyed record of the log from its start to the high watermark, in order. */
export async function logRecords(log: PartitionLog): Promise<LogRec[]> {
  const out: LogRec[] = [];
  for (const b of await readAll(log)) {
    for (const r of decodeBatchSync(b).records) out.push({ offset: Number(r.offset), key: r.key!.toString(), value: r.value?.toString() ?? null });
  }
  return out;
}

/** Every record of the segment, in order. */
export async function readRecords(seg: Segment): Promise<ReadRec[]> {
  const out: ReadRec[] = [];
  for (const b of await seg.readBatches(0, seg.writtenSize, seg.writtenSize, true)) {
    for (const r of decodeBatchSync(b).records) {
      out.push({ offset: Number(r.offset), key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: Number(r.timestamp) });
    }
  }
  return out;
}

export function readOpts(): { budget: CleanerBudget; checkAborted: () => void } {
  return { budget: new CleanerBudget(Infinity), checkAborted: () => {} };
}

/** A plain swap standing in for the log's: the group's files go, the cleaned ones take their names, read back from disk. */
export async function swapIn(h: Harness, group: readonly Segment[], c: CleanedSegment): Promise<Segment> {
  for (const s of group) await s.deleteFiles();
  await c.segment.changeFileSuffix('');
  const seg = await loadSegment(h, c.segment.baseOffset, c.size);
  seg.abortedTxns = c.segment.abortedTxns;
  return seg;
}
