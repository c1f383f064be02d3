// Record compression codecs, as Kafka puts them on the wire:
//   1 gzip    RFC 1952 stream (node:zlib)
//   2 snappy  the Java client's "xerial" framing: a 16-byte header (magic
//             82 'SNAPPY' 00, version 1, compatible version 1) then blocks of
//             [int32 BE length][raw snappy]; some clients send one raw snappy
//             block instead, so decompression accepts both
//   3 lz4     the standard LZ4 frame format; written as Kafka's Java producer
//             does (independent 64 KiB blocks, no checksums), read in any form
//   4 zstd    standard zstd frames
// Native work is done by napi packages that ship prebuilt binaries (snappy,
// lz4-napi, @mongodb-js/zstd 1.x); they are loaded on first use, so a platform
// without a binary loses only that codec.
//
// Decompression is bounded: before any native decoder runs, the frame structure
// is walked to compute an upper bound of the output (snappy's length preamble,
// lz4 and zstd block headers), and input that might exceed the limit is refused
// with a CompressionError instead of being inflated. gzip uses zlib's own
// maxOutputLength. zstd counts each compressed block at the frame's maximum
// block size (128 KiB or the window), lz4 at min(block maximum, 256 x its
// compressed size), so a frame may be refused although its real output would
// just fit; real producers write full blocks, so the slack is about one block.

import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { ErrorCode } from './errors.js';

export const Compression = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const;
export type CompressionCodec = (typeof Compression)[keyof typeof Compression];

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof NAMES)[number];

export function isCompressionCodec(n: number): n is CompressionCodec {
  return Number.isInteger(n) && n >= 0 && n <= 4;
}

export function compressionName(codec: number): string {
  return isCompressionCodec(codec) ? NAMES[codec] : `unknown(${codec})`;
}

/** Default limit on the bytes one decompression may produce. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export type CompressionFailure =
  /** Codec id unknown, or its native package cannot be loaded here. */
  | 'unsupported'
  /** The compressed bytes are not valid for the codec. */
  | 'corrupt'
  /** The output would exceed the configured limit. */
  | 'too-large';

