// Offset gaps left by the cleaner are legal in every log, as in Kafka: a log
// compacted once and then switched to cleanup.policy=delete still serves every
// record it kept, and recovery after an unclean shutdown keeps the segments
// after a cleaned one whose last batches were removed (it ends before the next
// segment's base offset). Offsets going backwards are still corruption.
import { describe, expect, it } from 'vitest';
import { joinPath } from './fs.js';
import { MemoryFileSystem } from './fs-memory.js';
import { LogManager } from './log-manager.js';
import { PartitionLog } from './partition-log.js';
import { offsetFileName } from './segment.js';
import { simpleBatch } from './test-batches.js';
import { dyingProcessFs, lastOffsetOf, memoryEnv, openLog, readAll, testConfig } from './test-env.js';
import { batch, logRecords as records, type LogRec as Rec } from './cleaner/test-segments.js';
import { readInt64 } from './batch.js';
import { verifyDataDir } from './verify.js';

const DATA = '/data';
const TOPIC_ID = '00000000-0000-4000-8000-0000000000d1';
const compact = testConfig({ cleanupPolicy: ['compact'], segmentBytes: 700 });
const T = { topicId: TOPIC_ID, topic: 'g', partitions: 1, config: compact };

/** A compacted log of several segments, cleaned once (durably), its manager still open. */
async function cleanedLog(): Promise<{ mem: MemoryFileSystem; m: LogManager; kept: Rec[] }> {
  const mem = new MemoryFileSystem();
  await memoryEnv(mem);
  const first = await LogManager.open({ dataDir: DATA, fs: dyingProcessFs(mem), topics: [T], background: false });
  const written = first.log('g', 0)!;
  // even offsets have keys of their own (kept), odd ones share three keys (superseded)
  for (let i = 0; i < 80; i++) {
    const key = i % 2 === 0 ? `u${i}` : `k${i % 3}`;
    written.append(batch({ records: [{ key, value: `v${i}`, timestamp: 1000 + i }] }, 0));
  }
  await written.flush();
  await first.close();
  // reopened, the high watermark is at the log end: everything but the active segment is cleanable
  const m = await LogManager.open({ dataDir: DATA, fs: dyingProcessFs(mem), topics: [T], background: false });
  const log = m.log('g', 0)!;
  expect(await m.cleaner!.clean(log)).not.toBeNull();
  const kept = await records(log);
  return { mem, m, kept };
}

/** Offsets below the log end that no kept record has. */
function missing(kept: readonly Rec[]): number[] {
  const have = new Set(kept.map((r) => r.offset));
  const out: number[] = [];
  for (let o = kept[0]!.offset; o < kept[kept.length - 1]!.offset; o++) if (!have.has(o)) out.push(o);
  return out;
}

describe('offset gaps', () => {
  it('a compacted log switched to cleanup.policy=delete serves every record it kept, also after a restart', async () => {
    const { mem, m, kept } = await cleanedLog();
    const gaps = missing(kept);
    expect(gaps.length).toBeGreaterThan(0); // the cleaner removed records in the middle

    m.setConfig(TOPIC_ID, testConfig({ cleanupPolicy: ['delete'], segmentBytes: 700 }));
    const log = m.log('g', 0)!;
    expect(await records(log)).toEqual(kept);
    // a fetch from inside a gap starts at the next record kept
    const r = await log.read(gaps[0]!, 1 << 20, true);
    expect(readInt64(r.batches[0]!, 0)).toBe(kept.find((k) => k.offset > gaps[0]!)!.offset);

    // an unclean restart that recovers every segment under the delete policy
    mem.crash();
    const again = await PartitionLog.open({
      fs: dyingProcessFs(mem),
      dir: joinPath(DATA, 'g-0'),
      topic: 'g',
      partition: 0,
      config: testConfig({ cleanupPolicy: ['delete'], segmentBytes: 700 }),
      hadCleanShutdown: false,
      recoveryPoint: 0,
    });
    expect(await records(again)).toEqual(kept);
    await again.close();
  });

  it('recovery keeps the segments after a cleaned one whose last records were removed', async () => {
    const { mem, m, kept } = await cleanedLog();
    const bases = m.log('g', 0)!.segmentBaseOffsets();
    // the precondition: some segment's last batch ends before the next segment's base
    const batches = await readAll(m.log('g', 0)!);
    const endsBefore = bases.slice(1).filter((base) => {
      const prev = batches.filter((b) => readInt64(b, 0) < base).at(-1);
      return prev !== undefined && lastOffsetOf(prev) + 1 < base;
    });
    expect(endsBefore.length).toBeGreaterThan(0);
    expect(bases.at(-1)).toBeGreaterThan(endsBefore[0]!); // segments after it to lose
    // the offline check sees no fault in such a log either
    expect((await verifyDataDir(mem, DATA)).faults).toEqual([]);

    const reopen = (): Promise<PartitionLog> =>
      PartitionLog.open({ fs: dyingProcessFs(mem), dir: joinPath(DATA, 'g-0'), topic: 'g', partition: 0, config: compact, hadCleanShutdown: false, recoveryPoint: 0 });
    mem.crash(); // no clean shutdown; the recovery point is before every segment
    const log = await reopen();
    expect(log.segmentBaseOffsets()).toEqual(bases);
    expect(await records(log)).toEqual(kept);
    // a fetch in the gap before a segment lands on that segment's first batch
    const r = await log.read(endsBefore[0]! - 1, 1 << 20, true);
    expect(readInt64(r.batches[0]!, 0)).toBe(endsBefore[0]);
    await log.close();

    // and the log recovered that way recovers the same way again
    const again = await reopen();
    expect(again.segmentBaseOffsets()).toEqual(bases);
    expect(await records(again)).toEqual(kept);
    await again.close();
  });

  it('recovery still deletes the segments from one that overlaps the segment before it', async () => {
    const env = await memoryEnv();
    const config = testConfig({ segmentBytes: 700 });
    const log = await openLog(env, { config });
    for (let i = 0; i < 30; i++) log.append(simpleBatch(2, { valueBytes: 40 }));
    expect(await log.close()).toBe(true);
    const bases = log.segmentBaseOffsets();
    expect(bases.length).toBeGreaterThan(3);
    // the third segment's file names move one offset down: the second one's last offset is past its base
    const dir = joinPath(env.root, 'topic-0');
    const moved = bases[2]!;
    for (const suffix of ['.log', '.index', '.timeindex']) {
      await env.fs.rename(joinPath(dir, offsetFileName(moved, suffix)), joinPath(dir, offsetFileName(moved - 1, suffix)));
    }
    const again = await openLog(env, { config, hadCleanShutdown: false, recoveryPoint: 0 });
    expect(again.segmentBaseOffsets()).toEqual(bases.slice(0, 2));
    expect(again.logEndOffset).toBe(moved);
    await again.close();
  });
});
