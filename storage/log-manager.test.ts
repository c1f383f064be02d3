import { afterEach, describe, expect, it } from 'vitest';
import { parseCheckpoint } from './checkpoint.js';
import { isLogError } from './errors.js';
import { joinPath } from './fs.js';
import { MemoryFileSystem } from './fs-memory.js';
import { CLEAN_SHUTDOWN_FILE, LogManager, TOPICS_FILE, uuidToBase64 } from './log-manager.js';
import { simpleBatch } from './test-batches.js';
import { ENVS, dyingProcessFs, memoryEnv, readAll, testResolver, type TestEnv } from './test-env.js';
import type { LogConfig } from './log-config.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function open(env: TestEnv, over: Partial<LogConfig> = {}): Promise<LogManager> {
  return LogManager.open({ dataDir: joinPath(env.root, 'kafka-data'), fs: env.fs, logConfig: testResolver(over), background: false });
}

describe.each(ENVS)('LogManager (%s)', (_name, make) => {
  it('creates topics with ids, partitions and configs, and keeps them and their data across restarts', async () => {
    const env = await make();
    cleanups.push(env.cleanup);
    const m = await open(env);
    expect(m.hadCleanShutdown).toBe(false);
    const t = await m.createTopic('orders', 3, { 'retention.ms': '1000', 'segment.bytes': '2000000' });
    expect(t.topicId).toMatch(UUID);
    expect(m.logConfig('orders').retentionMs).toBe(1000);
    expect(m.logConfig('orders').segmentBytes).toBe(2000000);
    for (let p = 0; p < 3; p++) await m.log('orders', p)!.append(simpleBatch(p + 1)).written;
    await m.createPartitions('orders', 5);
    expect(m.log('orders', 4)).toBeDefined();
    await m.alterTopicConfigs('orders', { 'cleanup.policy': 'compact' });
    expect(m.log('orders', 0)!.config.cleanupPolicy).toEqual(['compact']);
    await m.createTopic('gone', 1);
    await m.deleteTopic('gone');
    await m.close();
    expect(await env.fs.exists(joinPath(env.root, 'kafka-data', CLEAN_SHUTDOWN_FILE))).toBe(true);
    const meta = await env.fs.readFile(joinPath(env.root, 'kafka-data', 'orders-0', 'partition.metadata'));
    expect(meta.toString()).toBe(`version: 0\ntopic_id: ${uuidToBase64(t.topicId)}\n`);

    const again = await open(env);
    expect(again.hadCleanShutdown).toBe(true);
    expect(await env.fs.exists(joinPath(env.root, 'kafka-data', CLEAN_SHUTDOWN_FILE))).toBe(false);
    expect(again.topics().map((x) => [x.name, x.partitions, x.topicId])).toEqual([['orders', 5, t.topicId]]);
    expect(again.topicById(t.topicId)?.name).toBe('orders');
    expect(again.topic('orders')!.configs).toEqual({ 'cleanup.policy': 'compact' });
    for (let p = 0; p < 3; p++) expect(again.log('orders', p)!.logEndOffset).toBe(p + 1);
    expect(again.log('gone', 0)).toBeUndefined();
    expect(await env.fs.exists(joinPath(env.root, 'kafka-data', 'gone-0'))).toBe(false);
    const cp = parseCheckpoint((await env.fs.readFile(joinPath(env.root, 'kafka-data', 'recovery-point-offset-checkpoint'))).toString());
    expect(cp?.get('orders-2')).toBe(3);
    await again.close();
  });

  it('refuses bad requests with Kafka error names', async () => {
    const env = await make();
    cleanups.push(env.cleanup);
    const m = await open(env);
    await m.createTopic('a', 1);
    const code = async (p: Promise<unknown>): Promise<string | undefined> => {
      try {
        await p;
      } catch (e) {
        return isLogError(e) ? e.code : String(e);
      }
      return undefined;
    };
    expect(await code(m.createTopic('a', 1))).toBe('TOPIC_ALREADY_EXISTS');
    expect(await code(Promise.resolve().then(() => m.createTopic('../x', 1)))).toBe('INVALID_TOPIC_EXCEPTION');
    expect(await code(Promise.resolve().then(() => m.createTopic('b', 0)))).toBe('INVALID_PARTITIONS');
    // Config values are the broker's config table's to validate (broker/config.test.ts).
    expect(await code(m.createPartitions('a', 1))).toBe('INVALID_PARTITIONS');
    expect(await code(m.deleteTopic('nope'))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect((await m.createTopic('c', 2, {}, { validateOnly: true })).partitions).toBe(2);
    expect(m.topic('c')).toBeUndefined();
    await m.close();
  });

  it('after an unclean stop recovers every log and writes the marker only on a clean close', async () => {
    const env = await make();
    cleanups.push(env.cleanup);
    const m = await open({ ...env, fs: dyingProcessFs(env.fs) }, { segmentBytes: 2000 });
    await m.createTopic('t', 2);
    for (let i = 0; i < 30; i++) await m.log('t', i % 2)!.append(simpleBatch(2, { valueBytes: 50 })).written;
    await m.checkpoint();
    // no close: a crash of the process (the page cache keeps the bytes)
    const again = await open(env, { segmentBytes: 2000 });
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
    const m = await open(env, { flushMode: 'group-commit' });
    await m.createTopic('t', 1);
    const log = m.log('t', 0)!;
    for (let i = 0; i < 10; i++) await log.append(simpleBatch(1)).ack(-1);
    log.append(simpleBatch(1)); // not acknowledged
    fs.crash();
    const again = await open(env, { flushMode: 'group-commit' });
    expect(again.topic('t')).toBeDefined();
    expect(again.log('t', 0)!.logEndOffset).toBeGreaterThanOrEqual(10);
    await again.close();
  });

  it('removes the directories of a topic deleted just before a crash, and of a re-created one', async () => {
    const fs = new MemoryFileSystem();
    const env = await memoryEnv(fs);
    const m = await open(env);
    await m.createTopic('t', 1);
    await m.log('t', 0)!.append(simpleBatch(3)).written;
    await m.close();
    // simulate: topic file rewritten without 't' but its directory still there
    const path = joinPath(env.root, 'kafka-data', TOPICS_FILE);
    const meta = JSON.parse((await fs.readFile(path)).toString()) as { topics: unknown[] };
    meta.topics = [];
    await fs.writeFile(path, Buffer.from(JSON.stringify(meta)));
    const again = await open(env);
    expect(await fs.exists(joinPath(env.root, 'kafka-data', 't-0'))).toBe(false);
    await again.createTopic('t', 1);
    expect(again.log('t', 0)!.logEndOffset).toBe(0);
    await again.close();
  });

  it('persists DeleteRecords and retention through the log start checkpoint', async () => {
    const env = await memoryEnv();
    const m = await open(env, { segmentBytes: 500 });
    await m.createTopic('t', 1);
    const log = m.log('t', 0)!;
    for (let i = 0; i < 10; i++) await log.append(simpleBatch(1, { valueBytes: 100 })).written;
    expect(await log.deleteRecordsBefore(6)).toBe(6);
    await m.close();
    const again = await open(env, { segmentBytes: 500 });
    expect(again.log('t', 0)!.logStartOffset).toBe(6);
    expect(again.log('t', 0)!.logEndOffset).toBe(10);
    await again.close();
  });
});

describe('LogManager tail caches', () => {
  it('share one memory budget among all partitions', async () => {
    const env = await memoryEnv();
    const m = await LogManager.open({ dataDir: joinPath(env.root, 'kafka-data'), fs: env.fs, logConfig: testResolver(), background: false, tailCacheBytes: 1000, tailCacheBudgetBytes: 4000 });
    await m.createTopic('few', 2);
    const big = m.log('few', 0)!;
    for (let i = 0; i < 20; i++) await big.append(simpleBatch(1)).written;
    const batchBytes = simpleBatch(1).length;
    // Two logs: each may keep up to its own cap of 1,000 bytes.
    expect(big.cachedBytes).toBeLessThanOrEqual(Math.max(1000, batchBytes));
    expect(big.cachedBytes).toBeGreaterThan(1000 - batchBytes);
    await m.createTopic('many', 18);
    // Twenty logs share 4,000 bytes: 200 each (at least the newest batch stays).
    expect(big.cachedBytes).toBeLessThanOrEqual(Math.max(200, batchBytes));
    await m.close();
  });
});
