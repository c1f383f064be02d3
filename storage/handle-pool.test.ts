// Open segment files are a budget (issue 7): many partitions served through a
// handful of handles, evicted and reopened transparently, data intact.
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from './fs-memory.js';
import { defaultOpenFileLimit } from './handle-pool.js';
import { LogManager } from './log-manager.js';
import { simpleBatch } from './test-batches.js';
import { dyingProcessFs, memoryEnv, readAll, testConfig } from './test-env.js';

const DATA = '/data/kafka-data';
const PARTITIONS = 40;
const LIMIT = 5;

const T = { topicId: '00000000-0000-4000-8000-000000000001', topic: 't', config: testConfig({ segmentBytes: 1200 }) };
// what the broker's cluster tells storage at start: the logs of t, once created
const open = (fs: MemoryFileSystem | ReturnType<typeof dyingProcessFs>, topics = [{ ...T, partitions: PARTITIONS }]): Promise<LogManager> =>
  LogManager.open({ dataDir: DATA, fs, topics, background: false, maxOpenFiles: LIMIT, tailCacheBytes: 0 });

async function readEverything(m: LogManager): Promise<string[][]> {
  const out: string[][] = [];
  for (let p = 0; p < PARTITIONS; p++) out.push((await readAll(m.log('t', p)!)).map((b) => b.toString('hex', 12)));
  return out;
}

describe('open segment files under a budget', () => {
  it(`${PARTITIONS} partitions with several segments each through ${LIMIT} handles: appends, reads, restarts`, async () => {
    const fs = new MemoryFileSystem();
    await memoryEnv(fs);
    const m = await open(fs, []);
    await m.createLogs(T, 0, PARTITIONS);
    for (let round = 0; round < 6; round++) {
      // appends to every partition at once, flushes and reads interleaved
      await Promise.all(
        Array.from({ length: PARTITIONS }, async (_, p) => {
          const log = m.log('t', p)!;
          await log.append(simpleBatch(2, { valueBytes: 150, prefix: `${round}-${p}` })).durable;
        }),
      );
    }
    const before = await readEverything(m);
    expect(before.every((p) => p.length === 6)).toBe(true);
    expect(m.log('t', 0)!.segmentCount).toBeGreaterThan(1);
    // (40 fsyncs in flight at once may go over: a pinned handle is never closed under its user)
    expect(m.files.size).toBeLessThanOrEqual(LIMIT);
    expect(m.files.stats.evictions).toBeGreaterThan(PARTITIONS);
    await m.close();
    expect(m.files.size).toBe(0);

    const clean = await open(fs);
    expect(await readEverything(clean)).toEqual(before);
    expect(clean.files.size).toBeLessThanOrEqual(LIMIT);
    for (let p = 0; p < PARTITIONS; p++) await clean.log('t', p)!.append(simpleBatch(1, { prefix: `after-${p}` })).written;
    // a crash of the process (no close): recovery of every log through the same budget
    await clean.flushAll();
    await clean.checkpoint();
    const snapshot = await readEverything(clean);
    // `clean` is left open, as a killed process leaves it
    const unclean = await open(dyingProcessFs(fs));
    expect(unclean.hadCleanShutdown).toBe(false);
    expect(await readEverything(unclean)).toEqual(snapshot);
    expect(unclean.files.stats.peak).toBeLessThanOrEqual(LIMIT);
  });

  it('the default budget is half the soft open-file limit', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 1048576              files\n';
    expect(defaultOpenFileLimit(() => limits)).toBe(512);
    expect(defaultOpenFileLimit(() => limits.replace('1024  ', '65536 '))).toBe(32768);
    expect(defaultOpenFileLimit(() => {
      throw new Error('no /proc');
    })).toBe(512);
  });
});
