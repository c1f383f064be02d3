import { ErrorCode } from './errors.js';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Compression,
  CompressionError,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  compress,
  compressSync,
  compressionName,
  decompress,
  decompressSync,
  lz4Bound,
  zstdBound,
} from './compression.js';

const require = createRequire(import.meta.url);
const snappy = require('snappy') as { compressSync(b: Buffer): Buffer; uncompressSync(b: Buffer): Buffer };
// lz4-napi's own frame encoder, to read frames with options ours does not write
const lz4 = require('lz4-napi') as { compressFrameSync(b: Buffer, o?: { contentChecksum?: boolean; blockChecksums?: boolean }): Buffer };

function jsonish(bytes: number): Buffer {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const s = JSON.stringify({ id: i, user: `user-${(i * 7919) % 1000}`, event: i % 3 ? 'view' : 'click', at: 1_700_000_000_000 + i * 37 });
    parts.push(s);
    n += s.length + 1;
  }
  return Buffer.from(parts.join('\n')).subarray(0, bytes);
}

const codecs = [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd] as const;

/** Byte equality without a deep element-by-element compare (slow on large buffers). */
function expectBytes(got: Buffer, want: Buffer): void {
  expect(got.length).toBe(want.length);
  expect(Buffer.compare(got, want)).toBe(0);
}

async function expectCompressionError(p: Promise<unknown> | (() => unknown), reason: CompressionError['reason']): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(CompressionError);
    expect((err as CompressionError).reason).toBe(reason);
    return;
  }
  throw new Error(`expected CompressionError(${reason})`);
}

/** A zstd frame of `blocks` RLE blocks of 128 KiB each: a few bytes that inflate enormously. */
function zstdRleFrame(blocks: number, byte = 0x61): Buffer {
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])]; // magic, FHD 0, window 128 KiB
  for (let i = 0; i < blocks; i++) {
    const h = (i === blocks - 1 ? 1 : 0) | (1 << 1) | ((128 * 1024) << 3);
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, byte]));
  }
  return Buffer.concat(parts);
}

describe('compression', () => {
  const data = jsonish(300 * 1024);

  for (const codec of codecs) {
    it(`round-trips ${compressionName(codec)} (async${codec === Compression.zstd ? '' : ' and sync'})`, async () => {
      for (const input of [data, Buffer.alloc(0), Buffer.from('x')]) {
        const z = await compress(codec, input);
        expectBytes(await decompress(codec, z), input);
        if (codec !== Compression.zstd) {
          const zs = compressSync(codec, input);
          expectBytes(decompressSync(codec, zs), input);
          expectBytes(await decompress(codec, zs), input);
          expectBytes(decompressSync(codec, z), input);
        }
      }
      if (codec !== Compression.none) expect((await compress(codec, data)).length).toBeLessThan(data.length / 2);
    });
  }

  it('round-trips incompressible data (lz4 stores such blocks uncompressed)', async () => {
    const noise = randomBytes(200_000);
    for (const codec of codecs) expectBytes(await decompress(codec, await compress(codec, noise)), noise);
    const framed = compressSync(Compression.lz4, noise);
    expect(framed.readUInt32LE(7)).toBe((0x80000000 | 65536) >>> 0);
    expectBytes(decompressSync(Compression.lz4, framed), noise);
  });

  it('writes snappy in xerial framing with 32 KiB blocks, as the Java client does', async () => {
    const z = await compress(Compression.snappy, data);
    expect(z.subarray(0, 16)).toEqual(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]));
    const blocks: Buffer[] = [];
    for (let pos = 16; pos < z.length; ) {
      const n = z.readUInt32BE(pos);
      blocks.push(snappy.uncompressSync(z.subarray(pos + 4, pos + 4 + n)));
      pos += 4 + n;
    }
    expect(blocks.map((b) => b.length)).toEqual([...Array(9).fill(32768), 300 * 1024 - 9 * 32768]);
    expectBytes(Buffer.concat(blocks), data);
  });

  it('reads raw (unframed) snappy as librdkafka and kafkajs-snappy may send', async () => {
    const raw = snappy.compressSync(data);
    expectBytes(await decompress(Compression.snappy, raw), data);
    expectBytes(decompressSync(Compression.snappy, raw), data);
  });

  it('reads lz4 frames with checksums, concatenated frames and skippable frames', async () => {
    const a = lz4.compressFrameSync(data.subarray(0, 100_000), { contentChecksum: true, blockChecksums: true });
    const b = lz4.compressFrameSync(data.subarray(100_000));
    const skip = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    expectBytes(await decompress(Compression.lz4, a), data.subarray(0, 100_000));
    expect(lz4Bound(a, Infinity)).toBeGreaterThanOrEqual(100_000);
    expect(lz4Bound(Buffer.concat([a, skip, b]), Infinity)).toBeGreaterThanOrEqual(data.length);
    expectBytes(await decompress(Compression.lz4, Buffer.concat([a, b])), data);
    // Kafka's Java producer frame: version 1, independent blocks, no checksums, 64 KiB blocks
    for (const ours of [await compress(Compression.lz4, data), compressSync(Compression.lz4, data)]) {
      expect(ours.subarray(0, 7)).toEqual(Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]));
      expect(ours.subarray(ours.length - 4)).toEqual(Buffer.alloc(4));
    }
  });

  it('reads concatenated zstd frames and hand-made RLE frames', async () => {
    const a = await compress(Compression.zstd, data.subarray(0, 1000));
    const b = await compress(Compression.zstd, data.subarray(1000));
    expectBytes(await decompress(Compression.zstd, Buffer.concat([a, b])), data);
    const rle = zstdRleFrame(3);
    expect(zstdBound(rle, Infinity)).toBe(3 * 128 * 1024);
    expectBytes(await decompress(Compression.zstd, rle), Buffer.alloc(3 * 128 * 1024, 0x61));
  });

  it('refuses unknown codecs', async () => {
    await expectCompressionError(compress(5, data), 'unsupported');
    await expectCompressionError(decompress(7, data), 'unsupported');
    await expectCompressionError(() => decompressSync(-1, data), 'unsupported');
    await expectCompressionError(() => compressSync(Compression.zstd, data), 'unsupported');
    await expectCompressionError(() => decompressSync(Compression.zstd, data), 'unsupported');
  });

  it('refuses garbage with a corrupt error', async () => {
    const junk = Buffer.from('definitely not compressed data, honest');
    for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
      await expectCompressionError(decompress(codec, junk), 'corrupt');
      await expectCompressionError(decompress(codec, Buffer.alloc(0)), 'corrupt');
    }
  });
});

