// Issue 14: the process dies during a cleaning round, at every step of it in
// turn (the k-th write, fsync, rename, unlink or directory fsync kills it:
// MemoryFileSystem.crash() keeps only what was made durable). After the
// restart the log must hold every latest record per key it held before, no
// record that was never written, no offset twice (no segment duplicated),
// and another round must finish the job.
import { describe, expect, it } from 'vitest';
import { fsError, type FileSystem } from '../fs.js';
import { MemoryFileSystem } from '../fs-memory.js';
import { LogManager } from '../log-manager.js';
import { dyingProcessFs, memoryEnv, testConfig } from '../test-env.js';
import { batch, logRecords, type LogRec } from './test-segments.js';

const DATA = '/data';
const T = { topicId: '00000000-0000-4000-8000-0000000000c1', topic: 'c', partitions: 1, config: testConfig({ cleanupPolicy: ['compact'], segmentBytes: 700 }) };
const MUTATING = new Set(['writeFile', 'rename', 'unlink', 'syncDir', 'rmrf']);
const HANDLE_MUTATING = new Set(['writev', 'sync', 'truncate']);

/** A file system that dies (crash(), then EIO) at the `dieAt`-th mutating call once armed. */
function killable(fs: MemoryFileSystem): { fs: FileSystem; arm(dieAt: number): void; calls(): number; died(): boolean } {
  let armed = false;
  let count = 0;
  let dieAt = Infinity;
  let dead = false;
  const step = (): void => {
    if (!armed) return;
    if (dead) throw fsError('EIO', 'the process is dead');
    if (++count === dieAt) {
      dead = true;
      fs.crash();
      throw fsError('EIO', 'killed');
    }
  };
  const wrapHandle = <H extends object>(h: H): H =>
    new Proxy(h, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (HANDLE_MUTATING.has(String(prop))) step();
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const proxy = new Proxy(dyingProcessFs(fs), {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        if (MUTATING.has(String(prop))) step();
        const out = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        return prop === 'open' ? wrapHandle(out as object) : out;
      };
    },
  });
  return {
    fs: proxy,
    arm(n) {
      armed = true;
      count = 0;
      dieAt = n;
    },
    calls: () => count,
    died: () => dead,
  };
}

type Rec = LogRec;

const records = (m: LogManager): Promise<Rec[]> => logRecords(m.log('c', 0)!);

/** A fresh data directory holding a compacted log of several segments, all durable. */
async function prepare(): Promise<{ mem: MemoryFileSystem; k: ReturnType<typeof killable>; written: Rec[] }> {
  const mem = new MemoryFileSystem();
  await memoryEnv(mem);
  const k = killable(mem);
  const m = await LogManager.open({ dataDir: DATA, fs: k.fs, topics: [T], background: false });
  const log = m.log('c', 0)!;
  const written: Rec[] = [];
  for (let i = 0; i < 40; i++) {
    const key = `k${i % 5}`;
    const value = i % 7 === 6 ? null : `v${i}`;
    const r = log.append(batch({ records: [{ key, value, timestamp: 1000 + i }] }, 0));
    written.push({ offset: r.baseOffset, key, value });
  }
  await log.flush();
  await m.close();
  return { mem, k, written };
}

function latestPerKey(recs: readonly Rec[]): Map<string, Rec> {
  const m = new Map<string, Rec>();
  for (const r of recs) m.set(r.key, r);
  return m;
}

describe('a crash during cleaning', () => {
  it('at every step of a round: nothing that should survive is lost, no offset is served twice', async () => {
    // how many mutating steps a whole round takes
    const dry = await prepare();
    const m0 = await LogManager.open({ dataDir: DATA, fs: dry.k.fs, topics: [T], background: false });
    dry.k.arm(Infinity);
    expect(await m0.cleaner!.clean(m0.log('c', 0)!)).not.toBeNull();
    const steps = dry.k.calls();
    await m0.close();
    expect(steps).toBeGreaterThan(5);

    for (let dieAt = 1; dieAt <= steps; dieAt++) {
      const { mem, k, written } = await prepare();
      const m = await LogManager.open({ dataDir: DATA, fs: k.fs, topics: [T], background: false });
      k.arm(dieAt);
      await m.cleaner!.clean(m.log('c', 0)!).catch(() => null);
      expect(k.died()).toBe(true);

      // restart on what the crash left
      const again = await LogManager.open({ dataDir: DATA, fs: dyingProcessFs(mem), topics: [T], background: false });
      const after = await records(again);
      const byOffset = new Map(written.map((w) => [w.offset, w]));
      let prev = -1;
      for (const r of after) {
        expect(r.offset, `step ${dieAt}`).toBeGreaterThan(prev); // no offset twice, in order
        prev = r.offset;
        expect(r).toEqual(byOffset.get(r.offset)); // never a record that was not written
      }
      const present = new Set(after.map((r) => r.offset));
      for (const w of latestPerKey(written).values()) expect(present.has(w.offset), `step ${dieAt}: offset ${w.offset} lost`).toBe(true);
      const bases = again.log('c', 0)!.segmentBaseOffsets();
      expect(new Set(bases).size).toBe(bases.length);
      // a later round completes the cleaning
      await again.cleaner!.clean(again.log('c', 0)!);
      expect(latestPerKey(await records(again))).toEqual(latestPerKey(written));
      await again.close();
    }
  });
});
