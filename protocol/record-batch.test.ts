import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Compression } from './compression.js';
import { crc32c } from './crc32c.js';
import { ErrorCode } from './errors.js';
import {
  type KafkaRecord,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  RecordBatchError,
  type RecordInput,
  TimestampType,
  buildRecordBatch,
  buildRecordBatchSync,
  checkProducedBatch,
  decodeBatch,
  decodeBatchSync,
  decodeLegacyMessageSet,
  decodeLegacyMessageSetSync,
  iterateRecords,
  parseBatchHeader,
  recordsMagic,
  setBaseOffset,
  setMaxTimestamp,
  setPartitionLeaderEpoch,
  validateBatchCrc,
  walkBatches,
  writeBatchCrc,
} from './record-batch.js';

const sample: RecordInput[] = [
  { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1_700_000_000_000n, headers: [{ key: 'h', value: Buffer.from('x') }] },
  { key: null, value: Buffer.from('only value'), timestamp: 1_700_000_000_005n },
  { key: Buffer.from('k3'), value: null, timestamp: 1_699_999_999_990n, headers: [{ key: 'a', value: null }, { key: 'ü', value: Buffer.alloc(0) }] },
  { key: Buffer.alloc(0), value: Buffer.alloc(300, 7), timestamp: 1_700_000_000_001n },
];

function expectSameRecords(got: KafkaRecord[], want: RecordInput[], baseOffset = 0n): void {
  expect(got).toHaveLength(want.length);
  got.forEach((r, i) => {
    const w = want[i];
    expect(r.offset).toBe(baseOffset + BigInt(w.offsetDelta ?? i));
    expect(r.timestamp).toBe(BigInt(w.timestamp));
    expect(r.key).toEqual(w.key ?? null);
    expect(r.value).toEqual(w.value ?? null);
    expect(r.headers).toEqual(w.headers ?? []);
  });
}

/** Asserts that `fn` throws a RecordBatchError of this kind and returns it. */
function expectBatchError(fn: () => unknown, kind: RecordBatchError['kind']): RecordBatchError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RecordBatchError);
    expect((err as RecordBatchError).kind).toBe(kind);
    return err as RecordBatchError;
  }
  throw new Error(`expected a RecordBatchError(${kind})`);
}

