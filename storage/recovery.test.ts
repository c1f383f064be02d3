// Recovery keeps exactly the valid prefix: logs are built, closed cleanly, then
// a random file is truncated or has one bit flipped at a random position, and
// the log is reopened as after a crash (no marker, recovery point 0) or, for
// index damage, as after a clean shutdown (indexes trusted only after checks).

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { readInt64 } from './batch.js';
import { isLogError } from './errors.js';
import { joinPath, type FileSystem } from './fs.js';
import { MemoryFileSystem } from './fs-memory.js';
import type { PartitionLog } from './partition-log.js';
import { buildBatch } from './test-batches.js';
import { lastOffsetOf, memoryEnv, openLog, readAll, realEnv, testConfig, type TestEnv } from './test-env.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const config = testConfig({ segmentBytes: 1200, indexIntervalBytes: 150 });
const DIR = 'topic-0';
/** Batch timestamps: recent, so producer ids do not expire (producer.id.expiration.ms). */
const T0 = Date.now() - 3_600_000;

interface Layout {
  /** Every batch as written, in offset order, with its file and position. */
  batches: { bytes: Buffer; file: string; pos: number }[];
  files: string[];
}

const batchSpec = fc.record({ records: fc.integer({ min: 1, max: 4 }), valueBytes: fc.integer({ min: 0, max: 120 }) });

async function buildLog(env: TestEnv, specs: { records: number; valueBytes: number }[], idempotent: boolean): Promise<Layout> {
  const log = await openLog(env, { config });
  let seq = 0;
  specs.forEach((s, i) => {
    const records = Array.from({ length: s.records }, (_, k) => ({ value: Buffer.alloc(s.valueBytes, 97 + ((i + k) % 26)), timestamp: T0 + i * 10 + k }));
    log.append(buildBatch({ records, baseTimestamp: T0 + i * 10, ...(idempotent ? { producerId: 5, producerEpoch: 0, baseSequence: seq } : {}) }));
    seq += s.records;
  });
  expect(await log.close()).toBe(true);
  const dir = joinPath(env.root, DIR);
  const files = (await env.fs.readdir(dir)).sort();
  const batches: Layout['batches'] = [];
  for (const f of files.filter((n) => n.endsWith('.log'))) {
    const data = await env.fs.readFile(joinPath(dir, f));
    for (let p = 0; p < data.length; ) {
      const size = 12 + data.readInt32BE(p + 8);
      batches.push({ bytes: Buffer.from(data.subarray(p, p + size)), file: f, pos: p });
      p += size;
    }
  }
  return { batches, files };
}

/**
 * Truncates `path` or flips one bit in it; returns the damaged position. A flip
 * that would raise a batch's base offset (outside the CRC) flips its sign bit
 * instead: only a base offset that went backwards can be told from an offset
 * gap, which every log may have, as in Kafka.
 */
async function damage(fs: FileSystem, path: string, op: { kind: 'truncate' | 'flip'; at: number; bit: number }): Promise<number> {
  const data = await fs.readFile(path);
  if (data.length === 0) return -1;
  let at = Math.floor(op.at * data.length);
  let bit = op.bit;
  const fh = await fs.open(path, 'rw');
  if (op.kind === 'truncate') await fh.truncate(at);
  else {
    if (path.endsWith('.log')) {
      let p = 0;
      while (p + 12 + data.readInt32BE(p + 8) <= at) p += 12 + data.readInt32BE(p + 8);
      if (at - p < 8 && (data[at]! & (1 << bit)) === 0) {
        at = p;
        bit = 7;
      }
    }
    const b = Buffer.from([data[at]! ^ (1 << bit)]);
    await fh.writev([b], at);
  }
  await fh.sync();
  await fh.close();
  return at;
}

/** The batches recovery must keep after damaging `file` at `at`. */
function expectedAfterLogDamage(layout: Layout, file: string, kind: 'truncate' | 'flip', at: number, bit: number): Buffer[] {
  // a cut between batches leaves nothing to see: the segment ends early, an
  // offset gap as the cleaner leaves, and the later segments stay (as in Kafka)
  const cleanCut = kind === 'truncate' && layout.batches.some((b) => b.file === file && b.pos === at);
  const out: Buffer[] = [];
  for (const b of layout.batches) {
    if (b.file < file || (cleanCut && b.file > file)) {
      out.push(b.bytes);
      continue;
    }
    if (b.file > file) break;
    const end = b.pos + b.bytes.length;
    if (kind === 'truncate') {
      if (end <= at) out.push(b.bytes);
      if (end <= at || cleanCut) continue;
      break;
    }
    if (end <= at) {
      out.push(b.bytes);
      continue;
    }
    const rel = at - b.pos;
    if (rel >= 12 && rel < 16) {
      // partitionLeaderEpoch is outside the CRC: the flip cannot be seen; everything
      // stays, the damaged batch as it now is on disk
      const flipped = Buffer.from(b.bytes);
      flipped[rel] = flipped[rel]! ^ (1 << bit);
      return layout.batches.map((x) => (x === b ? flipped : x.bytes));
    }
    break;
  }
  return out;
}

