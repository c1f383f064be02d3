// Kafka record data: RecordBatch v2 (magic 2) read, validated, stamped and
// built; legacy message sets (magic 0 and 1) decoded for old clients.
//
// RecordBatch v2 layout (big-endian; the CRC covers attributes..end):
//   0 baseOffset int64        8 batchLength int32 (bytes after this field)
//  12 partitionLeaderEpoch    16 magic int8       17 crc uint32 (CRC-32C)
//  21 attributes int16        23 lastOffsetDelta int32
//  27 baseTimestamp int64     35 maxTimestamp int64
//  43 producerId int64        51 producerEpoch int16
//  53 baseSequence int32      57 recordCount int32
//  61 records, compressed as a whole when attributes say so
// attributes: bits 0-2 codec, 3 timestamp type (1 = LogAppendTime),
//             4 transactional, 5 control, 6 has delete horizon.
// Record: length varint, attributes int8, timestampDelta varlong, offsetDelta
// varint, key (varint length, -1 null), value (same), header count varint,
// headers [key (varint length + utf8), value (varint length, -1 null)].
//
// Everything that reads bytes from a client is bounded by the buffer it was
// given: lengths are checked before use, nothing is allocated from a declared
// size, and the only exception that leaves is RecordBatchError (whose
// `errorCode` is the Kafka error to answer with).

import zlib from 'node:zlib';
import {
  Compression,
  CompressionError,
  type CompressOptions,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type DecompressOptions,
  compress,
  compressSync,
  decompress,
  decompressSync,
  isCompressionCodec,
} from './compression.js';
import { crc32c, crc32cUpdate } from './crc32c.js';
import { ErrorCode } from './errors.js';
import { DecodeError, Reader } from './reader.js';
import { Writer } from './writer.js';

/** baseOffset + batchLength: the bytes before what batchLength counts. */
export const LOG_OVERHEAD = 12;
/** Size of a v2 batch header, records excluded. */
export const RECORD_BATCH_OVERHEAD = 61;
export const CURRENT_MAGIC = 2;
export const NO_TIMESTAMP = -1n;

import {
  OFF_LENGTH,
  OFF_LEADER_EPOCH as OFF_EPOCH,
  OFF_MAGIC,
  OFF_CRC,
  OFF_ATTRIBUTES,
  OFF_MAX_TIMESTAMP,
  ATTR_COMPRESSION_MASK,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND as ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
} from './record-batch-layout.js';

export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampTypeId = (typeof TimestampType)[keyof typeof TimestampType];

// ---------------------------------------------------------------------------
// errors

export type RecordBatchErrorKind =
  /** The buffer ends inside a header, a batch or a message. */
  | 'truncated'
  /** Magic byte other than the one expected. */
  | 'bad-magic'
  /** A declared batch or message length smaller than its own header. */
  | 'bad-length'
  /** Stored checksum does not match the bytes. */
  | 'crc-mismatch'
  /** A record inside a batch is malformed (bad varint, length overrun, trailing bytes...). */
  | 'corrupt-record'
  /** Record count, offsets or sizes disagree with the batch header. */
  | 'invalid-batch'
  /** Compression codec unknown or unavailable. */
  | 'unsupported-compression'
  /** Compressed data that does not decompress. */
  | 'corrupt-compression'
  /** Decompressed data that would exceed the configured limit. */
  | 'too-large';

const KIND_TO_CODE: Record<RecordBatchErrorKind, number> = {
  truncated: ErrorCode.CORRUPT_MESSAGE,
  'bad-magic': ErrorCode.CORRUPT_MESSAGE,
  'bad-length': ErrorCode.CORRUPT_MESSAGE,
  'crc-mismatch': ErrorCode.CORRUPT_MESSAGE,
  'corrupt-record': ErrorCode.CORRUPT_MESSAGE,
  'invalid-batch': ErrorCode.INVALID_RECORD,
  'unsupported-compression': ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  'corrupt-compression': ErrorCode.CORRUPT_MESSAGE,
  'too-large': ErrorCode.CORRUPT_MESSAGE,
};

