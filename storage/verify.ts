// `kafkalite verify`: an offline check of a whole data directory, like Kafka's
// `kafka-dump-log --verify` but for every file the broker keeps. Per partition:
//   segments  every batch: length, magic 2, CRC32C, offsets following on from
//             the segment's base offset, and segments following on from each other;
//   .index    Kafka's structural rules, and every entry naming the last offset
//             of the batch starting at its position;
//   .timeindex timestamps and offsets growing, every entry naming a batch whose
//             largest timestamp it is;
//   producer snapshots (CRC-checked format), partition.metadata;
// and at the top: the checkpoints and the topic file. Read-only: it never
// repairs (the broker's recovery does that at start).

import { OFF_LAST_OFFSET_DELTA, OFF_MAX_TIMESTAMP, OFF_RECORD_COUNT, readInt64 } from './batch.js';
import { LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT, parseCheckpoint } from './checkpoint.js';
import { joinPath, type FileSystem } from './fs.js';
import { HandlePool } from './handle-pool.js';
import { OffsetIndex, TimeIndex } from './indexes.js';
import { silentLogger } from './logger.js';
import { ProducerStateManager } from './producer-state.js';
import { INDEX_SUFFIX, LOG_SUFFIX, SNAPSHOT_SUFFIX, Segment, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, offsetFileName, parseOffsetFileName } from './segment.js';
import { readTxnIndex } from './txn-index.js';

const INT32_MAX = 0x7fffffff;

export interface Fault {
  /** Path relative to the data directory. */
  file: string;
  /** Byte position in the file, when the fault has one. */
  position?: number;
  problem: string;
}

export interface SegmentSummary {
  file: string;
  baseOffset: number;
  /** Offset after the last valid batch. */
  nextOffset: number;
  batches: number;
  records: number;
  bytes: number;
}

export interface PartitionReport {
  dir: string;
  segments: SegmentSummary[];
  indexEntries: number;
  timeIndexEntries: number;
  snapshots: number;
}

export interface VerifyReport {
  dataDir: string;
  partitions: PartitionReport[];
  /** Top-level files checked (topic file, checkpoints). */
  files: string[];
  faults: Fault[];
}

/** Checks every file of the data directory; the report lists each fault found. */
export async function verifyDataDir(fs: FileSystem, dataDir: string): Promise<VerifyReport> {
  const report: VerifyReport = { dataDir, partitions: [], files: [], faults: [] };
  const names = (await fs.readdir(dataDir)).sort();
  for (const name of [RECOVERY_POINT_CHECKPOINT, LOG_START_OFFSET_CHECKPOINT]) {
    if (!names.includes(name)) continue;
    report.files.push(name);
    if (parseCheckpoint((await fs.readFile(joinPath(dataDir, name))).toString('utf8')) === null) {
      report.faults.push({ file: name, problem: 'malformed checkpoint' });
    }
  }
  for (const name of names) {
    if (!/-\d+$/.test(name)) continue;
    if (!(await fs.stat(joinPath(dataDir, name))).isDirectory) continue;
    report.partitions.push(await verifyPartition(fs, dataDir, name, report.faults));
  }
  return report;
}

interface BatchAt {
  position: number;
  last: number;
  maxTimestamp: number;
}

