// Issue 7, item 3: an I/O error (EMFILE, ENFILE, ENOSPC, EIO, EACCES) is never
// taken for invalid content. On every file storage reads at start or writes
// while running, an injected errno fails the operation (start, append, close)
// with that error, deletes nothing, and once the fault is gone every
// acknowledged record is still there.

import { describe, expect, it } from 'vitest';
import { readInt64 } from './batch.js';
import { joinPath } from './fs.js';
import { MemoryFileSystem } from './fs-memory.js';
import { CLEAN_SHUTDOWN_FILE, LogManager } from './log-manager.js';
import { simpleBatch } from './test-batches.js';
import { dyingProcessFs, memoryEnv, readAll, testConfig } from './test-env.js';

const DATA = '/data/kafka-data';
const config = testConfig({ segmentBytes: 1500 });
const T = { topicId: '00000000-0000-4000-8000-000000000001', topic: 't', config };
const U = { topicId: '00000000-0000-4000-8000-000000000002', topic: 'u', config };
// what the broker's cluster tells storage at start: the logs of t (2 partitions)
const open = (fs: MemoryFileSystem | ReturnType<typeof dyingProcessFs>): Promise<LogManager> =>
  LogManager.open({ dataDir: DATA, fs, topics: [{ ...T, partitions: 2 }], background: false });

/** The errno somewhere in an error's message or cause chain. */
function errnoOf(e: unknown): string {
  let text = '';
  for (let x: unknown = e; x instanceof Error; x = (x as { cause?: unknown }).cause) text += ` ${x.message} ${(x as { code?: string }).code ?? ''}`;
  return text;
}

/** Every (file name) under the data dir, recursively. */
async function listFiles(fs: MemoryFileSystem, dir = DATA): Promise<string[]> {
  const out: string[] = [];
  for (const name of await fs.readdir(dir)) {
    const p = joinPath(dir, name);
    if ((await fs.stat(p)).isDirectory) out.push(...(await listFiles(fs, p)));
    else out.push(p);
  }
  return out.sort();
}

/** A data dir with two partitions, several segments each, producer snapshots, stopped cleanly. */
async function populated(): Promise<{ fs: MemoryFileSystem; contents: string[][] }> {
  const fs = new MemoryFileSystem();
  await memoryEnv(fs);
  const m = await open(fs);
  await m.createLogs(T, 0, 2);
  for (let i = 0; i < 24; i++) {
    const p = i % 2;
    await m.log('t', p)!.append(simpleBatch(3, { valueBytes: 60, producerId: 7 + p, producerEpoch: 0, baseSequence: Math.floor(i / 2) * 3 })).written;
  }
  await m.close();
  return { fs, contents: await contentsOf(fs) };
}

async function contentsOf(fs: MemoryFileSystem): Promise<string[][]> {
  const m = await open(fs);
  try {
    const out: string[][] = [];
    for (let p = 0; p < 2; p++) out.push((await readAll(m.log('t', p)!)).map((b) => `${readInt64(b, 0)}:${b.toString('hex', 21)}`));
    return out;
  } finally {
    await m.close();
  }
}

const START_FILES: [string, RegExp][] = [
  ['segment', /\/t-0\/0+\.log$/],
  ['newer segment', /\/t-1\/0*[1-9]\d*\.log$/],
  ['offset index', /\/t-0\/0+\.index$/],
  ['time index', /\/t-1\/0+\.timeindex$/],
  ['producer snapshot', /\.producer-snapshot$/],
  ['recovery point checkpoint', /recovery-point-offset-checkpoint$/],
  ['log start checkpoint', /log-start-offset-checkpoint$/],
  ['topics file', /kafkalite-topics\.json$/],
  ['partition metadata', /partition\.metadata$/],
  ['data dir lock', /\/\.lock$/],
];

