// `kafkalite dump`: what is in a data directory's partition files, read
// offline and shown as it is (a rotten batch is listed with its problem, not
// skipped). Segments batch by batch (optionally record by record), and the
// offset and time index entries. Rendering is the CLI's (bin/dump.ts).

import {
  parseBatchHeader,
  decodeBatch,
  validateBatchCrc,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  type KafkaRecord,
  type RecordBatchHeader,
} from '../protocol/record-batch.js';
import { readInt64 } from './batch.js';
import { joinPath, type FileSystem } from './fs.js';
import { OFFSET_ENTRY_SIZE, TIME_ENTRY_SIZE } from './indexes.js';
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, parseOffsetFileName } from './segment.js';

export interface DumpedBatch {
  position: number;
  size: number;
  header: RecordBatchHeader;
  crcValid: boolean;
  /** With `records`: the decoded records, or why they could not be. */
  records?: KafkaRecord[];
  recordsError?: string;
}

export interface DumpedSegment {
  file: string;
  baseOffset: number;
  bytes: number;
  batches: DumpedBatch[];
  /** Why the walk stopped before the end of the file, if it did. */
  problem?: { position: number; problem: string };
  /** With `files`: the index entries as stored. */
  offsetIndex?: { offset: number; position: number }[];
  timeIndex?: { timestamp: number; offset: number }[];
}

export interface DumpedPartition {
  dir: string;
  topic: string;
  partition: number;
  segments: DumpedSegment[];
  /** Every file name in the directory. */
  files: string[];
}

/** Partition directories of `dataDir`, optionally of one topic and partition. */
export async function partitionDirs(fs: FileSystem, dataDir: string, topic?: string, partition?: number): Promise<{ dir: string; topic: string; partition: number }[]> {
  const out: { dir: string; topic: string; partition: number }[] = [];
  for (const name of (await fs.readdir(dataDir)).sort()) {
    const m = /^(.+)-(\d+)$/.exec(name);
    if (!m || !(await fs.stat(joinPath(dataDir, name))).isDirectory) continue;
    const t = m[1]!;
    const p = Number(m[2]);
    if ((topic === undefined || topic === t) && (partition === undefined || partition === p)) out.push({ dir: name, topic: t, partition: p });
  }
  return out;
}

export async function dumpPartition(
  fs: FileSystem,
  dataDir: string,
  p: { dir: string; topic: string; partition: number },
  opts: { records?: boolean; files?: boolean } = {},
): Promise<DumpedPartition> {
  const dir = joinPath(dataDir, p.dir);
  const files = (await fs.readdir(dir)).sort();
  const segments: DumpedSegment[] = [];
  for (const name of files) {
    const base = parseOffsetFileName(name, LOG_SUFFIX);
    if (base === undefined) continue;
    const seg = await dumpSegment(await fs.readFile(joinPath(dir, name)), name, base, opts.records ?? false);
    if (opts.files) {
      const stem = name.slice(0, -LOG_SUFFIX.length);
      const idx = files.includes(stem + INDEX_SUFFIX) ? await fs.readFile(joinPath(dir, stem + INDEX_SUFFIX)) : Buffer.alloc(0);
      seg.offsetIndex = [];
      for (let i = 0; i + OFFSET_ENTRY_SIZE <= idx.length; i += OFFSET_ENTRY_SIZE) seg.offsetIndex.push({ offset: base + idx.readInt32BE(i), position: idx.readInt32BE(i + 4) });
      const ti = files.includes(stem + TIME_INDEX_SUFFIX) ? await fs.readFile(joinPath(dir, stem + TIME_INDEX_SUFFIX)) : Buffer.alloc(0);
      seg.timeIndex = [];
      for (let i = 0; i + TIME_ENTRY_SIZE <= ti.length; i += TIME_ENTRY_SIZE) seg.timeIndex.push({ timestamp: readInt64(ti, i), offset: base + ti.readInt32BE(i + 8) });
    }
    segments.push(seg);
  }
  return { ...p, segments, files };
}

async function dumpSegment(data: Buffer, file: string, baseOffset: number, records: boolean): Promise<DumpedSegment> {
  const seg: DumpedSegment = { file, baseOffset, bytes: data.length, batches: [] };
  let pos = 0;
  while (pos < data.length) {
    if (data.length - pos < RECORD_BATCH_OVERHEAD) {
      seg.problem = { position: pos, problem: 'partial batch header' };
      break;
    }
    let header: RecordBatchHeader;
    try {
      header = parseBatchHeader(data, pos);
    } catch (e) {
      seg.problem = { position: pos, problem: (e as Error).message };
      break;
    }
    const size = LOG_OVERHEAD + header.batchLength;
    if (header.batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD || pos + size > data.length) {
      seg.problem = { position: pos, problem: `batch length ${header.batchLength} does not fit` };
      break;
    }
    const batch: DumpedBatch = { position: pos, size, header, crcValid: validateBatchCrc(data, pos) };
    if (records) {
      try {
        batch.records = (await decodeBatch(data.subarray(pos, pos + size), 0)).records;
      } catch (e) {
        batch.recordsError = (e as Error).message;
      }
    }
    seg.batches.push(batch);
    pos += size;
  }
  return seg;
}