async function verifyPartition(fs: FileSystem, dataDir: string, dirName: string, faults: Fault[]): Promise<PartitionReport> {
  const dir = joinPath(dataDir, dirName);
  const names = (await fs.readdir(dir)).sort();
  const out: PartitionReport = { dir: dirName, segments: [], indexEntries: 0, timeIndexEntries: 0, snapshots: 0 };
  const rel = (n: string): string => `${dirName}/${n}`;
  const env = { fs, dir, logger: silentLogger, files: new HandlePool(fs, 1), readOnly: true };

  const meta = names.includes('partition.metadata') ? (await fs.readFile(joinPath(dir, 'partition.metadata'))).toString('utf8') : undefined;
  if (meta !== undefined && !/^version: 0\ntopic_id: \S+\n?$/.test(meta)) faults.push({ file: rel('partition.metadata'), problem: 'malformed' });

  let prevNext: number | undefined;
  for (const name of names) {
    const base = parseOffsetFileName(name, LOG_SUFFIX);
    if (base === undefined) continue;
    const seg = new Segment(env, base);
    const batches: BatchAt[] = [];
    let records = 0;
    let scan;
    try {
      const size = (await fs.stat(seg.logPath)).size;
      seg.writtenSize = size;
      let expected = base;
      scan = await seg.scan(0, size, true, (buf, at, filePos) => {
        const b = readInt64(buf, at);
        if (b < expected) return `batch base offset ${b}, expected at least ${expected}`;
        const last = b + buf.readInt32BE(at + OFF_LAST_OFFSET_DELTA);
        if (last - base > INT32_MAX) return 'offset does not fit the segment';
        batches.push({ position: filePos, last, maxTimestamp: readInt64(buf, at + OFF_MAX_TIMESTAMP) });
        records += buf.readInt32BE(at + OFF_RECORD_COUNT);
        expected = last + 1;
        return undefined;
      });
      if (scan.problem !== null) faults.push({ file: rel(name), position: scan.end, problem: scan.problem });
      // a gap between segments is legal (compaction); an overlap is not
      if (prevNext !== undefined && base < prevNext) {
        faults.push({ file: rel(name), problem: `segment starts at ${base}, the previous one ends before ${prevNext}` });
      }
      const nextOffset = batches.length > 0 ? batches[batches.length - 1]!.last + 1 : base;
      prevNext = nextOffset;
      out.segments.push({ file: name, baseOffset: base, nextOffset, batches: batches.length, records, bytes: size });
      out.indexEntries += await verifyOffsetIndex(fs, seg, batches, scan.end, faults, rel);
      out.timeIndexEntries += await verifyTimeIndex(fs, seg, batches, faults, rel);
    } finally {
      seg.retire();
    }
  }

  for (const name of names) {
    if (parseOffsetFileName(name, SNAPSHOT_SUFFIX) === undefined) continue;
    out.snapshots++;
    if (!new ProducerStateManager(dirName).load(await fs.readFile(joinPath(dir, name)))) faults.push({ file: rel(name), problem: 'invalid producer snapshot' });
  }
  for (const name of names) {
    const base = parseOffsetFileName(name, INDEX_SUFFIX) ?? parseOffsetFileName(name, TIME_INDEX_SUFFIX) ?? parseOffsetFileName(name, TXN_INDEX_SUFFIX);
    if (base !== undefined && !out.segments.some((s) => s.baseOffset === base)) faults.push({ file: rel(name), problem: 'index without its segment' });
  }
  for (const s of out.segments) {
    const entries = await readTxnIndex(fs, joinPath(dir, offsetFileName(s.baseOffset, TXN_INDEX_SUFFIX)), s.baseOffset, s.nextOffset);
    if (typeof entries === 'string') faults.push({ file: rel(offsetFileName(s.baseOffset, TXN_INDEX_SUFFIX)), problem: `transaction index: ${entries}` });
  }
  return out;
}

/** Index of the batch starting at `position`, or -1. */
function batchAtPosition(batches: BatchAt[], position: number): number {
  let lo = 0;
  let hi = batches.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const p = batches[mid]!.position;
    if (p === position) return mid;
    if (p < position) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

async function readIfPresent(fs: FileSystem, path: string): Promise<Buffer | undefined> {
  return (await fs.exists(path)) ? fs.readFile(path) : undefined;
}

async function verifyOffsetIndex(fs: FileSystem, seg: Segment, batches: BatchAt[], validEnd: number, faults: Fault[], rel: (n: string) => string): Promise<number> {
  const buf = await readIfPresent(fs, seg.indexPath);
  if (buf === undefined) return 0;
  const file = rel(seg.indexPath.slice(seg.indexPath.lastIndexOf('/') + 1));
  const maxRel = batches.length > 0 ? batches[batches.length - 1]!.last - seg.baseOffset : 0;
  const idx = OffsetIndex.parse(buf, Math.max(1, validEnd), maxRel);
  if (typeof idx === 'string') {
    faults.push({ file, problem: idx });
    return 0;
  }
  for (let i = 0; i < idx.length; i++) {
    const pos = idx.positionAt(i);
    const k = batchAtPosition(batches, pos);
    const claimed = seg.baseOffset + idx.relOffsetAt(i);
    if (k < 0) faults.push({ file, position: i * 8, problem: `entry ${i}: position ${pos} is not the start of a batch` });
    else if (batches[k]!.last !== claimed) faults.push({ file, position: i * 8, problem: `entry ${i}: offset ${claimed}, but the batch at ${pos} ends at ${batches[k]!.last}` });
  }
  return idx.length;
}

async function verifyTimeIndex(fs: FileSystem, seg: Segment, batches: BatchAt[], faults: Fault[], rel: (n: string) => string): Promise<number> {
  const buf = await readIfPresent(fs, seg.timeIndexPath);
  if (buf === undefined) return 0;
  const file = rel(seg.timeIndexPath.slice(seg.timeIndexPath.lastIndexOf('/') + 1));
  const maxRel = batches.length > 0 ? batches[batches.length - 1]!.last - seg.baseOffset : 0;
  const idx = TimeIndex.parse(buf, maxRel);
  if (typeof idx === 'string') {
    faults.push({ file, problem: idx });
    return 0;
  }
  const byLast = new Map(batches.map((b) => [b.last, b]));
  for (let i = 0; i < idx.length; i++) {
    const off = seg.baseOffset + idx.relOffsetAt(i);
    const b = byLast.get(off);
    if (!b) faults.push({ file, position: i * 12, problem: `entry ${i}: offset ${off} is not the last offset of a batch` });
    else if (b.maxTimestamp !== idx.timestampAt(i)) {
      faults.push({ file, position: i * 12, problem: `entry ${i}: timestamp ${idx.timestampAt(i)}, but the batch ending at ${off} has ${b.maxTimestamp}` });
    }
  }
  return idx.length;
}