describe('decompression limits', () => {
  const zeros = Buffer.alloc(4 * 1024 * 1024);

  it('defaults to 64 MiB', () => {
    expect(DEFAULT_MAX_DECOMPRESSED_BYTES).toBe(64 * 1024 * 1024);
  });

  for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
    it(`${compressionName(codec)} refuses output beyond the limit`, async () => {
      const z = await compress(codec, zeros);
      await expectCompressionError(decompress(codec, z, { maxOutputBytes: 1024 * 1024 }), 'too-large');
      if (codec !== Compression.zstd) await expectCompressionError(() => decompressSync(codec, z, { maxOutputBytes: 1024 * 1024 }), 'too-large');
      expect((await decompress(codec, z, { maxOutputBytes: 8 * 1024 * 1024 })).length).toBe(zeros.length);
    });
  }

  it('answers a bomb and undecompressable bytes with CORRUPT_MESSAGE whatever the codec (issue 7)', async () => {
    const garbage = Buffer.from('not compressed by anything, surely not by this codec');
    for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
      const z = await compress(codec, zeros);
      for (const input of [{ data: z, max: 1024 * 1024 }, { data: garbage, max: 1024 * 1024 }]) {
        const err = await decompress(codec, input.data, { maxOutputBytes: input.max }).then(() => undefined, (e: unknown) => e);
        expect(err, compressionName(codec)).toBeInstanceOf(CompressionError);
        expect((err as CompressionError).errorCode, compressionName(codec)).toBe(ErrorCode.CORRUPT_MESSAGE);
      }
    }
    const unknown = await decompress(7, zeros).then(() => undefined, (e: unknown) => e);
    expect((unknown as CompressionError).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });

  it('accepts output of exactly the limit where the size is known (gzip, snappy)', async () => {
    for (const codec of [Compression.gzip, Compression.snappy]) {
      const z = await compress(codec, zeros);
      expect((await decompress(codec, z, { maxOutputBytes: zeros.length })).length).toBe(zeros.length);
    }
  });

  it('refuses a snappy block whose preamble declares too much, before decoding it', async () => {
    // preamble says 2^32-1 bytes; nothing else is valid, so only the check can answer 'too-large'
    const liar = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    await expectCompressionError(decompress(Compression.snappy, liar), 'too-large');
  });

  it('refuses a zstd bomb (16 GiB from 500 KiB) without inflating it', async () => {
    const bomb = zstdRleFrame(128 * 1024);
    const started = Date.now();
    await expectCompressionError(decompress(Compression.zstd, bomb), 'too-large');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses a gzip bomb at the limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(DEFAULT_MAX_DECOMPRESSED_BYTES + 1), { level: 1 });
    await expectCompressionError(decompress(Compression.gzip, bomb), 'too-large');
  });
});

describe('fuzz: damaged compressed data', () => {
  const plain = jsonish(40 * 1024);
  const samples = Object.fromEntries(codecs.map((c) => [c, c === Compression.zstd ? null : compressSync(c, plain)]));

  for (const codec of [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd]) {
    it(`${compressionName(codec)} fails only with CompressionError`, async () => {
      const seed = samples[codec] ?? (await compress(codec, plain));
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 5 }),
          fc.nat(),
          fc.uint8Array({ maxLength: 64 }),
          async (flips, cut, junk) => {
            const b = Buffer.from(seed);
            for (const [at, v] of flips) b[at % b.length] = v;
            const inputs = [b, b.subarray(0, cut % (b.length + 1)), Buffer.from(junk)];
            for (const input of inputs) {
              try {
                const out = await decompress(codec, input, { maxOutputBytes: 1 << 20 });
                expect(out.length).toBeLessThanOrEqual(1 << 20);
              } catch (err) {
                if (!(err instanceof CompressionError)) throw err;
              }
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});