describe('RecordBatch v2 build and decode', () => {
  it('builds a batch whose header says what was asked', async () => {
    const buf = await buildRecordBatch({
      baseOffset: 42n,
      records: sample,
      producerId: 7n,
      producerEpoch: 3,
      baseSequence: 11,
      isTransactional: true,
      partitionLeaderEpoch: 5,
    });
    const h = parseBatchHeader(buf);
    expect(h).toMatchObject({
      baseOffset: 42n,
      batchLength: buf.length - LOG_OVERHEAD,
      partitionLeaderEpoch: 5,
      magic: 2,
      compression: 0,
      timestampType: TimestampType.CreateTime,
      isTransactional: true,
      isControl: false,
      hasDeleteHorizon: false,
      lastOffsetDelta: 3,
      baseTimestamp: 1_700_000_000_000n,
      maxTimestamp: 1_700_000_000_005n,
      producerId: 7n,
      producerEpoch: 3,
      baseSequence: 11,
      recordCount: 4,
    });
    expect(h.crc).toBe(crc32c(buf, 21));
    expect(validateBatchCrc(buf)).toBe(true);
    expect(recordsMagic(buf)).toBe(2);
    expect(checkProducedBatch({ header: h, start: 0, end: buf.length })).toBeNull();
  });

  it('uses Kafka defaults for producer fields and leader epoch', () => {
    const h = parseBatchHeader(buildRecordBatchSync({ records: sample }));
    expect(h).toMatchObject({ baseOffset: 0n, producerId: -1n, producerEpoch: -1, baseSequence: -1, partitionLeaderEpoch: -1 });
  });

  for (const [name, codec] of Object.entries(Compression)) {
    it(`round-trips records with ${name}`, async () => {
      const records: RecordInput[] = [
        ...sample,
        ...Array.from({ length: 200 }, (_, i) => ({
          key: Buffer.from(`key-${i % 17}`),
          value: Buffer.from(JSON.stringify({ id: i, name: `user-${i}`, at: 1_700_000_000_000 + i })),
          timestamp: 1_700_000_000_000 + i,
          headers: i % 3 === 0 ? [{ key: 'trace', value: Buffer.from(`t${i}`) }] : [],
        })),
      ];
      const buf = await buildRecordBatch({ baseOffset: 1000n, records, compression: codec });
      const h = parseBatchHeader(buf);
      expect(h.compression).toBe(codec);
      const decoded = await decodeBatch(buf);
      expectSameRecords(decoded.records, records, 1000n);
      if (codec !== Compression.zstd) {
        expectSameRecords(decodeBatchSync(buildRecordBatchSync({ baseOffset: 1000n, records, compression: codec })).records, records, 1000n);
      }
    });
  }

  it('keeps explicit offset deltas, negative timestamp deltas and the control/transactional flags', async () => {
    const records: RecordInput[] = [
      { value: Buffer.from('a'), timestamp: 100n, offsetDelta: 0 },
      { value: Buffer.from('b'), timestamp: 50n, offsetDelta: 5 },
    ];
    const buf = await buildRecordBatch({ baseOffset: 10n, records, isControl: true, isTransactional: true });
    const { header, records: got } = await decodeBatch(buf);
    expect(header.isControl && header.isTransactional).toBe(true);
    expect(header.lastOffsetDelta).toBe(5);
    expect(got.map((r) => [r.offset, r.timestampDelta, r.timestamp])).toEqual([
      [10n, 0n, 100n],
      [15n, -50n, 50n],
    ]);
    // Offsets with a gap are fine in storage (compaction) but not from a producer.
    expect(checkProducedBatch({ header, start: 0, end: buf.length })?.errorCode).toBe(ErrorCode.INVALID_RECORD);
  });

  it('builds an empty batch and a delete-horizon batch', async () => {
    const empty = await buildRecordBatch({ baseOffset: 3n, records: [], lastOffsetDelta: 4 });
    const h = parseBatchHeader(empty);
    expect(h).toMatchObject({ recordCount: 0, lastOffsetDelta: 4, baseTimestamp: -1n, maxTimestamp: -1n });
    expect((await decodeBatch(empty)).records).toEqual([]);
    expect(checkProducedBatch({ header: h, start: 0, end: empty.length })?.kind).toBe('invalid-batch');

    const dh = await buildRecordBatch({ records: [{ value: Buffer.from('x'), timestamp: 500n }], deleteHorizonMs: 400n });
    const dhh = parseBatchHeader(dh);
    expect(dhh.hasDeleteHorizon).toBe(true);
    expect(dhh.baseTimestamp).toBe(400n);
    expect((await decodeBatch(dh)).records[0].timestamp).toBe(500n);
  });
});

