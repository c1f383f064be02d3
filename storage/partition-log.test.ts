import { afterEach, describe, expect, it } from 'vitest';
import { batchCrcMatches, readInt64, OFF_ATTRIBUTES, OFF_MAX_TIMESTAMP } from './batch.js';
import { isLogError } from './errors.js';
import { joinPath } from './fs.js';
import { MemoryFileSystem } from './fs-memory.js';
import { OffsetIndex, TimeIndex } from './indexes.js';
import { PartitionLog } from './partition-log.js';
import { buildBatch, simpleBatch } from './test-batches.js';
import { ENVS, lastOffsetOf, memoryEnv, openLog, readAll, testConfig, type TestEnv } from './test-env.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(make: () => Promise<TestEnv>): Promise<TestEnv> {
  const env = await make();
  cleanups.push(env.cleanup);
  return env;
}

describe.each(ENVS)('PartitionLog (%s)', (_name, make) => {
  it('assigns offsets, stamps them in place and reads whole batches back', async () => {
    const env = await setup(make);
    const log = await openLog(env);
    const a = simpleBatch(3);
    const b = simpleBatch(2);
    const ra = log.append(a);
    const rb = log.append(b);
    expect([ra.baseOffset, ra.lastOffset, rb.baseOffset, rb.lastOffset]).toEqual([0, 2, 3, 4]);
    expect(log.logEndOffset).toBe(5);
    await rb.written;
    expect(log.highWatermark).toBe(5);
    expect(readInt64(a, 0)).toBe(0);
    expect(readInt64(b, 0)).toBe(3);
    expect(b.readInt32BE(12)).toBe(0); // partitionLeaderEpoch stamped
    expect(batchCrcMatches(b, 0, b.length)).toBe(true);
    const r = await log.read(4, 1 << 20);
    expect(r.batches.map((x) => readInt64(x, 0))).toEqual([3]);
    expect(r.highWatermark).toBe(5);
    expect((await log.read(0, 1 << 20)).batches.map((x) => x.equals(a))).toEqual([true, true].map((_, i) => i === 0));
    expect((await log.read(5, 100)).batches).toEqual([]);
    await expect(log.read(6, 100)).rejects.toSatisfy((e: unknown) => isLogError(e, 'OFFSET_OUT_OF_RANGE'));
    await expect(log.read(-1, 100)).rejects.toSatisfy((e: unknown) => isLogError(e, 'OFFSET_OUT_OF_RANGE'));
    await log.close();
  });

  it('rolls at segment.bytes, names files like Kafka and writes sparse indexes that point at batch starts', async () => {
    const env = await setup(make);
    const config = testConfig({ segmentBytes: 4000, indexIntervalBytes: 300 });
    const log = await openLog(env, { config, tailCacheBytes: 0 });
    const batches: Buffer[] = [];
    let last;
    for (let i = 0; i < 60; i++) {
      const b = simpleBatch(1 + (i % 4), { valueBytes: 40 + (i % 7) * 10, baseTimestamp: 1000 + i });
      batches.push(b);
      last = log.append(b);
    }
    await last!.written;
    await log.close();
    const files = (await env.fs.readdir(joinPath(env.root, 'topic-0'))).sort();
    const logs = files.filter((f) => f.endsWith('.log'));
    expect(logs.length).toBeGreaterThan(3);
    expect(logs[0]).toBe('00000000000000000000.log');
    for (const f of logs) {
      expect(f).toMatch(/^\d{20}\.log$/);
      expect(files).toContain(f.replace('.log', '.index'));
      expect(files).toContain(f.replace('.log', '.timeindex'));
      const base = Number(f.slice(0, 20));
      const data = await env.fs.readFile(joinPath(env.root, 'topic-0', f));
      expect(data.length).toBeLessThanOrEqual(4000);
      expect(readInt64(data, 0)).toBe(base);
      const idx = OffsetIndex.parse(await env.fs.readFile(joinPath(env.root, 'topic-0', f.replace('.log', '.index'))), data.length, 1e9);
      if (typeof idx === 'string') throw new Error(idx);
      expect(idx.length).toBeGreaterThan(0);
      for (let i = 0; i < idx.length; i++) {
        const pos = idx.positionAt(i);
        expect(lastOffsetOf(data.subarray(pos))).toBe(base + idx.relOffsetAt(i));
      }
      const ti = TimeIndex.parse(await env.fs.readFile(joinPath(env.root, 'topic-0', f.replace('.log', '.timeindex'))), 1e9);
      if (typeof ti === 'string') throw new Error(ti);
      expect(ti.length).toBeGreaterThan(0);
    }
    // every offset is found through the index (no tail cache)
    const reopened = await openLog(env, { config, tailCacheBytes: 0, hadCleanShutdown: true });
    let offset = 0;
    for (const b of batches) {
      const n = b.readInt32BE(23) + 1;
      for (let k = 0; k < n; k++) {
        const r = await reopened.read(offset + k, 1);
        expect(r.batches[0]!.equals(b)).toBe(true);
      }
      offset += n;
    }
    expect((await readAll(reopened, 700)).length).toBe(60);
    await reopened.close();
  });

  it('honours maxBytes, and minOneBatch returns a first batch larger than maxBytes', async () => {
    const env = await setup(make);
    for (const cache of [0, 1 << 20]) {
      const log = await openLog(env, { tailCacheBytes: cache, dir: joinPath(env.root, `t-${cache}`) });
      const b1 = simpleBatch(1, { valueBytes: 500 });
      const b2 = simpleBatch(1, { valueBytes: 500 });
      log.append(b1);
      await log.append(b2).written;
      expect((await log.read(0, 100, true)).batches).toEqual([b1]);
      expect((await log.read(0, 100, false)).batches).toEqual([]);
      expect((await log.read(0, b1.length + b2.length - 1)).batches).toEqual([b1]);
      expect((await log.read(0, b1.length + b2.length)).batches).toEqual([b1, b2]);
      await log.close();
    }
  });

  it('keeps everything across a clean restart, producer state included', async () => {
    const env = await setup(make);
    const config = testConfig({ segmentBytes: 2000 });
    const log = await openLog(env, { config });
    const written: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const b = simpleBatch(2, { producerId: 7, producerEpoch: 0, baseSequence: i * 2 });
      written.push(Buffer.from(log.append(b).baseOffset >= 0 ? b : b));
    }
    expect(await log.close()).toBe(true);
    const again = await openLog(env, { config, hadCleanShutdown: true });
    expect(again.logEndOffset).toBe(80);
    expect(again.highWatermark).toBe(80);
    expect((await readAll(again)).map((b) => b.toString('hex'))).toEqual(written.map((b) => b.toString('hex')));
    // the retried last batch is recognised as a duplicate after the restart
    const dup = again.append(simpleBatch(2, { producerId: 7, producerEpoch: 0, baseSequence: 78 }));
    expect(dup.duplicate).toBe(true);
    expect(dup.baseOffset).toBe(78);
    expect(() => again.append(simpleBatch(1, { producerId: 7, producerEpoch: 0, baseSequence: 81 }))).toThrow(/OUT_OF_ORDER/);
    expect(again.append(simpleBatch(1, { producerId: 7, producerEpoch: 0, baseSequence: 80 })).baseOffset).toBe(80);
    await again.close();
  });

  it('recovers everything written after an unclean stop (no close), producer state rebuilt from the log', async () => {
    const env = await setup(make);
    const config = testConfig({ segmentBytes: 3000, indexIntervalBytes: 200 });
    const log = await openLog(env, { config });
    let r;
    const written: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const b = simpleBatch(3, { producerId: 9, producerEpoch: 1, baseSequence: i * 3, valueBytes: 30 });
      written.push(b);
      r = log.append(b);
    }
    await r!.written;
    // abandoned without close: no snapshot at the end, indexes of the active segment never written
    const again = await openLog(env, { config, hadCleanShutdown: false, recoveryPoint: 0 });
    expect(again.logEndOffset).toBe(150);
    expect((await readAll(again)).map((b) => b.toString('hex'))).toEqual(written.map((b) => b.toString('hex')));
    expect(again.append(simpleBatch(3, { producerId: 9, producerEpoch: 1, baseSequence: 147 })).duplicate).toBe(true);
    expect(again.producers.get(9)?.batches.length).toBe(5);
    await again.close();
    await log.discard();
  });

  it('retention by bytes and by time deletes whole segments; DeleteRecords moves the log start', async () => {
    const env = await setup(make);
    const config = testConfig({ segmentBytes: 1000, retentionBytes: 2500, retentionMs: 10_000 });
    let moved = 0;
    const log = await openLog(env, { config, onLogStartOffsetChanged: () => moved++ });
    let r;
    for (let i = 0; i < 30; i++) r = log.append(simpleBatch(1, { valueBytes: 200, baseTimestamp: 1_000_000 + i }));
    await r!.written;
    const before = log.segmentCount;
    expect(before).toBeGreaterThan(5);
    const deleted = await log.runRetention(1_000_000 + 5_000);
    expect(deleted).toBeGreaterThan(0);
    // Kafka's rule: delete oldest segments only while the rest still holds retention.bytes
    expect(log.size).toBeGreaterThanOrEqual(2500);
    expect(log.size - (log.segmentCount > 0 ? 1000 : 0)).toBeLessThan(2500);
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets()[0]);
    expect(moved).toBeGreaterThan(0);
    await expect(log.read(0, 100)).rejects.toSatisfy((e: unknown) => isLogError(e, 'OFFSET_OUT_OF_RANGE'));
    // DeleteRecords inside the first remaining segment
    const target = log.logStartOffset + 1;
    expect(await log.deleteRecordsBefore(target)).toBe(target);
    const first = await log.read(target, 1);
    expect(readInt64(first.batches[0]!, 0)).toBe(target);
    await expect(log.deleteRecordsBefore(log.highWatermark + 1)).rejects.toSatisfy((e: unknown) => isLogError(e, 'OFFSET_OUT_OF_RANGE'));
    // time retention: every segment is older than retention.ms; the log rolls and keeps its end
    await log.runRetention(1_000_000 + 100_000);
    expect(log.logStartOffset).toBe(30);
    expect(log.logEndOffset).toBe(30);
    expect(log.append(simpleBatch(1)).baseOffset).toBe(30);
    await log.close();
    const again = await openLog(env, { config, hadCleanShutdown: true, logStartOffset: 30 });
    expect([again.logStartOffset, again.logEndOffset]).toEqual([30, 31]);
    await again.close();
  });

  it('finds offsets by timestamp and the max-timestamp offset, through indexes and across segments', async () => {
    const env = await setup(make);
    const config = testConfig({ segmentBytes: 1500, indexIntervalBytes: 100 });
    const log = await openLog(env, { config, tailCacheBytes: 0 });
    let r;
    // batch i: 3 records with timestamps 10_000 + 10*i + {0, 5, 2}
    for (let i = 0; i < 40; i++) {
      const t = 10_000 + 10 * i;
      r = log.append(buildBatch({ baseTimestamp: t, records: [{ value: Buffer.from('a'), timestamp: t }, { value: Buffer.from('b'), timestamp: t + 5 }, { value: Buffer.from('c'), timestamp: t + 2 }] }));
    }
    await r!.written;
    const expectAt = async (ts: number, offset: number | null): Promise<void> => {
      const got = await log.offsetForTimestamp(ts);
      expect(got?.offset ?? null).toBe(offset);
    };
    await expectAt(0, 0);
    await expectAt(10_000, 0);
    await expectAt(10_001, 1);
    await expectAt(10_003, 1);
    await expectAt(10_006, 3);
    await expectAt(10_000 + 10 * 25 + 4, 25 * 3 + 1);
    await expectAt(10_000 + 10 * 39 + 5, 39 * 3 + 1);
    await expectAt(10_000 + 10 * 39 + 6, null);
    const max = await log.maxTimestampOffset();
    expect(max).toEqual({ offset: 39 * 3 + 1, timestamp: 10_000 + 10 * 39 + 5, leaderEpoch: 0 });
    await log.close();
    const again = await openLog(env, { config, tailCacheBytes: 0, hadCleanShutdown: true });
    expect((await again.offsetForTimestamp(10_000 + 10 * 25 + 4))?.offset).toBe(25 * 3 + 1);
    expect((await again.maxTimestampOffset())?.offset).toBe(39 * 3 + 1);
    await again.close();
  });

  it('stamps LogAppendTime (attribute, maxTimestamp, CRC) for LogAppendTime topics', async () => {
    const env = await setup(make);
    const now = 5_555_555;
    const log = await openLog(env, { config: testConfig({ messageTimestampType: 'LogAppendTime' }), clock: { now: () => now, setTimeout: () => ({ cancel() {} }) } });
    const b = simpleBatch(2, { baseTimestamp: 1 });
    const r = log.append(b);
    expect(r.logAppendTime).toBe(now);
    expect(b.readInt16BE(OFF_ATTRIBUTES) & 0x08).toBe(0x08);
    expect(readInt64(b, OFF_MAX_TIMESTAMP)).toBe(now);
    expect(batchCrcMatches(b, 0, b.length)).toBe(true);
    await r.written;
    expect(await log.offsetForTimestamp(now)).toEqual({ offset: 0, timestamp: now, leaderEpoch: 0 });
    await log.close();
  });

  it('refuses what Kafka refuses', async () => {
    const env = await setup(make);
    const log = await openLog(env, { config: testConfig({ maxMessageBytes: 1000 }) });
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return isLogError(e) ? e.code : String(e);
      }
      return undefined;
    };
    expect(code(() => log.append(simpleBatch(1, { valueBytes: 2000 })))).toBe('MESSAGE_TOO_LARGE');
    const bad = simpleBatch(1);
    bad.writeInt8(1, 16);
    expect(code(() => log.append(bad))).toBe('INVALID_RECORD');
    expect(code(() => log.append(simpleBatch(1).subarray(0, 40)))).toBe('CORRUPT_MESSAGE');
    const torn = simpleBatch(1);
    torn[70] = (torn[70]! ^ 1) & 0xff;
    expect(code(() => log.append(torn, { verifyCrc: true }))).toBe('CORRUPT_MESSAGE');
    expect(code(() => log.append(simpleBatch(1, { control: true, producerId: 1, producerEpoch: 0 })))).toBe('INVALID_RECORD');
    expect(log.logEndOffset).toBe(0);
    await log.close();
  });

  it('group commit: concurrent acks=-1 appends share fsyncs and consumers see only fsynced data', async () => {
    const env = await setup(make);
    if (env.fs instanceof MemoryFileSystem) env.fs.syncDelay = () => new Promise((r) => setTimeout(r, 2));
    const log = await openLog(env, { config: testConfig({ flushMode: 'group-commit' }) });
    const n = 400;
    const acks: Promise<void>[] = [];
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < n / 8; i++) acks.push(log.append(simpleBatch(1, { valueBytes: 100 })).ack(-1));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(acks);
    expect(log.recoveryPoint).toBe(n);
    expect(log.highWatermark).toBe(n);
    expect(log.stats.fsyncs).toBeGreaterThan(0);
    expect(log.stats.fsyncs).toBeLessThan(n / 4);
    // acks=1 never waits for an fsync, but its data becomes visible only once synced
    const before = log.stats.fsyncs;
    const r = log.append(simpleBatch(1));
    await r.ack(1);
    expect(log.highWatermark).toBeLessThanOrEqual(r.lastOffset + 1);
    await r.durable;
    expect(log.highWatermark).toBe(r.lastOffset + 1);
    expect(log.stats.fsyncs).toBeGreaterThan(before);
    await log.close();
  });

  it('flush.messages=1: every ack waits for an fsync; default interval mode never fsyncs on its own', async () => {
    const env = await setup(make);
    const log = await openLog(env, { config: testConfig({ flushMessages: 1 }) });
    const r = log.append(simpleBatch(2));
    await r.ack(1);
    expect(log.recoveryPoint).toBe(2);
    await log.close();
    const lazy = await openLog(env, { dir: joinPath(env.root, 'lazy-0') });
    const s = lazy.append(simpleBatch(2));
    await s.ack(-1);
    await new Promise((res) => setTimeout(res, 20));
    expect(lazy.recoveryPoint).toBe(0);
    expect(lazy.stats.fsyncs).toBe(0);
    await lazy.flush();
    expect(lazy.recoveryPoint).toBe(2);
    await lazy.close();
  });

  it('rolls on segment.ms (by batch timestamps) and when the index is full', async () => {
    const env = await setup(make);
    const log = await openLog(env, { config: testConfig({ segmentMs: 1000, indexIntervalBytes: 0, segmentIndexBytes: 8 * 3 }) });
    log.append(simpleBatch(1, { baseTimestamp: 10_000 }));
    log.append(simpleBatch(1, { baseTimestamp: 10_900 }));
    expect(log.segmentBaseOffsets()).toEqual([0]);
    log.append(simpleBatch(1, { baseTimestamp: 11_001 }));
    expect(log.segmentBaseOffsets()).toEqual([0, 2]);
    // index.interval.bytes=0 indexes every batch after the first; 24 bytes hold 2 time-index entries
    for (let i = 0; i < 4; i++) log.append(simpleBatch(1, { baseTimestamp: 11_002 + i }));
    expect(log.segmentBaseOffsets()).toEqual([0, 2, 5]);
    await log.close();
  });

  it('truncateTo removes the batch holding the offset and everything after, producer state included', async () => {
    const env = await setup(make);
    const config = testConfig({ segmentBytes: 700 });
    const log = await openLog(env, { config });
    for (let i = 0; i < 20; i++) log.append(simpleBatch(2, { producerId: 1, producerEpoch: 0, baseSequence: i * 2, valueBytes: 40 }));
    await log.flush();
    expect(log.segmentCount).toBeGreaterThan(3);
    await log.truncateTo(13); // inside batch 12..13
    expect(log.logEndOffset).toBe(12);
    expect(log.highWatermark).toBe(12);
    expect((await readAll(log)).length).toBe(6);
    expect(log.append(simpleBatch(2, { producerId: 1, producerEpoch: 0, baseSequence: 10 })).duplicate).toBe(true);
    expect(log.append(simpleBatch(2, { producerId: 1, producerEpoch: 0, baseSequence: 12 })).baseOffset).toBe(12);
    await log.close();
    const again = await openLog(env, { config, hadCleanShutdown: true });
    expect(again.logEndOffset).toBe(14);
    await again.close();
  });

  it('flush.ms: a timer on the injected clock flushes what was appended', async () => {
    const env = await setup(make);
    const timers: { fn: () => void; ms: number }[] = [];
    const clock = { now: () => Date.now(), setTimeout: (fn: () => void, ms: number) => (timers.push({ fn, ms }), { cancel() {} }) };
    const log = await openLog(env, { config: testConfig({ flushMs: 250 }), clock });
    await log.append(simpleBatch(3)).written;
    log.append(simpleBatch(1));
    expect(timers.map((t) => t.ms)).toEqual([250]);
    expect(log.recoveryPoint).toBe(0);
    timers[0]!.fn();
    await log.append(simpleBatch(1)).written;
    await new Promise((r) => setTimeout(r, 20));
    expect(log.recoveryPoint).toBeGreaterThanOrEqual(4);
    await log.close();
  });

  it('wakes high-watermark listeners on appends (fetch long-poll)', async () => {
    const env = await setup(make);
    const log = await openLog(env);
    const seen: number[] = [];
    const off = log.onHighWatermark((hw) => seen.push(hw));
    await log.append(simpleBatch(1)).written;
    off();
    await log.append(simpleBatch(1)).written;
    expect(seen).toEqual([1]);
    await log.close();
  });
});