async function checkReads(log: PartitionLog, expected: Buffer[]): Promise<void> {
  const got = await readAll(log, 500);
  expect(got.map((b) => b.toString('hex'))).toEqual(expected.map((b) => b.toString('hex')));
  const end = expected.length ? lastOffsetOf(expected[expected.length - 1]!) + 1 : 0;
  expect(log.logEndOffset).toBe(end);
  // every offset through the index (the cache is off in these logs)
  for (const b of expected) {
    const base = readInt64(b, 0);
    for (let o = base; o <= lastOffsetOf(b); o++) {
      const r = await log.read(o, 1);
      expect(readInt64(r.batches[0]!, 0)).toBe(base);
    }
  }
}

describe('recovery keeps exactly the valid prefix', () => {
  it('after truncating or bit-flipping a segment file (memory fs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchSpec, { minLength: 1, maxLength: 30 }),
        fc.nat(),
        fc.constantFrom('truncate' as const, 'flip' as const),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 7 }),
        async (specs, fileSeed, kind, at, bit) => {
          const env = await memoryEnv();
          const layout = await buildLog(env, specs, false);
          const logs = layout.files.filter((f) => f.endsWith('.log'));
          const file = logs[fileSeed % logs.length]!;
          const pos = await damage(env.fs, joinPath(env.root, DIR, file), { kind, at, bit });
          if (pos < 0) return;
          const expected = expectedAfterLogDamage(layout, file, kind, pos, bit);
          const log = await openLog(env, { config, tailCacheBytes: 0, hadCleanShutdown: false, recoveryPoint: 0 });
          await checkReads(log, expected);
          // the log goes on from the recovered end
          const end = log.logEndOffset;
          expect(log.append(buildBatch({ records: [{ value: Buffer.from('next') }] })).baseOffset).toBe(end);
          await log.close();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('after truncating or bit-flipping a segment file (real fs)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchSpec, { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.constantFrom('truncate' as const, 'flip' as const),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 7 }),
        async (specs, fileSeed, kind, at, bit) => {
          const env = await realEnv();
          cleanups.push(env.cleanup);
          const layout = await buildLog(env, specs, false);
          const logs = layout.files.filter((f) => f.endsWith('.log'));
          const file = logs[fileSeed % logs.length]!;
          const pos = await damage(env.fs, joinPath(env.root, DIR, file), { kind, at, bit });
          if (pos < 0) return;
          const log = await openLog(env, { config, tailCacheBytes: 0, hadCleanShutdown: false, recoveryPoint: 0 });
          await checkReads(log, expectedAfterLogDamage(layout, file, kind, pos, bit));
          await log.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('after damaging an index, time index or producer snapshot, with or without the clean marker: nothing is lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchSpec, { minLength: 2, maxLength: 30 }),
        fc.nat(),
        fc.constantFrom('truncate' as const, 'flip' as const),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        async (specs, fileSeed, kind, at, bit, clean) => {
          const env = await memoryEnv();
          const layout = await buildLog(env, specs, true);
          const targets = layout.files.filter((f) => /\.(index|timeindex|producer-snapshot)$/.test(f));
          const file = targets[fileSeed % targets.length]!;
          await damage(env.fs, joinPath(env.root, DIR, file), { kind, at, bit });
          const log = await openLog(env, { config, tailCacheBytes: 0, hadCleanShutdown: clean, recoveryPoint: clean ? 1e9 : 0 });
          await checkReads(log, layout.batches.map((b) => b.bytes));
          // timestamps grow by batch, so every look-up has one right answer
          for (let i = 0; i < specs.length; i += 3) {
            const got = await log.offsetForTimestamp(T0 + i * 10);
            expect(got?.offset).toBe(readInt64(layout.batches[i]!.bytes, 0));
          }
          expect((await log.offsetForTimestamp(T0 + specs.length * 10))?.offset).toBeUndefined();
          // the producer state came back: the last batch is a duplicate, the next sequence follows
          const lastSeq = specs.slice(0, -1).reduce((n, s) => n + s.records, 0);
          const retry = buildBatch({ records: Array.from({ length: specs[specs.length - 1]!.records }, () => ({ value: Buffer.from('x') })), producerId: 5, producerEpoch: 0, baseSequence: lastSeq });
          expect(log.append(retry).duplicate).toBe(true);
          await log.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('crash (memory fs): reload keeps exactly the synced prefix', () => {
  it('interval mode: what the last flush covered, nothing torn', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ n: fc.integer({ min: 1, max: 5 }), flush: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        async (steps) => {
          const fs = new MemoryFileSystem();
          const env = await memoryEnv(fs);
          const log = await openLog(env, { config });
          const appended: Buffer[] = [];
          let flushedEnd = 0;
          for (const s of steps) {
            const b = buildBatch({ records: Array.from({ length: s.n }, (_, k) => ({ value: Buffer.from(`r${k}`) })) });
            appended.push(b);
            const r = log.append(b);
            await r.written;
            if (s.flush) {
              await log.flush();
              flushedEnd = r.lastOffset + 1;
            }
          }
          fs.crash();
          const again = await openLog(env, { config, tailCacheBytes: 0, hadCleanShutdown: false, recoveryPoint: 0 });
          expect(again.logEndOffset).toBe(flushedEnd);
          const kept = appended.filter((b) => lastOffsetOf(b) < flushedEnd);
          await checkReads(again, kept);
          await again.close();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('group-commit mode: every acknowledged batch survives, offsets stay contiguous, at most unacknowledged ones are lost', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 20 }), async (count, crashAfterTicks) => {
        const fs = new MemoryFileSystem();
        const env = await memoryEnv(fs);
        const gc = testConfig({ segmentBytes: 2000, flushMode: 'group-commit' });
        const log = await openLog(env, { config: gc });
        const acked = new Set<number>();
        const appended: Buffer[] = [];
        for (let i = 0; i < count; i++) {
          const b = buildBatch({ records: [{ value: Buffer.from(`m${i}`) }] });
          appended.push(b);
          const r = log.append(b);
          r.ack(-1).then(
            () => acked.add(r.baseOffset),
            () => undefined,
          );
        }
        for (let t = 0; t < crashAfterTicks; t++) await new Promise((res) => setImmediate(res));
        const ackedAtCrash = [...acked];
        fs.crash();
        const again = await openLog(env, { config: gc, hadCleanShutdown: false, recoveryPoint: 0 });
        const end = again.logEndOffset;
        for (const o of ackedAtCrash) expect(o).toBeLessThan(end);
        await checkReads(again, appended.slice(0, end));
        await again.close();
        await log.discard().catch(() => undefined);
      }),
      { numRuns: 60 },
    );
  });
});

describe('corruption is detected on read, never served (issue 7)', () => {
  it('a flipped bit in any segment after a clean shutdown: every read returns the original bytes or KAFKA_STORAGE_ERROR', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchSpec, { minLength: 1, maxLength: 30 }),
        fc.nat(),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 7 }),
        async (specs, fileSeed, at, bit) => {
          const env = await memoryEnv();
          const layout = await buildLog(env, specs, false);
          const logs = layout.files.filter((f) => f.endsWith('.log'));
          const file = logs[fileSeed % logs.length]!;
          const pos = await damage(env.fs, joinPath(env.root, DIR, file), { kind: 'flip', at, bit });
          if (pos < 0) return;
          const hit = layout.batches.find((b) => b.file === file && b.pos <= pos && pos < b.pos + b.bytes.length)!;
          const rel = pos - hit.pos;
          const log = await openLog(env, { config, tailCacheBytes: 0, hadCleanShutdown: true, recoveryPoint: 1e9 });
          const original = new Map(layout.batches.map((b) => [readInt64(b.bytes, 0), b.bytes.toString('hex')]));
          let refused = 0;
          for (const b of layout.batches) {
            const base = readInt64(b.bytes, 0);
            for (const maxBytes of [1, 1 << 20]) {
              let served: Buffer[];
              try {
                served = (await log.read(base, maxBytes)).batches;
              } catch (e) {
                expect(isLogError(e, 'KAFKA_STORAGE_ERROR') || isLogError(e, 'OFFSET_OUT_OF_RANGE')).toBe(true);
                refused++;
                continue;
              }
              for (const s of served) {
                const want = original.get(readInt64(s, 0));
                // partitionLeaderEpoch (bytes 12-15) is the one field nothing can check
                if (rel >= 12 && rel < 16) expect(s.length).toBe(Buffer.from(want!, 'hex').length);
                else expect(s.toString('hex')).toBe(want);
              }
            }
          }
          // the damaged batch itself is refused (or cut off by the active segment's recovery)
          if (!(rel >= 12 && rel < 16)) expect(refused > 0 || log.logEndOffset <= readInt64(hit.bytes, 0)).toBe(true);
          // batches in other segments are served untouched
          for (const b of layout.batches.filter((x) => x.file !== file)) {
            expect((await log.read(readInt64(b.bytes, 0), 1)).batches[0]!.toString('hex')).toBe(b.bytes.toString('hex'));
          }
          await log.close();
        },
      ),
      { numRuns: 200 },
    );
  });
});
