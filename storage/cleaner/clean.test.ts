// Issue 14: the cleaning rules one at a time, as Kafka's Cleaner and
// MemoryRecords.filterTo apply them (delete horizon, compressed batches,
// headers, transactions, producers' last batches, grouping).
import { describe, expect, it } from 'vitest';
import { decodeBatch, parseBatchHeader } from '../../protocol/record-batch.js';
import { Compression } from '../../protocol/compression.js';
import { buildTxnMarkerBatch } from '../control-batch.js';
import { readTxnIndex } from '../txn-index.js';
import type { Segment } from '../segment.js';
import { abortedIn, buildOffsetMap, cleanGroup, groupSegments } from './clean.js';
import type { CleanedSegment } from '../log/segments.js';
import type { LastRecord } from './filter.js';
import { OffsetMap } from './offset-map.js';
import { LocalEngine } from './engine.js';
import { atOffset, batch, batchAsync, harness, readOpts, readRecords, swapIn, writeSegment, type Harness } from './test-segments.js';

const RETENTION = 1000;

interface RoundOpts {
  now?: number;
  firstDirty?: number;
  firstUncleanable: number;
  highWatermark?: number;
  producers?: Map<number, LastRecord>;
}

/** One round over `segments`, all cleaned into one group; the cleaned segment loaded back. */
async function round(h: Harness, segments: Segment[], o: RoundOpts): Promise<{ cleaned: CleanedSegment; seg: Segment; endOffset: number }> {
  const engine = new LocalEngine(new OffsetMap(24 * 1000, 0.9));
  const opts = readOpts();
  const firstDirty = o.firstDirty ?? 0;
  const r = await buildOffsetMap(h.source, segments.filter((s) => s.nextOffset > firstDirty), firstDirty, o.firstUncleanable, engine, 4096, opts);
  await engine.beginFilter({
    now: o.now ?? 10_000,
    deleteRetentionMs: RETENTION,
    highWatermark: o.highWatermark ?? Number.MAX_SAFE_INTEGER,
    activeProducers: [...(o.producers ?? new Map<number, LastRecord>())],
    aborted: abortedIn(segments),
  });
  const { cleaned } = await cleanGroup(h.source, segments, { ...opts, engine });
  const seg = await swapIn(h, segments, cleaned);
  return { cleaned, seg, endOffset: r.endOffset };
}

async function batchesOf(seg: Segment): Promise<Buffer[]> {
  return seg.readBatches(0, seg.writtenSize, seg.writtenSize, true);
}