describe('PartitionLog idempotence', () => {
  it('answers a retried duplicate with its original offsets, gaps and stale epochs with errors', async () => {
    const env = await memoryEnv();
    const log = await openLog(env);
    const p = (seq: number, n = 1, epoch = 0): Buffer => simpleBatch(n, { producerId: 42, producerEpoch: epoch, baseSequence: seq });
    expect(log.append(p(0, 2)).baseOffset).toBe(0);
    expect(log.append(p(2, 3)).baseOffset).toBe(2);
    log.append(simpleBatch(1)); // someone else
    const dup = log.append(p(0, 2));
    expect([dup.duplicate, dup.baseOffset, dup.lastOffset]).toEqual([true, 0, 1]);
    await dup.ack(-1);
    expect(() => log.append(p(6))).toThrow(/OUT_OF_ORDER_SEQUENCE_NUMBER/);
    expect(log.append(p(5)).baseOffset).toBe(6);
    // a new epoch must start at 0
    expect(() => log.append(p(6, 1, 1))).toThrow(/OUT_OF_ORDER_SEQUENCE_NUMBER/);
    expect(log.append(p(0, 1, 1)).baseOffset).toBe(7);
    expect(() => log.append(p(1, 1, 0))).toThrow(/INVALID_PRODUCER_EPOCH/);
    // an unknown producer is accepted at any sequence (KIP-360)
    expect(log.append(simpleBatch(1, { producerId: 43, producerEpoch: 3, baseSequence: 17 })).baseOffset).toBe(8);
    expect(log.logEndOffset).toBe(9);
    await log.close();
  });

  it('forgets producers whose batches fell below the log start (then accepts any sequence)', async () => {
    const env = await memoryEnv();
    const log = await openLog(env, { config: testConfig({ segmentBytes: 300 }) });
    log.append(simpleBatch(1, { producerId: 1, producerEpoch: 0, baseSequence: 0, valueBytes: 100 }));
    for (let i = 0; i < 5; i++) log.append(simpleBatch(1, { valueBytes: 100 }));
    await log.flush();
    await log.deleteRecordsBefore(5);
    expect(log.producers.get(1)).toBeUndefined();
    expect(log.append(simpleBatch(1, { producerId: 1, producerEpoch: 0, baseSequence: 9 })).duplicate).toBe(false);
    await log.close();
  });
});

describe('PartitionLog.open', () => {
  it('starts an empty log at the log start offset checkpoint', async () => {
    const env = await memoryEnv();
    const log = await PartitionLog.open({ fs: env.fs, dir: '/data/x-0', topic: 'x', partition: 0, config: testConfig(), logStartOffset: 100 });
    expect([log.logStartOffset, log.logEndOffset]).toEqual([100, 100]);
    expect(log.append(simpleBatch(1)).baseOffset).toBe(100);
    await log.close();
    expect(await env.fs.exists('/data/x-0/00000000000000000100.log')).toBe(true);
  });
});