describe('I/O errors at start are failures, not invalid content', () => {
  for (const clean of [true, false]) {
    for (const [what, path] of START_FILES) {
      it(`${clean ? 'clean' : 'unclean'} start, ${what}: EMFILE/EACCES on open and EIO on read fail the start or the read, delete nothing, lose nothing`, async () => {
        const { fs, contents } = await populated();
        if (!clean) await fs.unlink(joinPath(DATA, CLEAN_SHUTDOWN_FILE));
        const before = await listFiles(fs);
        for (const inject of [
          () => fs.failNextOpen({ path, code: 'EMFILE', times: Infinity }),
          () => fs.failNextOpen({ path, code: 'EACCES', times: Infinity }),
          () => fs.failNextRead({ path, code: 'EIO', times: Infinity }),
        ]) {
          inject();
          let failure: unknown = null;
          try {
            // a start that gets through (the file was not needed at start) reads everything
            const m = await open(dyingProcessFs(fs));
            for (let p = 0; p < 2; p++) await readAll(m.log('t', p)!).catch((e: unknown) => (failure ??= e));
          } catch (e) {
            failure = e;
          }
          fs.clearFaults();
          if (failure !== null) expect(errnoOf(failure)).toMatch(/EMFILE|EACCES|EIO/);
          const after = await listFiles(fs);
          // nothing but the clean-shutdown marker (consumed by a start) and the
          // checkpoints (rewritten) may change name; no data file disappears
          const durable = (l: string[]): string[] => l.filter((f) => /\.(log|index|timeindex|producer-snapshot)$|partition\.metadata$|topics\.json$/.test(f));
          expect(durable(after)).toEqual(durable(before));
        }
        expect(await contentsOf(fs)).toEqual(contents);
      });
    }
  }
});

const WRITE_FILES: [string, RegExp][] = [
  ['segment', /\.log$/],
  ['offset index', /\.index(\.tmp)?$/],
  ['time index', /\.timeindex(\.tmp)?$/],
  ['producer snapshot', /\.producer-snapshot(\.tmp)?$/],
  ['checkpoint', /checkpoint(\.tmp)?$/],
  ['topics file', /kafkalite-topics\.json(\.tmp)?$/],
  ['partition metadata', /partition\.metadata(\.tmp)?$/],
  ['clean-shutdown marker', /\.kafka_cleanshutdown(\.tmp)?$/],
];

describe('I/O errors while writing lose no acknowledged record', () => {
  for (const [what, path] of WRITE_FILES) {
    for (const code of ['ENOSPC', 'EIO', 'EMFILE']) {
      it(`${what}: ${code} on write, fsync and open`, async () => {
        const fs = new MemoryFileSystem();
        await memoryEnv(fs);
        const m = await open(fs);
        await m.createLogs(T, 0, 2);
        const acked: string[][] = [[], []];
        fs.failNextWrite({ path, code });
        fs.failNextSync({ path, code });
        fs.failNextOpen({ path, code });
        // each fault fires once, on the first matching call of the workload
        const topicsAndMore = m.createLogs(U, 0, 1).catch(() => undefined);
        for (let i = 0; i < 40; i++) {
          const p = i % 2;
          const log = m.log('t', p)!;
          try {
            const batch = simpleBatch(2, { valueBytes: 70, prefix: `r${i}` });
            const r = log.append(batch);
            await r.durable;
            acked[p]!.push(`r${i}`);
          } catch {
            await log.whenSettled();
          }
          if (i === 20) await m.checkpoint().catch(() => undefined);
        }
        await topicsAndMore;
        await m.close().catch(() => undefined);
        fs.clearFaults();
        const again = await open(fs);
        try {
          for (let p = 0; p < 2; p++) {
            const values = (await readAll(again.log('t', p)!)).map((b) => b.toString('latin1'));
            // every acknowledged batch is there, once
            for (const tag of acked[p]!) expect(values.filter((v) => v.includes(`${tag}-0`)).length).toBe(1);
          }
          // the faults cost a few appends, not a partition
          expect(Math.min(acked[0]!.length, acked[1]!.length)).toBeGreaterThan(15);
        } finally {
          await again.close();
        }
      });
    }
  }
});