export class CompressionError extends Error {
  override name = 'CompressionError';
  constructor(
    readonly reason: CompressionFailure,
    readonly codec: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${compressionName(codec)}: ${message}`, options);
  }

  /**
   * The Kafka error a broker answers with: a batch it cannot decompress, or one
   * that would decompress past the limit (a bomb), is CORRUPT_MESSAGE whatever
   * the codec, as Kafka answers; an unknown codec is UNSUPPORTED_COMPRESSION_TYPE.
   */
  get errorCode(): number {
    return this.reason === 'unsupported' ? ErrorCode.UNSUPPORTED_COMPRESSION_TYPE : ErrorCode.CORRUPT_MESSAGE;
  }
}

export interface CompressOptions {
  /** gzip 1..9 (zlib default 6), zstd 1..22 (default 3, as Kafka); ignored by snappy and lz4. */
  level?: number;
}

export interface DecompressOptions {
  /** Refuse to produce more than this many bytes (default 64 MiB). */
  maxOutputBytes?: number;
}

// ---------------------------------------------------------------------------
// native packages, loaded on first use

interface SnappyModule {
  compressSync(input: Uint8Array, options?: { copyOutputData?: boolean }): Buffer;
  compress(input: Uint8Array, options?: { copyOutputData?: boolean }): Promise<Buffer>;
  uncompressSync(input: Uint8Array, options?: { asBuffer?: boolean; copyOutputData?: boolean }): string | Buffer;
  uncompress(input: Uint8Array, options?: { asBuffer?: boolean; copyOutputData?: boolean }): Promise<string | Buffer>;
}
interface Lz4Module {
  /** Raw LZ4 block behind a 4-byte little-endian uncompressed size. */
  compressSync(data: Buffer): Buffer;
  compress(data: Uint8Array): Promise<Buffer>;
  decompressFrameSync(data: Buffer): Buffer;
  decompressFrame(data: Uint8Array): Promise<Buffer>;
}
interface ZstdModule {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

const requireNative = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

function load<T>(pkg: string, codec: CompressionCodec): T {
  let mod = loaded.get(pkg);
  if (mod === undefined) {
    try {
      mod = requireNative(pkg);
    } catch (err) {
      throw new CompressionError('unsupported', codec, `package ${pkg} cannot be loaded on this platform`, { cause: err });
    }
    loaded.set(pkg, mod);
  }
  return mod as T;
}
const snappyLib = (): SnappyModule => load<SnappyModule>('snappy', Compression.snappy);
const lz4Lib = (): Lz4Module => load<Lz4Module>('lz4-napi', Compression.lz4);
const zstdLib = (): ZstdModule => load<ZstdModule>('@mongodb-js/zstd', Compression.zstd);

// ---------------------------------------------------------------------------
// public API

function checkCodec(codec: number): asserts codec is CompressionCodec {
  if (!isCompressionCodec(codec)) throw new CompressionError('unsupported', codec, 'unknown compression codec');
}

function limitOf(opts: DecompressOptions | undefined): number {
  const n = opts?.maxOutputBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`maxOutputBytes must be a non-negative integer, got ${n}`);
  return n;
}

/** zlib output chunk: large enough to avoid thousands of thread-pool hops, small for small inputs. */
function zlibChunk(inputBytes: number, limit: number): number {
  return Math.max(16 * 1024, Math.min(1024 * 1024, inputBytes * 8, limit));
}

export async function compress(codec: number, buf: Buffer, opts?: CompressOptions): Promise<Buffer> {
  checkCodec(codec);
  switch (codec) {
    case Compression.none:
      return buf;
    case Compression.gzip:
      return new Promise((resolve, reject) => {
        zlib.gzip(buf, { level: opts?.level ?? zlib.constants.Z_DEFAULT_COMPRESSION, chunkSize: zlibChunk(buf.length, Infinity) }, (err, out) =>
          err ? reject(new CompressionError('corrupt', codec, err.message, { cause: err })) : resolve(out),
        );
      });
    case Compression.snappy:
      return xerialCompress(buf, (block) => snappyLib().compress(block, { copyOutputData: true }));
    case Compression.lz4: {
      const lib = lz4Lib();
      return lz4Frame(await Promise.all(splitBlocks(buf, LZ4_BLOCK).map((b) => nativeCall(codec, () => lib.compress(b)))), buf);
    }
    case Compression.zstd:
      return nativeCall(codec, () => zstdLib().compress(buf, opts?.level ?? 3));
  }
}

/** Synchronous compression; zstd has no synchronous encoder here and fails with 'unsupported'. */
export function compressSync(codec: number, buf: Buffer, opts?: CompressOptions): Buffer {
  checkCodec(codec);
  switch (codec) {
    case Compression.none:
      return buf;
    case Compression.gzip:
      return zlib.gzipSync(buf, { level: opts?.level ?? zlib.constants.Z_DEFAULT_COMPRESSION, chunkSize: zlibChunk(buf.length, Infinity) });
    case Compression.snappy: {
      const lib = snappyLib();
      return xerialCompressSync(buf, (block) => lib.compressSync(block, { copyOutputData: true }));
    }
    case Compression.lz4: {
      const lib = lz4Lib();
      return lz4Frame(splitBlocks(buf, LZ4_BLOCK).map((b) => nativeCallSync(codec, () => lib.compressSync(b))), buf);
    }
    case Compression.zstd:
      throw new CompressionError('unsupported', codec, 'no synchronous zstd encoder; use compress()');
  }
}

export async function decompress(codec: number, buf: Buffer, opts?: DecompressOptions): Promise<Buffer> {
  checkCodec(codec);
  const limit = limitOf(opts);
  let out: Buffer;
  switch (codec) {
    case Compression.none:
      out = buf;
      break;
    case Compression.gzip:
      out = await new Promise<Buffer>((resolve, reject) => {
        zlib.gunzip(buf, { maxOutputLength: Math.max(1, limit), chunkSize: zlibChunk(buf.length, limit) }, (err, res) =>
          err ? reject(zlibError(err, limit)) : resolve(res),
        );
      });
      break;
    case Compression.snappy: {
      const blocks = snappyBlocks(buf, limit);
      const lib = snappyLib();
      const parts = await Promise.all(
        blocks.map((b) => nativeCall(codec, () => lib.uncompress(b.data, { asBuffer: true, copyOutputData: true }) as Promise<Buffer>)),
      );
      out = joinSnappy(parts, blocks);
      break;
    }
    case Compression.lz4: {
      // lz4-napi decodes only the first frame of its input, so frames go one by one.
      const lib = lz4Lib();
      const frames = lz4Frames(buf, limit);
      const parts = await Promise.all(frames.map((f) => nativeCall(codec, () => lib.decompressFrame(f))));
      out = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      break;
    }
    case Compression.zstd:
      zstdBound(buf, limit);
      out = await nativeCall(codec, () => zstdLib().decompress(buf));
      break;
  }
  return checkOutput(codec, out, limit);
}

/** Synchronous decompression; zstd has no synchronous decoder here and fails with 'unsupported'. */
export function decompressSync(codec: number, buf: Buffer, opts?: DecompressOptions): Buffer {
  checkCodec(codec);
  const limit = limitOf(opts);
  let out: Buffer;
  switch (codec) {
    case Compression.none:
      out = buf;
      break;
    case Compression.gzip:
      try {
        out = zlib.gunzipSync(buf, { maxOutputLength: Math.max(1, limit), chunkSize: zlibChunk(buf.length, limit) });
      } catch (err) {
        throw zlibError(err, limit);
      }
      break;
    case Compression.snappy: {
      const blocks = snappyBlocks(buf, limit);
      const lib = snappyLib();
      const parts = blocks.map((b) => nativeCallSync(codec, () => lib.uncompressSync(b.data, { asBuffer: true, copyOutputData: true }) as Buffer));
      out = joinSnappy(parts, blocks);
      break;
    }
    case Compression.lz4: {
      const lib = lz4Lib();
      const parts = lz4Frames(buf, limit).map((f) => nativeCallSync(codec, () => lib.decompressFrameSync(f)));
      out = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      break;
    }
    case Compression.zstd:
      throw new CompressionError('unsupported', codec, 'no synchronous zstd decoder; use decompress()');
  }
  return checkOutput(codec, out, limit);
}

// ---------------------------------------------------------------------------
// helpers

function checkOutput(codec: CompressionCodec, out: Buffer, limit: number): Buffer {
  if (out.length > limit) throw new CompressionError('too-large', codec, `output of ${out.length} bytes exceeds the limit of ${limit}`);
  return out;
}

function zlibError(err: unknown, limit: number): CompressionError {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
    return new CompressionError('too-large', Compression.gzip, `output exceeds the limit of ${limit} bytes`, { cause: err });
  }
  return new CompressionError('corrupt', Compression.gzip, e?.message ?? String(err), { cause: err });
}

async function nativeCall<T>(codec: CompressionCodec, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CompressionError) throw err;
    throw new CompressionError('corrupt', codec, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

function nativeCallSync<T>(codec: CompressionCodec, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CompressionError) throw err;
    throw new CompressionError('corrupt', codec, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

// --- snappy ----------------------------------------------------------------

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
/** snappy-java's SnappyOutputStream default block size, which Kafka's producer uses. */
const XERIAL_BLOCK = 32 * 1024;

function isXerial(buf: Buffer): boolean {
  return buf.length >= 16 && buf.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

function xerialFrame(parts: Buffer[]): Buffer {
  const out: Buffer[] = [XERIAL_HEADER];
  for (const p of parts) {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(p.length, 0);
    out.push(len, p);
  }
  return Buffer.concat(out);
}

function splitBlocks(buf: Buffer, size: number): Buffer[] {
  const blocks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) blocks.push(buf.subarray(i, i + size));
  return blocks;
}

async function xerialCompress(buf: Buffer, block: (b: Buffer) => Promise<Buffer>): Promise<Buffer> {
  const parts = await Promise.all(splitBlocks(buf, XERIAL_BLOCK).map((b) => nativeCall(Compression.snappy, () => block(b))));
  return xerialFrame(parts);
}

function xerialCompressSync(buf: Buffer, block: (b: Buffer) => Buffer): Buffer {
  return xerialFrame(splitBlocks(buf, XERIAL_BLOCK).map((b) => nativeCallSync(Compression.snappy, () => block(b))));
}

interface SnappyBlock {
  data: Buffer;
  /** Uncompressed length, from the block's preamble. */
  size: number;
}

/** Raw snappy blocks of a xerial stream or of one raw block, with the total checked against the limit. */
function snappyBlocks(buf: Buffer, limit: number): SnappyBlock[] {
  const codec = Compression.snappy;
  const blocks: SnappyBlock[] = [];
  let total = 0;
  const add = (data: Buffer): void => {
    const size = snappyPreamble(data);
    total += size;
    if (total > limit) throw new CompressionError('too-large', codec, `declared output exceeds the limit of ${limit} bytes`);
    blocks.push({ data, size });
  };
  if (!isXerial(buf)) {
    add(buf);
    return blocks;
  }
  let pos = 16;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new CompressionError('corrupt', codec, 'xerial block length truncated');
    const n = buf.readUInt32BE(pos);
    pos += 4;
    if (n > buf.length - pos) throw new CompressionError('corrupt', codec, `xerial block of ${n} bytes overruns the input`);
    add(buf.subarray(pos, pos + n));
    pos += n;
  }
  return blocks;
}

/** A raw snappy block begins with its uncompressed length as an unsigned varint (at most 32 bits). */
function snappyPreamble(b: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= b.length) break;
    const byte = b[i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (value > 0xffffffff) break;
      return value;
    }
  }
  throw new CompressionError('corrupt', Compression.snappy, 'bad length preamble');
}

function joinSnappy(parts: Buffer[], blocks: SnappyBlock[]): Buffer {
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].length !== blocks[i].size) {
      throw new CompressionError('corrupt', Compression.snappy, `block decoded to ${parts[i].length} bytes, preamble said ${blocks[i].size}`);
    }
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

// --- lz4 -------------------------------------------------------------------

/** Frame descriptor as Kafka's Java producer writes it. */
const LZ4_FRAME_HEADER = Buffer.from([
  0x04, 0x22, 0x4d, 0x18, // magic
  0x60, // FLG: version 01, independent blocks, no checksums, no content size
  0x40, // BD: 64 KiB maximum block size
  0x82, // HC: second byte of xxh32(FLG BD, seed 0)
]);
const LZ4_BLOCK = 64 * 1024;

/**
 * Frames raw blocks (each behind lz4-napi's 4-byte size prefix) as one LZ4
 * frame; a block that did not shrink is stored uncompressed, as the format allows.
 */
function lz4Frame(compressed: Buffer[], input: Buffer): Buffer {
  const out: Buffer[] = [LZ4_FRAME_HEADER];
  compressed.forEach((c, i) => {
    const body = c.subarray(4);
    const plain = input.subarray(i * LZ4_BLOCK, (i + 1) * LZ4_BLOCK);
    const stored = body.length >= plain.length;
    const size = Buffer.allocUnsafe(4);
    size.writeUInt32LE((stored ? plain.length | 0x80000000 : body.length) >>> 0, 0);
    out.push(size, stored ? plain : body);
  });
  out.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(out);
}

// --- frame walks for output bounds ------------------------------------------

function isSkippableFrame(magic: number): boolean {
  return (magic & 0xfffffff0) >>> 0 === 0x184d2a50;
}

/**
 * Walks LZ4 frames (and skippable frames) and returns an upper bound of the
 * decompressed size, refusing input whose bound exceeds the limit.
 */
export function lz4Bound(buf: Buffer, limit: number): number {
  return lz4Walk(buf, limit).bound;
}

/** The LZ4 frames of the input (skippable frames dropped), after the bound check. */
function lz4Frames(buf: Buffer, limit: number): Buffer[] {
  return lz4Walk(buf, limit).frames;
}

interface FrameCursor {
  /** Throws a 'corrupt' error unless n bytes are left at pos. */
  need(pos: number, n: number): void;
  corrupt(why: string): CompressionError;
}

/**
 * Walks the frames of `buf` (LZ4 and zstd share the framing of skippable
 * frames): skippable frames are passed over, any other frame must start with
 * `frameMagic` and is read by `readFrame`, which returns where it ends.
 */
function walkFrames(buf: Buffer, codec: CompressionCodec, frameMagic: number, readFrame: (start: number, c: FrameCursor) => number): void {
  const corrupt = (why: string): CompressionError => new CompressionError('corrupt', codec, why);
  const need = (pos: number, n: number): void => {
    if (pos + n > buf.length) throw corrupt('frame truncated');
  };
  if (buf.length === 0) throw corrupt('empty input');
  let pos = 0;
  while (pos < buf.length) {
    need(pos, 4);
    const magic = buf.readUInt32LE(pos);
    if (isSkippableFrame(magic)) {
      need(pos, 8);
      pos += 8 + buf.readUInt32LE(pos + 4);
      if (pos > buf.length) throw corrupt('skippable frame truncated');
      continue;
    }
    if (magic !== frameMagic) throw corrupt('bad frame magic');
    pos = readFrame(pos, { need, corrupt });
    need(pos, 0);
  }
}

function lz4Walk(buf: Buffer, limit: number): { bound: number; frames: Buffer[] } {
  const frames: Buffer[] = [];
  const codec = Compression.lz4;
  let bound = 0;
  walkFrames(buf, codec, 0x184d2204, (frameStart, { need, corrupt }) => {
    let pos = frameStart;
    need(pos, 7);
    const flg = buf[pos + 4];
    const bd = buf[pos + 5];
    if (flg >> 6 !== 1) throw corrupt('unsupported frame version');
    const blockMaxId = (bd >> 4) & 7;
    if (blockMaxId < 4) throw corrupt('bad block maximum size');
    const blockMax = 1 << (8 + 2 * blockMaxId);
    const blockChecksum = (flg & 0x10) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    pos += 4 + 2 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0) + 1;
    for (;;) {
      need(pos, 4);
      const word = buf.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const stored = (word & 0x80000000) !== 0;
      const len = word & 0x7fffffff;
      if (len > blockMax) throw corrupt('block larger than the frame maximum');
      // A compressed LZ4 block expands at most ~255x (each length byte adds 255).
      bound += stored ? len : Math.min(blockMax, len * 256 + 256);
      if (bound > limit) throw new CompressionError('too-large', codec, `output may exceed the limit of ${limit} bytes`);
      pos += len + (blockChecksum ? 4 : 0);
      need(pos, 0);
    }
    pos += contentChecksum ? 4 : 0;
    need(pos, 0);
    frames.push(buf.subarray(frameStart, pos));
    return pos;
  });
  return { bound, frames };
}

const ZSTD_BLOCK_MAX = 128 * 1024;

/**
 * Walks zstd frames (and skippable frames) and returns an upper bound of the
 * decompressed size, refusing input whose bound exceeds the limit.
 */
export function zstdBound(buf: Buffer, limit: number): number {
  const codec = Compression.zstd;
  let bound = 0;
  walkFrames(buf, codec, 0xfd2fb528, (frameStart, { need, corrupt }) => {
    let pos = frameStart;
    need(pos, 5);
    const fhd = buf[pos + 4];
    pos += 5;
    if ((fhd & 0x08) !== 0) throw corrupt('reserved frame header bit set');
    const fcsFlag = fhd >> 6;
    const single = (fhd & 0x20) !== 0;
    const checksum = (fhd & 0x04) !== 0;
    let windowSize = Infinity;
    if (!single) {
      need(pos, 1);
      const wd = buf[pos++];
      const base = 2 ** (10 + (wd >> 3));
      windowSize = base + (base / 8) * (wd & 7);
    }
    pos += [0, 1, 2, 4][fhd & 3];
    const fcsSize = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
    need(pos, fcsSize);
    if (single) {
      // Single-segment frames: the window is the content size.
      if (fcsSize === 1) windowSize = buf[pos];
      else if (fcsSize === 2) windowSize = buf.readUInt16LE(pos) + 256;
      else if (fcsSize === 4) windowSize = buf.readUInt32LE(pos);
      else windowSize = Number(buf.readBigUInt64LE(pos));
    }
    pos += fcsSize;
    const blockMax = Math.min(windowSize, ZSTD_BLOCK_MAX);
    for (;;) {
      need(pos, 3);
      const h = buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16);
      pos += 3;
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 0) {
        bound += size;
        pos += size;
      } else if (type === 1) {
        bound += size;
        pos += 1;
      } else if (type === 2) {
        if (size > blockMax) throw corrupt('compressed block larger than the block maximum');
        bound += blockMax;
        pos += size;
      } else {
        throw corrupt('reserved block type');
      }
      if (bound > limit) throw new CompressionError('too-large', codec, `output may exceed the limit of ${limit} bytes`);
      need(pos, 0);
      if ((h & 1) !== 0) break;
    }
    return pos + (checksum ? 4 : 0);
  });
  return bound;
}