describe('stamping', () => {
  it('sets baseOffset and leader epoch without touching the CRC', () => {
    const buf = buildRecordBatchSync({ records: sample });
    const crc = parseBatchHeader(buf).crc;
    setBaseOffset(buf, 0, 123_456_789_012n);
    setPartitionLeaderEpoch(buf, 0, 9);
    const h = parseBatchHeader(buf);
    expect(h.baseOffset).toBe(123_456_789_012n);
    expect(h.partitionLeaderEpoch).toBe(9);
    expect(h.crc).toBe(crc);
    expect(validateBatchCrc(buf)).toBe(true);
    expect(decodeBatchSync(buf).records[1].offset).toBe(123_456_789_013n);
  });

  it('stamps LogAppendTime and keeps the CRC valid, inside a larger buffer', async () => {
    const a = buildRecordBatchSync({ records: sample });
    const b = buildRecordBatchSync({ baseOffset: 4n, records: sample, compression: Compression.gzip });
    const both = Buffer.concat([a, b]);
    setMaxTimestamp(both, a.length, TimestampType.LogAppendTime, 1_800_000_000_000n);
    const walk = walkBatches(both);
    expect(walk.error).toBeNull();
    expect(walk.batches.map((s) => [s.start, s.end])).toEqual([
      [0, a.length],
      [a.length, both.length],
    ]);
    const h = walk.batches[1].header;
    expect(h.timestampType).toBe(TimestampType.LogAppendTime);
    expect(h.maxTimestamp).toBe(1_800_000_000_000n);
    expect(h.compression).toBe(Compression.gzip);
    const recs = (await decodeBatch(both, a.length)).records;
    expect(recs.every((r) => r.timestamp === 1_800_000_000_000n)).toBe(true);

    setMaxTimestamp(both, a.length, TimestampType.CreateTime, 1_700_000_000_005n);
    expect(parseBatchHeader(both, a.length).timestampType).toBe(TimestampType.CreateTime);
    expect(validateBatchCrc(both, a.length)).toBe(true);
  });

  it('writeBatchCrc repairs a CRC', () => {
    const buf = buildRecordBatchSync({ records: sample });
    buf.writeUInt32BE(0, 17);
    expect(validateBatchCrc(buf)).toBe(false);
    writeBatchCrc(buf, 0);
    expect(validateBatchCrc(buf)).toBe(true);
  });
});