export class RecordBatchError extends Error {
  override name = 'RecordBatchError';
  constructor(
    readonly kind: RecordBatchErrorKind,
    message: string,
    /** Byte position (in the buffer given) of the batch or message at fault. */
    readonly position: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The Kafka error code a broker answers with (CORRUPT_MESSAGE, INVALID_RECORD, UNSUPPORTED_COMPRESSION_TYPE). */
  get errorCode(): number {
    // A compression failure answers with its own code, so every codec and every caller agree.
    return this.cause instanceof CompressionError ? this.cause.errorCode : KIND_TO_CODE[this.kind];
  }
}

function fromCompressionError(err: CompressionError, position: number): RecordBatchError {
  const kind: RecordBatchErrorKind =
    err.reason === 'unsupported' ? 'unsupported-compression' : err.reason === 'too-large' ? 'too-large' : 'corrupt-compression';
  return new RecordBatchError(kind, err.message, position, { cause: err });
}

// ---------------------------------------------------------------------------
// batch header

export interface RecordBatchHeader {
  baseOffset: bigint;
  /** Bytes after the length field; the whole batch is LOG_OVERHEAD + batchLength. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  /** Codec bits of attributes: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd (5..7 are invalid). */
  compression: number;
  timestampType: TimestampTypeId;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** A batch found in a buffer: its header and its byte range [start, end). */
export interface BatchSpan {
  header: RecordBatchHeader;
  start: number;
  end: number;
}

/** Total size of the batch described by a header. */
export function batchSize(h: RecordBatchHeader): number {
  return LOG_OVERHEAD + h.batchLength;
}

/** Offset of the batch's last record (baseOffset + lastOffsetDelta). */
export function lastOffset(h: RecordBatchHeader): bigint {
  return h.baseOffset + BigInt(h.lastOffsetDelta);
}

/**
 * Reads the 61-byte header at `offset` without looking at the records or the
 * declared length. Throws RecordBatchError ('truncated', 'bad-magic').
 */
export function parseBatchHeader(buf: Buffer, offset = 0): RecordBatchHeader {
  if (!Number.isInteger(offset) || offset < 0 || offset + RECORD_BATCH_OVERHEAD > buf.length) {
    throw new RecordBatchError('truncated', `record batch header needs ${RECORD_BATCH_OVERHEAD} bytes at ${offset}, buffer has ${buf.length}`, offset);
  }
  const magic = buf.readInt8(offset + OFF_MAGIC);
  if (magic !== CURRENT_MAGIC) throw new RecordBatchError('bad-magic', `record batch magic ${magic}, expected ${CURRENT_MAGIC}`, offset);
  const attributes = buf.readInt16BE(offset + OFF_ATTRIBUTES);
  return {
    baseOffset: buf.readBigInt64BE(offset),
    batchLength: buf.readInt32BE(offset + OFF_LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(offset + OFF_EPOCH),
    magic,
    crc: buf.readUInt32BE(offset + OFF_CRC),
    attributes,
    compression: attributes & ATTR_COMPRESSION_MASK,
    timestampType: attributes & ATTR_TIMESTAMP_TYPE ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    hasDeleteHorizon: (attributes & ATTR_DELETE_HORIZON) !== 0,
    lastOffsetDelta: buf.readInt32BE(offset + 23),
    baseTimestamp: buf.readBigInt64BE(offset + 27),
    maxTimestamp: buf.readBigInt64BE(offset + OFF_MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(offset + 43),
    producerEpoch: buf.readInt16BE(offset + 51),
    baseSequence: buf.readInt32BE(offset + 53),
    recordCount: buf.readInt32BE(offset + 57),
  };
}

/**
 * The end of the batch at `offset` after checking that its header is whole,
 * its magic is 2 and its declared length is sane and inside `end`.
 */
function checkedBatchEnd(buf: Buffer, offset: number, end: number): number {
  const left = end - offset;
  if (left < OFF_MAGIC + 1) {
    throw new RecordBatchError('truncated', `${left} bytes at ${offset} cannot hold a record batch header`, offset);
  }
  const magic = buf.readInt8(offset + OFF_MAGIC);
  if (magic !== CURRENT_MAGIC) throw new RecordBatchError('bad-magic', `record batch magic ${magic}, expected ${CURRENT_MAGIC}`, offset);
  const batchLength = buf.readInt32BE(offset + OFF_LENGTH);
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
    throw new RecordBatchError('bad-length', `record batch length ${batchLength} is smaller than the ${RECORD_BATCH_OVERHEAD - LOG_OVERHEAD}-byte header`, offset);
  }
  if (batchLength > left - LOG_OVERHEAD) {
    throw new RecordBatchError('truncated', `record batch length ${batchLength} at ${offset} runs past the ${left - LOG_OVERHEAD} bytes left`, offset);
  }
  return offset + LOG_OVERHEAD + batchLength;
}

function computeCrc(buf: Buffer, offset: number, end: number): number {
  return crc32c(buf, offset + OFF_ATTRIBUTES, end);
}

/**
 * Whether the stored CRC-32C of the batch at `offset` matches its bytes
 * (attributes through the end of the batch, as Kafka computes it). Throws
 * RecordBatchError when the batch is not whole in `buf`.
 */
export function validateBatchCrc(buf: Buffer, offset = 0): boolean {
  const end = checkedBatchEnd(buf, offset, buf.length);
  return computeCrc(buf, offset, end) === buf.readUInt32BE(offset + OFF_CRC);
}

export interface WalkOptions {
  start?: number;
  end?: number;
  /** Check every batch's CRC (default true). */
  verifyCrc?: boolean;
}

export interface WalkResult {
  /** The batches that passed, in order. */
  batches: BatchSpan[];
  /** End of the last good batch: where a torn or corrupt tail starts. */
  validEnd: number;
  /** Why the walk stopped before the end, or null when every byte was a good batch. */
  error: RecordBatchError | null;
}

/**
 * Splits concatenated v2 batches (a Produce request's records, a segment's
 * bytes) into headers and byte ranges, checking magic, lengths and (by
 * default) CRCs. Never throws for bad bytes: the first problem ends the walk
 * and is returned with the good batches before it.
 */
export function walkBatches(buf: Buffer, opts: WalkOptions = {}): WalkResult {
  const start = opts.start ?? 0;
  const end = opts.end ?? buf.length;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > buf.length || start > end) {
    throw new RangeError(`walk range [${start}, ${end}) outside buffer of ${buf.length} bytes`);
  }
  const verifyCrc = opts.verifyCrc ?? true;
  const batches: BatchSpan[] = [];
  let pos = start;
  while (pos < end) {
    let batchEnd: number;
    try {
      batchEnd = checkedBatchEnd(buf, pos, end);
    } catch (err) {
      return { batches, validEnd: pos, error: err as RecordBatchError };
    }
    const header = parseBatchHeader(buf, pos);
    if (verifyCrc) {
      const actual = computeCrc(buf, pos, batchEnd);
      if (actual !== header.crc) {
        const error = new RecordBatchError(
          'crc-mismatch',
          `record batch at ${pos} has CRC ${header.crc.toString(16)}, bytes give ${actual.toString(16)}`,
          pos,
        );
        return { batches, validEnd: pos, error };
      }
    }
    batches.push({ header, start: pos, end: batchEnd });
    pos = batchEnd;
  }
  return { batches, validEnd: pos, error: null };
}

/**
 * Checks Kafka applies to a batch a client produced: a known codec, a positive
 * record count that matches the offset range, and no control flag. Returns the
 * problem, or null.
 */
export function checkProducedBatch(span: BatchSpan): RecordBatchError | null {
  const h = span.header;
  if (!isCompressionCodec(h.compression)) {
    return new RecordBatchError('unsupported-compression', `unknown compression codec ${h.compression}`, span.start);
  }
  if (h.recordCount <= 0) return new RecordBatchError('invalid-batch', `invalid record count ${h.recordCount}`, span.start);
  if (h.lastOffsetDelta < 0) return new RecordBatchError('invalid-batch', `invalid lastOffsetDelta ${h.lastOffsetDelta}`, span.start);
  if (h.lastOffsetDelta + 1 !== h.recordCount) {
    return new RecordBatchError(
      'invalid-batch',
      `record count ${h.recordCount} disagrees with the offset range (lastOffsetDelta ${h.lastOffsetDelta})`,
      span.start,
    );
  }
  return null;
}

// ---------------------------------------------------------------------------
// stamping in place

/** Writes baseOffset (outside the CRC, so nothing else changes). */
export function setBaseOffset(buf: Buffer, offset: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, offset);
}

/** Writes partitionLeaderEpoch (outside the CRC). */
export function setPartitionLeaderEpoch(buf: Buffer, offset: number, epoch: number): void {
  buf.writeInt32BE(epoch, offset + OFF_EPOCH);
}

/** Recomputes and stores the CRC of the (whole) batch at `offset`; returns it. */
export function writeBatchCrc(buf: Buffer, offset: number): number {
  const end = checkedBatchEnd(buf, offset, buf.length);
  const crc = computeCrc(buf, offset, end);
  buf.writeUInt32BE(crc, offset + OFF_CRC);
  return crc;
}

/**
 * Sets the timestamp type bit and maxTimestamp, then recomputes the CRC, as
 * the broker does for LogAppendTime topics. The batch must be whole in `buf`.
 */
export function setMaxTimestamp(buf: Buffer, offset: number, timestampType: TimestampTypeId, maxTimestamp: bigint): void {
  checkedBatchEnd(buf, offset, buf.length);
  const attrs = buf.readInt16BE(offset + OFF_ATTRIBUTES);
  const next = timestampType === TimestampType.LogAppendTime ? attrs | ATTR_TIMESTAMP_TYPE : attrs & ~ATTR_TIMESTAMP_TYPE;
  buf.writeInt16BE(next, offset + OFF_ATTRIBUTES);
  buf.writeBigInt64BE(maxTimestamp, offset + OFF_MAX_TIMESTAMP);
  writeBatchCrc(buf, offset);
}

// ---------------------------------------------------------------------------
// records

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  /** baseOffset + offsetDelta. */
  offset: bigint;
  offsetDelta: number;
  /** baseTimestamp + timestampDelta, or maxTimestamp for LogAppendTime batches (as Kafka reads them). */
  timestamp: bigint;
  timestampDelta: bigint;
  attributes: number;
  /** Slices of the batch (or of its decompressed records): no copies. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type RecordIterationOptions = DecompressOptions;

/** The records section of a batch: [start + 61, end). */
function recordsRegion(buf: Buffer, span: BatchSpan): Buffer {
  return buf.subarray(span.start + RECORD_BATCH_OVERHEAD, span.end);
}

function spanAt(buf: Buffer, offset: number): BatchSpan {
  const end = checkedBatchEnd(buf, offset, buf.length);
  return { header: parseBatchHeader(buf, offset), start: offset, end };
}

/** The uncompressed records section of the batch, decompressing when needed. */
export async function batchRecordsPayload(buf: Buffer, span: BatchSpan, opts?: RecordIterationOptions): Promise<Buffer> {
  const region = recordsRegion(buf, span);
  if (span.header.compression === Compression.none) return region;
  try {
    return await decompress(span.header.compression, region, opts);
  } catch (err) {
    if (err instanceof CompressionError) throw fromCompressionError(err, span.start);
    throw err;
  }
}

/** Synchronous batchRecordsPayload (zstd batches fail with 'unsupported-compression'). */
export function batchRecordsPayloadSync(buf: Buffer, span: BatchSpan, opts?: RecordIterationOptions): Buffer {
  const region = recordsRegion(buf, span);
  if (span.header.compression === Compression.none) return region;
  try {
    return decompressSync(span.header.compression, region, opts);
  } catch (err) {
    if (err instanceof CompressionError) throw fromCompressionError(err, span.start);
    throw err;
  }
}

function readRecord(r: Reader, header: RecordBatchHeader, logAppendTime: bigint | null): KafkaRecord {
  const length = r.varint();
  if (length < 0 || length > r.remaining) throw new DecodeError(`record length ${length} with ${r.remaining} bytes left`);
  const end = r.pos + length;
  const rr = new Reader(r.buf, r.pos, end);
  const attributes = rr.int8();
  const timestampDelta = rr.varlong();
  const offsetDelta = rr.varint();
  const key = varBytes(rr);
  const value = varBytes(rr);
  const headerCount = rr.varint();
  if (headerCount < 0) throw new DecodeError(`negative header count ${headerCount}`);
  // Each header takes at least two bytes, so a larger count is a lie.
  if (headerCount > rr.remaining / 2) throw new DecodeError(`header count ${headerCount} with ${rr.remaining} bytes left`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const keyLength = rr.varint();
    if (keyLength < 0) throw new DecodeError(`header key length ${keyLength}`);
    const hkey = rr.utf8(keyLength);
    headers.push({ key: hkey, value: varBytes(rr) });
  }
  if (rr.remaining !== 0) throw new DecodeError(`record declared ${length} bytes but used ${length - rr.remaining}`);
  r.pos = end;
  return {
    offset: header.baseOffset + BigInt(offsetDelta),
    offsetDelta,
    timestamp: logAppendTime ?? header.baseTimestamp + timestampDelta,
    timestampDelta,
    attributes,
    key,
    value,
    headers,
  };
}

function varBytes(r: Reader): Buffer | null {
  const n = r.varint();
  if (n < -1) throw new DecodeError(`negative length ${n}`);
  return n === -1 ? null : r.slice(n);
}

/**
 * Iterates the records of a batch, given its header and its uncompressed
 * records section. Exactly `recordCount` records must fill the section.
 * Throws RecordBatchError ('corrupt-record', 'invalid-batch'); `position`
 * is reported in errors (the batch's start in its buffer).
 */
export function* iterateRecords(header: RecordBatchHeader, payload: Buffer, position = 0): Generator<KafkaRecord, void, undefined> {
  if (header.recordCount < 0) throw new RecordBatchError('invalid-batch', `negative record count ${header.recordCount}`, position);
  const logAppendTime = header.timestampType === TimestampType.LogAppendTime ? header.maxTimestamp : null;
  const r = new Reader(payload);
  for (let i = 0; i < header.recordCount; i++) {
    if (r.remaining === 0) {
      throw new RecordBatchError('invalid-batch', `batch declares ${header.recordCount} records but holds ${i}`, position);
    }
    let rec: KafkaRecord;
    try {
      rec = readRecord(r, header, logAppendTime);
    } catch (err) {
      if (err instanceof DecodeError) {
        throw new RecordBatchError('corrupt-record', `record ${i} of the batch at ${position}: ${err.message}`, position, { cause: err });
      }
      throw err;
    }
    yield rec;
  }
  if (r.remaining !== 0) {
    throw new RecordBatchError('invalid-batch', `${r.remaining} bytes left after the ${header.recordCount} declared records`, position);
  }
}

export interface DecodedBatch {
  header: RecordBatchHeader;
  start: number;
  end: number;
  records: KafkaRecord[];
}

/** Decodes the whole batch at `offset` (decompressing when needed). Does not check the CRC: walkBatches does. */
export async function decodeBatch(buf: Buffer, offset = 0, opts?: RecordIterationOptions): Promise<DecodedBatch> {
  const span = spanAt(buf, offset);
  const payload = await batchRecordsPayload(buf, span, opts);
  return { ...span, records: [...iterateRecords(span.header, payload, span.start)] };
}

/** Synchronous decodeBatch (zstd batches fail with 'unsupported-compression'). */
export function decodeBatchSync(buf: Buffer, offset = 0, opts?: RecordIterationOptions): DecodedBatch {
  const span = spanAt(buf, offset);
  const payload = batchRecordsPayloadSync(buf, span, opts);
  return { ...span, records: [...iterateRecords(span.header, payload, span.start)] };
}

// ---------------------------------------------------------------------------
// building

export interface RecordInput {
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: readonly RecordHeader[];
  timestamp: bigint | number;
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
  /** Record attributes byte (unused by Kafka, 0). */
  attributes?: number;
}

export interface BuildBatchOptions {
  baseOffset?: bigint;
  records: readonly RecordInput[];
  compression?: number;
  compressionLevel?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  timestampType?: TimestampTypeId;
  isTransactional?: boolean;
  isControl?: boolean;
  partitionLeaderEpoch?: number;
  /** Defaults to the first record's timestamp (-1 for an empty batch), or deleteHorizonMs when given. */
  baseTimestamp?: bigint;
  /** Defaults to the largest record timestamp (-1 for an empty batch). */
  maxTimestamp?: bigint;
  /** Defaults to the last record's offsetDelta (0 for an empty batch). */
  lastOffsetDelta?: number;
  /** Sets the delete-horizon attribute; the horizon is stored as baseTimestamp. */
  deleteHorizonMs?: bigint;
}

function varintSize(v: number): number {
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

function varlongSize(v: bigint): number {
  let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}

function bytesSize(b: Buffer | null | undefined): number {
  return b == null ? 1 : varintSize(b.length) + b.length;
}

interface Prepared {
  payload: Buffer;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
}

function prepare(opts: BuildBatchOptions): Prepared {
  const records = opts.records;
  const ts = records.map((r) => BigInt(r.timestamp));
  const baseTimestamp = opts.baseTimestamp ?? opts.deleteHorizonMs ?? (ts.length > 0 ? ts[0] : NO_TIMESTAMP);
  let maxTimestamp = opts.maxTimestamp ?? NO_TIMESTAMP;
  if (opts.maxTimestamp === undefined) for (const t of ts) if (t > maxTimestamp) maxTimestamp = t;

  const w = new Writer(Math.min(64 * 1024, 64 + records.length * 64));
  let lastDelta = 0;
  records.forEach((r, i) => {
    const offsetDelta = r.offsetDelta ?? i;
    const timestampDelta = ts[i] - baseTimestamp;
    const headers = r.headers ?? [];
    let size = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta) + bytesSize(r.key) + bytesSize(r.value) + varintSize(headers.length);
    const keyLens = headers.map((h) => Buffer.byteLength(h.key, 'utf8'));
    headers.forEach((h, j) => (size += varintSize(keyLens[j]) + keyLens[j] + bytesSize(h.value)));
    w.varint(size).int8(r.attributes ?? 0).varlong(timestampDelta).varint(offsetDelta);
    writeVarBytes(w, r.key ?? null);
    writeVarBytes(w, r.value ?? null);
    w.varint(headers.length);
    headers.forEach((h, j) => {
      w.varint(keyLens[j]);
      w.raw(Buffer.from(h.key, 'utf8'));
      writeVarBytes(w, h.value);
    });
    lastDelta = offsetDelta;
  });

  const codec = opts.compression ?? Compression.none;
  let attributes = codec & ATTR_COMPRESSION_MASK;
  if (opts.timestampType === TimestampType.LogAppendTime) attributes |= ATTR_TIMESTAMP_TYPE;
  if (opts.isTransactional) attributes |= ATTR_TRANSACTIONAL;
  if (opts.isControl) attributes |= ATTR_CONTROL;
  if (opts.deleteHorizonMs !== undefined) attributes |= ATTR_DELETE_HORIZON;
  return {
    payload: w.toBuffer(),
    attributes,
    lastOffsetDelta: opts.lastOffsetDelta ?? (records.length > 0 ? lastDelta : 0),
    baseTimestamp,
    maxTimestamp,
  };
}

function writeVarBytes(w: Writer, b: Buffer | null): void {
  if (b === null) w.varint(-1);
  else w.varint(b.length).raw(b);
}

function assemble(opts: BuildBatchOptions, p: Prepared, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + body.length);
  out.writeBigInt64BE(opts.baseOffset ?? 0n, 0);
  out.writeInt32BE(RECORD_BATCH_OVERHEAD - LOG_OVERHEAD + body.length, OFF_LENGTH);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? -1, OFF_EPOCH);
  out.writeInt8(CURRENT_MAGIC, OFF_MAGIC);
  out.writeInt16BE(p.attributes, OFF_ATTRIBUTES);
  out.writeInt32BE(p.lastOffsetDelta, 23);
  out.writeBigInt64BE(p.baseTimestamp, 27);
  out.writeBigInt64BE(p.maxTimestamp, OFF_MAX_TIMESTAMP);
  out.writeBigInt64BE(opts.producerId ?? -1n, 43);
  out.writeInt16BE(opts.producerEpoch ?? -1, 51);
  out.writeInt32BE(opts.baseSequence ?? -1, 53);
  out.writeInt32BE(opts.records.length, 57);
  body.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeUInt32BE(crc32cUpdate(0, out, OFF_ATTRIBUTES, out.length), OFF_CRC);
  return out;
}

