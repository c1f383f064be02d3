import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { parseCheckpoint } from './checkpoint.js';
import { joinPath } from './fs.js';
import { MemoryFileSystem } from './fs-memory.js';
import { CLEAN_SHUTDOWN_FILE, LogManager, uuidToBase64, type TopicLogs } from './log-manager.js';
import { simpleBatch } from './test-batches.js';
import { ENVS, dyingProcessFs, memoryEnv, readAll, testConfig, type TestEnv } from './test-env.js';
import type { LogConfig } from './log-config.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function topic(name: string, partitions: number, over: Partial<LogConfig> = {}): TopicLogs {
  return { topicId: randomUUID(), topic: name, partitions, config: testConfig(over) };
}

async function open(env: TestEnv, topics: TopicLogs[] = []): Promise<LogManager> {
  return LogManager.open({ dataDir: joinPath(env.root, 'kafka-data'), fs: env.fs, topics, background: false });
}

async function create(m: LogManager, t: TopicLogs): Promise<TopicLogs> {
  await m.createLogs(t, 0, t.partitions);
  return t;
}

describe.each(ENVS)('LogManager (%s)', (_name, make) => {
  it('creates, grows and deletes the logs it is told about, and keeps them and their data across restarts', async () => {
    const env = await make();
    cleanups.push(env.cleanup);
    const m = await open(env);
    expect(m.hadCleanShutdown).toBe(false);
    const t = await create(m, topic('orders', 3, { retentionMs: 1000 }));
    expect(m.logOf(t.topicId, 0)!.config.retentionMs).toBe(1000);
    for (let p = 0; p < 3; p++) await m.log('orders', p)!.append(simpleBatch(p + 1)).written;
    await m.createLogs(t, 3, 5);
    expect(m.logOf(t.topicId, 4)).toBe(m.log('orders', 4));
    m.setConfig(t.topicId, testConfig({ cleanupPolicy: ['compact'] }));
    expect(m.log('orders', 0)!.config.cleanupPolicy).toEqual(['compact']);
    const gone = await create(m, topic('gone', 1));
    await m.deleteLogs(gone.topicId);
    expect(m.log('gone', 0)).toBeUndefined();
    await m.close();
    expect(await env.fs.exists(joinPath(env.root, 'kafka-data', CLEAN_SHUTDOWN_FILE))).toBe(true);
    const meta = await env.fs.readFile(joinPath(env.root, 'kafka-data', 'orders-0', 'partition.metadata'));
    expect(meta.toString()).toBe(`version: 0\ntopic_id: ${uuidToBase64(t.topicId)}\n`);

    const again = await open(env, [{ ...t, partitions: 5 }]);
    expect(again.hadCleanShutdown).toBe(true);
    expect(await env.fs.exists(joinPath(env.root, 'kafka-data', CLEAN_SHUTDOWN_FILE))).toBe(false);
    for (let p = 0; p < 3; p++) expect(again.logOf(t.topicId, p)!.logEndOffset).toBe(p + 1);
    expect(again.logOf(t.topicId, 4)).toBeDefined();
    expect(await env.fs.exists(joinPath(env.root, 'kafka-data', 'gone-0'))).toBe(false);
    const cp = parseCheckpoint((await env.fs.readFile(joinPath(env.root, 'kafka-data', 'recovery-point-offset-checkpoint'))).toString());
    expect(cp?.get('orders-2')).toBe(3);
    await again.close();
  });

  it('refuses a topic name that cannot be a directory inside the data dir', async () => {
    const env = await make();
    cleanups.push(env.cleanup);
    const m = await open(env);
    for (const name of ['..', '.', 'a/b', '']) {
      await expect(Promise.resolve().then(() => m.createLogs(topic(name, 1), 0, 1))).rejects.toThrow(/cannot name a partition directory/);
    }
    await m.close();
  });

  it('after an unclean stop recovers every log and writes the marker only on a clean close', async () => {
    const env = await make();
    cleanups.push(env.cleanup);
    const m = await open({ ...env, fs: dyingProcessFs(env.fs) });
    const t = await create(m, topic('t', 2, { segmentBytes: 2000 }));
    for (let i = 0; i < 30; i++) await m.log('t', i % 2)!.append(simpleBatch(2, { valueBytes: 50 })).written;
    await m.checkpoint();
    // no close: a crash of the process (the page cache keeps the bytes)
    const again = await open(env, [t]);
    expect(again.hadCleanShutdown).toBe(false);
    expect(again.log('t', 0)!.logEndOffset).toBe(30);
    expect((await readAll(again.log('t', 1)!)).length).toBe(15);
    await again.close();
  });
});