describe('walkBatches', () => {
  const one = buildRecordBatchSync({ records: sample });
  const two = Buffer.concat([one, buildRecordBatchSync({ baseOffset: 4n, records: sample })]);

  it('walks concatenated batches', () => {
    const w = walkBatches(two);
    expect(w.error).toBeNull();
    expect(w.validEnd).toBe(two.length);
    expect(w.batches.map((b) => b.header.baseOffset)).toEqual([0n, 4n]);
    expect(walkBatches(Buffer.alloc(0))).toEqual({ batches: [], validEnd: 0, error: null });
  });

  it('reports a torn tail with the good batches before it', () => {
    for (const cut of [1, 11, 12, 16, 17, 60, 61, one.length - 1]) {
      const w = walkBatches(two.subarray(0, one.length + cut));
      expect(w.batches).toHaveLength(1);
      expect(w.validEnd).toBe(one.length);
      expect(w.error?.kind).toBe('truncated');
      expect(w.error?.position).toBe(one.length);
      expect(w.error?.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    }
  });

  it('reports bad magic, a length below the header and CRC mismatches', () => {
    const badMagic = Buffer.from(two);
    badMagic[one.length + 16] = 1;
    expect(walkBatches(badMagic).error?.kind).toBe('bad-magic');

    const small = Buffer.from(two);
    small.writeInt32BE(48, one.length + 8);
    expect(walkBatches(small).error?.kind).toBe('bad-length');
    small.writeInt32BE(-5, one.length + 8);
    expect(walkBatches(small).error?.kind).toBe('bad-length');

    const flipped = Buffer.from(two);
    flipped[one.length + 70] ^= 0x10;
    const w = walkBatches(flipped);
    expect(w.error?.kind).toBe('crc-mismatch');
    expect(w.validEnd).toBe(one.length);
    expect(walkBatches(flipped, { verifyCrc: false }).error).toBeNull();
    expect(expectBatchError(() => decodeBatchSync(two.subarray(0, 30)), 'truncated').position).toBe(0);
  });

  it('honours start and end', () => {
    const w = walkBatches(two, { start: one.length, end: two.length });
    expect(w.batches).toHaveLength(1);
    expect(w.batches[0].start).toBe(one.length);
    expect(() => walkBatches(two, { start: 5, end: two.length + 1 })).toThrow(RangeError);
  });
});

describe('record validation', () => {
  it('refuses a record count that disagrees with the bytes', () => {
    const buf = buildRecordBatchSync({ records: sample });
    const more = Buffer.from(buf);
    more.writeInt32BE(5, 57);
    writeBatchCrc(more, 0);
    expectBatchError(() => decodeBatchSync(more), 'invalid-batch');
    const fewer = Buffer.from(buf);
    fewer.writeInt32BE(3, 57);
    writeBatchCrc(fewer, 0);
    expectBatchError(() => decodeBatchSync(fewer), 'invalid-batch');
    const negative = Buffer.from(buf);
    negative.writeInt32BE(-1, 57);
    expectBatchError(() => decodeBatchSync(negative), 'invalid-batch');
  });

  it('refuses a record whose length lies', () => {
    const buf = buildRecordBatchSync({ records: [{ value: Buffer.from('abc'), timestamp: 1n }] });
    // First byte of the records section is the record length varint (zig-zag).
    const longer = Buffer.from(buf);
    longer[RECORD_BATCH_OVERHEAD] += 2;
    const e = expectBatchError(() => decodeBatchSync(longer), 'corrupt-record');
    expect(e.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const shorter = Buffer.from(buf);
    shorter[RECORD_BATCH_OVERHEAD] -= 2;
    expectBatchError(() => decodeBatchSync(shorter), 'corrupt-record');
  });

  it('maps unknown codecs and undecodable payloads', async () => {
    const buf = buildRecordBatchSync({ records: sample });
    const codec7 = Buffer.from(buf);
    codec7.writeInt16BE(7, 21);
    await expect(decodeBatch(codec7)).rejects.toMatchObject({ kind: 'unsupported-compression', errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE });
    const h = parseBatchHeader(codec7);
    expect(checkProducedBatch({ header: h, start: 0, end: codec7.length })?.kind).toBe('unsupported-compression');
    const gz = Buffer.from(buf);
    gz.writeInt16BE(Compression.gzip, 21);
    await expect(decodeBatch(gz)).rejects.toMatchObject({ kind: 'corrupt-compression', name: 'RecordBatchError' });
    expectBatchError(() => decodeBatchSync(gz), 'corrupt-compression');
  });

  it('refuses payloads that decompress beyond the limit', async () => {
    const big = await buildRecordBatch({ records: [{ value: Buffer.alloc(1 << 20), timestamp: 0 }], compression: Compression.gzip });
    await expect(decodeBatch(big, 0, { maxOutputBytes: 1 << 16 })).rejects.toMatchObject({ kind: 'too-large' });
    expect((await decodeBatch(big)).records[0].value?.length).toBe(1 << 20);
  });
});

// ---------------------------------------------------------------------------
// cross-implementation checks against kafkajs (CommonJS internals)

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const KEncoder: any = require('kafkajs/src/protocol/encoder.js');
const KDecoder: any = require('kafkajs/src/protocol/decoder.js');
const { RecordBatch: kRecordBatch }: any = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const kRecord: any = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const kDecodeBatch: any = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const kCompression: any = require('kafkajs/src/protocol/message/compression/index.js');
const kMessageSet: any = require('kafkajs/src/protocol/messageSet/index.js');
const kMessage: any = require('kafkajs/src/protocol/message/index.js');

interface KRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestampDelta: number;
  offsetDelta: number;
}

const kRecords: KRecord[] = Array.from({ length: 25 }, (_, i): KRecord => ({
  key: i % 5 === 0 ? null : Buffer.from(`key-${i}`),
  value: i % 7 === 3 ? null : Buffer.from(`{"n":${i},"text":"${'x'.repeat(i * 3)}"}`),
  headers: i % 2 === 0 ? Object.fromEntries([['content-type', Buffer.from('json')], [`h${i}`, Buffer.from(String(i))]]) : {},
  timestampDelta: i * 13 - 20,
  offsetDelta: i,
}));

async function kafkajsBatch(compression: number, firstOffset: string): Promise<Buffer> {
  const enc = await kRecordBatch({
    compression,
    firstOffset,
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_312,
    lastOffsetDelta: kRecords.length - 1,
    producerId: 99,
    producerEpoch: 2,
    firstSequence: 17,
    records: kRecords.map((r) => kRecord(r)),
  });
  return enc.buffer as Buffer;
}

function expectMatchesKafkajsInput(recs: KafkaRecord[], baseOffset: bigint): void {
  expect(recs).toHaveLength(kRecords.length);
  recs.forEach((r, i) => {
    const k = kRecords[i];
    expect(r.offset).toBe(baseOffset + BigInt(i));
    expect(r.timestamp).toBe(1_700_000_000_000n + BigInt(k.timestampDelta));
    expect(r.key).toEqual(k.key);
    expect(r.value).toEqual(k.value);
    expect(r.headers).toEqual(Object.entries(k.headers).map(([key, value]) => ({ key, value })));
  });
}

describe('kafkajs interoperability', () => {
  for (const [name, codec] of [
    ['none', Compression.none],
    ['gzip', Compression.gzip],
  ] as const) {
    it(`decodes a ${name} batch built by kafkajs`, async () => {
      const buf = await kafkajsBatch(codec, '5000');
      const w = walkBatches(buf);
      expect(w.error).toBeNull();
      const h = w.batches[0].header;
      expect(h).toMatchObject({ baseOffset: 5000n, compression: codec, producerId: 99n, producerEpoch: 2, baseSequence: 17, recordCount: 25 });
      expectMatchesKafkajsInput((await decodeBatch(buf)).records, 5000n);
    });
  }

  it('decodes raw (unframed) snappy as the kafkajs-snappy codec writes it', async () => {
    const snappy = require('snappy') as { compressSync(b: Buffer): Buffer };
    const saved = kCompression.Codecs[kCompression.Types.Snappy];
    kCompression.Codecs[kCompression.Types.Snappy] = () => ({
      compress: async (encoder: { buffer: Buffer }) => snappy.compressSync(encoder.buffer),
    });
    try {
      const buf = await kafkajsBatch(Compression.snappy, '0');
      expect(validateBatchCrc(buf)).toBe(true);
      expectMatchesKafkajsInput((await decodeBatch(buf)).records, 0n);
    } finally {
      kCompression.Codecs[kCompression.Types.Snappy] = saved;
    }
  });

  for (const [name, codec] of [
    ['none', Compression.none],
    ['gzip', Compression.gzip],
  ] as const) {
    it(`builds a ${name} batch that kafkajs decodes`, async () => {
      const records: RecordInput[] = [
        ...sample.map((r) => ({ ...r, headers: (r.headers ?? []).filter((h) => h.value !== null) })),
        { key: Buffer.from('dup'), value: Buffer.from('headers'), timestamp: 1_700_000_000_003n, headers: [{ key: 'x', value: Buffer.from('1') }, { key: 'x', value: Buffer.from('2') }] },
      ];
      const buf = await buildRecordBatch({ baseOffset: 77n, records, compression: codec, producerId: 5n, producerEpoch: 1, baseSequence: 3, isTransactional: true });
      const got = await kDecodeBatch(new KDecoder(buf));
      expect(got.firstOffset).toBe('77');
      expect(got.inTransaction).toBe(true);
      expect(got.producerId).toBe('5');
      expect(got.lastOffsetDelta).toBe(records.length - 1);
      expect(got.maxTimestamp).toBe('1700000000005');
      expect(got.records).toHaveLength(records.length);
      got.records.forEach((r: any, i: number) => {
        const w = records[i];
        expect(r.offset).toBe(String(77 + i));
        expect(r.timestamp).toBe(String(w.timestamp));
        expect(r.key).toEqual(w.key);
        expect(r.value).toEqual(w.value);
        const hs: Record<string, Buffer | Buffer[]> = {};
        for (const h of w.headers ?? []) {
          const prev = hs[h.key];
          hs[h.key] = prev === undefined ? (h.value as Buffer) : ([] as Buffer[]).concat(prev, h.value as Buffer);
        }
        expect(r.headers).toEqual(hs);
      });
    });
  }
});

// ---------------------------------------------------------------------------
// legacy message sets

function kafkajsMessageSet(version: 0 | 1, entries: { key: Buffer | null; value: Buffer | null; timestamp?: number }[]): Buffer {
  return kMessageSet({ messageVersion: version, compression: 0, entries }).buffer as Buffer;
}

/** A compressed wrapper message around an inner message set, as producers of magic 0/1 send it. */
function wrapper(version: 0 | 1, innerSet: Buffer, outerOffset: bigint, timestamp = 0, appendTime = false): Buffer {
  const value = zlib.gzipSync(innerSet);
  const body = new KEncoder().writeInt8(version).writeInt8(Compression.gzip | (appendTime ? 8 : 0));
  if (version === 1) body.writeInt64(timestamp);
  body.writeBytes(null).writeBytes(value);
  const content = body.buffer as Buffer;
  const msg = Buffer.alloc(4 + content.length);
  msg.writeUInt32BE(zlib.crc32(content), 0);
  content.copy(msg, 4);
  const head = Buffer.alloc(12);
  head.writeBigInt64BE(outerOffset, 0);
  head.writeInt32BE(msg.length, 8);
  return Buffer.concat([head, msg]);
}

describe('legacy message sets', () => {
  const entries = [
    { key: Buffer.from('a'), value: Buffer.from('one'), timestamp: 1_600_000_000_000 },
    { key: null, value: Buffer.from('two'), timestamp: 1_600_000_000_001 },
    { key: Buffer.from('c'), value: null, timestamp: 1_600_000_000_002 },
  ];

  for (const version of [0, 1] as const) {
    it(`decodes uncompressed magic ${version} messages built by kafkajs`, async () => {
      const set = kafkajsMessageSet(version, entries);
      expect(recordsMagic(set)).toBe(version);
      const msgs = await decodeLegacyMessageSet(set);
      expect(msgs).toHaveLength(3);
      msgs.forEach((m, i) => {
        expect(m.magic).toBe(version);
        expect(m.offset).toBe(-1n); // kafkajs leaves offsets to the broker
        expect(m.key).toEqual(entries[i].key);
        expect(m.value).toEqual(entries[i].value);
        expect(m.timestamp).toBe(version === 1 ? BigInt(entries[i].timestamp) : -1n);
      });
      expect(decodeLegacyMessageSetSync(set)).toEqual(msgs);
      // a v2 walk refuses it by magic
      expect(walkBatches(set).error?.kind).toBe('bad-magic');
    });
  }

  it('expands gzip wrappers with relative inner offsets (magic 1) and absolute ones (magic 0)', async () => {
    const inner1 = kMessageSet({ messageVersion: 1, compression: Compression.gzip, entries }).buffer as Buffer; // offsets 0,1,2
    const set1 = Buffer.concat([kafkajsMessageSet(1, [entries[0]]), wrapper(1, inner1, 102n, 1_650_000_000_000)]);
    const m1 = await decodeLegacyMessageSet(set1);
    expect(m1.map((m) => m.offset)).toEqual([-1n, 100n, 101n, 102n]);
    expect(m1.slice(1).map((m) => m.value)).toEqual(entries.map((e) => e.value));
    expect(m1[1].timestamp).toBe(1_600_000_000_000n);
    expect(decodeLegacyMessageSetSync(set1)).toEqual(m1);

    const appended = await decodeLegacyMessageSet(wrapper(1, inner1, 2n, 1_650_000_000_000, true));
    expect(appended.every((m) => m.timestamp === 1_650_000_000_000n && m.timestampType === TimestampType.LogAppendTime)).toBe(true);

    const inner0 = Buffer.from(kMessageSet({ messageVersion: 0, compression: Compression.gzip, entries }).buffer as Buffer);
    const m0 = await decodeLegacyMessageSet(wrapper(0, inner0, 2n));
    expect(m0.map((m) => m.offset)).toEqual([0n, 1n, 2n]);
    expect(m0.map((m) => m.key)).toEqual(entries.map((e) => e.key));
  });

  it('refuses bad CRCs, truncation, nesting and zstd', async () => {
    const set = kafkajsMessageSet(1, entries);
    const flipped = Buffer.from(set);
    flipped[set.length - 1] ^= 1;
    expectBatchError(() => decodeLegacyMessageSetSync(flipped), 'crc-mismatch');
    expectBatchError(() => decodeLegacyMessageSetSync(set.subarray(0, set.length - 1)), 'truncated');

    const inner = kafkajsMessageSet(1, entries);
    const nested = wrapper(1, wrapper(1, inner, 2n), 2n);
    await expect(decodeLegacyMessageSet(nested)).rejects.toMatchObject({ kind: 'corrupt-record' });

    const z = Buffer.from(wrapper(1, inner, 2n));
    z[12 + 5] = Compression.zstd; // attributes
    z.writeUInt32BE(zlib.crc32(z.subarray(16)), 12);
    await expect(decodeLegacyMessageSet(z)).rejects.toMatchObject({ kind: 'unsupported-compression' });

    const bomb = wrapper(1, kafkajsMessageSet(1, [{ key: null, value: Buffer.alloc(1 << 20), timestamp: 0 }]), 0n);
    await expect(decodeLegacyMessageSet(bomb, { maxOutputBytes: 1 << 16 })).rejects.toMatchObject({ kind: 'too-large' });
  });
});

// ---------------------------------------------------------------------------
// fuzz: garbage in, only RecordBatchError out

function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof RecordBatchError)) throw err;
  }
}