function compressOpts(opts: BuildBatchOptions): CompressOptions {
  return opts.compressionLevel === undefined ? {} : { level: opts.compressionLevel };
}

/** Builds one v2 batch with a correct CRC. Throws CompressionError for an unknown codec. */
export async function buildRecordBatch(opts: BuildBatchOptions): Promise<Buffer> {
  const p = prepare(opts);
  const codec = opts.compression ?? Compression.none;
  const body = codec === Compression.none ? p.payload : await compress(codec, p.payload, compressOpts(opts));
  return assemble(opts, p, body);
}

/** Synchronous buildRecordBatch (zstd fails with CompressionError 'unsupported'). */
export function buildRecordBatchSync(opts: BuildBatchOptions): Buffer {
  const p = prepare(opts);
  const codec = opts.compression ?? Compression.none;
  const body = codec === Compression.none ? p.payload : compressSync(codec, p.payload, compressOpts(opts));
  return assemble(opts, p, body);
}

// ---------------------------------------------------------------------------
// legacy message sets (magic 0 and 1), decode only
//
// MessageSet: [offset int64, messageSize int32, message]; message: crc uint32
// (CRC-32/IEEE over magic..end), magic int8, attributes int8 (bits 0-2 codec,
// bit 3 LogAppendTime for magic 1), timestamp int64 (magic 1 only), key bytes,
// value bytes (int32 lengths, -1 null). A compressed message's value is a
// whole inner message set. In a magic-1 wrapper the inner offsets are relative
// and the wrapper carries the absolute offset of the last inner message.

