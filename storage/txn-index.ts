// The aborted-transaction index of one segment: `<20-digit base offset>.txnindex`,
// Kafka's format (TransactionIndex / AbortedTxn): 34-byte entries, big endian,
//   version int16 (0), producerId int64, firstOffset int64,
//   lastOffset int64 (the abort marker), lastStableOffset int64 (the LSO once
//   that transaction completed)
// in marker order. Only aborts are indexed; the entry lives in the segment
// holding the marker. read_committed fetches use it to tell the consumer which
// producers' records to drop (`collect`).
//
// Durability: the log appends an entry to the file (and fsyncs it) before the
// marker's bytes are written, so a durable marker always has its entry. A file
// whose size is not a multiple of 34, or with entries past the segment's end,
// is rebuilt from the log on recovery.

import { readInt64, writeInt64 } from './batch.js';
import { isNotFound, type FileSystem } from './fs.js';
import { writeAndSync } from './segment.js';

export const ABORTED_TXN_SIZE = 34;
const ABORTED_TXN_VERSION = 0;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

/**
 * The index entry of an aborted transaction; its LSO: the oldest other open
 * transaction (by the producer state), else the marker + 1 (Kafka).
 */
export function abortedTxnEntry(
  producers: { firstUnstableOffsetExcept(producerId: number): number },
  producerId: number,
  firstOffset: number,
  lastOffset: number,
): AbortedTxn {
  const other = producers.firstUnstableOffsetExcept(producerId);
  return { producerId, firstOffset, lastOffset, lastStableOffset: other >= 0 ? other : lastOffset + 1 };
}

export function encodeAbortedTxns(list: readonly AbortedTxn[]): Buffer {
  const out = Buffer.alloc(list.length * ABORTED_TXN_SIZE);
  let p = 0;
  for (const t of list) {
    out.writeInt16BE(ABORTED_TXN_VERSION, p);
    writeInt64(out, p + 2, t.producerId);
    writeInt64(out, p + 10, t.firstOffset);
    writeInt64(out, p + 18, t.lastOffset);
    writeInt64(out, p + 26, t.lastStableOffset);
    p += ABORTED_TXN_SIZE;
  }
  return out;
}

/** The entries of a `.txnindex` file, or why they cannot be trusted. */
export function decodeAbortedTxns(buf: Buffer, baseOffset: number, nextOffset: number): AbortedTxn[] | string {
  if (buf.length % ABORTED_TXN_SIZE !== 0) return `size ${buf.length} is not a multiple of ${ABORTED_TXN_SIZE}`;
  const out: AbortedTxn[] = [];
  for (let p = 0; p < buf.length; p += ABORTED_TXN_SIZE) {
    const version = buf.readInt16BE(p);
    if (version !== ABORTED_TXN_VERSION) return `entry version ${version}`;
    const t = { producerId: readInt64(buf, p + 2), firstOffset: readInt64(buf, p + 10), lastOffset: readInt64(buf, p + 18), lastStableOffset: readInt64(buf, p + 26) };
    if (t.lastOffset < baseOffset || t.lastOffset >= nextOffset || t.firstOffset > t.lastOffset) return `entry ${JSON.stringify(t)} outside the segment`;
    out.push(t);
  }
  return out;
}

/** Reads a segment's index: [] when there is no file, a string when it is damaged. */
export async function readTxnIndex(fs: FileSystem, path: string, baseOffset: number, nextOffset: number): Promise<AbortedTxn[] | string> {
  let raw: Buffer;
  try {
    raw = await fs.readFile(path);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  return decodeAbortedTxns(raw, baseOffset, nextOffset);
}

/** Appends entries at the end of the index file (`existing` entries already there) and fsyncs it. */
export async function appendTxnIndex(fs: FileSystem, path: string, existing: number, entries: readonly AbortedTxn[]): Promise<void> {
  const fh = await fs.open(path, 'rw');
  try {
    await fh.writev([encodeAbortedTxns(entries)], existing * ABORTED_TXN_SIZE);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces the whole index file (after a rebuild); no file when there are no entries. */
export async function writeTxnIndex(fs: FileSystem, path: string, entries: readonly AbortedTxn[]): Promise<void> {
  if (entries.length === 0) {
    await fs.unlink(path);
    return;
  }
  await writeAndSync(fs, path, encodeAbortedTxns(entries));
}

/**
 * Kafka's collectAbortedTxns over one segment's entries: those with
 * lastOffset >= fetchOffset and firstOffset < upperBound; `complete` once an
 * entry's lastStableOffset reaches upperBound (later segments cannot add any).
 */
export function collectAborted(entries: readonly AbortedTxn[], fetchOffset: number, upperBound: number, out: AbortedTxn[]): boolean {
  for (const t of entries) {
    if (t.lastOffset >= fetchOffset && t.firstOffset < upperBound) out.push(t);
    if (t.lastStableOffset >= upperBound) return true;
  }
  return false;
}
