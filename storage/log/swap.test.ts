// The cleaner's segment swap (log/segments.ts replaceSegments) and the loader's
// rules for what a crash leaves (.cleaned / .swap / .deleted). The "cleaning"
// here merges three segments into one, as the cleaner's grouping does when it
// drops nothing: the data must read back the same, under one segment.

import { afterEach, describe, expect, it } from 'vitest';
import { fsError, joinPath, type FileSystem } from '../fs.js';
import { MemoryFileSystem } from '../fs-memory.js';
import type { Clock } from '../logger.js';
import type { PartitionLog } from '../partition-log.js';
import { buildBatch } from '../test-batches.js';
import { ENVS, memoryEnv, openLog, readAll, testConfig, type TestEnv } from '../test-env.js';

const config = testConfig({ segmentBytes: 600, indexIntervalBytes: 150 });
const DELAY_MS = 60_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A clock whose timers run only when the test says so. */
function manualClock(): Clock & { fire(): void; pending: number } {
  let timers: (() => void)[] = [];
  return {
    now: () => Date.now(),
    setTimeout(fn) {
      timers.push(fn);
      return { cancel: () => (timers = timers.filter((f) => f !== fn)) };
    },
    fire() {
      const due = timers;
      timers = [];
      for (const f of due) f();
    },
    get pending() {
      return timers.length;
    },
  };
}

async function fillLog(log: PartitionLog): Promise<void> {
  for (let i = 0; i < 24; i++) {
    log.append(buildBatch({ records: [{ key: Buffer.from(`k${i % 5}`), value: Buffer.alloc(60, 97 + (i % 26)) }], baseTimestamp: Date.now() - 1000 + i }));
  }
  await log.flush();
  expect(log.segmentCount).toBeGreaterThan(4);
}

/** Copies the batches of the three oldest segments into one cleaned segment, swaps it in. */
async function mergeOldest(log: PartitionLog): Promise<{ swap: Promise<boolean>; expectedBases: number[] }> {
  const infos = await log.describeSegments();
  const old = infos.slice(0, 3);
  expect(old.some((i) => i.active)).toBe(false);
  expect(old[0]!.nextOffset).toBe(old[1]!.baseOffset);
  expect(old[2]!.largestTimestamp).toBeGreaterThan(0);
  const cleaned = log.createCleanedSegment(old[0]!.baseOffset);
  for (const info of old) {
    const batches: Buffer[] = [];
    let next = info.baseOffset;
    for await (const b of log.segmentBatches(info.segment)) {
      expect(b.baseOffset).toBe(next);
      next = b.lastOffset + 1;
      batches.push(Buffer.from(b.bytes));
    }
    expect(next).toBe(info.nextOffset);
    await cleaned.append(batches);
  }
  await cleaned.finish(old[2]!.lastModifiedMs);
  const expectedBases = [old[0]!.baseOffset, ...infos.slice(3).map((i) => i.baseOffset)];
  return { swap: log.replaceSegments(old.map((i) => i.segment), cleaned, DELAY_MS), expectedBases };
}

async function names(env: TestEnv): Promise<string[]> {
  return (await env.fs.readdir(joinPath(env.root, 'topic-0'))).sort();
}

describe.each(ENVS)('segment swap on %s', (_name, makeEnv) => {
  it('replaces three segments by one cleaned segment; old files go .deleted, then away after the delay', async () => {
    const env = await makeEnv();
    cleanups.push(env.cleanup);
    const clock = manualClock();
    const log = await openLog(env, { config, clock });
    await fillLog(log);
    const before = (await readAll(log)).map((b) => b.toString('hex'));
    const { swap, expectedBases } = await mergeOldest(log);
    expect(await swap).toBe(true);
    expect(log.segmentBaseOffsets()).toEqual(expectedBases);
    expect((await readAll(log)).map((b) => b.toString('hex'))).toEqual(before);
    const files = await names(env);
    expect(files.filter((n) => n.endsWith('.deleted')).length).toBeGreaterThanOrEqual(6);
    expect(files.filter((n) => /\.(cleaned|swap)$/.test(n))).toEqual([]);
    clock.fire();
    await expect.poll(async () => (await names(env)).filter((n) => n.endsWith('.deleted'))).toEqual([]);
    // appends go on; a clean restart loads the swapped layout
    log.append(buildBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('after') }] }));
    await log.flush();
    const all = (await readAll(log)).map((b) => b.toString('hex'));
    expect(await log.close()).toBe(true);
    const again = await openLog(env, { config, clock, hadCleanShutdown: true });
    expect(again.segmentBaseOffsets()).toEqual(log.segmentBaseOffsets());
    expect((await readAll(again)).map((b) => b.toString('hex'))).toEqual(all);
    await again.close();
  });

  it('gives up, deleting the cleaned files, when the old segments left the log meanwhile', async () => {
    const env = await makeEnv();
    cleanups.push(env.cleanup);
    const log = await openLog(env, { config, clock: manualClock() });
    await fillLog(log);
    const infos = await log.describeSegments();
    const cleaned = log.createCleanedSegment(infos[0]!.baseOffset);
    await cleaned.finish(0);
    await log.deleteRecordsBefore(infos[1]!.baseOffset);
    expect(await log.replaceSegments([infos[0]!.segment], cleaned, DELAY_MS)).toBe(false);
    expect((await names(env)).filter((n) => /\.(cleaned|swap|deleted)$/.test(n))).toEqual([]);
    await log.close();
  });
});