export interface LegacyMessage {
  offset: bigint;
  magic: 0 | 1;
  attributes: number;
  crc: number;
  /** Magic 1 only; -1 for magic 0. For a LogAppendTime wrapper, the wrapper's timestamp. */
  timestamp: bigint;
  timestampType: TimestampTypeId;
  key: Buffer | null;
  value: Buffer | null;
}

interface LegacyEntry extends LegacyMessage {
  position: number;
  compression: number;
}

const LEGACY_MIN_SIZE = [14, 22];

/** Splits a message set into its messages, checking sizes and CRCs (no decompression). */
function legacyEntries(buf: Buffer, position: number | null): LegacyEntry[] {
  const out: LegacyEntry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const at = position ?? pos;
    const left = buf.length - pos;
    if (left < LOG_OVERHEAD + 5) throw new RecordBatchError('truncated', `${left} bytes at ${pos} cannot hold a message`, at);
    const size = buf.readInt32BE(pos + 8);
    const magic = buf.readInt8(pos + 16);
    if (magic !== 0 && magic !== 1) throw new RecordBatchError('bad-magic', `message magic ${magic}, expected 0 or 1`, at);
    if (size < LEGACY_MIN_SIZE[magic]) throw new RecordBatchError('bad-length', `message size ${size} below the minimum of ${LEGACY_MIN_SIZE[magic]}`, at);
    if (size > left - LOG_OVERHEAD) throw new RecordBatchError('truncated', `message size ${size} at ${pos} runs past the ${left - LOG_OVERHEAD} bytes left`, at);
    const end = pos + LOG_OVERHEAD + size;
    const crc = buf.readUInt32BE(pos + 12);
    const actual = zlib.crc32(buf.subarray(pos + 16, end));
    if (actual !== crc) throw new RecordBatchError('crc-mismatch', `message at ${pos} has CRC ${crc.toString(16)}, bytes give ${actual.toString(16)}`, at);
    const r = new Reader(buf, pos + 17, end);
    try {
      const attributes = r.int8();
      const timestamp = magic === 1 ? r.int64() : NO_TIMESTAMP;
      const key = r.nullableBytes();
      const value = r.nullableBytes();
      if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes after the value`);
      out.push({
        offset: buf.readBigInt64BE(pos),
        magic,
        attributes,
        crc,
        timestamp,
        timestampType: magic === 1 && attributes & ATTR_TIMESTAMP_TYPE ? TimestampType.LogAppendTime : TimestampType.CreateTime,
        key,
        value,
        position: at,
        compression: attributes & ATTR_COMPRESSION_MASK,
      });
    } catch (err) {
      if (err instanceof DecodeError) throw new RecordBatchError('corrupt-record', `message at ${pos}: ${err.message}`, at, { cause: err });
      throw err;
    }
    pos = end;
  }
  return out;
}

function publicMessage(e: LegacyEntry): LegacyMessage {
  return {
    offset: e.offset,
    magic: e.magic,
    attributes: e.attributes,
    crc: e.crc,
    timestamp: e.timestamp,
    timestampType: e.timestampType,
    key: e.key,
    value: e.value,
  };
}

function checkWrapper(w: LegacyEntry): Buffer {
  if (w.compression === Compression.zstd || !isCompressionCodec(w.compression)) {
    throw new RecordBatchError('unsupported-compression', `codec ${w.compression} is not allowed in a magic ${w.magic} message`, w.position);
  }
  if (w.value === null) throw new RecordBatchError('corrupt-record', 'compressed message without a value', w.position);
  return w.value;
}

function expandWrapper(w: LegacyEntry, inner: Buffer): LegacyMessage[] {
  const entries = legacyEntries(inner, w.position);
  if (entries.length === 0) throw new RecordBatchError('corrupt-record', 'compressed message holds no messages', w.position);
  const base = w.magic === 1 ? w.offset - entries[entries.length - 1].offset : 0n;
  return entries.map((e) => {
    if (e.compression !== Compression.none) throw new RecordBatchError('corrupt-record', 'compressed message nested in a compressed message', w.position);
    const m = publicMessage(e);
    if (w.magic === 1) {
      m.offset = base + e.offset;
      if (w.timestampType === TimestampType.LogAppendTime) {
        m.timestamp = w.timestamp;
        m.timestampType = TimestampType.LogAppendTime;
      }
    }
    return m;
  });
}

/**
 * Decodes a legacy message set (magic 0/1), expanding compressed wrappers.
 * `maxOutputBytes` bounds the decompressed bytes of the whole set. Magic-0
 * lz4 messages from pre-0.10 clients (whose frame header checksum was computed
 * wrongly) are not supported.
 */
export async function decodeLegacyMessageSet(buf: Buffer, opts?: RecordIterationOptions): Promise<LegacyMessage[]> {
  const out: LegacyMessage[] = [];
  let budget = opts?.maxOutputBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  for (const e of legacyEntries(buf, null)) {
    if (e.compression === Compression.none) {
      out.push(publicMessage(e));
      continue;
    }
    let inner: Buffer;
    try {
      inner = await decompress(e.compression, checkWrapper(e), { maxOutputBytes: budget });
    } catch (err) {
      if (err instanceof CompressionError) throw fromCompressionError(err, e.position);
      throw err;
    }
    budget -= inner.length;
    out.push(...expandWrapper(e, inner));
  }
  return out;
}

/** Synchronous decodeLegacyMessageSet. */
export function decodeLegacyMessageSetSync(buf: Buffer, opts?: RecordIterationOptions): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  let budget = opts?.maxOutputBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  for (const e of legacyEntries(buf, null)) {
    if (e.compression === Compression.none) {
      out.push(publicMessage(e));
      continue;
    }
    let inner: Buffer;
    try {
      inner = decompressSync(e.compression, checkWrapper(e), { maxOutputBytes: budget });
    } catch (err) {
      if (err instanceof CompressionError) throw fromCompressionError(err, e.position);
      throw err;
    }
    budget -= inner.length;
    out.push(...expandWrapper(e, inner));
  }
  return out;
}

/** Magic byte of the first entry in a records buffer (both formats keep it at byte 16), or -1 if too short. */
export function recordsMagic(buf: Buffer, offset = 0): number {
  return offset >= 0 && offset + OFF_MAGIC < buf.length ? buf.readInt8(offset + OFF_MAGIC) : -1;
}