async function onlyTypedAsync(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof RecordBatchError)) throw err;
  }
}

describe('fuzz', () => {
  const seeds: Buffer[] = [];
  for (const codec of [Compression.none, Compression.gzip, Compression.snappy, Compression.lz4]) {
    seeds.push(buildRecordBatchSync({ baseOffset: 9n, records: sample, compression: codec }));
  }
  const legacySeed = kafkajsMessageSet(1, [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 5 }]);

  /** Mutations that keep CRCs valid, so the record decoder is reached. */
  function recrc(b: Buffer): Buffer {
    if (b.length >= RECORD_BATCH_OVERHEAD && b[16] === 2) {
      const len = b.readInt32BE(8);
      if (len >= 49 && len + 12 <= b.length) writeBatchCrc(b, 0);
    }
    return b;
  }

  const mutated = fc
    .tuple(
      fc.constantFrom(...seeds, legacySeed),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.nat(),
      fc.boolean(),
    )
    .map(([seed, flips, cut, fix]) => {
      const b = Buffer.from(seed);
      for (const [at, v] of flips) b[at % b.length] = v;
      const out = b.subarray(0, cut % (b.length + 1) === 0 ? b.length : cut % (b.length + 1));
      return fix ? recrc(Buffer.from(out)) : Buffer.from(out);
    });

  const inputs = fc.oneof(mutated, fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)));

  it('parse, walk, validate and decode only throw RecordBatchError', () => {
    fc.assert(
      fc.property(inputs, (buf) => {
        const w = walkBatches(buf);
        if (w.error) expect(w.error).toBeInstanceOf(RecordBatchError);
        expect(w.validEnd).toBeLessThanOrEqual(buf.length);
        onlyTyped(() => parseBatchHeader(buf));
        onlyTyped(() => validateBatchCrc(buf));
        onlyTyped(() => decodeBatchSync(buf));
        onlyTyped(() => decodeLegacyMessageSetSync(buf));
        for (const span of w.batches) {
          onlyTyped(() => [...iterateRecords(span.header, buf.subarray(span.start + RECORD_BATCH_OVERHEAD, span.end), span.start)]);
          onlyTyped(() => checkProducedBatch(span));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('async decode only rejects with RecordBatchError', async () => {
    await fc.assert(
      fc.asyncProperty(inputs, async (buf) => {
        await onlyTypedAsync(() => decodeBatch(buf));
        await onlyTypedAsync(() => decodeLegacyMessageSet(buf));
      }),
      { numRuns: 500 },
    );
  });

  it('zstd batches with flipped bytes only fail with RecordBatchError', async () => {
    const z = await buildRecordBatch({ records: sample, compression: Compression.zstd });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), async (flips) => {
        const b = Buffer.from(z);
        for (const [at, v] of flips) b[RECORD_BATCH_OVERHEAD + (at % (b.length - RECORD_BATCH_OVERHEAD))] = v;
        await onlyTypedAsync(() => decodeBatch(b));
      }),
      { numRuns: 300 },
    );
  });
});