/**
 * A process over `mem` that dies (power loss: `mem.crash()`, then every call
 * fails) just before the rename of `killAt`.
 */
function dyingProcess(mem: MemoryFileSystem, killAt: string | undefined, seen: string[]): FileSystem {
  let dead = false;
  return new Proxy(mem, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const f = (v as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        if (prop === 'rename' && !dead) {
          seen.push(args[0] as string);
          if (args[0] === killAt) {
            dead = true;
            mem.crash();
          }
        }
        if (dead) throw fsError('EIO', 'the process is dead');
        return f(...args);
      };
    },
  });
}

describe('segment swap under crashes (memory fs)', () => {
  async function run(killAt: string | undefined, seen: string[]): Promise<{ mem: MemoryFileSystem; before: string[]; expectedBases: number[]; oldBases: number[] }> {
    const mem = new MemoryFileSystem();
    const env = await memoryEnv(mem);
    const proc = { ...env, fs: dyingProcess(mem, killAt, seen) };
    const log = await openLog(proc, { config, clock: manualClock() });
    await fillLog(log);
    const before = (await readAll(log)).map((b) => b.toString('hex'));
    const oldBases = log.segmentBaseOffsets();
    const { swap, expectedBases } = await mergeOldest(log);
    const swapped = await swap.catch(() => 'died');
    if (killAt === undefined) {
      expect(swapped).toBe(true);
      mem.crash(); // after the swap, before the delayed deletion
    } else expect(swapped).toBe('died');
    return { mem, before, expectedBases, oldBases };
  }

  it('a crash before every rename of the swap, and after it: restart finds all the data, once', async () => {
    const renames: string[] = [];
    await run(undefined, renames);
    // .cleaned -> .swap (3 files), 3 old segments -> .deleted (3 files each), .swap -> '' (3 files)
    expect(renames.length).toBe(15);
    for (const killAt of [...renames, undefined]) {
      const { mem, before, expectedBases, oldBases } = await run(killAt, []);
      const env = await memoryEnv(mem);
      const log = await openLog(env, { config, clock: manualClock() });
      const k = killAt === undefined ? renames.length : renames.indexOf(killAt);
      // the swap is committed once every new file is .swap and the directory synced
      expect(log.segmentBaseOffsets()).toEqual(k < 3 ? oldBases : expectedBases);
      expect((await readAll(log)).map((b) => b.toString('hex'))).toEqual(before);
      const left = (await env.fs.readdir('/data/topic-0')).filter((n) => /\.(cleaned|swap|deleted)$/.test(n));
      expect(left).toEqual([]);
      await log.close();
    }
  });

  it('an I/O error part-way takes the log offline; its reload completes the swap', async () => {
    const mem = new MemoryFileSystem();
    const env = await memoryEnv(mem);
    const log = await openLog(env, { config, clock: manualClock() });
    await fillLog(log);
    const before = (await readAll(log)).map((b) => b.toString('hex'));
    const { swap, expectedBases } = await mergeOldest(log);
    mem.failNextRename({ path: /\.timeindex$/ }); // the first old segment's time index -> .deleted
    await expect(swap).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    await log.whenSettled();
    expect(log.state).toBe('online');
    expect(log.segmentBaseOffsets()).toEqual(expectedBases);
    expect((await readAll(log)).map((b) => b.toString('hex'))).toEqual(before);
    expect((await env.fs.readdir('/data/topic-0')).filter((n) => /\.(cleaned|swap|deleted)$/.test(n))).toEqual([]);
    await log.close();
  });
});

describe('leftover swap files at load (Kafka LogLoader rules)', () => {
  it('a .swap below the lowest .cleaned completes; .swap at or above it and every .cleaned go', async () => {
    const env = await memoryEnv();
    const log = await openLog(env, { config, clock: manualClock() });
    await fillLog(log);
    const before = (await readAll(log)).map((b) => b.toString('hex'));
    const bases = log.segmentBaseOffsets();
    expect(await log.close()).toBe(true);
    const dir = '/data/topic-0';
    const file = (base: number, kind: string): string => joinPath(dir, `${String(base).padStart(20, '0')}${kind}`);
    // a committed swap of the three oldest segments merged into one (no indexes: the loader rebuilds them)
    const merged = Buffer.concat(await Promise.all(bases.slice(0, 3).map((b) => env.fs.readFile(file(b, '.log')))));
    await env.fs.writeFile(file(bases[0]!, '.log.swap'), merged);
    // an unfinished cleaning of the fourth and a stale swap file above it
    await env.fs.writeFile(file(bases[3]!, '.log.cleaned'), Buffer.alloc(10));
    await env.fs.writeFile(file(bases[4]!, '.index.swap'), Buffer.alloc(8));
    await env.fs.syncDir(dir);
    const again = await openLog(env, { config, clock: manualClock() });
    expect(again.segmentBaseOffsets()).toEqual([bases[0], ...bases.slice(3)]);
    expect((await readAll(again)).map((b) => b.toString('hex'))).toEqual(before);
    expect((await env.fs.readdir(dir)).filter((n) => /\.(cleaned|swap|deleted)$/.test(n))).toEqual([]);
    await again.close();
  });
});