describe('LogManager on the memory fs', () => {
  it('loses nothing acknowledged under group commit when the machine crashes', async () => {
    const fs = new MemoryFileSystem();
    const env = await memoryEnv(fs);
    const m = await open(env);
    const t = await create(m, topic('t', 1, { flushMode: 'group-commit' }));
    const log = m.log('t', 0)!;
    for (let i = 0; i < 10; i++) await log.append(simpleBatch(1)).ack(-1);
    log.append(simpleBatch(1)); // not acknowledged
    fs.crash();
    const again = await open(env, [t]);
    expect(again.log('t', 0)!.logEndOffset).toBeGreaterThanOrEqual(10);
    await again.close();
  });

  it('removes the directories of partitions it is not told about, and of an older topic of the same name', async () => {
    const fs = new MemoryFileSystem();
    const env = await memoryEnv(fs);
    const m = await open(env);
    const old = await create(m, topic('t', 1));
    await m.log('t', 0)!.append(simpleBatch(3)).written;
    await m.close();
    // a topic deleted just before a crash: the broker no longer names it, its directory is still there
    const again = await open(env);
    expect(await fs.exists(joinPath(env.root, 'kafka-data', 't-0'))).toBe(false);
    await again.close();
    // a re-created topic of the same name (another id) finds no data of the old one
    const m2 = await open(env);
    await create(m2, old);
    await m2.log('t', 0)!.append(simpleBatch(3)).written;
    await m2.close();
    const fresh = topic('t', 1);
    const m3 = await open(env, [fresh]);
    expect(m3.logOf(fresh.topicId, 0)!.logEndOffset).toBe(0);
    await m3.close();
  });

  it('persists DeleteRecords and retention through the log start checkpoint', async () => {
    const env = await memoryEnv();
    const m = await open(env);
    const t = await create(m, topic('t', 1, { segmentBytes: 500 }));
    const log = m.log('t', 0)!;
    for (let i = 0; i < 10; i++) await log.append(simpleBatch(1, { valueBytes: 100 })).written;
    expect(await log.deleteRecordsBefore(6)).toBe(6);
    await m.close();
    const again = await open(env, [t]);
    expect(again.log('t', 0)!.logStartOffset).toBe(6);
    expect(again.log('t', 0)!.logEndOffset).toBe(10);
    await again.close();
  });
});

describe('LogManager with many idle logs (issue 15)', () => {
  /** Syncs (files and directories) of a close after a restart in which only `busy-0` was written to. */
  async function closeAfterRestart(idle: number): Promise<{ syncs: number; fs: MemoryFileSystem; env: TestEnv; topics: TopicLogs[] }> {
    const fs = new MemoryFileSystem();
    const env = await memoryEnv(fs);
    const m = await open(env);
    const topics = [await create(m, topic('idle', idle)), await create(m, topic('busy', 1))];
    await m.log('busy', 0)!.append(simpleBatch(2, { producerId: 7, producerEpoch: 0, baseSequence: 0 })).written;
    await m.close();
    const again = await open(env, topics);
    await again.log('busy', 0)!.append(simpleBatch(1, { producerId: 7, producerEpoch: 0, baseSequence: 2 })).written;
    const before = fs.stats.syncs + fs.stats.dirSyncs;
    await again.close();
    return { syncs: fs.stats.syncs + fs.stats.dirSyncs - before, fs, env, topics };
  }

  it('closes logs untouched since a clean start without writing them, and keeps every log whole', async () => {
    const few = await closeAfterRestart(2);
    const many = await closeAfterRestart(40);
    // what the close syncs does not grow with the idle logs: the written log and the checkpoints only
    expect(many.syncs).toBe(few.syncs);
    const dir = (name: string) => joinPath(many.env.root, 'kafka-data', name);
    // a partition nobody wrote to has no producer snapshot (nothing to replay); the written one has its own
    expect((await many.fs.readdir(dir('idle-0'))).filter((n) => n.endsWith('.producer-snapshot'))).toEqual([]);
    expect(await many.fs.readdir(dir('busy-0'))).toContain('00000000000000000003.producer-snapshot');

    const third = await open(many.env, many.topics);
    expect(third.hadCleanShutdown).toBe(true);
    expect(third.log('idle', 39)!.logEndOffset).toBe(0);
    const busy = third.log('busy', 0)!;
    expect(busy.logEndOffset).toBe(3);
    // producer state survived both closes: a retry of the last batch is a duplicate, not a new append
    expect(busy.append(simpleBatch(1, { producerId: 7, producerEpoch: 0, baseSequence: 2 })).duplicate).toBe(true);
    expect((await readAll(busy)).length).toBe(2); // the two batches, whole
    await third.log('idle', 0)!.append(simpleBatch(1)).written;
    await third.close();
    const fourth = await open(many.env, many.topics);
    expect(fourth.log('idle', 0)!.logEndOffset).toBe(1);
    expect(fourth.log('busy', 0)!.logEndOffset).toBe(3);
    await fourth.close();
  });

  it('still recovers after a crash that follows a start with idle logs', async () => {
    const fs = new MemoryFileSystem();
    const env = await memoryEnv(fs);
    const m = await open(env);
    const topics = [await create(m, topic('idle', 3))];
    await m.log('idle', 1)!.append(simpleBatch(2)).written;
    await m.close();
    const again = await open(env, topics);
    await again.log('idle', 2)!.append(simpleBatch(4)).written;
    await again.flushAll();
    fs.crash();
    const third = await open(env, topics);
    expect(third.hadCleanShutdown).toBe(false);
    expect([0, 1, 2].map((p) => third.log('idle', p)!.logEndOffset)).toEqual([0, 2, 4]);
    await third.close();
  });
});

describe('LogManager tail caches', () => {
  it('share one memory budget among all partitions', async () => {
    const env = await memoryEnv();
    const m = await LogManager.open({ dataDir: joinPath(env.root, 'kafka-data'), fs: env.fs, background: false, tailCacheBytes: 1000, tailCacheBudgetBytes: 4000 });
    await create(m, topic('few', 2));
    const big = m.log('few', 0)!;
    for (let i = 0; i < 20; i++) await big.append(simpleBatch(1)).written;
    const batchBytes = simpleBatch(1).length;
    // Two logs: each may keep up to its own cap of 1,000 bytes.
    expect(big.cachedBytes).toBeLessThanOrEqual(Math.max(1000, batchBytes));
    expect(big.cachedBytes).toBeGreaterThan(1000 - batchBytes);
    await create(m, topic('many', 18));
    // Twenty logs share 4,000 bytes: 200 each (at least the newest batch stays).
    expect(big.cachedBytes).toBeLessThanOrEqual(Math.max(200, batchBytes));
    await m.close();
  });
});