describe('a cleaning round', () => {
  it('keeps a tombstone with a delete horizon of now + delete.retention.ms, and drops it once the horizon passed', async () => {
    const h = await harness();
    const s = await writeSegment(h, 0, [
      batch({ records: [{ key: 'a', value: '1', timestamp: 5 }, { key: 'b', value: '2', timestamp: 6 }] }, 0),
      batch({ records: [{ key: 'a', value: null, timestamp: 7 }] }, 2),
    ]);
    const first = await round(h, [s], { now: 10_000, firstUncleanable: 3 });
    expect(await readRecords(first.seg)).toEqual([
      { offset: 1, key: 'b', value: '2', timestamp: 6 },
      { offset: 2, key: 'a', value: null, timestamp: 7 },
    ]);
    const tomb = parseBatchHeader((await batchesOf(first.seg))[1]!);
    expect(tomb.hasDeleteHorizon).toBe(true);
    expect(tomb.baseTimestamp).toBe(10_000n + BigInt(RETENTION));
    // the first batch lost a record: rebuilt, with the original lastOffsetDelta
    const b0 = parseBatchHeader((await batchesOf(first.seg))[0]!);
    expect([b0.baseOffset, b0.lastOffsetDelta, b0.recordCount, b0.hasDeleteHorizon]).toEqual([0n, 1, 1, false]);

    // a later round before the horizon keeps it (and its horizon); after it, drops it
    const before = await round(h, [first.seg], { now: 10_000 + RETENTION - 1, firstDirty: 3, firstUncleanable: 3 });
    expect((await readRecords(before.seg)).map((r) => r.offset)).toEqual([1, 2]);
    expect(parseBatchHeader((await batchesOf(before.seg))[1]!).baseTimestamp).toBe(10_000n + BigInt(RETENTION));
    const after = await round(h, [before.seg], { now: 10_000 + RETENTION, firstDirty: 3, firstUncleanable: 3 });
    expect((await readRecords(after.seg)).map((r) => r.offset)).toEqual([1]);
  });

  it('rewrites compressed batches with their codec, headers, timestamps and producer fields', async () => {
    for (const compression of [Compression.gzip, Compression.lz4, Compression.zstd, Compression.snappy]) {
      const h = await harness();
      const headers = [{ key: 'h', value: Buffer.from('x') }];
      const s = await writeSegment(h, 0, [
        await batchAsync({ compression, producerId: 7, producerEpoch: 3, baseSequence: 10, records: [
          { key: 'a', value: '1', timestamp: 100, headers },
          { key: 'b', value: '2', timestamp: 150, headers },
          { key: 'a', value: '3', timestamp: 120 },
        ] }, 40),
      ]);
      const { seg } = await round(h, [s], { firstDirty: 40, firstUncleanable: 43 });
      const [b] = await batchesOf(seg);
      const d = await decodeBatch(b!);
      expect(d.header.compression).toBe(compression);
      expect([d.header.producerId, d.header.producerEpoch, d.header.baseSequence, d.header.lastOffsetDelta]).toEqual([7n, 3, 10, 2]);
      expect(d.header.maxTimestamp).toBe(150n);
      expect(d.records.map((r) => [Number(r.offset), r.key!.toString(), Number(r.timestamp), r.headers.length])).toEqual([
        [41, 'b', 150, 1],
        [42, 'a', 120, 0],
      ]);
    }
  });

  it('keeps a producer\'s last batch as an empty header when all its records are superseded', async () => {
    const h = await harness();
    const s = await writeSegment(h, 0, [
      batch({ producerId: 5, producerEpoch: 1, baseSequence: 0, records: [{ key: 'a', value: '1', timestamp: 1 }, { key: 'b', value: '1', timestamp: 2 }] }, 0),
      batch({ producerId: 6, producerEpoch: 0, baseSequence: 0, records: [{ key: 'a', value: '2', timestamp: 3 }, { key: 'b', value: '2', timestamp: 4 }] }, 2),
    ]);
    const producers = new Map([[5, { lastDataOffset: 1, producerEpoch: 1 }], [6, { lastDataOffset: 3, producerEpoch: 0 }]]);
    const original = await batchesOf(s);
    const { seg } = await round(h, [s], { firstUncleanable: 4, producers });
    const [empty, kept] = (await batchesOf(seg)).map((b) => parseBatchHeader(b));
    expect(empty).toMatchObject({ baseOffset: 0n, lastOffsetDelta: 1, recordCount: 0, producerId: 5n, producerEpoch: 1, baseSequence: 0, maxTimestamp: 2n, baseTimestamp: -1n });
    expect(kept).toMatchObject({ baseOffset: 2n, recordCount: 2 });
    // without the producer state the superseded batch simply goes
    const h2 = await harness();
    const s2 = await writeSegment(h2, 0, original);
    expect((await batchesOf((await round(h2, [s2], { firstUncleanable: 4 })).seg)).length).toBe(1);
  });

  it('keeps a batch ending right at the high watermark, empty if need be', async () => {
    const h = await harness();
    const s = await writeSegment(h, 0, [batch({ records: [{ key: 'a', value: '1', timestamp: 1 }] }, 0), batch({ records: [{ key: 'a', value: null, timestamp: 1 }] }, 1)]);
    // the tombstone is long past its horizon but its batch ends at the HW: an empty header stays
    const h1 = await round(h, [s], { now: 0, firstUncleanable: 2, highWatermark: 2 });
    const again = await round(h, [h1.seg], { now: 1e9, firstDirty: 2, firstUncleanable: 2, highWatermark: 2 });
    const hs = (await batchesOf(again.seg)).map((b) => parseBatchHeader(b));
    expect(hs.map((x) => [x.baseOffset, x.recordCount])).toEqual([[1n, 0]]);
  });

  it('removes aborted transactions\' data, keeps their marker (and .txnindex entry) until then, and drops empty markers after the horizon', async () => {
    const h = await harness();
    const abort = atOffset(buildTxnMarkerBatch({ producerId: 9n, producerEpoch: 0, coordinatorEpoch: 1, commit: false }, 5), 2);
    const commit = atOffset(buildTxnMarkerBatch({ producerId: 8n, producerEpoch: 0, coordinatorEpoch: 1, commit: true }, 5), 4);
    const s = await writeSegment(h, 0, [
      batch({ producerId: 9, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ key: 'x', value: 'aborted', timestamp: 1 }, { key: 'y', value: 'aborted', timestamp: 1 }] }, 0),
      abort,
      batch({ producerId: 8, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ key: 'z', value: 'committed', timestamp: 1 }] }, 3),
      commit,
      batch({ records: [{ key: 'q', value: 'plain', timestamp: 1 }] }, 5),
    ]);
    s.abortedTxns = [{ producerId: 9, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 }];
    const first = await round(h, [s], { now: 100, firstUncleanable: 6 });
    // the ABORT marker (2), the committed data (3), its COMMIT marker (4), plain data (5)
    expect((await readRecords(first.seg)).map((r) => r.offset)).toEqual([2, 3, 4, 5]);
    expect(await readTxnIndex(h.fs, first.seg.txnIndexPath, 0, 6)).toEqual([{ producerId: 9, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 }]);
    // next round: the aborted data is gone, so the marker has no transaction left: it gets a horizon...
    const second = await round(h, [first.seg], { now: 200, firstDirty: 6, firstUncleanable: 6 });
    const marker = parseBatchHeader((await batchesOf(second.seg))[0]!);
    expect([marker.baseOffset, marker.isControl, marker.hasDeleteHorizon, marker.baseTimestamp]).toEqual([2n, true, true, 200n + BigInt(RETENTION)]);
    expect(second.cleaned.segment.abortedTxns).toEqual([]);
    // ...and goes once it passed; the commit marker, whose data is still there, stays
    const third = await round(h, [second.seg], { now: 200 + RETENTION, firstDirty: 6, firstUncleanable: 6 });
    expect((await readRecords(third.seg)).map((r) => r.offset)).toEqual([3, 4, 5]);
  });

  it('stops mapping when the map is full and cleans only up to the last mapped offset', async () => {
    const h = await harness();
    const s = await writeSegment(h, 0, [
      batch({ records: [{ key: 'a', value: '1', timestamp: 1 }, { key: 'b', value: '1', timestamp: 1 }] }, 0),
      batch({ records: [{ key: 'a', value: '2', timestamp: 1 }, { key: 'c', value: '1', timestamp: 1 }, { key: 'b', value: '2', timestamp: 1 }] }, 2),
    ]);
    const r = await buildOffsetMap(h.source, [s], 0, 5, new LocalEngine(new OffsetMap(24 * 2, 1)), 4096, readOpts());
    expect(r).toMatchObject({ full: true, endOffset: 3 });
  });

  it('groups consecutive segments under segment.bytes', async () => {
    const h = await harness();
    const segs: Segment[] = [];
    for (let i = 0; i < 5; i++) segs.push(await writeSegment(h, i * 10, [batch({ records: [{ key: `k${i}`, value: 'x'.repeat(100), timestamp: 1 }] }, i * 10)]));
    const size = segs[0]!.writtenSize;
    const groups = await groupSegments(segs, size * 2, 1 << 20, 50);
    expect(groups.map((g) => g.map((s) => s.baseOffset))).toEqual([[0, 10], [20, 30], [40]]);
    // offsets that would not fit an int32 relative to the group's base split a group
    const far = await writeSegment(h, 2 ** 31 + 5, [batch({ records: [{ key: 'z', value: 'z', timestamp: 1 }] }, 2 ** 31 + 5)]);
    const split = await groupSegments([segs[0]!, far], 1 << 30, 1 << 20, 2 ** 31 + 100);
    expect(split.length).toBe(2);
  });
});
